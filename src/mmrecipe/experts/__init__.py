"""Model-free logic of the vision-expert recipes: box geometry, multi-expert consensus,
textualization facts, semantic dedup, embedding storage. Pure numpy/Python, unit-tested on
hand-made expert outputs; the ops in ``mmrecipe.ops`` wire it to backends."""
