# The run report (mmrecipe report): sampling, thumbnails, SVG charts, the HTML page.
# Imported by cli/ and tests; it reads run directories and analysis/, never ops or executor.
"""A run's report: one self-contained HTML file (funnel, usage, plots, a filterable gallery of
kept and rejected samples) that opens from disk with no server and no network.

Entry point: :func:`write_report`. Large runs are sampled into the page deterministically (see
:mod:`mmrecipe.report.collect`), and the page's size is bounded by byte budgets, so a run of
any size gives a page that opens fast.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

from mmrecipe.analysis import ANALYSIS_DIR, ANALYSIS_FILE, PLOTS
from mmrecipe.errors import ConfigError
from mmrecipe.report import charts
from mmrecipe.report.cards import make_card
from mmrecipe.report.collect import read_record, select
from mmrecipe.report.html import (
    charts_section,
    funnel_section,
    gallery_section,
    json_for_script,
    reasons_section,
    render_page,
    totals_section,
    usage_section,
)
from mmrecipe.report.thumbnails import Thumbnails
from mmrecipe.rundir import RunDir

__all__ = ["DEFAULT_MAX_SAMPLES", "REPORT_FILE", "build_report", "write_report"]

log = logging.getLogger(__name__)

REPORT_FILE = "report.html"
#: samples put into the gallery (about half kept, half rejected)
DEFAULT_MAX_SAMPLES = 1200
#: byte budgets that keep the page under 20 MB whatever the run holds (6 + 8 + 3 MB, plus
#: the static tables and the script)
THUMB_BUDGET = 6 * 1024 * 1024
CARD_BUDGET = 8 * 1024 * 1024
PLOT_BUDGET = 3 * 1024 * 1024  # all analysis PNGs together


def _analysis(layout: RunDir) -> tuple[bool, dict[str, Any], list[tuple[str, str]]]:
    folder = layout.root / ANALYSIS_DIR
    if not folder.is_dir():
        return False, {}, []
    analysis: dict[str, Any] = {}
    try:
        loaded = json.loads((folder / ANALYSIS_FILE).read_text(encoding="utf-8"))
        analysis = loaded if isinstance(loaded, dict) else {}
    except (OSError, ValueError):
        pass
    plots = []
    used = 0
    for name in PLOTS:
        path = folder / name
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if data.startswith(b"\x89PNG") and used + len(data) <= PLOT_BUDGET:
            used += len(data)
            plots.append((name, "data:image/png;base64," + base64.b64encode(data).decode()))
    return True, analysis, plots


def _analysis_charts(analysis: dict[str, Any], embedded: set[str]) -> str:
    """Language and verb bars from analysis.json, where its PNGs are not in the page."""
    svgs = []
    langs = analysis.get("languages")
    if isinstance(langs, dict) and langs and "languages.png" not in embedded:
        items = [(str(k), int(v)) for k, v in langs.items() if isinstance(v, int | float)]
        svgs.append(charts.hbars("languages (instructions)", items))
    verbs = analysis.get("verb_counts")
    if isinstance(verbs, dict) and verbs and "verb_noun.png" not in embedded:
        items = [(str(k), int(v)) for k, v in verbs.items() if isinstance(v, int | float)]
        svgs.append(charts.hbars("root verbs (instructions)", items))
    svgs = [s for s in svgs if s]
    return f"<div class='charts'>{''.join(svgs)}</div>" if svgs else ""


def build_report(run_dir: Path | str, *, max_samples: int = DEFAULT_MAX_SAMPLES) -> str:
    """The report page of ``run_dir`` as a string (see :func:`write_report`)."""
    layout = RunDir(Path(run_dir))
    if not layout.root.is_dir():
        raise ConfigError(f"{run_dir} is not a directory")
    if not layout.stats_file.exists():
        raise ConfigError(f"{run_dir} has no stats.json: not a finished mmrecipe run dir")
    try:
        stats = layout.read_stats()
    except ValueError as exc:
        raise ConfigError(f"{layout.stats_file} is not valid JSON: {exc}") from None
    if not isinstance(stats, dict):
        raise ConfigError(f"{layout.stats_file} is not a stats object")

    sel = select(layout.samples, layout.rejects, max(0, max_samples))
    thumbs = Thumbnails(layout.root, THUMB_BUDGET)
    cards: list[dict[str, Any]] = []
    used = 0
    dropped = 0
    refs = [(r, "kept") for r in sel.kept] + [(r, "rejected") for r in sel.rejected]
    for ref, status in sorted(refs, key=lambda rs: rs[0]):
        record = read_record(sel.files, ref)
        if record is None:
            continue
        if used >= CARD_BUDGET:
            dropped += 1
            continue
        card = make_card(record, status, thumbs)
        used += len(json_for_script(card).encode("utf-8"))
        cards.append(card)

    notes = []
    if dropped:
        notes.append(f"{dropped} sampled cards left out to keep the page small.")
    if thumbs.skipped:
        notes.append(f"{len(thumbs.skipped)} image previews left out to keep the page small.")
    if sel.bad_lines:
        notes.append(f"{sel.bad_lines} unreadable JSONL lines skipped.")
    has_analysis, analysis, plots = _analysis(layout)
    run_name = layout.root.resolve().name
    sections = [
        totals_section(stats, run_name),
        funnel_section(stats),
        reasons_section(stats),
        usage_section(stats),
        charts_section(sel.plot_items, sel.plot_complete, sel.domains, plots, has_analysis),
        _analysis_charts(analysis, {name for name, _ in plots}),
        gallery_section(
            len(cards), sel.kept_total + sel.rejected_total, sel.sampled or bool(dropped), notes
        ),
    ]
    data = {"cards": cards, "thumbs": thumbs.uris}
    title = f"mmrecipe report: {stats.get('recipe') or run_name}"
    return render_page(title, sections, data)


def write_report(
    run_dir: Path | str, output: Path | None = None, *, max_samples: int = DEFAULT_MAX_SAMPLES
) -> Path:
    """Write the report of a finished run to ``output`` (default ``RUN_DIR/report.html``)."""
    page = build_report(run_dir, max_samples=max_samples)
    path = Path(output) if output is not None else Path(run_dir) / REPORT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)  # a planted link is replaced, never written through
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    log.debug("report: %s (%d bytes)", path, len(page.encode("utf-8")))
    return path
