"""The table view the COGS factors run on, for each kind of seed we render with ground truth.

A table's ground truth already is that view. A chart's ground truth is its data (categories
and series): the categories become the rows (the first column names them) and each series a
value column, with the chart's own number formatting, so a program bound on one chart runs on
any chart with enough series and categories.
"""

from __future__ import annotations

from typing import Any

from mmrecipe.synth.chart import table_cells

#: the chart types COGS recomposes onto: every value is read off a bar or a line point
#: (pie shares and scatter points are not the factors' rows and columns)
CHART_KINDS = ("bar", "hbar", "grouped_bar", "stacked_bar", "line")


def seed_kind(ground_truth: Any) -> str | None:
    """``"table"``, ``"chart"`` or None (not a seed COGS can run on)."""
    if not isinstance(ground_truth, dict) or "question" not in ground_truth:
        return None
    table = ground_truth.get("table")
    if not isinstance(table, dict):
        return None
    if "chart" in ground_truth and "series" in table:
        return "chart" if ground_truth["chart"].get("type") in CHART_KINDS else None
    return "table" if "header" in table and "rows" in table else None


def table_view(ground_truth: dict[str, Any]) -> dict[str, Any]:
    """The header/rows/decimals view of a table or chart sample's ground truth."""
    data = ground_truth["table"]
    return chart_table_view(data) if "series" in data else data


def chart_table_view(data: dict[str, Any]) -> dict[str, Any]:
    """A chart's data (``categories``, ``series``) as the factors' table, values as drawn."""
    header, rows = table_cells(data)
    n_series = len(data["series"])
    return {
        "header": header,
        "rows": rows,
        "decimals": [0] + [data["decimals"]] * n_series,
        "numeric": [False] + [True] * n_series,
        "kind": "chart",
    }


def strip_unit(answer: Any, ground_truth: dict[str, Any]) -> Any:
    """A chart answer without its unit suffix (the factors compute bare numbers)."""
    unit = ground_truth["table"].get("unit", "")
    if unit and isinstance(answer, str) and answer.endswith(unit):
        return answer[: -len(unit)]
    return answer


_CHART_NAMES = {
    "bar": "bar chart",
    "hbar": "horizontal bar chart",
    "grouped_bar": "grouped bar chart",
    "stacked_bar": "stacked bar chart",
    "line": "line chart",
}


def shown_text(ground_truth: dict[str, Any]) -> str:
    """What the student is shown, for the chart recompose prompt."""
    data = ground_truth["table"]
    name = _CHART_NAMES[ground_truth["chart"]["type"]]
    return f"A {name} of {data['value_label']} by {data['category_name'].lower()}"
