"""``mmrecipe analyze``: the Oasis data-attribute analysis of a finished run dir or a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from mmrecipe.cli.logs import verbose_option
from mmrecipe.stats import rate_text

# the analysis modules' defaults (tests/cli check they agree); not imported from there:
# `mmrecipe --help` must not load the analysis libraries
DEFAULT_LANGUAGE_SAMPLE = 0  # mmrecipe.analysis.analyze.DEFAULT_LANGUAGE_SAMPLE
DEFAULT_POS_SAMPLE = 20_000  # mmrecipe.analysis.analyze.DEFAULT_POS_SAMPLE
DEFAULT_WINDOW = 1000  # mmrecipe.analysis.diversity.DEFAULT_WINDOW


@click.command("analyze")
@verbose_option
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option(
    "--language-sample",
    type=click.IntRange(min=0),
    default=DEFAULT_LANGUAGE_SAMPLE,
    show_default=True,
    help="detect the language of only this many instructions, picked deterministically "
    "(default 0: all of them)",
)
@click.option(
    "--pos-sample",
    type=click.IntRange(min=0),
    default=DEFAULT_POS_SAMPLE,
    show_default=True,
    help="English instructions POS-tagged for the verb–noun breakdown (0 = all sampled)",
)
@click.option(
    "--mattr-window",
    type=click.IntRange(min=1),
    default=DEFAULT_WINDOW,
    show_default=True,
    help="window (words) of the moving-average type-token ratio",
)
@click.option("--no-plots", is_flag=True, help="write analysis.json only")
@click.option(
    "-o",
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="where analysis.json and the plots go (default: RUN_DIR/analysis, or FILE.analysis/)",
)
def command(
    run_dir: Path,
    language_sample: int,
    pos_sample: int,
    mattr_window: int,
    no_plots: bool,
    output_dir: Path | None,
) -> None:
    """Analyse RUN_DIR (or a dataset file, e.g. a baseline to compare with): lengths,
    languages, verb–noun, TTR, scores, funnel (-> RUN_DIR/analysis)."""
    from mmrecipe.analysis import ANALYSIS_FILE, analyze_run

    analysis = analyze_run(
        run_dir,
        language_sample=language_sample,
        pos_sample=pos_sample,
        mattr_window=mattr_window,
        plots=not no_plots,
        output_dir=output_dir,
    )
    print_summary(analysis)
    out = analysis["output_dir"]
    files = [ANALYSIS_FILE, *analysis.get("plots", [])]
    click.echo(f"wrote {', '.join(files)} to {out}")


def _fmt(value: float | None, digits: int = 1, style: str = "f") -> str:
    return "–" if value is None else f"{value:.{digits}{style}}"


def print_summary(analysis: dict[str, Any]) -> None:
    """Readable tables of the main numbers of an analysis."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    c = analysis["counts"]
    console.print(
        f"kept {c['kept']} · rejected {c['rejected']} · instructions analysed "
        f"{c['instructions']} · caption samples {c['caption']}",
        highlight=False,
    )

    table = Table(title="lengths")
    for col in ("text", "unit", "mean", "std", "median", "p99", "count"):
        table.add_column(col, justify="left" if col in ("text", "unit") else "right")
    for kind in ("instruction", "response"):
        for unit in ("words", "chars"):
            d = analysis[f"{kind}_length"][unit]
            table.add_row(
                kind,
                unit,
                _fmt(d["mean"]),
                _fmt(d["std"]),
                str(d.get("median", "–")),
                str(d.get("p99", "–")),
                str(d["count"]),
            )
    console.print(table)

    ttr = analysis["type_token_ratio"]
    table = Table(title="type-token ratio")
    for col in ("text", "ttr", f"mattr ({ttr['instruction']['mattr_window']} words)", "types"):
        table.add_column(col, justify="left" if col == "text" else "right")
    table.add_column("words", justify="right")
    for kind in ("instruction", "response"):
        t = ttr[kind]
        row = (_fmt(t["ttr"], 4, "g"), _fmt(t["mattr"], 4, "g"), str(t["types"]), str(t["tokens"]))
        table.add_row(kind, *row)
    console.print(table)

    langs = analysis["languages"]
    meta = analysis["languages_meta"]
    if langs:
        total = sum(langs.values())
        top = ", ".join(f"{k} {v / total:.1%}" for k, v in list(langs.items())[:8])
        sampled = f" (sample of {meta['detected']})" if meta["sampled"] else ""
        console.print(f"languages: {len(langs)} codes{sampled}: {top}", highlight=False)

    vn = analysis["verb_noun"]
    if not vn["available"]:
        console.print(vn["note"], highlight=False)
    else:
        table = Table(title=f"root verb -> object nouns ({vn['backend']})")
        table.add_column("verb")
        table.add_column("count", justify="right")
        table.add_column("top nouns")
        for verb, nouns in vn.items():
            if isinstance(nouns, dict):
                n = analysis["verb_counts"].get(verb, sum(nouns.values()))
                table.add_row(verb, str(n), ", ".join(f"{k} {v}" for k, v in nouns.items()))
        console.print(table)

    if analysis["scores"]:
        table = Table(title="scores")
        for col in ("score", "kept", "kept mean", "rejected", "rejected mean"):
            table.add_column(col, justify="left" if col == "score" else "right")
        for key, e in analysis["scores"].items():
            table.add_row(
                key,
                str(e["kept_count"]),
                _fmt(e["kept_mean"], 2),
                str(e["rejected_count"]),
                _fmt(e["rejected_mean"], 2),
            )
        console.print(table)

    table = Table(title="funnel")
    for col in ("step", "stage", "in", "out", "pass rate"):
        table.add_column(col, justify="left" if col in ("step", "stage") else "right")
    for row in analysis["funnel"]:
        rate = rate_text(row["pass_rate"])
        table.add_row(row["step"], row["stage"] or "", str(row["in"]), str(row["out"]), rate)
    console.print(table)
    for stage, s in analysis["funnel_stages"].items():
        rate = rate_text(s["pass_rate"])
        console.print(f"{stage}: {s['out']}/{s['in']} passed ({rate})", highlight=False)
