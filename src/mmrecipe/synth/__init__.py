# Synthesis generators: images from known ground truth, one module (or package) per kind.
# Imported by ops/synthesis, testing/ and tests; of ops it imports only ops.base (SourceOp).
"""Programmatic synthesis: images rendered from known ground truth, answers right by construction.

Each kind is a :class:`~mmrecipe.synth.base.Generator` registered with ``@register_generator``;
``mmrecipe.ops.synthesis.synth_*`` source ops turn generators into samples, and ``synth_verify``
re-derives every answer from the stored ground truth.
"""
