"""End to end: a hand-built Oasis run dir analysed through the CLI and through analyze_run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mmrecipe.analysis import PLOTS, analyze_run
from mmrecipe.cli import main

from .conftest import KEPT, sample, write_run

#: word counts of KEPT's instructions, counted by hand (each Chinese character is a word)
INSTRUCTION_WORDS = [5, 5, 4, 6, 7, 8, 13, 9, 12, 10, 10]


def test_cli_writes_analysis_json_and_plots(oasis_run: Path) -> None:
    result = CliRunner().invoke(main, ["analyze", str(oasis_run)])
    assert result.exit_code == 0, result.output
    out = oasis_run / "analysis"
    data = json.loads((out / "analysis.json").read_text(encoding="utf-8"))
    for name in PLOTS:
        png = (out / name).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5000, name
    assert data["plots"] == list(PLOTS)
    assert "describe" in result.output and "image 3" in result.output
    assert "categorization: 48/96 passed (50.0%)" in result.output
    assert str(out) in result.output


def test_numbers_of_a_hand_built_run(oasis_run: Path) -> None:
    data = analyze_run(oasis_run, plots=False)
    assert data["counts"] == {
        "kept": 12,
        "rejected": 3,
        "instructions": 11,
        "caption": 1,
        "without_instruction": 0,
    }
    words = data["instruction_length"]["words"]
    assert words["count"] == 11
    assert words["mean"] == pytest.approx(sum(INSTRUCTION_WORDS) / 11, abs=1e-4)
    chars = data["instruction_length"]["chars"]
    assert chars["mean"] == pytest.approx(sum(len(i) for i, _ in KEPT) / 11, abs=1e-4)
    assert sum(words["histogram"]["counts"]) == 11
    # responses: every kept sample, the caption sample included
    assert data["response_length"]["chars"]["count"] == 12

    ttr = data["type_token_ratio"]["instruction"]
    assert ttr["tokens"] == 89 and ttr["types"] == 69  # distinct words counted by hand
    assert ttr["ttr"] == pytest.approx(69 / 89, abs=1e-6)
    assert ttr["mattr"] == ttr["ttr"]  # fewer words than one window

    assert data["languages"] == {"en": 6, "zh-cn": 2, "de": 1, "es": 1, "fr": 1}
    assert data["languages_meta"]["sampled"] is False

    vn = data["verb_noun"]
    assert vn["available"] is True and vn["backend"] in ("denckring-en-pos", "spacy")
    assert vn["describe"] == {"image": 3}  # "images" lemmatised to "image"
    assert vn["identify"] == {"object": 1}
    assert vn["write"] == {"poem": 1}
    assert vn["count"] == {"apple": 1}
    assert data["verb_counts"]["describe"] == 3

    scores = data["scores"]
    assert set(scores) == {"solvability", "clarity", "hallucination", "nonsense"}
    assert scores["solvability"]["kept"] == {"1": 0, "2": 0, "4": 5, "5": 6}
    assert scores["solvability"]["rejected"] == {"1": 1, "2": 2, "4": 0, "5": 0}
    assert scores["hallucination"]["rejected"] == {"4": 1, "5": 2}
    assert scores["nonsense"]["rejected"] == {"5": 0}
    assert scores["clarity"]["kept_mean"] == 4.0
    assert data["domains"] == {"general": 8, "ocr": 3}

    stages = data["funnel_stages"]
    assert stages["categorization"]["pass_rate"] == 0.5
    assert stages["quality_control"] == {
        "steps": ["solvability", "nonsense"],
        "in": 48,
        "out": 24,
        "pass_rate": 0.5,
    }
    assert stages["categorization_and_quality_control"]["pass_rate"] == 0.25
    assert stages["run"] == {"in": 100, "out": 12, "pass_rate": 0.12}


def test_analysis_is_deterministic_and_sampling_is_bounded(tmp_path: Path) -> None:
    kept = [
        sample(f"s{i:03d}", f"Describe the number {i} written on the sign.", "It is a number.")
        for i in range(60)
    ]
    run = write_run(tmp_path / "run", kept, [], shards=3)
    first = analyze_run(run, language_sample=25, pos_sample=10, plots=False)
    second = analyze_run(run, language_sample=25, pos_sample=10, plots=False)
    assert first == second
    assert first["languages_meta"] == {
        "method": "langdetect, DetectorFactory.seed = 0",
        "detected": 25,
        "instructions": 60,
        "sampled": True,
    }
    assert sum(first["languages"].values()) == 25
    assert first["verb_noun"]["instructions_tagged"] == 10
    assert first["verb_noun"]["describe"] == {"number": 10}
    # exact measures still see every sample
    assert first["instruction_length"]["words"]["count"] == 60


def test_not_a_run_dir_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mmrecipe", "analyze", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "neither a finished mmrecipe run dir" in lines[0]


def test_damaged_shard_names_the_file(oasis_run: Path) -> None:
    with open(oasis_run / "samples" / "shard-00001.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"id": "broken", \n')
    result = CliRunner().invoke(main, ["analyze", str(oasis_run)])
    assert result.exit_code != 0
    assert "shard-00001.jsonl" in str(result.exception)


def test_run_without_conversations_or_scores(tmp_path: Path) -> None:
    """A curate-only run (images, no messages): empty measures, plots still drawn."""
    kept = [sample(f"i{i}", None, None) for i in range(3)]
    steps = {"read": ("read", 3, 3, {}, {}), "intake": ("image_intake", 3, 3, {}, {})}
    run = write_run(tmp_path / "run", kept, [], steps=steps)
    data = analyze_run(run)
    assert data["counts"]["without_instruction"] == 3
    assert data["instruction_length"]["words"]["mean"] is None
    assert data["languages"] == {} and data["scores"] == {}
    assert data["funnel_stages"] == {"run": {"in": 100, "out": 3, "pass_rate": 0.03}}
    assert all((run / "analysis" / name).exists() for name in PLOTS)


def test_a_dataset_file_is_analysed_like_a_run(tmp_path: Path) -> None:
    """A baseline to compare with (the paper: LLaVA-NeXT) needs no run dir."""
    from click.testing import CliRunner

    from mmrecipe.cli import main

    rows = [
        {
            "id": str(i),
            "image": "x.png",
            "conversations": [
                {"from": "human", "value": f"<image>\nWhat color is object {i}?"},
                {"from": "gpt", "value": "It is red and round."},
            ],
        }
        for i in range(3)
    ]
    data = tmp_path / "baseline.json"
    data.write_text(json.dumps(rows))
    result = CliRunner().invoke(main, ["analyze", str(data), "--no-plots"])
    assert result.exit_code == 0, result.output
    analysis = json.loads((tmp_path / "baseline.analysis" / "analysis.json").read_text())
    assert analysis["counts"]["kept"] == 3 and analysis["counts"]["instructions"] == 3
    assert analysis["instruction_length"]["words"]["mean"] == 5
    assert analysis["funnel"] == []
