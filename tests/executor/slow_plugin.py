"""A test plugin op that takes a little time per sample, so a test can kill a run mid-way."""

from __future__ import annotations

import errno
import os
import time

from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("test_slow_upper")
class SlowUpper(MapOp):
    """Upper-cases the assistant turn after sleeping ``delay_s`` per sample."""

    def __init__(self, delay_s: float = 0.002) -> None:
        self.delay_s = delay_s

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            time.sleep(self.delay_s)
            for m in sample.messages:
                if m["role"] == "assistant":
                    m["content"] = m["content"].upper()
        return samples


@register_op("test_explode_on_bad")
class ExplodeOnBad(MapOp):
    """Raises for samples whose id contains 'bad' (an op bug or a poisoned sample)."""

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if "bad" in sample.id:
                raise ValueError(f"cannot handle {sample.id}")
        return samples


@register_op("test_non_finite")
class NonFinite(MapOp):
    """Writes non-finite numbers, as a model's logprobs and a division by zero would."""

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            sample.scores["ratio"] = float("inf")
            sample.fields["nll"] = float("nan")
            sample.trace["model"] = {"token_logprobs": [[-0.5, float("-inf")]]}
        return samples


@register_op("test_write_image")
class WriteImage(MapOp):
    """Writes a small file per sample under the run's images/ (as image normalization does);
    the disk is full when the sample named by $MMRECIPE_TEST_DISK_FULL_AT is written."""

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            path = self.ctx.image_dir / f"{sample.id}.bin"
            if os.environ.get("MMRECIPE_TEST_DISK_FULL_AT") == sample.id:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            with open(path, "wb") as fh:
                fh.write(b"\0" * 64)
            sample.fields["written"] = path.name
        return samples
