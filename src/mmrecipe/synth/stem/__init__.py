"""STEM beyond plane geometry: function plots, analytic and solid geometry, statistics charts.

Every answer is computed exactly from the ground truth (sympy for functions, fractions
elsewhere) and re-computed by ``verify``. Modules: ``functions`` / ``function_plot``, ``numbers``
(how answers are written and checked), ``plotting`` (the varied axes look) and one module per
generator. Importing the package registers its generators.
"""

from mmrecipe.synth.stem import analytic, function_plot, solid, statistics

__all__ = ["analytic", "function_plot", "solid", "statistics"]
