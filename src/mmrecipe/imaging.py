"""Opening untrusted image files safely and normalizing them to what trainers expect.

Everything here takes bytes a user did not vouch for: a corrupt, truncated, zero-byte or
bomb file, or a text file with a .jpg name, must give a reason string, never an exception that
kills a run.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

ImageFile.LOAD_TRUNCATED_IMAGES = False
# we enforce our own pixel cap before decoding; PIL's warning would only be noise
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

#: formats every common trainer loader reads; others are re-encoded as PNG
PLAIN_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP", "GIF"})
PLAIN_MODES = frozenset({"RGB", "L"})


class ImageRejected(Exception):
    """The image cannot be used; ``reason`` is a short machine-readable key."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class Limits:
    max_file_bytes: int = 200 * 1024 * 1024
    max_pixels: int = 100_000_000
    max_side: int = 20_000
    min_side: int = 8
    max_aspect_ratio: float = 64.0
    animated: str = "first_frame"  # or "reject"
    #: "auto": re-encode files with bytes after the image's end; "always"; "never"
    reencode: str = "auto"


@dataclass
class CheckedImage:
    sha256: str
    size_bytes: int
    format: str
    width: int
    height: int
    #: normalized pixels when the file itself is not usable as is (None: keep the file)
    normalized: Image.Image | None = None
    fixes: list[str] = field(default_factory=list)
    #: the decoded pixels, when ``check_image(draft=True)`` was asked for them
    decoded: Image.Image | None = None


def check_image(path: str | Path, limits: Limits, draft: bool = False) -> CheckedImage:
    """Read, validate and (when needed) normalize one image file, or raise ImageRejected.

    ``draft``: a plain JPEG is decoded as a grey image reduced up to 8x in the DCT domain
    (every byte is still entropy-decoded, so truncation and corruption are still caught) and
    returned in ``decoded``, for perceptual hashing without a second decode.
    """
    path = Path(path)
    try:
        st = os.stat(path)  # one stat for the size and the file type (is_file() was a second)
    except FileNotFoundError:
        raise ImageRejected("missing_file", f"{path} does not exist") from None
    except OSError as exc:
        raise ImageRejected("unreadable_file", f"{path}: {exc.strerror or exc}") from None
    size = st.st_size
    if not stat.S_ISREG(st.st_mode):
        raise ImageRejected("not_a_file", f"{path} is not a regular file")
    if size == 0:
        raise ImageRejected("empty_file", f"{path} is empty (0 bytes)")
    if size > limits.max_file_bytes:
        raise ImageRejected(
            "file_too_large", f"{path} is {size} bytes, over max_file_bytes={limits.max_file_bytes}"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageRejected("unreadable_file", f"{path}: {exc.strerror or exc}") from None
    sha = hashlib.sha256(data).hexdigest()
    try:
        im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise _bomb(path, exc, limits) from None
    except UnidentifiedImageError:
        if looks_like_image(data):
            raise ImageRejected(
                "corrupt",
                f"{path} has an image signature but cannot be decoded (damaged header or data)",
            ) from None
        # never quote the bytes: the file may be anything (a key, a password file)
        raise ImageRejected(
            "not_an_image", f"{path} is not an image (wrong extension? {len(data)} bytes)"
        ) from None
    except Exception as exc:
        raise ImageRejected("corrupt", f"{path}: cannot open: {error_message(exc)}") from None
    fmt = im.format or "UNKNOWN"
    width, height = im.size
    if width * height > limits.max_pixels:
        raise ImageRejected(
            "too_many_pixels",
            f"{path} is {width}x{height}, over max_pixels={limits.max_pixels} "
            "(possible decompression bomb)",
        )
    if max(width, height) > limits.max_side:
        raise ImageRejected(
            "too_large", f"{path} is {width}x{height}, over max_side={limits.max_side}"
        )
    if min(width, height) < limits.min_side:
        raise ImageRejected(
            "too_small", f"{path} is {width}x{height}, under min_side={limits.min_side}"
        )
    if max(width, height) / max(1, min(width, height)) > limits.max_aspect_ratio:
        raise ImageRejected(
            "extreme_aspect_ratio",
            f"{path} is {width}x{height}, aspect over {limits.max_aspect_ratio}",
        )
    n_frames = getattr(im, "n_frames", 1)
    if n_frames > 1 and limits.animated == "reject":
        raise ImageRejected("animated", f"{path} has {n_frames} frames")
    plain_jpeg = fmt == "JPEG" and im.mode in PLAIN_MODES and n_frames == 1
    # a plain JPEG is validated by a reduced (DCT-domain) decode: every byte is still
    # entropy-decoded, at a fraction of the cost; a file that needs fixing is decoded again
    reduced = plain_jpeg and im.getexif().get(0x0112, 1) in (1, None)
    drafted = draft and reduced
    if reduced:
        im.draft("L", (32, 32))
    try:
        im.load()
    except Image.DecompressionBombError as exc:
        raise _bomb(path, exc, limits) from None
    except OSError as exc:
        text = error_message(exc)
        reason = "truncated" if "truncated" in text or "broken data stream" in text else "corrupt"
        raise ImageRejected(reason, f"{path}: {text}") from None
    except Exception as exc:
        raise ImageRejected("corrupt", f"{path}: cannot decode: {error_message(exc)}") from None

    fixes: list[str] = []
    out = im
    if n_frames > 1:
        fixes.append(f"first_of_{n_frames}_frames")
    orientation = im.getexif().get(0x0112, 1) if hasattr(im, "getexif") else 1
    if orientation not in (1, None):
        out = ImageOps.exif_transpose(out)
        fixes.append(f"exif_orientation_{orientation}")
    if out.mode not in PLAIN_MODES:
        fixes.append(f"mode_{out.mode}_to_RGB")
        out = to_rgb(out)
    if fmt not in PLAIN_FORMATS and "mode_" not in "".join(fixes):
        fixes.append(f"format_{fmt}_to_PNG")
    if not fixes and limits.reencode != "never":
        # bytes after the image's end (a ZIP appended to a PNG: a polyglot) must not travel on
        end = image_end(data, fmt)
        if limits.reencode == "always":
            fixes.append("reencoded")
        elif end is None or end < len(data):
            fixes.append("trailing_data_removed" if end is not None else f"reencoded_{fmt}")
    if fixes and reduced:  # re-encoding needs the full pixels, not the reduced grey draft
        out = Image.open(io.BytesIO(data))
        out.load()
    normalized = out if fixes else None
    if normalized is not None:
        width, height = normalized.size
    return CheckedImage(
        sha256=sha,
        size_bytes=size,
        format=fmt,
        width=width,
        height=height,
        normalized=normalized,
        fixes=fixes,
        decoded=(im if drafted else normalized or im) if draft else None,
    )


_SIGNATURES = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF",
    b"\x00\x00\x00\x0cjP",
    b"8BPS",
    b"\x00\x00\x01\x00",
)


def _bomb(path: Path, exc: BaseException, limits: Limits) -> ImageRejected:
    """Pillow refused to open a decompression bomb: say so with the recipe's ``max_pixels``
    (Pillow's own limit is not one the user set)."""
    found = re.search(r"Image size \((\d+) pixels\)", str(exc))
    pixels = int(found[1]) if found else None
    if pixels is not None and pixels <= limits.max_pixels:
        return ImageRejected(
            "decompression_bomb",
            f"{path} has {pixels} pixels: within max_pixels={limits.max_pixels}, but over "
            "Pillow's decompression-bomb limit (lower max_pixels, or raise PIL's "
            "Image.MAX_IMAGE_PIXELS)",
        )
    size = f"{pixels} pixels" if pixels is not None else "more pixels than Pillow opens"
    return ImageRejected(
        "decompression_bomb",
        f"{path} has {size}, over max_pixels={limits.max_pixels} (a decompression bomb: "
        "not decoded)",
    )


def error_message(exc: BaseException, limit: int = 200) -> str:
    """An exception's message without quoted bytes (a decoder may echo the file's content)."""
    text = _BYTES_REPR.sub("<bytes>", str(exc))
    return text if len(text) <= limit else text[:limit] + "..."


_BYTES_REPR = re.compile(r"""b(['"]).*?(?<!\\)\1""")


def image_end(data: bytes, fmt: str) -> int | None:
    """Where the image in ``data`` ends (PNG after IEND, JPEG after EOI, GIF after its
    trailer, WebP/BMP by their declared size), or None when that cannot be told."""
    try:
        if fmt == "PNG":
            return _png_end(data)
        if fmt == "JPEG":
            return _jpeg_end(data)
        if fmt == "GIF":
            return _gif_end(data)
        if fmt == "WEBP" and data[:4] == b"RIFF":
            return 8 + int.from_bytes(data[4:8], "little")
        if fmt == "BMP":
            size = int.from_bytes(data[2:6], "little")
            return size or None
    except IndexError:
        return None
    return None


def _png_end(data: bytes) -> int | None:
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos
    return None


#: in entropy-coded data, the first 0xFF that starts a marker: not stuffing (FF00), a restart
#: marker (FFD0-FFD7) or a fill byte (FFFF, the next FF is looked at instead)
_JPEG_NEXT_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")


def _jpeg_end(data: bytes) -> int | None:
    pos, n = 2, len(data)
    while pos + 1 < n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:  # entropy-coded data: up to the next marker that is not FF00/RSTn
            found = _JPEG_NEXT_MARKER.search(data, pos)
            if found is None:
                return None
            pos = found.start()
    return None


def _gif_end(data: bytes) -> int | None:
    def skip_blocks(pos: int) -> int:
        while data[pos]:
            pos += 1 + data[pos]
        return pos + 1

    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    while True:
        kind = data[pos]
        if kind == 0x3B:
            return pos + 1
        if kind == 0x21:
            pos = skip_blocks(pos + 2)
        elif kind == 0x2C:
            flags = data[pos + 9]
            pos += 10 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
            pos = skip_blocks(pos + 1)
        else:
            return None


def looks_like_image(data: bytes) -> bool:
    """True when the bytes start with a common image signature (so a failure is corruption)."""
    return data.startswith(_SIGNATURES) or data[4:12] in (b"ftypavif", b"ftypheic")


def to_rgb(im: Image.Image) -> Image.Image:
    """Any PIL mode to 8-bit RGB: alpha composited on white, high bit depths scaled down."""
    mode = im.mode
    if mode == "P":
        im = im.convert("RGBA") if "transparency" in im.info else im.convert("RGB")
        mode = im.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode.startswith("I;16") or mode in ("I", "F"):
        import numpy as np  # here: most runs never meet a 16-bit image, and start-up counts

        arr = np.asarray(im).astype(np.float64)
        if mode.startswith("I;16"):
            arr = arr / 257.0
        elif arr.size and arr.max() > 255:
            arr = arr * (255.0 / arr.max())
        return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L").convert("RGB")
    if mode == "CMYK":
        return im.convert("RGB")
    return im.convert("RGB")


def save_normalized(im: Image.Image, directory: Path, sha256: str) -> Path:
    """Write a normalized image as PNG named after the source bytes' hash (idempotent)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{sha256}.png"
    if not target.exists():
        tmp = directory / f".{sha256}.{os.getpid()}.png.tmp"
        im.save(tmp, format="PNG")
        os.replace(tmp, target)
    return target


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
