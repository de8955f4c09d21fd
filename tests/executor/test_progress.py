"""What the CLI says while and after a run: the bar moves per sample (a source op too), the
``read`` step's seconds are the source's time, and the report's header figures hold over reruns."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

from rich.console import Console

from mmrecipe.executor.progress import ProgressView, current_shard
from mmrecipe.report.html import totals_section
from mmrecipe.stats import StepStats

REPO = Path(__file__).resolve().parents[2]
N = 16


def _run_in_terminal(args: list[str]) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stderr, as a user at a shell sees it."""
    main_fd, child_fd = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmrecipe", *args],
        stdout=subprocess.DEVNULL,
        stderr=child_fd,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(child_fd)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(main_fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(main_fd)
    return proc.wait(), b"".join(chunks).decode("utf-8", "replace")


def test_source_run_bar_moves_per_sample_and_read_has_the_time(tmp_path: Path) -> None:
    run = tmp_path / "run"
    args = [
        "run",
        str(REPO / "recipes/synth-chart.yaml"),
        "-o",
        str(run),
        "--set",
        f"ops.chart.num_samples={N}",
        "--set",
        f"executor.shard_size={N}",
    ]
    rc, screen = _run_in_terminal(args)
    assert rc == 0, screen
    counts = {int(m) for m in re.findall(rf"\b(\d+)/{N}\b", screen)}
    # one shard of N samples: a per-shard bar would show only 0 and N
    assert any(0 < c < N for c in counts), sorted(counts)
    # the step table is live as well: the read row counts samples as the source makes them
    reads = {int(m) for m in re.findall(r"read\s+(\d+)\s", screen)}
    assert any(0 < c < N for c in reads), sorted(reads)
    stats = json.loads((run / "stats.json").read_text())
    read = stats["steps"]["read"]["seconds"]
    # synthesis is the read step's work: it holds most of the run's time, not 0.0
    assert read > 0.5 * stats["wall_seconds"], stats

    # a no-op rerun: the header keeps the first run's time beside the last one's
    rerun = subprocess.run(
        [sys.executable, "-m", "mmrecipe", *args, "--quiet"],
        capture_output=True,
        text=True,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "2 runs in this dir: first" in rerun.stdout
    stats = json.loads((run / "stats.json").read_text())
    runs = stats["runs"]
    assert runs["count"] == 2
    assert runs["first_wall_seconds"] > runs["last_wall_seconds"]
    assert stats["cache"] == {"hits": 0, "requests": 0, "entries": 0}
    header = totals_section(stats, "run")
    assert "first run seconds" in header and "last run seconds" in header
    assert "cached answers" not in header


def test_bar_is_exact_at_shard_end_and_never_overshoots() -> None:
    view = ProgressView(console=Console(file=StringIO(), force_terminal=True))
    view.quiet = False
    view.start_phase(0, 1, 10, ["a", "b"])
    ticker = view.shard_ticker(10)
    token = current_shard.set(ticker)
    try:
        ticker.read(10)  # read stage done: a third of the shard
        assert view._progress is not None and view._task is not None
        task = view._progress.tasks[0]
        assert abs(task.completed - 10 / 3) < 1e-6
        for _ in range(50):  # a misbehaving stage cannot push the shard past its size
            ticker.tick(10, "a")
        assert task.completed < 10
        view.shard_done(0, 10, {"read": StepStats(n_in=10, n_out=8)})
        assert task.completed == 10
    finally:
        current_shard.reset(token)
        view.stop()
