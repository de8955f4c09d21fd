"""What can be asked of which chart, the question drawn, and its answer derived from the table."""

from __future__ import annotations

import random
from typing import Any

from mmrecipe.synth.chart.data import fmt_value, series_values
from mmrecipe.synth.phrasing import compose
from mmrecipe.synth.render import (
    csv_table,
    markdown_table,
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
TASKS_BY_TYPE = {
    "bar": TASKS[:3] + TASKS[4:9],
    "hbar": TASKS[:3] + TASKS[4:9],
    "grouped_bar": TASKS[:3] + TASKS[4:9],
    "stacked_bar": TASKS[:3] + TASKS[4:9],
    "line": TASKS[:9],
    "pie": ("value", "compare", "extrema", "difference", "sum", "to_csv", "to_markdown"),
    "scatter": ("coordinates", "extrema", "to_csv", "to_markdown"),
}


def make_question(
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
        i, j = _distinct_pair(rng, series_values(table, s))
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
        vals = series_values(table, q["series"])
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
    vals = series_values(table, q["series"]) if table["series"] else []
    dec = table["decimals"]
    unit = table.get("unit", "")
    if task == "value":
        return fmt_value(table, vals[q["index"]]) + unit, None
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
            f"{cats[q['index']]} is {fmt_value(table, a)}{unit} and {cats[q['other']]} is "
            f"{fmt_value(table, b)}{unit}; {fmt_value(table, hi)} - {fmt_value(table, lo)} = {fmt_value(table, diff)}."
        )
        return fmt_value(table, diff) + unit, why
    if task == "ratio":
        a, b = vals[q["index"]], vals[q["other"]]
        ratio = a / b
        why = (
            f"{cats[q['index']]} is {fmt_value(table, a)} and {cats[q['other']]} is {fmt_value(table, b)}; "
            f"{fmt_value(table, a)} / {fmt_value(table, b)} = {ratio:.2f}."
        )
        return f"{ratio:.2f}", why
    if task == "sum":
        parts = [vals[i] for i in q["indices"]]
        total = round(sum(parts), dec)
        terms = " + ".join(fmt_value(table, p) for p in parts)
        why = f"The values are {terms}; their sum is {fmt_value(table, total)}."
        return fmt_value(table, total) + unit, why
    if task == "coordinates":
        i = q["index"]
        return (
            f"({fmt_value(table, series_values(table, 0)[i])}, {fmt_value(table, series_values(table, 1)[i])})",
            None,
        )
    header, rows = table_cells(table)
    if task == "to_csv":
        return csv_table(header, rows), None
    if task == "to_markdown":
        return markdown_table(header, rows), None
    raise ValueError(f"unknown chart task {task!r}")


def table_cells(table: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    header = [table["category_name"]] + [s["name"] for s in table["series"]]
    rows = [
        [cat] + [fmt_value(table, s["values"][i]) for s in table["series"]]
        for i, cat in enumerate(table["categories"])
    ]
    return header, rows


def match_pair(expected: str, answer: str) -> str | None:
    import re

    want = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", expected)]
    got = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", answer)]
    if want != got:
        return f"expected {expected}, got {answer!r}"
    return None
