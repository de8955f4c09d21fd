"""The per-step funnel of a run (from ``stats.json``) and the pass rates of the Oasis filter
stages: data categorization (about 50% of hooked texts pass in the paper), instruction
quality control (about 51%), and, where the run has them, caption recycling and the response
quality-control ablation."""

from __future__ import annotations

import re
from typing import Any

#: stage -> pattern matched against a step's name and its op's registry name
STAGES = {
    "categorization": re.compile(r"categor", re.I),
    # before quality_control: "response_qc" must not count as instruction quality control
    "response_quality_control": re.compile(r"response_(qc|score|quality)", re.I),
    "quality_control": re.compile(r"quality|(^|_)qc($|_)", re.I),
    "caption_recycling": re.compile(r"^caption_(screen|refine|pair)$|recycl", re.I),
}


def _rate(n_out: int, n_in: int) -> float | None:
    return round(n_out / n_in, 6) if n_in else None


def step_funnel(stats: dict[str, Any], step_ops: dict[str, str] | None = None) -> list[dict]:
    """One row per step in run order: in, out, pass rate (out / in), rejected and routed.

    ``step_ops`` maps step names to op registry names (from the run's recipe.yaml) so a step
    named freely is still recognised as a categorization or quality-control stage.
    """
    step_ops = step_ops or {}
    rows = []
    for name, st in (stats.get("steps") or {}).items():
        n_in, n_out = int(st.get("in", 0)), int(st.get("out", 0))
        op = step_ops.get(name)
        stage = next(
            (s for s, pat in STAGES.items() if pat.search(name) or (op and pat.search(op))),
            None,
        )
        rows.append(
            {
                "step": name,
                "op": op,
                "stage": stage,
                "in": n_in,
                "out": n_out,
                "pass_rate": _rate(n_out, n_in),
                "rejected": int(st.get("rejected_total", sum((st.get("rejected") or {}).values()))),
                "routed": sum((st.get("routed") or {}).values()),
            }
        )
    return rows


def stage_summary(rows: list[dict], stats: dict[str, Any]) -> dict[str, Any]:
    """Pass rate of each Oasis stage that the run has (from the stage's first step's input to
    its last step's output, since quality control may be several judge steps), of the two
    together, and of the whole run (kept / input)."""
    out: dict[str, Any] = {}
    spans: dict[str, tuple[dict, dict]] = {}
    for stage in STAGES:
        stage_rows = [r for r in rows if r["stage"] == stage]
        if stage_rows:
            first, last = stage_rows[0], stage_rows[-1]
            spans[stage] = (first, last)
            out[stage] = {
                "steps": [r["step"] for r in stage_rows],
                "in": first["in"],
                "out": last["out"],
                "pass_rate": _rate(last["out"], first["in"]),
            }
    if "categorization" in spans and "quality_control" in spans:
        first = spans["categorization"][0]
        last = spans["quality_control"][1]
        out["categorization_and_quality_control"] = {
            "in": first["in"],
            "out": last["out"],
            "pass_rate": _rate(last["out"], first["in"]),
        }
    totals = stats.get("totals") or {}
    if totals:
        n_in, kept = int(totals.get("input", 0)), int(totals.get("kept", 0))
        out["run"] = {"in": n_in, "out": kept, "pass_rate": _rate(kept, n_in)}
    return out
