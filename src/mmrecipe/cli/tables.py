"""Printing a run's stats as a table (shared by ``run`` and ``stats``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

#: reject reasons shown per step at the end of ``mmrecipe run`` (``mmrecipe stats`` shows all)
RUN_TOP_REASONS = 5


def reason_lines(rejected: dict[str, int], top: int | None = None) -> list[str]:
    """``reason count`` lines, most frequent first; past ``top``, one ``… k more`` line."""
    ordered = sorted(rejected.items(), key=lambda kv: (-kv[1], kv[0]))
    if top is None or len(ordered) <= top:
        return [f"{r} {n}" for r, n in ordered]
    rest = ordered[top:]
    more = f"… {len(rest)} more ({sum(n for _, n in rest)} samples)"
    return [f"{r} {n}" for r, n in ordered[:top]] + [more]


def print_stats(stats: dict[str, Any], run_dir: Path | None = None, top: int | None = None) -> None:
    """The funnel table; ``top`` caps the reject reasons shown per step (None: every one)."""
    console = Console()
    table = Table(title=f"mmrecipe run {run_dir}" if run_dir else "mmrecipe run")
    for col in ("step", "in", "out", "rejected", "reasons", "seconds"):
        table.add_column(col, justify="left" if col in ("step", "reasons") else "right")
    for name, st in stats.get("steps", {}).items():
        table.add_row(
            name,
            str(st["in"]),
            str(st["out"]),
            str(st.get("rejected_total", 0)),
            "\n".join(reason_lines(st.get("rejected", {}), top)),
            f"{st.get('seconds', 0):.1f}",
        )
    console.print(table)
    totals = stats.get("totals", {})
    console.print(
        f"input {totals.get('input', 0)} · kept {totals.get('kept', 0)} · "
        f"rejected {totals.get('rejected', 0)}",
        highlight=False,
    )
    for fmt, out in stats.get("outputs", {}).items():
        line = f"output {fmt}: written {out.get('written', 0)}"
        if out.get("left_out"):
            line += " · left out: " + ", ".join(f"{r} {n}" for r, n in out["left_out"].items())
        if out.get("lost"):
            line += " · lost: " + ", ".join(f"{r} {n}" for r, n in out["lost"].items())
        console.print(line, highlight=False)
    for backend, usage in stats.get("usage", {}).items():
        parts = " · ".join(f"{k} {v}" for k, v in usage.items())
        console.print(f"backend {backend}: {parts}", highlight=False)
    if stats.get("rejected_transient"):
        console.print(
            f"{stats['rejected_transient']} of the rejects were transient (server errors, "
            "time-outs, rate limits): rerun the same command to retry them",
            highlight=False,
        )
    runs, cache = stats.get("runs"), stats.get("cache")
    if isinstance(runs, dict) and isinstance(cache, dict):
        if runs.get("count", 0) > 1:
            wall = (
                f"{runs['count']} runs in this dir: first {runs['first_wall_seconds']:.1f} s, "
                f"last {runs['last_wall_seconds']:.1f} s"
            )
        else:
            wall = f"wall {runs.get('last_wall_seconds', 0):.1f} s"
        console.print(
            f"{wall} · model requests {cache.get('requests', 0)} · cache hits "
            f"{cache.get('hits', 0)} · cache entries {cache.get('entries', 0)}",
            highlight=False,
        )
