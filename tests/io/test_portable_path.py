"""portable_path inside resolve_cache() (the shard writer's fast path) gives exactly what the
plain Path.resolve() path gives, symlinked files and directories included."""

from __future__ import annotations

import os
from pathlib import Path

from mmrecipe.io.base import portable_path, resolve_cache


def test_cached_resolution_matches_plain(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "images").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (run / "images" / "a.jpg").write_bytes(b"x")
    (outside / "b.jpg").write_bytes(b"x")
    os.symlink(run / "images" / "a.jpg", outside / "link_in.jpg")  # a file link into the run
    os.symlink(outside, run / "linked_dir")  # a directory link out of the run
    os.symlink(run / "images", tmp_path / "alias")  # a directory link into the run
    paths = [
        str(run / "images" / "a.jpg"),
        str(outside / "b.jpg"),
        str(outside / "link_in.jpg"),
        str(run / "linked_dir" / "b.jpg"),
        str(tmp_path / "alias" / "a.jpg"),
        str(run / "images" / ".." / "images" / "a.jpg"),
        str(run / "images" / "missing.jpg"),
        str(run),
        "relative/c.jpg",
        "https://example.com/x.jpg",
    ]
    for base in (run, tmp_path / "alias" / ".."):
        plain = [portable_path(p, base) for p in paths]
        with resolve_cache():
            cached = [portable_path(p, base) for p in paths]
            again = [portable_path(p, base) for p in paths]
        assert cached == plain == again
    assert plain[0] == "images/a.jpg" and plain[2] == "images/a.jpg"
