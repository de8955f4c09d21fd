"""The data behind a chart: themed category pools and the random table a chart is drawn from."""

from __future__ import annotations

import random
from typing import Any

from mmrecipe.synth.render import (
    fmt_num,
)
from mmrecipe.synth.vocab import CITIES

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_POOLS: dict[str, list[str]] = {
    "cities": list(CITIES[:12]),  # the pool charts always drew from
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


def _categories(rng: random.Random, kind: str, n: int) -> list[str]:
    if kind == "years":
        start = rng.randint(1995, 2024 - n)
        return [str(start + i) for i in range(n)]
    if kind == "months":
        start = rng.randint(0, 12 - n)
        return _MONTHS[start : start + n]
    return sorted(rng.sample(_POOLS[kind], n), key=_POOLS[kind].index)


def make_table(rng: random.Random, ctype: str, difficulty: int) -> dict[str, Any]:
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


def series_values(table: dict[str, Any], series: int) -> list[float]:
    return table["series"][series]["values"]


def fmt_value(table: dict[str, Any], value: float, decimals: int | None = None) -> str:
    return fmt_num(value, table["decimals"] if decimals is None else decimals)
