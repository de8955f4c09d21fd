"""Generators run from several shard threads at once, in a fresh process where nothing has
imported OpenCV yet: four threads calling ``document.faces`` (``import cv2`` on first use)
together used to crash with ``module 'cv2' has no attribute 'data'`` (3 times in 6)."""

from __future__ import annotations

import subprocess
import sys

_CHILD = r"""
import random, threading, sys
from mmrecipe.synth import document
from mmrecipe.synth.document import DocumentGenerator, PHOTOS
assert "cv2" not in sys.modules
start = threading.Barrier(4)
errors = []

def work(i):
    start.wait()
    try:
        document.faces(PHOTOS[i % len(PHOTOS)])
        DocumentGenerator(modes=["page"]).make(random.Random(i), 1)
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")

threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("errors:", errors)
sys.exit(1 if errors else 0)
"""


def test_generators_from_four_threads_in_a_fresh_process() -> None:
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
