#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run the whole test suite.
#   bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium for the report's browser test (as root; skipped when already present)
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium is missing and this is not root: the browser test will fail" >&2
  fi
fi

# Debian's Tesseract for the OCR backend and the LLaVAR test (as root; skipped when present)
if ! command -v tesseract >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr >/dev/null
  else
    echo "note: tesseract is missing and this is not root: the OCR tests will fail" >&2
  fi
fi

python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# the CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build
python -m pip install -q "torch==2.13.0"
python -m pip install -q -e ".[dev]"
python -m pytest -q "$@"
