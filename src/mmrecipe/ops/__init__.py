"""Ops: one module per op, module name = registry name. See ``mmrecipe.ops.base``."""
