"""Charts drawn with matplotlib from a known data table, with questions answered from the table.

Chart types: bar (vertical or horizontal), grouped bar, stacked bar, line, pie, scatter. Tasks:
value lookup, comparison, extrema, trend, difference / sum / ratio (with a short chain of
thought) and chart-to-table (CSV or markdown). The ground truth is the data table, the chart
spec and the question spec, so :meth:`ChartGenerator.verify` re-derives every answer.
"""

from __future__ import annotations

import random
from typing import Any

from mmrecipe.errors import ConfigError
from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.phrasing import compose
from mmrecipe.synth.render import (
    BOLD_FONTS,
    PALETTES,
    compare_tables,
    csv_table,
    figure_image,
    fmt_num,
    markdown_table,
    match_answer,
    mpl_figure,
    parse_number,
    parse_table,
    pin_fonts,
)

CHART_TYPES = ("bar", "hbar", "grouped_bar", "stacked_bar", "line", "pie", "scatter")
TASKS = (
    "value",
    "compare",
    "extrema",
    "trend",
    "difference",
    "sum",
    "ratio",
    "to_csv",
    "to_markdown",
    "coordinates",
)
_TASKS_BY_TYPE = {
    "bar": TASKS[:3] + TASKS[4:9],
    "hbar": TASKS[:3] + TASKS[4:9],
    "grouped_bar": TASKS[:3] + TASKS[4:9],
    "stacked_bar": TASKS[:3] + TASKS[4:9],
    "line": TASKS[:9],
    "pie": ("value", "compare", "extrema", "difference", "sum", "to_csv", "to_markdown"),
    "scatter": ("coordinates", "extrema", "to_csv", "to_markdown"),
}

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_POOLS: dict[str, list[str]] = {
    "cities": [
        "Oslo",
        "Lima",
        "Cairo",
        "Perth",
        "Quito",
        "Delhi",
        "Tokyo",
        "Rome",
        "Accra",
        "Hanoi",
        "Dublin",
        "Seoul",
    ],
    "products": [
        "Laptops",
        "Phones",
        "Tablets",
        "Monitors",
        "Cameras",
        "Printers",
        "Routers",
        "Speakers",
    ],
    "fruits": [
        "Apple",
        "Banana",
        "Cherry",
        "Grape",
        "Lemon",
        "Mango",
        "Orange",
        "Pear",
        "Plum",
        "Kiwi",
    ],
    "sectors": [
        "Industry",
        "Transport",
        "Housing",
        "Services",
        "Farming",
        "Mining",
        "Energy",
        "Retail",
    ],
    "teams": [
        "Falcons",
        "Tigers",
        "Wolves",
        "Eagles",
        "Sharks",
        "Bears",
        "Lions",
        "Hawks",
        "Foxes",
    ],
}
# (title, category kind, category axis name, value axis label, value range)
_THEMES: list[tuple[str, str, str, str, tuple[int, int]]] = [
    ("Annual revenue", "years", "Year", "Revenue (million $)", (5, 120)),
    ("Monthly rainfall", "months", "Month", "Rainfall (mm)", (10, 250)),
    ("Visitors by city", "cities", "City", "Visitors (thousands)", (20, 900)),
    ("Units sold by product", "products", "Product", "Units sold", (10, 500)),
    ("Favourite fruit survey", "fruits", "Fruit", "Votes", (3, 90)),
    ("Energy use by sector", "sectors", "Sector", "Consumption (TWh)", (4, 80)),
    ("Points by team", "teams", "Team", "Points", (10, 99)),
    ("Average temperature", "months", "Month", "Temperature (C)", (2, 35)),
]
_SERIES_SETS = [
    ["North", "South", "East", "West"],
    ["Online", "Retail", "Wholesale", "Export"],
    ["2021", "2022", "2023", "2024"],
    ["Group A", "Group B", "Group C", "Group D"],
    ["Men", "Women", "Youth", "Seniors"],
]


@register_generator("chart")
class ChartGenerator(Generator):
    """Chart images with question/answer pairs right by construction.

    Difficulty: 1 = few categories, one series, integers; 2 = more categories and series;
    3 = up to 9 categories and 4 series, decimals, log scales, value labels sometimes hidden
    (only for questions that can be answered by eye with a clear margin).
    """

    def __init__(
        self, chart_types: list[str] | None = None, tasks: list[str] | None = None
    ) -> None:
        self.chart_types = _check("chart type", chart_types, CHART_TYPES)
        self.tasks = _check("task", tasks, TASKS)
        if not any(set(_TASKS_BY_TYPE[c]) & set(self.tasks) for c in self.chart_types):
            raise ConfigError("no chart type of chart_types supports any task of tasks")

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        ctype = rng.choice(
            [c for c in self.chart_types if set(_TASKS_BY_TYPE[c]) & set(self.tasks)]
        )
        table = _make_table(rng, ctype, difficulty)
        task = rng.choice([t for t in _TASKS_BY_TYPE[ctype] if t in self.tasks])
        question = _make_question(rng, task, table, ctype, difficulty)
        spec = _make_spec(rng, ctype, table, question, difficulty)
        gt = {"chart": spec, "table": table, "question": question}
        answer, rationale = derive_answer(gt)
        image = render_chart(spec, table)
        return SynthItem(
            images=[image],
            task=task,
            ground_truth=gt,
            question=question["text"],
            answer=answer,
            rationale=rationale,
            extra={"chart_type": ctype},
        )

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        expected, _ = derive_answer(ground_truth)
        task = ground_truth["question"]["task"]
        if task in ("to_csv", "to_markdown"):
            return compare_tables(parse_table(expected) or [], parse_table(answer))
        if task == "coordinates":
            return _match_pair(expected, answer)
        return match_answer(expected, answer)


def _check(what: str, chosen: list[str] | None, known: tuple[str, ...]) -> list[str]:
    if chosen is None:
        return list(known)
    bad = [c for c in chosen if c not in known]
    if bad or not chosen:
        raise ConfigError(f"unknown {what} {bad or chosen}; known: {', '.join(known)}")
    return list(chosen)


# ---------------------------------------------------------------- data


def _categories(rng: random.Random, kind: str, n: int) -> list[str]:
    if kind == "years":
        start = rng.randint(1995, 2024 - n)
        return [str(start + i) for i in range(n)]
    if kind == "months":
        start = rng.randint(0, 12 - n)
        return _MONTHS[start : start + n]
    return sorted(rng.sample(_POOLS[kind], n), key=_POOLS[kind].index)


def _make_table(rng: random.Random, ctype: str, difficulty: int) -> dict[str, Any]:
    lo_n, hi_n = {1: (3, 5), 2: (4, 7), 3: (6, 9)}[difficulty]
    decimals = 1 if difficulty == 3 and rng.random() < 0.5 else 0
    if ctype == "scatter":
        n = rng.randint(lo_n, hi_n)
        top = 10 if difficulty == 1 else 15
        cells = rng.sample([(x, y) for x in range(1, top) for y in range(1, top)], n)
        labels = [chr(ord("A") + i) for i in range(n)]
        return {
            "category_name": "Point",
            "categories": labels,
            "series": [
                {"name": "x", "values": [float(c[0]) for c in cells]},
                {"name": "y", "values": [float(c[1]) for c in cells]},
            ],
            "decimals": 0,
            "title": "Measurements",
            "value_label": "y",
            "unit": "",
        }
    title, kind, cat_name, value_label, (lo, hi) = rng.choice(_THEMES)
    n = rng.randint(lo_n, min(hi_n, 12 if kind == "months" else len(_POOLS.get(kind, _MONTHS))))
    cats = _categories(rng, kind, n)
    if ctype == "pie":
        return {
            "category_name": cat_name,
            "categories": cats,
            "series": [{"name": "Share (%)", "values": [float(v) for v in _shares(rng, n)]}],
            "decimals": 0,
            "title": f"{title} (share)",
            "value_label": "Share (%)",
            "unit": "%",
        }
    if ctype in ("grouped_bar", "stacked_bar"):
        n_series = {1: 2, 2: rng.randint(2, 3), 3: rng.randint(2, 4)}[difficulty]
    elif ctype == "line":
        n_series = {1: 1, 2: rng.randint(1, 2), 3: rng.randint(1, 3)}[difficulty]
    else:
        n_series = 1
    names = rng.choice(_SERIES_SETS)[:n_series] if n_series > 1 else [value_label.split(" (")[0]]
    if ctype == "stacked_bar":
        hi = max(lo + 5, hi // n_series)
    series = []
    for name in names:
        values = [round(rng.uniform(lo, hi), decimals) for _ in cats]
        series.append({"name": name, "values": values})
    return {
        "category_name": cat_name,
        "categories": cats,
        "series": series,
        "decimals": decimals,
        "title": title,
        "value_label": value_label,
        "unit": "",
    }


def _shares(rng: random.Random, n: int) -> list[int]:
    """``n`` distinct-ish integer percentages >= 3 that sum to 100."""
    total = 100 - 2 * n
    for _ in range(100):
        cuts = sorted(rng.sample(range(1, total), n - 1))
        parts = [b - a + 2 for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
        if len(set(parts)) == n:
            return parts
    return [2 + i for i in range(n - 1)] + [100 - sum(2 + i for i in range(n - 1))]


def _values(table: dict[str, Any], series: int) -> list[float]:
    return table["series"][series]["values"]


def _fmt(table: dict[str, Any], value: float, decimals: int | None = None) -> str:
    return fmt_num(value, table["decimals"] if decimals is None else decimals)


# ---------------------------------------------------------------- questions


def _make_question(
    rng: random.Random, task: str, table: dict[str, Any], ctype: str, difficulty: int
) -> dict[str, Any]:
    cats = table["categories"]
    n_series = len(table["series"])
    s = rng.randrange(n_series) if ctype != "scatter" else 1
    sname = table["series"][s]["name"]
    of = f" for {sname}" if n_series > 1 else ""
    cat_name = table["category_name"].lower()
    q: dict[str, Any] = {"task": task, "series": s}
    if task == "value":
        i = rng.randrange(len(cats))
        q.update(index=i, text=f"What is the value{of} in {cats[i]}?")
    elif task in ("compare", "difference", "ratio", "trend"):
        i, j = _distinct_pair(rng, _values(table, s))
        if task == "trend":
            i, j = sorted((i, j))
            q.update(
                index=i,
                other=j,
                text=f"From {cats[i]} to {cats[j]}, did the value{of} increase or decrease? "
                "Answer 'increase' or 'decrease'.",
            )
        elif task == "compare":
            q.update(
                index=i,
                other=j,
                text=f"Which is larger{of}: {cats[i]} or {cats[j]}? Answer with the {cat_name}.",
            )
        elif task == "difference":
            q.update(
                index=i,
                other=j,
                text=f"What is the difference{of} between {cats[i]} and {cats[j]}? "
                "Give the absolute difference.",
            )
        else:
            q.update(
                index=i,
                other=j,
                text=f"What is the ratio of the value{of} in {cats[i]} to that in {cats[j]}? "
                "Round to two decimals.",
            )
    elif task == "extrema":
        kind = rng.choice(["highest", "lowest"])
        axis = "x" if ctype == "scatter" and rng.random() < 0.5 else "y"
        if ctype == "scatter":
            q["series"] = 0 if axis == "x" else 1
            text = f"Which point has the {kind} {axis} coordinate?"
        else:
            text = f"Which {cat_name} has the {kind} value{of}?"
        vals = _values(table, q["series"])
        target = max(vals) if kind == "highest" else min(vals)
        if vals.count(target) > 1:  # make the extreme unique (pie shares are distinct already)
            k = vals.index(target)
            step = 1.0 if ctype == "scatter" else 10 ** -table["decimals"]
            vals[k] = round(vals[k] + (step if kind == "highest" else -step), table["decimals"])
        q.update(kind=kind, text=text)
    elif task == "sum":
        k = min(len(cats), {1: 2, 2: 3, 3: 4}[difficulty])
        idx = sorted(rng.sample(range(len(cats)), k))
        names = ", ".join(cats[i] for i in idx[:-1]) + f" and {cats[idx[-1]]}"
        q.update(indices=idx, text=f"What is the total value{of} of {names}?")
    elif task == "coordinates":
        i = rng.randrange(len(cats))
        q.update(index=i, text=f"What are the coordinates of point {cats[i]}? Answer as (x, y).")
    elif task == "to_csv":
        q["text"] = compose(
            rng,
            _CHART_REFS,
            (
                "Convert {it} into a CSV table with a header row.",
                "Extract the data of {it} as CSV, header row first.",
                "Write out the underlying data of {it} in CSV format, including a header.",
                "Recover the values plotted in {it} as comma-separated values with a header row.",
            ),
            it=rng.choice(("the chart", "this chart", "the figure", "the plot")),
        )
    elif task == "to_markdown":
        q["text"] = compose(
            rng,
            _CHART_REFS,
            (
                "Extract the data of {it} as a markdown table.",
                "Turn {it} into a markdown table of its values.",
                "Write the data shown in {it} as a table in markdown.",
                "Recreate the data behind {it} as a markdown table, one row per {cat}.",
            ),
            it=rng.choice(("the chart", "this chart", "the figure", "the plot")),
            cat=cat_name,
        )
    return q


_CHART_REFS = (
    "",
    "",
    "Look at the chart.",
    "The image is a chart.",
    "Using the chart in the image:",
)


def _distinct_pair(rng: random.Random, values: list[float]) -> tuple[int, int]:
    """Two indices with different values (a tie would make the question ambiguous)."""
    pairs = [(i, j) for i in range(len(values)) for j in range(len(values)) if i != j]
    pairs = [p for p in pairs if values[p[0]] != values[p[1]] and values[p[1]] != 0]
    if not pairs:  # all equal: nudge one value
        values[0] = values[0] + 1
        return 0, 1
    return rng.choice(pairs)


def derive_answer(gt: dict[str, Any]) -> tuple[str, str | None]:
    """The answer (and a short chain of thought) from the table and the question spec."""
    table, q = gt["table"], gt["question"]
    task, cats = q["task"], table["categories"]
    vals = _values(table, q["series"]) if table["series"] else []
    dec = table["decimals"]
    unit = table.get("unit", "")
    if task == "value":
        return _fmt(table, vals[q["index"]]) + unit, None
    if task == "compare":
        i, j = q["index"], q["other"]
        return (cats[i] if vals[i] > vals[j] else cats[j]), None
    if task == "trend":
        i, j = q["index"], q["other"]
        return ("increase" if vals[j] > vals[i] else "decrease"), None
    if task == "extrema":
        pick = max if q["kind"] == "highest" else min
        return cats[vals.index(pick(vals))], None
    if task == "difference":
        a, b = vals[q["index"]], vals[q["other"]]
        diff = round(abs(a - b), dec)
        hi, lo = max(a, b), min(a, b)
        why = (
            f"{cats[q['index']]} is {_fmt(table, a)}{unit} and {cats[q['other']]} is "
            f"{_fmt(table, b)}{unit}; {_fmt(table, hi)} - {_fmt(table, lo)} = {_fmt(table, diff)}."
        )
        return _fmt(table, diff) + unit, why
    if task == "ratio":
        a, b = vals[q["index"]], vals[q["other"]]
        ratio = a / b
        why = (
            f"{cats[q['index']]} is {_fmt(table, a)} and {cats[q['other']]} is {_fmt(table, b)}; "
            f"{_fmt(table, a)} / {_fmt(table, b)} = {ratio:.2f}."
        )
        return f"{ratio:.2f}", why
    if task == "sum":
        parts = [vals[i] for i in q["indices"]]
        total = round(sum(parts), dec)
        terms = " + ".join(_fmt(table, p) for p in parts)
        why = f"The values are {terms}; their sum is {_fmt(table, total)}."
        return _fmt(table, total) + unit, why
    if task == "coordinates":
        i = q["index"]
        return f"({_fmt(table, _values(table, 0)[i])}, {_fmt(table, _values(table, 1)[i])})", None
    header, rows = table_cells(table)
    if task == "to_csv":
        return csv_table(header, rows), None
    if task == "to_markdown":
        return markdown_table(header, rows), None
    raise ValueError(f"unknown chart task {task!r}")


def table_cells(table: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    header = [table["category_name"]] + [s["name"] for s in table["series"]]
    rows = [
        [cat] + [_fmt(table, s["values"][i]) for s in table["series"]]
        for i, cat in enumerate(table["categories"])
    ]
    return header, rows


def _match_pair(expected: str, answer: str) -> str | None:
    import re

    want = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", expected)]
    got = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", answer)]
    if want != got:
        return f"expected {expected}, got {answer!r}"
    return None


# ---------------------------------------------------------------- rendering


def _make_spec(
    rng: random.Random,
    ctype: str,
    table: dict[str, Any],
    question: dict[str, Any],
    difficulty: int,
) -> dict[str, Any]:
    show_values = True
    if difficulty == 3 and question["task"] in ("compare", "extrema", "trend"):
        vals = sorted(_values(table, question["series"]))
        gap = vals[-1] - vals[-2] if question.get("kind") != "lowest" else vals[1] - vals[0]
        if question["task"] != "extrema":
            a, b = (_values(table, question["series"])[question[k]] for k in ("index", "other"))
            gap = abs(a - b)
        show_values = not (gap >= 0.12 * vals[-1] and rng.random() < 0.5)
    values = [v for s in table["series"] for v in s["values"]]
    log_ok = ctype in ("bar", "line", "grouped_bar") and min(values) > 0
    return {
        "type": ctype,
        "title": table["title"] if rng.random() < 0.85 else "",
        "palette": rng.choice(sorted(PALETTES)),
        "font": rng.choice(["sans", "serif", "mono", "stix"]),
        "title_font": rng.choice(BOLD_FONTS),
        "width_in": round(rng.uniform(4.2, 6.4), 1),
        "height_in": round(rng.uniform(3.2, 4.6), 1),
        "dpi": rng.choice([80, 90, 100]),
        "grid": rng.random() < 0.5,
        "show_values": show_values,
        "log_scale": log_ok and difficulty == 3 and rng.random() < 0.3,
        "legend_loc": rng.choice(["upper left", "upper right", "lower right", "best"]),
        "background": rng.choice(["#ffffff", "#ffffff", "#f7f7f7", "#fbf8f0", "#eef2f7"]),
        "marker": rng.choice(["o", "s", "^", "D"]),
        "font_size": rng.choice([9, 10, 11]),
    }


def render_chart(spec: dict[str, Any], table: dict[str, Any]) -> Any:
    """Draw the chart of ``spec`` and ``table``; returns a PIL image."""
    with mpl_figure(spec["width_in"], spec["height_in"], spec["dpi"]) as fig:
        fig.set_facecolor(spec["background"])
        ax = fig.add_subplot(1, 1, 1)
        ax.set_facecolor(spec["background"])
        _DRAW[spec["type"]](ax, spec, table)
        if spec["title"]:
            ax.set_title(spec["title"], fontsize=spec["font_size"] + 3)
        pin_fonts(fig, spec["font"])
        if spec["title"]:
            from matplotlib.font_manager import FontProperties

            from mmrecipe.synth.render import font_path

            ax.title.set_fontproperties(
                FontProperties(fname=font_path(spec["title_font"]), size=spec["font_size"] + 3)
            )
        fig.tight_layout()
        return figure_image(fig)


def _colors(spec: dict[str, Any]) -> list[str]:
    return PALETTES[spec["palette"]]


def _labels(table: dict[str, Any], values: list[float]) -> list[str]:
    return [_fmt(table, v) for v in values]


def _finish_axes(ax: Any, spec: dict[str, Any], table: dict[str, Any], horizontal: bool) -> None:
    size = spec["font_size"]
    ax.tick_params(labelsize=size)
    value_axis = ax.set_xlabel if horizontal else ax.set_ylabel
    cat_axis = ax.set_ylabel if horizontal else ax.set_xlabel
    value_axis(table["value_label"], fontsize=size)
    cat_axis(table["category_name"], fontsize=size)
    if spec["grid"]:
        ax.grid(axis="x" if horizontal else "y", alpha=0.4)
        ax.set_axisbelow(True)
    if spec["log_scale"]:
        (ax.set_xscale if horizontal else ax.set_yscale)("log")
    ax.margins(**({"x": 0.15} if horizontal else {"y": 0.15}))
    if len(table["series"]) > 1:
        ax.legend(loc=spec["legend_loc"], fontsize=size - 1, framealpha=0.8)


def _draw_bar(ax: Any, spec: dict[str, Any], table: dict[str, Any]) -> None:
    horizontal = spec["type"] == "hbar"
    cats, vals = table["categories"], _values(table, 0)
    color = _colors(spec)[0]
    if horizontal:
        bars = ax.barh(cats, vals, color=color)
        ax.invert_yaxis()
    else:
        bars = ax.bar(cats, vals, color=color)
    if spec["show_values"]:
        ax.bar_label(bars, labels=_labels(table, vals), fontsize=spec["font_size"] - 1, padding=2)
    _finish_axes(ax, spec, table, horizontal)


def _draw_grouped(ax: Any, spec: dict[str, Any], table: dict[str, Any]) -> None:
    cats, series = table["categories"], table["series"]
    width = 0.8 / len(series)
    colors = _colors(spec)
    for k, s in enumerate(series):
        xs = [i - 0.4 + width * (k + 0.5) for i in range(len(cats))]
        bars = ax.bar(xs, s["values"], width=width, color=colors[k], label=s["name"])
        if spec["show_values"]:
            ax.bar_label(bars, labels=_labels(table, s["values"]), fontsize=spec["font_size"] - 2)
    ax.set_xticks(range(len(cats)), cats)
    _finish_axes(ax, spec, table, False)


def _draw_stacked(ax: Any, spec: dict[str, Any], table: dict[str, Any]) -> None:
    cats, series = table["categories"], table["series"]
    bottom = [0.0] * len(cats)
    colors = _colors(spec)
    for k, s in enumerate(series):
        bars = ax.bar(cats, s["values"], bottom=bottom, color=colors[k], label=s["name"])
        if spec["show_values"]:
            ax.bar_label(
                bars,
                labels=_labels(table, s["values"]),
                label_type="center",
                fontsize=spec["font_size"] - 2,
            )
        bottom = [b + v for b, v in zip(bottom, s["values"], strict=True)]
    _finish_axes(ax, spec, table, False)


def _draw_line(ax: Any, spec: dict[str, Any], table: dict[str, Any]) -> None:
    cats, series = table["categories"], table["series"]
    colors = _colors(spec)
    for k, s in enumerate(series):
        ax.plot(cats, s["values"], marker=spec["marker"], color=colors[k], label=s["name"])
        if spec["show_values"]:
            for i, v in enumerate(s["values"]):
                ax.annotate(
                    _fmt(table, v),
                    (i, v),
                    textcoords="offset points",
                    xytext=(0, 5),
                    ha="center",
                    fontsize=spec["font_size"] - 2,
                    color=colors[k],
                )
    _finish_axes(ax, spec, table, False)


def _draw_pie(ax: Any, spec: dict[str, Any], table: dict[str, Any]) -> None:
    vals = _values(table, 0)
    labels = [f"{c}\n{_fmt(table, v)}%" for c, v in zip(table["categories"], vals, strict=True)]
    ax.pie(
        vals,
        labels=labels,
        colors=[_colors(spec)[i % 7] for i in range(len(vals))],
        startangle=90,
        counterclock=False,
        textprops={"fontsize": spec["font_size"]},
        wedgeprops={"edgecolor": "white"},
    )
    ax.set_aspect("equal")


def _draw_scatter(ax: Any, spec: dict[str, Any], table: dict[str, Any]) -> None:
    xs, ys = _values(table, 0), _values(table, 1)
    top = max(max(xs), max(ys)) + 1
    ax.scatter(xs, ys, color=_colors(spec)[0], marker=spec["marker"], zorder=3)
    for label, x, y in zip(table["categories"], xs, ys, strict=True):
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(5, 4), fontsize=9)
    ax.set_xticks(range(0, int(top) + 1))
    ax.set_yticks(range(0, int(top) + 1))
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.grid(alpha=0.5)
    ax.set_axisbelow(True)
    ax.set_xlabel("x", fontsize=spec["font_size"])
    ax.set_ylabel("y", fontsize=spec["font_size"])
    ax.tick_params(labelsize=spec["font_size"] - 1)


_DRAW = {
    "bar": _draw_bar,
    "hbar": _draw_bar,
    "grouped_bar": _draw_grouped,
    "stacked_bar": _draw_stacked,
    "line": _draw_line,
    "pie": _draw_pie,
    "scatter": _draw_scatter,
}

__all__ = ["CHART_TYPES", "TASKS", "ChartGenerator", "derive_answer", "parse_number"]
