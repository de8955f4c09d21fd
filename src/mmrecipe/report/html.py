"""Render the report page: static sections from ``stats.json`` (escaped with ``html.escape``),
the gallery data as inert JSON, and the gallery script, all inline in one file.

The page's Content-Security-Policy allows only the one inline script shipped here (by hash),
inline styles and ``data:`` images, so even a rendering bug could neither run injected script
nor reach the network.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from importlib import resources
from typing import Any

from mmrecipe import strictjson
from mmrecipe.report import charts
from mmrecipe.stats import rate_text


def json_for_script(value: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``
    can appear literally, so a string holding ``</script>`` cannot end the element."""
    # runs written before strict JSON may hold NaN/Infinity: shown as null, never a crash
    text = strictjson.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _asset(name: str) -> str:
    return resources.files("mmrecipe.report").joinpath(name).read_text(encoding="utf-8")


def _num(x: Any) -> str:
    if isinstance(x, bool) or x is None:
        return "–" if x is None else str(x)
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        return f"{x:,.2f}" if abs(x) < 1000 else f"{x:,.0f}"
    return escape(str(x))


def _bar(fraction: float, css: str = "bar") -> str:
    width = max(0.0, min(1.0, fraction)) * 200
    if width <= 0:
        return ""
    return f'<span class="{css}" style="width:{width:.0f}px"></span>'


def run_figures(stats: dict[str, Any]) -> list[tuple[str, Any]]:
    """Header figures that mean what they say over reruns: the first and the last run's wall
    time (a no-op rerun must not hide what the data cost), model answers reused from the cache
    vs requests sent, and the cache's size as entries. Older stats.json files have only the
    last run's wall time and the cache size."""
    runs = stats.get("runs")
    items: list[tuple[str, Any]] = []
    if isinstance(runs, dict) and runs.get("count", 0) > 1:
        items += [
            ("first run seconds", runs.get("first_wall_seconds")),
            ("last run seconds", runs.get("last_wall_seconds")),
            ("runs", runs.get("count")),
        ]
    else:
        items.append(("wall seconds", stats.get("wall_seconds")))
    cache = stats.get("cache")
    if isinstance(cache, dict):
        if cache.get("hits") or cache.get("requests"):
            items += [("model requests", cache.get("requests")), ("cache hits", cache.get("hits"))]
        items.append(("cache entries", cache.get("entries")))
    else:
        items.append(("cache entries", stats.get("cache_entries")))
    return items


def totals_section(stats: dict[str, Any], run_name: str) -> str:
    totals = stats.get("totals", {})
    items = [
        ("input", totals.get("input")),
        ("kept", totals.get("kept")),
        ("rejected", totals.get("rejected")),
        *run_figures(stats),
    ]
    spans = "".join(
        f"<span>{escape(label)} <b>{_num(value)}</b></span>"
        for label, value in items
        if value is not None
    )
    recipe = escape(str(stats.get("recipe", "")))
    return (
        f"<h1>mmrecipe report: {recipe or escape(run_name)}</h1>"
        f'<div class="muted">run dir {escape(run_name)}</div>'
        f'<p class="totals">{spans}</p>'
    )


def funnel_section(stats: dict[str, Any]) -> str:
    steps: dict[str, Any] = stats.get("steps", {})
    if not steps:
        return "<h2>Funnel</h2><p class='muted'>stats.json lists no steps.</p>"
    top = max((s.get("in", 0) or 0 for s in steps.values()), default=0) or 1
    rows = []
    for name, s in steps.items():
        n_in, n_out = s.get("in", 0) or 0, s.get("out", 0) or 0
        rejected = s.get("rejected_total", sum((s.get("rejected") or {}).values()))
        routed = ", ".join(
            f"{escape(str(k))} {_num(v)}" for k, v in (s.get("routed") or {}).items()
        )
        reasons = ", ".join(
            f"{escape(str(k))} {_num(v)}"
            for k, v in sorted((s.get("rejected") or {}).items(), key=lambda kv: -kv[1])
        )
        rate = rate_text(n_out / n_in if n_in else None)
        rows.append(
            f"<tr><td>{escape(str(name))}</td><td>{_num(n_in)}</td><td>{_num(n_out)}</td>"
            f"<td>{_num(rejected)}</td><td>{rate}</td><td>{_num(s.get('seconds'))}</td>"
            f'<td class="barcell">{_bar(n_out / top)}{_bar(rejected / top, "bar rej")}</td>'
            f'<td class="l">{reasons}</td><td class="l">{routed}</td></tr>'
        )
    return (
        "<h2>Funnel</h2><table><tr><th>step</th><th>in</th><th>out</th><th>rejected</th>"
        "<th>pass rate</th><th>seconds</th><th class='l'>out / rejected</th>"
        "<th class='l'>reject reasons</th><th class='l'>routed</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def reasons_section(stats: dict[str, Any]) -> str:
    reasons: dict[str, int] = stats.get("reject_reasons") or {}
    if not reasons:
        return "<h2>Reject reasons</h2><p class='muted'>Nothing was rejected.</p>"
    total = sum(reasons.values()) or 1
    rows = []
    for key, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        step, _, reason = str(key).partition(":")
        rows.append(
            f"<tr><td>{escape(step)}</td><td class='l'>{escape(reason)}</td><td>{_num(n)}</td>"
            f"<td>{n / total:.1%}</td><td class='barcell'>{_bar(n / total, 'bar rej')}</td></tr>"
        )
    return (
        "<h2>Reject reasons</h2><table><tr><th>step</th><th class='l'>reason</th><th>count</th>"
        "<th>share</th><th></th></tr>" + "".join(rows) + "</table>"
    )


def usage_section(stats: dict[str, Any]) -> str:
    rows: list[tuple[str, str, dict[str, Any]]] = []
    for name, s in (stats.get("steps") or {}).items():
        for backend, counts in (s.get("usage") or {}).items():
            if isinstance(counts, dict):
                rows.append((str(name), str(backend), counts))
    for backend, counts in (stats.get("usage") or {}).items():
        if isinstance(counts, dict):
            rows.append(("(all steps)", str(backend), counts))
    if not rows:
        return "<h2>Model usage</h2><p class='muted'>No model requests in this run.</p>"
    first = ["requests", "prompt_tokens", "completion_tokens", "cache_hits", "retries", "errors"]
    seen = {k for _, _, c in rows for k in c}
    cols = [k for k in first if k in seen] + sorted(seen - set(first))
    head = "".join(f"<th>{escape(c)}</th>" for c in cols)
    body = "".join(
        f"<tr><td>{escape(step)}</td><td class='l'>{escape(backend)}</td>"
        + "".join(f"<td>{_num(c.get(col, 0))}</td>" for col in cols)
        + "</tr>"
        for step, backend, c in rows
    )
    return (
        "<h2>Model usage</h2><table><tr><th>step</th><th class='l'>backend</th>"
        f"{head}</tr>{body}</table>"
    )


def charts_section(
    plot_items: list[tuple[str, dict[str, float], int | None]],
    plot_complete: bool,
    domains: dict[str, Any],
    analysis_plots: list[tuple[str, str]],
    has_analysis: bool,
) -> str:
    svgs = []
    names = sorted({k for _, scores, _ in plot_items for k in scores})
    for name in names:
        kept = [s[name] for st, s, _ in plot_items if st == "kept" and name in s]
        rej = [s[name] for st, s, _ in plot_items if st == "rejected" and name in s]
        svgs.append(charts.histogram(f"score: {name}", kept, rej))
    kept_len = [float(n) for st, _, n in plot_items if st == "kept" and n is not None]
    rej_len = [float(n) for st, _, n in plot_items if st == "rejected" and n is not None]
    svgs.append(charts.histogram("response length (words)", kept_len, rej_len, " words"))
    for status in ("kept", "rejected"):
        counter = domains.get(status) or {}
        items = [(k or "(none)", v) for k, v in counter.items()]
        if len(items) > 1 or (items and items[0][0] != "(none)"):
            svgs.append(charts.hbars(f"domains ({status}, all samples)", items))
    svgs = [s for s in svgs if s]
    scope = (
        "all samples" if plot_complete else f"a deterministic sample of {len(plot_items):,} samples"
    )
    out = ["<h2>Distributions</h2>"]
    if svgs:
        out.append(f"<p class='muted'>Scores and lengths over {scope}.</p>")
        out.append(f"<div class='charts'>{''.join(svgs)}</div>")
    else:
        out.append("<p class='muted'>No scores or responses to plot.</p>")
    out.append("<h2>Analysis plots</h2>")
    if analysis_plots:
        out.append("<div class='plots'>")
        for name, uri in analysis_plots:
            out.append(f"<img alt='{escape(name)}' title='{escape(name)}' src='{uri}'>")
        out.append("</div>")
    elif has_analysis:
        out.append("<p class='muted'>analysis/ has no plots (run without --no-plots).</p>")
    else:
        out.append(
            "<p class='muted'>Lengths, languages and the verb–noun breakdown come from the "
            "analysis: run <code>mmrecipe analyze RUN_DIR</code>, then rebuild this report.</p>"
        )
    return "".join(out)


def gallery_section(shown: int, total: int, sampled: bool, notes: list[str]) -> str:
    if sampled:
        line = (
            f"Showing {shown:,} of {total:,} samples (sampled deterministically: the lowest "
            "id-hashes of every domain and every op/reason, about half kept and half rejected)."
        )
    else:
        line = f"Showing all {total:,} samples."
    extra = "".join(f"<p class='note'>{escape(n)}</p>" for n in notes)
    return f"""<h2>Samples</h2>
<p class="note" id="sampling">{escape(line)}</p>{extra}
<div class="filters">
<label>status <select id="f-status"><option value="*">all</option>
<option value="kept">kept</option><option value="rejected">rejected</option></select></label>
<label>rejected by op <select id="f-op"><option value="*">all</option></select></label>
<label>reason <select id="f-reason"><option value="*">all</option></select></label>
<label>domain <select id="f-domain"><option value="*">all</option></select></label>
<label>search <input type="search" id="f-q" placeholder="text, id, reason…"></label>
<span id="count" class="muted"></span>
</div>
<div id="cards"></div>
<div class="pager"><button id="prev" type="button">‹ prev</button><span id="pageinfo"></span>
<button id="next" type="button">next ›</button></div>"""


def render_page(title: str, sections: list[str], data: dict[str, Any]) -> str:
    """The whole document; ``sections`` are trusted HTML built by the functions above."""
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_asset('report.css')}</style></head><body>"
        + "\n".join(sections)
        + f'\n<script type="application/json" id="data">{json_for_script(data)}</script>'
        + f"\n<script>{script}</script>\n</body></html>\n"
    )
