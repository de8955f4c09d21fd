# The chart generator: chart specs, drawing, questions answered from the data table.
# Imported by synth/ (generator registry), ops/synthesis and tests; never imports ops.
"""Charts drawn with matplotlib from a known data table, with questions answered from the table.

Chart types: bar (vertical or horizontal), grouped bar, stacked bar, line, pie, scatter. Tasks:
value lookup, comparison, extrema, trend, difference / sum / ratio (with a short chain of
thought) and chart-to-table (CSV or markdown). The ground truth is the data table, the chart
spec and the question spec, so :meth:`ChartGenerator.verify` re-derives every answer.

Layout: ``data`` (category pools, the random table), ``questions`` (tasks per chart type, the
question, the answer from the table), ``plot`` (matplotlib drawing) and ``generator`` (the
registered ``chart`` kind).
"""

from mmrecipe.synth.chart.generator import ChartGenerator
from mmrecipe.synth.chart.plot import render_chart
from mmrecipe.synth.chart.questions import CHART_TYPES, TASKS, derive_answer, table_cells
from mmrecipe.synth.render import parse_number

__all__ = [
    "CHART_TYPES",
    "TASKS",
    "ChartGenerator",
    "derive_answer",
    "parse_number",
    "render_chart",
    "table_cells",
]
