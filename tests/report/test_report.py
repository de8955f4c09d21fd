"""The page: one file, no external references, payloads inert, and the CLI around it."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from mmrecipe.cli import main
from mmrecipe.errors import ConfigError
from mmrecipe.report import build_report, write_report
from mmrecipe.report.html import funnel_section, json_for_script

from .conftest import ONERROR, PAYLOAD, SCRIPT

REPO = Path(__file__).resolve().parents[2]


def _data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_json_for_script_cannot_close_the_element() -> None:
    value = {"t": PAYLOAD, "u": "\u2028 line sep", "n": [1, 2.5, None]}
    text = json_for_script(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value


def test_static_html_escapes_step_and_reason_names() -> None:
    stats = {"steps": {SCRIPT: {"in": 2, "out": 1, "rejected": {ONERROR: 1}}}}
    html = funnel_section(stats)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html


def test_page_is_self_contained_and_payloads_are_inert(small_run: Path) -> None:
    page = build_report(small_run)
    # exactly the two script elements the report ships: the inert data and its own code
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "onerror" not in page.split('id="data">')[0]
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    data = _data(page)
    assert len(data["cards"]) == 36
    by_id = {c["id"]: c for c in data["cards"]}
    # kept verbatim as text, for the page to show
    assert PAYLOAD in by_id["k01"]["messages"][0][1] and PAYLOAD in by_id["k02"]["outputs"][0][1]
    # CSP pins the inline script by hash
    code = re.search(r"<script>(.*?)</script>", page, re.S).group(1)  # type: ignore[union-attr]
    digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page and "default-src 'none'" in page
    # thumbnails: 3 run images + 1 absolute input; missing and corrupt ones are placeholders
    assert len(data["thumbs"]) == 4
    assert [i[0] is not None for i in by_id["k00"]["images"]] == [True, True]
    assert by_id["r00"]["images"][0][0] is None and by_id["r05"]["images"][0][0] is None
    assert by_id["r11"]["detail"].startswith("payload in detail <script>")
    assert "base64" not in json.dumps(by_id["k03"]["outputs"])
    for needle in ("Funnel", "low_solvability", "Model usage", "prompt_tokens", "score: clarity"):
        assert needle in page
    assert "mmrecipe analyze RUN_DIR" in page and "Showing all 36 samples" in page


def test_sampled_run_says_so(small_run: Path) -> None:
    data_page = build_report(small_run, max_samples=10)
    assert "Showing 10 of 36 samples (sampled deterministically" in data_page
    cards = _data(data_page)["cards"]
    assert len(cards) == 10 and {c["status"] for c in cards} == {"kept", "rejected"}
    assert {c["reason"] for c in cards if c["status"] == "rejected"} == {
        "corrupt",
        "low_solvability",
        "nonsense",
    }


def test_analysis_plots_are_embedded(small_run: Path) -> None:
    folder = small_run / "analysis"
    folder.mkdir()
    Image.new("RGB", (40, 30)).save(folder / "lengths.png")
    (folder / "analysis.json").write_text(
        json.dumps({"languages": {"en": 20, "zh": 4}, "verb_counts": {"describe": 12}})
    )
    page = build_report(small_run)
    assert "src='data:image/png;base64," in page and "languages (instructions)" in page
    assert "mmrecipe analyze RUN_DIR" not in page


def test_cli_report(small_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "r.html"
    result = CliRunner().invoke(main, ["report", str(small_run), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and "report:" in result.output
    default = CliRunner().invoke(main, ["report", str(small_run), "--max-samples", "5"])
    assert default.exit_code == 0 and (small_run / "report.html").is_file()


def test_not_a_run_dir_is_a_config_error(tmp_path: Path) -> None:
    for target in (tmp_path, tmp_path / "nope"):
        result = CliRunner().invoke(main, ["report", str(target)])
        assert isinstance(result.exception, ConfigError), result.output
    (tmp_path / "stats.json").write_text("{broken")
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert isinstance(result.exception, ConfigError)


def test_run_with_report_flag(tmp_path: Path) -> None:
    images = tmp_path / "imgs"
    images.mkdir()
    for i in range(4):
        Image.new("RGB", (32 + i, 24)).save(images / f"{i}.png")
    (images / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    run = tmp_path / "run"
    recipe = REPO / "recipes" / "curate-folder.yaml"
    args = ["run", str(recipe), "--input", str(images), "-o", str(run), "--quiet", "--report"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    page = (run / "report.html").read_text(encoding="utf-8")
    cards = _data(page)["cards"]
    assert len(cards) == 5
    assert [c["reason"] for c in cards if c["status"] == "rejected"] == ["corrupt"]
    assert write_report(run, tmp_path / "again.html").read_text(encoding="utf-8") == page


def test_a_read_only_run_dir_is_one_line(small_run: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``report`` on a run dir it may not write into: a ConfigError (one line, exit 2)."""
    import pathlib

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(pathlib.Path, "write_text", refuse)
    result = CliRunner().invoke(main, ["report", str(small_run)])
    assert isinstance(result.exception, ConfigError), result.output
    assert "-o PATH" in str(result.exception)
