"""Fonts per writing system, found on the host at run time (never downloaded).

The pick, measured on Debian 12 (see the README's "Fonts and scripts"): ``fonts-noto-core``
(12 MB download, 42 MB installed, 2.1 s to install) gives Latin, Cyrillic, Arabic (Naskh,
Sans, Kufi) and Devanagari in regular and bold; ``fonts-noto-cjk`` (57 MB download, 91 MB
installed, 6.4 s) gives Chinese and Japanese (one ``.ttc`` per style, the face picked by its
region: SC for Chinese, JP for Japanese). Any other font a folder holds is used when its file
name matches a script's families below and it covers every character the script's grammar
writes (checked on its cmap), so ``fonts-wqy-microhei`` or a user's own folder work too.

Folders: ``font_dirs`` given to :func:`font_catalog`, else ``MMRECIPE_FONT_DIRS``
(``os.pathsep``-separated), else the system's font folders. A script with no usable font is a
:class:`ConfigError` naming the folders searched and the package to install.

Shaping: Arabic (joining, right to left) and Devanagari (conjuncts, vowel signs before their
consonant) are only right when laid out by a shaping engine: Pillow's libraqm layout. Pillow's
basic layout draws them as isolated, unjoined letters in memory order; :func:`require_shaping`
refuses to render them without raqm.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont, features

from mmrecipe.errors import ConfigError

DEFAULT_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    str(Path.home() / ".local/share/fonts"),
    str(Path.home() / ".fonts"),
)

#: script -> file-name fragments of the families that write it (case-insensitive)
SCRIPT_FAMILIES: dict[str, tuple[str, ...]] = {
    "latin": ("NotoSans-", "NotoSerif-", "NotoSansMono-", "DejaVuSans", "DejaVuSerif"),
    "cyrillic": ("NotoSans-", "NotoSerif-", "NotoSansMono-", "DejaVuSans", "DejaVuSerif"),
    "arabic": ("NotoNaskhArabic-", "NotoSansArabic-", "NotoKufiArabic-"),
    "devanagari": ("NotoSansDevanagari-", "NotoSerifDevanagari-"),
    "han": ("NotoSansCJK-", "NotoSerifCJK-", "wqy-", "DroidSansFallback"),
    "japanese": ("NotoSansCJK-", "NotoSerifCJK-", "wqy-", "DroidSansFallback"),
}
#: what to install when a script has no font (Debian)
SCRIPT_PACKAGES = {
    "latin": "fonts-noto-core",
    "cyrillic": "fonts-noto-core",
    "arabic": "fonts-noto-core",
    "devanagari": "fonts-noto-core",
    "han": "fonts-noto-cjk",
    "japanese": "fonts-noto-cjk",
}
#: scripts whose letters change form or order with their neighbours: they need a shaper
COMPLEX_SCRIPTS = frozenset({"arabic", "devanagari"})
#: styles a text may ask for, matched on the file/face name
STYLES = ("regular", "bold")
#: face of a .ttc collection wanted per script (Noto CJK: JP, KR, SC, TC, HK faces)
_TTC_REGION = {"han": "SC", "japanese": "JP"}
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


@dataclass(frozen=True, order=True)
class FontFace:
    """One usable face: a file (and the face's index in a collection) and its style."""

    path: str
    index: int
    style: str

    @property
    def label(self) -> str:
        """The file name (and face index): what the ground truth records, host-independent."""
        name = Path(self.path).name
        return f"{name}#{self.index}" if self.index else name


def font_dirs(configured: list[str] | None = None) -> tuple[str, ...]:
    """The folders searched: ``configured``, else ``MMRECIPE_FONT_DIRS``, else the system's."""
    if configured:
        return tuple(configured)
    env = os.environ.get("MMRECIPE_FONT_DIRS")
    if env:
        return tuple(d for d in env.split(os.pathsep) if d)
    return DEFAULT_FONT_DIRS


def shaping_available() -> bool:
    """Pillow was built with libraqm (and found FriBiDi): complex scripts lay out right."""
    return bool(features.check("raqm"))


def require_shaping(script: str) -> None:
    if script in COMPLEX_SCRIPTS and not shaping_available():
        raise ConfigError(
            f"script {script!r} needs a text shaper, and this Pillow has no libraqm layout "
            "(PIL.features.check('raqm') is False): install Debian's libfribidi0 and "
            "libharfbuzz0b, or a Pillow wheel with raqm; basic layout would draw unjoined, "
            "misordered letters"
        )


def font_catalog(
    scripts: list[str], required_chars: dict[str, str], configured_dirs: list[str] | None = None
) -> dict[str, list[FontFace]]:
    """Every usable face per script (sorted, so a seed picks the same face on the same host).

    ``required_chars[script]`` holds the characters the script's texts use; a face missing any
    of them is not used. A script left with no face raises a ConfigError.
    """
    dirs = font_dirs(configured_dirs)
    files = _font_files(dirs)
    out: dict[str, list[FontFace]] = {}
    for script in scripts:
        if script not in SCRIPT_FAMILIES:
            raise ConfigError(f"unknown script {script!r}; known: {', '.join(SCRIPT_FAMILIES)}")
        require_shaping(script)
        faces = _usable(files, script, required_chars.get(script, ""))
        if not faces and script in BUNDLED_SCRIPTS:
            # a host with no fonts at all (a bare container): matplotlib's own DejaVu faces, so
            # the README's first command never fails for want of a Latin font
            faces = _usable(
                _font_files(bundled_font_dirs()), script, required_chars.get(script, "")
            )
        if not faces:
            raise ConfigError(
                f"no font for script {script!r} in {', '.join(dirs)} (looked for "
                f"{', '.join(SCRIPT_FAMILIES[script])} covering its text): apt-get install "
                f"{SCRIPT_PACKAGES[script]}, or point font_dirs / MMRECIPE_FONT_DIRS at a folder "
                "with one"
            )
        out[script] = sorted(faces)
    return out


#: scripts that matplotlib's bundled DejaVu faces write (the fallback when the host has no font)
BUNDLED_SCRIPTS = ("latin", "cyrillic")


def bundled_font_dirs() -> tuple[str, ...]:
    """matplotlib's bundled TrueType folder (a core dependency), found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    roots = list(spec.submodule_search_locations or []) if spec else []
    return tuple(str(Path(r) / "mpl-data" / "fonts" / "ttf") for r in roots)


def _usable(files: tuple[str, ...], script: str, chars: str) -> list[FontFace]:
    return [
        face
        for path in files
        if any(f.lower() in Path(path).name.lower() for f in SCRIPT_FAMILIES[script])
        for face in _faces(path, script)
        if _covers(face.path, face.index, chars)
    ]


def pick_face(faces: list[FontFace], style: str) -> list[FontFace]:
    """The faces of ``style`` (all faces when none has it)."""
    chosen = [f for f in faces if f.style == style]
    return chosen or faces


@lru_cache(maxsize=48)
def load_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    """A face at ``size``, laid out by raqm when Pillow has it (the shaped layout). Cached, but
    few: one Noto CJK face costs ~3 MB per size (measured), so 512 sizes would be 1.5 GB."""
    engine = ImageFont.Layout.RAQM if shaping_available() else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size, index=index, layout_engine=engine)


@lru_cache(maxsize=16)
def _font_files(dirs: tuple[str, ...]) -> tuple[str, ...]:
    found: set[str] = set()
    for d in dirs:
        root = Path(d)
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            if path.suffix.lower() in _FONT_SUFFIXES and path.is_file():
                found.add(str(path))
    return tuple(sorted(found))


def _style(name: str) -> str | None:
    """regular or bold from a face/file name; None for italics, light and other weights."""
    low = name.lower()
    if any(w in low for w in ("italic", "oblique", "light", "thin", "black", "medium", "semi")):
        return None
    if "extrabold" in low or "condensed" in low or "narrow" in low or "ui-" in low:
        return None
    return "bold" if "bold" in low else "regular"


@lru_cache(maxsize=1024)
def _faces(path: str, script: str) -> tuple[FontFace, ...]:
    style = _style(Path(path).stem)
    if style is None:
        return ()
    if not path.lower().endswith(".ttc"):
        return (FontFace(path, 0, style),)
    region = _TTC_REGION.get(script)
    out = []
    for index in range(32):
        try:
            family, _ = ImageFont.truetype(path, 12, index=index).getname()
        except OSError:
            break
        if family is None or "mono" in family.lower():
            continue
        if region is None or family.split()[-1] == region:
            out.append(FontFace(path, index, style))
    return tuple(out)


@lru_cache(maxsize=1024)
def _cmap(path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    try:
        with TTFont(path, fontNumber=index, lazy=True) as font:
            return frozenset(font.getBestCmap() or {})
    except Exception:  # an unreadable font file is no candidate
        return frozenset()


def _covers(path: str, index: int, chars: str) -> bool:
    cmap = _cmap(path, index)
    return bool(cmap) and all(ord(c) in cmap for c in set(chars) if not c.isspace())
