"""The funnel from a hand-written stats.json; stages found by step name or op name."""

from __future__ import annotations

from mmrecipe.analysis.funnel import stage_summary, step_funnel

STATS = {
    "totals": {"input": 1000, "kept": 255, "rejected": 700},
    "steps": {
        "read": {"in": 1000, "out": 1000, "rejected": {}},
        "hook": {"in": 1000, "out": 980, "rejected": {"op_error": 20}, "rejected_total": 20},
        "classify": {
            "in": 980,
            "out": 490,
            "rejected": {"no_instruction": 200},
            "routed": {"caption": 290},
        },
        "judge": {"in": 490, "out": 250, "rejected": {"low_quality": 240}},
        "respond": {"in": 250, "out": 250},
        "never_ran": {"in": 0, "out": 0},
    },
}


def test_pass_rates_per_step_and_stage() -> None:
    ops = {"classify": "oasis_categorize", "judge": "instruction_quality"}
    rows = step_funnel(STATS, ops)
    assert [r["step"] for r in rows] == [
        "read",
        "hook",
        "classify",
        "judge",
        "respond",
        "never_ran",
    ]
    by = {r["step"]: r for r in rows}
    assert by["hook"]["pass_rate"] == 0.98 and by["hook"]["rejected"] == 20
    assert by["classify"] | {} == {
        "step": "classify",
        "op": "oasis_categorize",
        "stage": "categorization",
        "in": 980,
        "out": 490,
        "pass_rate": 0.5,
        "rejected": 200,
        "routed": 290,
    }
    assert by["judge"]["stage"] == "quality_control"
    assert by["judge"]["pass_rate"] == round(250 / 490, 6)
    assert by["never_ran"]["pass_rate"] is None

    stages = stage_summary(rows, STATS)
    assert stages["categorization"]["pass_rate"] == 0.5
    assert stages["quality_control"]["pass_rate"] == round(250 / 490, 6)
    assert stages["categorization_and_quality_control"] == {
        "in": 980,
        "out": 250,
        "pass_rate": round(250 / 980, 6),
    }
    assert stages["run"]["pass_rate"] == 0.255


def test_without_recipe_names_only_steps_named_like_stages_count() -> None:
    rows = step_funnel(STATS)  # no recipe.yaml: "classify"/"judge" say nothing
    assert all(r["stage"] is None for r in rows)
    assert set(stage_summary(rows, STATS)) == {"run"}
    qc_named = {"steps": {"qc_solvability": {"in": 10, "out": 6}, "aqcb": {"in": 1, "out": 1}}}
    assert [r["stage"] for r in step_funnel(qc_named)] == ["quality_control", None]


def test_response_qc_and_caption_recycling_are_stages_of_their_own() -> None:
    """The shipped Oasis recipe's step names: response QC must not stretch the instruction-QC
    span, and the caption branch gets its own pass rate."""
    stats = {
        "totals": {"input": 10, "kept": 5, "rejected": 5},
        "steps": {
            "categorize": {"in": 10, "out": 6, "routed": {"caption": 3}},
            "qc_solvability": {"in": 6, "out": 6},
            "qc_gate": {"in": 6, "out": 4},
            "respond": {"in": 4, "out": 4},
            "response_qc": {"in": 4, "out": 3},
            "caption_screen": {"in": 3, "out": 2},
            "caption_pair": {"in": 2, "out": 2},
        },
    }
    summary = stage_summary(step_funnel(stats), stats)
    assert summary["quality_control"] == {
        "steps": ["qc_solvability", "qc_gate"],
        "in": 6,
        "out": 4,
        "pass_rate": round(4 / 6, 6),
    }
    assert summary["response_quality_control"]["pass_rate"] == 0.75
    assert summary["caption_recycling"]["in"] == 3 and summary["caption_recycling"]["out"] == 2


def test_a_fan_out_step_reads_as_a_factor_not_a_pass_rate() -> None:
    from mmrecipe.report.html import funnel_section
    from mmrecipe.stats import rate_text

    assert rate_text(3.0) == "x3" and rate_text(2.5) == "x2.5" and rate_text(0.42) == "42.0%"
    assert rate_text(1.0) == "100.0%" and rate_text(None) == "–"
    stats = {"steps": {"fan": {"in": 100, "out": 300}, "judge": {"in": 300, "out": 150}}}
    html = funnel_section(stats)
    assert "<td>x3</td>" in html and "300.0%" not in html and "<td>50.0%</td>" in html
