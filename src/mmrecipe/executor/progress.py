"""What the user sees while a run goes: a rich progress bar with per-step counts and ETA, or,
with ``--quiet``, one log line per finished shard.

The bar moves per sample, not per shard: each of a phase's stages (``read`` — the reader or the
source op generating — then every step) reports the samples it has finished, and each finished
sample-stage counts as ``1 / stages`` of a sample. A shard's share is topped up to exactly its
sample count when it finishes, so the bar is exact at every shard boundary and the ETA comes
from the steady per-sample rate in between. Samples a step rejects (or another branch's) are
counted when their shard finishes.
"""

from __future__ import annotations

import logging
import sys
import threading
from contextvars import ContextVar
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from mmrecipe.stats import StepStats

log = logging.getLogger("mmrecipe")


class ShardTicker:
    """One shard's share of the bar, and the seconds its input took to read (or generate).

    The executor makes one per shard and sets it in :data:`current_shard` for the shard's task
    (asyncio tasks and ``to_thread`` carry it), so stages deep in the call stack can tick.
    """

    def __init__(self, view: ProgressView, size: int) -> None:
        self.view = view
        self.size = size
        #: seconds spent in the reader or source op for this shard (the ``read`` step's time)
        self.read_seconds = 0.0
        #: samples the read stage has reported (a source op reports them one by one)
        self.read_done = 0
        self.advanced = 0.0
        #: samples each stage has finished so far in this shard (the table's live "in")
        self.stage_done: dict[str, int] = {}

    def tick(self, n: int, stage: str) -> None:
        """``n`` samples finished the stage ``stage`` of this shard."""
        if n > 0:
            self.view._advance_partial(self, n, stage)

    def read(self, n: int) -> None:
        """``n`` samples came out of the reader or source op."""
        self.read_done += n
        self.tick(n, "read")


current_shard: ContextVar[ShardTicker | None] = ContextVar("current_shard", default=None)


class ProgressView:
    def __init__(self, quiet: bool = False, console: Console | None = None) -> None:
        self.quiet = quiet or not sys.stderr.isatty()
        self.console = console or Console(stderr=True)
        self._lock = threading.Lock()
        self._steps: dict[str, StepStats] = {}
        self._order: list[str] = []
        self._live: Live | None = None
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._phase = 0
        self._phases = 1
        self._done = 0
        self._stages = 1
        #: samples each stage has finished in shards not yet done (shown live in the table)
        self._in_flight: dict[str, int] = {}

    def log(self, message: str) -> None:
        if self._live is not None:
            self._live.console.print(message)
        else:
            self.console.print(message, highlight=False)

    def start_phase(self, phase: int, n_phases: int, total: int | None, steps: list[str]) -> None:
        with self._lock:
            self._phase, self._phases, self._done = phase, n_phases, 0
            self._order = (["read"] if phase == 0 else []) + steps
            self._stages = max(1, len(self._order))
            self._steps = {}
            self._in_flight = {}
            if self.quiet:
                if total is None:
                    log.info("phase %d/%d: samples not counted in advance", phase + 1, n_phases)
                else:
                    log.info("phase %d/%d: %d samples", phase + 1, n_phases, total)
                return
            self._close_live()
            self._progress = Progress(
                TextColumn("[bold]phase {task.fields[phase]}[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=self.console,
            )
            self._task = self._progress.add_task(
                "samples", total=total, phase=f"{phase + 1}/{n_phases}"
            )
            self._live = Live(
                console=self.console,
                refresh_per_second=4,
                transient=False,
                get_renderable=self._render,  # rebuilt at each refresh: the table is live too
            )
            self._live.start()

    def advance_input(self, n: int, resumed: bool = False) -> None:
        with self._lock:
            self._done += n
            if self._progress is not None and self._task is not None:
                self._progress.advance(self._task, n)

    def shard_ticker(self, size: int) -> ShardTicker:
        """A new shard of ``size`` input samples starts (see :class:`ShardTicker`)."""
        return ShardTicker(self, size)

    def _advance_partial(self, ticker: ShardTicker, n: int, stage: str) -> None:
        with self._lock:
            ticker.stage_done[stage] = ticker.stage_done.get(stage, 0) + n
            self._in_flight[stage] = self._in_flight.get(stage, 0) + n
            # never past the shard's share: shard_done tops it up to exactly its size
            step = min(n / self._stages, max(0.0, ticker.size - ticker.advanced - 1e-6))
            if step <= 0:
                return
            ticker.advanced += step
            if self._progress is not None and self._task is not None:
                self._progress.advance(self._task, step)

    def shard_done(self, phase: int, n_in: int, stats: dict[str, StepStats]) -> None:
        ticker = current_shard.get()
        with self._lock:
            for name, st in stats.items():
                self._steps.setdefault(name, StepStats()).merge(st)
            if ticker is not None:  # the shard's counts are in the merged stats now
                for stage, done in ticker.stage_done.items():
                    self._in_flight[stage] = self._in_flight.get(stage, 0) - done
                ticker.stage_done = {}
            read = stats.get("read")
            n = read.n_in if read is not None else n_in
            self._done += n
            if self.quiet:
                log.info("phase %d: shard done (%d samples, %d so far)", phase + 1, n, self._done)
                return
            if self._progress is not None and self._task is not None:
                already = ticker.advanced if ticker is not None else 0.0
                self._progress.advance(self._task, n - already)
                if ticker is not None:
                    ticker.advanced = float(n)
            if self._live is not None:
                self._live.update(self._render())

    def _render(self) -> Any:
        table = Table(box=None, pad_edge=False, show_header=True, header_style="dim")
        for col in ("step", "in", "out", "rejected", "seconds"):
            table.add_column(col, justify="right" if col != "step" else "left")
        for name in self._order:
            st = self._steps.get(name, StepStats())
            table.add_row(
                name,
                str(st.n_in + self._in_flight.get(name, 0)),
                str(st.n_out),
                str(sum(st.rejected.values())),
                f"{st.seconds:.1f}",
            )
        assert self._progress is not None
        return Group(self._progress, table)

    def _close_live(self) -> None:
        if self._live is not None:
            self._live.update(self._render())
            self._live.stop()
            self._live = None

    def stop(self) -> None:
        with self._lock:
            self._close_live()
