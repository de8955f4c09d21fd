"""A WebDataset member is read only up to ``input.member_max_bytes``, checked against its
declared size before reading: a 20 KB tar holding a 3 GiB sparse member and a few-MB gzip tar
holding a 2 GiB member are one reject each (``member_too_large``), the records after them are
kept, and the reading process never holds the member (peak RSS measured in a subprocess)."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from PIL import Image

from mmrecipe.io import open_reader
from mmrecipe.io.base import ImageRoot

GIB = 1 << 30
PEAK_LIMIT = 500 * 1024 * 1024


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 200, 10)).save(buf, "PNG")
    return buf.getvalue()


def _record(key: str) -> list[tuple[str, bytes]]:
    body = {"id": key, "messages": [{"role": "user", "content": "<image>\nq"}]}
    return [(f"{key}.json", json.dumps(body).encode()), (f"{key}.png", _png())]


def _tar_bytes(members: list[tuple[str, bytes]], end: bool) -> bytes:
    out = bytearray()
    for name, data in members:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        out += info.tobuf(tarfile.GNU_FORMAT)
        out += data + b"\0" * (-len(data) % 512)
    if end:
        out += b"\0" * 1024
    return bytes(out)


def sparse_bomb(folder: Path) -> Path:
    """a, then b with a 3 GiB sparse b.png (GNU tar --sparse: the tar stays tiny), then c."""
    work = folder / "sparse_src"
    work.mkdir()
    names = []
    for key in ("a", "b", "c"):
        for name, data in _record(key):
            if name == "b.png":
                with open(work / name, "wb") as fh:
                    fh.truncate(3 * GIB)
            else:
                (work / name).write_bytes(data)
            names.append(name)
    target = folder / "sparse.tar"
    subprocess.run(
        ["tar", "--sparse", "--format=gnu", "-cf", str(target), "-C", str(work), *names],
        check=True,
    )
    shutil.rmtree(work)
    assert target.stat().st_size < 100_000
    return target


def gzip_bomb(folder: Path) -> Path:
    """a, then a 2 GiB b.png of zeros, then c, gzip-compressed: concatenated gzip members
    (valid gzip, as ``cat x.gz y.gz`` makes) so the test never compresses 2 GiB itself."""
    target = folder / "bomb.tar.gz"
    chunk = gzip.compress(b"\0" * (1 << 20), compresslevel=9)
    head = _tar_bytes(_record("a"), end=False)
    info = tarfile.TarInfo("b.png")
    info.size = 2 * GIB
    with open(target, "wb") as fh:
        fh.write(gzip.compress(head + info.tobuf(tarfile.GNU_FORMAT)))
        for _ in range(2 * GIB // (1 << 20)):
            fh.write(chunk)
        fh.write(gzip.compress(_tar_bytes(_record("c"), end=True)))
    assert target.stat().st_size < 20 * 1024 * 1024
    return target


_CHILD = r"""
import json, sys
from pathlib import Path
from mmrecipe.io import open_reader
from mmrecipe.io.base import ImageRoot
path, out = Path(sys.argv[1]), Path(sys.argv[2])
root = ImageRoot(path.parent)
samples = list(open_reader("webdataset", path, image_root=root, materialize_dir=out))
print(json.dumps({
    "kept": [s.id for s in samples if not s.rejected],
    "reasons": [s.rejection.reason for s in samples if s.rejected],
    # VmHWM belongs to this process image: ru_maxrss would carry pytest's peak across exec
    "peak": next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
                 if line.startswith("VmHWM:")),
}))
"""


@pytest.mark.parametrize("build", [sparse_bomb, gzip_bomb])
def test_an_oversized_member_is_one_reject_in_bounded_memory(tmp_path: Path, build) -> None:  # type: ignore[no-untyped-def]
    path = build(tmp_path)
    out = tmp_path / "images"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["reasons"] == ["member_too_large"]
    assert result["kept"] == ["a", "c"]
    assert result["peak"] < PEAK_LIMIT, f"peak RSS {result['peak'] / 1e6:.0f} MB"
    assert sum(p.stat().st_size for p in out.iterdir()) < 1_000_000


def test_the_cap_is_a_setting(tmp_path: Path) -> None:
    path = tmp_path / "small.tar"
    path.write_bytes(_tar_bytes(_record("a") + _record("b"), end=True))
    small = ImageRoot(tmp_path, member_max_bytes=50)  # the PNGs are bigger, the JSON not
    samples = list(open_reader("webdataset", path, image_root=small))
    assert [s.rejection.reason for s in samples if s.rejection] == ["member_too_large"] * 2
    samples = list(open_reader("webdataset", path, image_root=ImageRoot(tmp_path)))
    assert [s.id for s in samples if not s.rejected] == ["a", "b"]
