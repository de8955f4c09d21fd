# COGS family: seed questions decomposed into perception/reasoning factors (LLM, JSON), then
# recomposed on new rendered tables or bar/line charts whose ground truth computes and checks every answer.
"""COGS ("Composition-Grounded Instruction Synthesis", in the seeds' landscape list).

``cogs_decompose`` (an LLM turns a seed question into a factor program, validated) ->
``cogs_recompose`` (new tables, or charts of the seed chart's type, ``views.py``; every
sub-answer and the final answer computed from the new image's ground truth; the LLM writes the
new composite question). See ``recipes/cogs.yaml`` and ``recipes/cogs-chart.yaml``.
"""
