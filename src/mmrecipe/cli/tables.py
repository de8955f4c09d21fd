"""Printing a run's stats as a table (shared by ``run`` and ``stats``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def print_stats(stats: dict[str, Any], run_dir: Path | None = None) -> None:
    console = Console()
    table = Table(title=f"mmrecipe run {run_dir}" if run_dir else "mmrecipe run")
    for col in ("step", "in", "out", "rejected", "top reasons", "seconds"):
        table.add_column(col, justify="left" if col in ("step", "top reasons") else "right")
    for name, st in stats.get("steps", {}).items():
        reasons = sorted(st.get("rejected", {}).items(), key=lambda kv: -kv[1])[:3]
        table.add_row(
            name,
            str(st["in"]),
            str(st["out"]),
            str(st.get("rejected_total", 0)),
            ", ".join(f"{r} {n}" for r, n in reasons),
            f"{st.get('seconds', 0):.1f}",
        )
    console.print(table)
    totals = stats.get("totals", {})
    console.print(
        f"input {totals.get('input', 0)} · kept {totals.get('kept', 0)} · "
        f"rejected {totals.get('rejected', 0)}",
        highlight=False,
    )
    for backend, usage in stats.get("usage", {}).items():
        parts = " · ".join(f"{k} {v}" for k, v in usage.items())
        console.print(f"backend {backend}: {parts}", highlight=False)
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
