#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run the whole test suite.
#   bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's packages the tests need (as root; one apt-get run, only for what is missing):
# chromium for the report's browser test, tesseract-ocr for the OCR backend and LLaVAR test;
# Noto fonts and Tesseract's language data for multilingual scene text and documents
# (fonts-noto-core 12 MB / 2 s, fonts-noto-cjk 57 MB / 6 s to install, measured; README)
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
# Pillow's wheel bundles libraqm and HarfBuzz but loads FriBiDi from the system (RTL text)
ldconfig -p 2>/dev/null | grep -q libfribidi || missing+=(libfribidi0)
[ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-core)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
for lang in ara hin rus fra chi-sim jpn; do
  dpkg -s "tesseract-ocr-$lang" >/dev/null 2>&1 || missing+=("tesseract-ocr-$lang")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: ${missing[*]} missing and this is not root: the browser/OCR tests will fail" >&2
  fi
fi

python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# the CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build
python -m pip install -q "torch==2.13.0"
python -m pip install -q -e ".[dev]"
python -m pytest -q "$@"
