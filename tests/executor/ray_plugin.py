"""Test plugin ops that kill the worker process running them, once, to test Ray's retries."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("test_die_once")
class DieOnce(MapOp):
    """SIGKILLs its own process the first time it meets sample ``at`` (a CPU op: a Ray task).
    The ``marker`` file records the kill (with the pid), so the retry goes through."""

    def __init__(self, marker: str, at: str) -> None:
        self.marker = marker
        self.at = at

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.id == self.at and not Path(self.marker).exists():
                Path(self.marker).write_text(str(os.getpid()))
                os.kill(os.getpid(), signal.SIGKILL)
        return samples


@register_op("test_die_once_io")
class DieOnceIO(DieOnce):
    """The same as an I/O-bound op, so its phase runs on Ray actors."""

    io_bound = True

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        return self.process_batch(samples)


@register_op("test_die_always")
class DieAlways(MapOp):
    """SIGKILLs its own process at every batch: a worker Ray's retries cannot save."""

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        os.kill(os.getpid(), signal.SIGKILL)
        return samples


@register_op("test_where")
class Where(MapOp):
    """Appends the id of the Ray node that runs each batch to ``log`` (is work spread?)."""

    def __init__(self, log: str) -> None:
        self.log = log

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        import ray

        node = ray.get_runtime_context().get_node_id() if ray.is_initialized() else "local"
        with open(self.log, "a") as fh:
            fh.write(node + "\n")
        return samples
