"""The inline SVG charts: sensible bins, escaped labels."""

from __future__ import annotations

from mmrecipe.report.charts import bins_for, hbars, histogram


def test_bins() -> None:
    assert [b[2] for b in bins_for([1, 2, 2, 5])] == ["1", "2", "5"]
    wide = bins_for([8.0, 600.0])
    assert len(wide) == 20 and wide[0][0] == 8.0 and wide[-1][1] == 600.0
    assert len(bins_for([0.1, 0.5, 0.9])) == 20 and bins_for([]) == []
    assert bins_for([0.5, 0.5]) == [(0.5, 0.5, "0.5")]


def test_charts_escape_labels() -> None:
    svg = histogram("score: <script>", [1, 2], [1])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and svg.startswith("<svg")
    bars = hbars("domains", [("<img onerror=x>", 3), ("", 1)])
    assert "<img" not in bars and "(none)" in bars
    assert histogram("empty", [], []) == "" and hbars("none", []) == ""
