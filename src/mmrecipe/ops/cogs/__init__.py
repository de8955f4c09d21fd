# COGS family: seed questions decomposed into perception/reasoning factors (LLM, JSON), then
# recomposed on new rendered tables whose ground truth computes and checks every answer.
"""COGS ("Composition-Grounded Instruction Synthesis", in the seeds' landscape list).

``cogs_decompose`` (an LLM turns a seed question into a factor program, validated) ->
``cogs_recompose`` (new tables of the same kind; every sub-answer and the final answer computed
from the new table's ground truth; the LLM writes the new composite question). See
``recipes/cogs.yaml``.
"""
