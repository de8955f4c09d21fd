"""The analysis figures as PNG files (matplotlib's Agg canvas, no pyplot global state).

Names are fixed (the HTML report embeds them): lengths.png, languages.png, verb_noun.png,
scores.png, funnel.png.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmrecipe.stats import rate_text

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn: it costs every CLI call ~1 s
    from matplotlib.figure import Figure

PLOTS = ("lengths.png", "languages.png", "verb_noun.png", "scores.png", "funnel.png")
_DPI = 110


def write_plots(analysis: dict[str, Any], folder: Path) -> list[Path]:
    """Draw every figure of ``analysis`` into ``folder``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    drawers = (_lengths, _languages, _verb_noun, _scores, _funnel)
    paths = []
    for name, draw in zip(PLOTS, drawers, strict=True):
        fig = draw(analysis)
        path = folder / name
        fig.savefig(path, dpi=_DPI, bbox_inches="tight")
        paths.append(path)
    return paths


def _figure(**kwargs: Any) -> Figure:
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=11)
    ax.set_axis_off()


def _lengths(analysis: dict[str, Any]) -> Figure:
    fig = _figure(figsize=(11, 7), layout="constrained")
    axes = fig.subplots(2, 2)
    for row, kind in enumerate(("instruction_length", "response_length")):
        for col, unit in enumerate(("words", "chars")):
            ax = axes[row][col]
            dist = analysis[kind][unit]
            title = f"{kind.replace('_', ' ')} ({unit})"
            if not dist["count"]:
                ax.set_title(title)
                _empty(ax, "no texts")
                continue
            edges, counts = dist["histogram"]["bins"], dist["histogram"]["counts"]
            widths = [b - a for a, b in itertools.pairwise(edges)]
            ax.bar(edges[:-1], counts, width=widths, align="edge", color="#4c72b0", alpha=0.85)
            ax.axvline(dist["mean"], color="#c44e52", linestyle="--", label="mean")
            ax.set_title(f"{title}: mean {dist['mean']:.1f}, std {dist['std']:.1f}")
            ax.set_xlabel(unit)
            ax.set_ylabel("samples")
            ax.legend()
    return fig


def _languages(analysis: dict[str, Any]) -> Figure:
    langs: dict[str, int] = analysis["languages"]
    fig = _figure(figsize=(9, max(3.0, 0.35 * min(len(langs), 21) + 1.2)), layout="constrained")
    ax = fig.subplots()
    if not langs:
        _empty(ax, "no instructions")
        return fig
    items = sorted(langs.items(), key=lambda kv: (-kv[1], kv[0]))
    top, rest = items[:20], items[20:]
    if rest:
        top.append((f"{len(rest)} others", sum(n for _, n in rest)))
    names = [k for k, _ in top][::-1]
    values = [v for _, v in top][::-1]
    total = sum(langs.values())
    ax.barh(names, values, color="#55a868")
    for y, v in enumerate(values):
        ax.text(v, y, f" {v / total:.1%}", va="center", fontsize=8)
    ax.set_xlabel("instructions")
    meta = analysis.get("languages_meta", {})
    ax.set_title(f"instruction languages ({len(langs)} codes, {meta.get('detected', total)} texts)")
    return fig


def _verb_noun(analysis: dict[str, Any]) -> Figure:
    vn = analysis["verb_noun"]
    pairs = {k: v for k, v in vn.items() if isinstance(v, dict)}
    fig = _figure(figsize=(9, 9), layout="constrained")
    ax = fig.subplots()
    if not vn.get("available") or not pairs:
        _empty(ax, vn.get("note") if not vn.get("available") else "no verb–noun pairs found")
        return fig
    verb_totals = analysis.get("verb_counts", {})
    inner_sizes, inner_labels, outer_sizes, outer_labels = [], [], [], []
    import matplotlib

    palette = matplotlib.colormaps["tab20"]
    inner_colors, outer_colors = [], []
    for i, (verb, nouns) in enumerate(pairs.items()):
        total = max(verb_totals.get(verb, 0), sum(nouns.values()))
        inner_sizes.append(total)
        inner_labels.append(verb)
        color = palette(i % 20)
        inner_colors.append(color)
        for noun, n in nouns.items():
            outer_sizes.append(n)
            outer_labels.append(noun)
            outer_colors.append((*color[:3], 0.55))
        other = total - sum(nouns.values())
        if other > 0:
            outer_sizes.append(other)
            outer_labels.append("")
            outer_colors.append((0.92, 0.92, 0.92, 1.0))
    ax.pie(
        inner_sizes,
        labels=inner_labels,
        labeldistance=0.45,
        radius=0.62,
        colors=inner_colors,
        wedgeprops={"width": 0.62, "edgecolor": "white"},
        textprops={"fontsize": 8},
        startangle=90,
        counterclock=False,
    )
    ax.pie(
        outer_sizes,
        labels=outer_labels,
        labeldistance=0.84,
        radius=1.0,
        colors=outer_colors,
        wedgeprops={"width": 0.38, "edgecolor": "white"},
        textprops={"fontsize": 7},
        rotatelabels=True,
        startangle=90,
        counterclock=False,
    )
    ax.set_title(f"root verbs (inner) and their top object nouns (outer) · {vn.get('backend')}")
    return fig


def _scores(analysis: dict[str, Any]) -> Figure:
    scores: dict[str, Any] = analysis["scores"]
    n = max(1, len(scores))
    cols = min(n, 2)
    rows = (n + cols - 1) // cols
    fig = _figure(figsize=(5.5 * cols, 3.6 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    flat = [ax for row in axes for ax in row]
    if not scores:
        _empty(flat[0], "no scores in this run")
        return fig
    for ax, (key, entry) in zip(flat, scores.items(), strict=False):
        labels = list(entry["kept"])  # kept and rejected share their labels, ascending
        kept = [entry["kept"].get(lb, 0) for lb in labels]
        rejected = [entry["rejected"].get(lb, 0) for lb in labels]
        xs = range(len(labels))
        ax.bar(xs, kept, color="#4c72b0", label="kept")
        ax.bar(xs, rejected, bottom=kept, color="#dd8452", label="rejected")
        ticks = [lb.split("–")[0] for lb in labels]  # a bin shows its lower edge
        ax.set_xticks(list(xs), ticks, rotation=45 if entry["binned"] else 0, fontsize=8)
        ax.set_title(key)
        ax.set_ylabel("samples")
        ax.legend(fontsize=8)
    for ax in flat[len(scores) :]:
        ax.set_axis_off()
    return fig


def _funnel(analysis: dict[str, Any]) -> Figure:
    rows = analysis["funnel"]
    fig = _figure(figsize=(9, max(2.5, 0.5 * len(rows) + 1.2)), layout="constrained")
    ax = fig.subplots()
    if not rows:
        _empty(ax, "no steps in stats.json")
        return fig
    names = [r["step"] for r in rows][::-1]
    ins = [r["in"] for r in rows][::-1]
    outs = [r["out"] for r in rows][::-1]
    ax.barh(names, ins, color="#cccccc", label="in")
    ax.barh(names, outs, color="#4c72b0", label="out")
    for y, r in enumerate(rows[::-1]):
        rate = rate_text(r["pass_rate"])
        ax.text(r["in"], y, f" {rate}", va="center", fontsize=8)
    ax.set_xlabel("samples")
    ax.set_title("funnel: samples into and out of each step (pass rate)")
    ax.legend()
    return fig
