# Analysis of a finished run (mmrecipe analyze): one module per measure.
# Imported by cli/ and report/; it reads run directories, never ops, executor or backends.
"""Data-attribute analysis of a finished run (the Oasis paper's Sec. 3.3 and App. A.3-A.4):
instruction/response lengths, languages, root verbs and their object nouns, type-token ratio,
quality-score distributions and the filtering funnel. Entry point: :func:`analyze_run`."""

from mmrecipe.analysis.analyze import ANALYSIS_DIR, ANALYSIS_FILE, analyze_run
from mmrecipe.analysis.plots import PLOTS

__all__ = ["ANALYSIS_DIR", "ANALYSIS_FILE", "PLOTS", "analyze_run"]
