# The geometry generator: R-CoT / MAVIS construction chains, one module per problem family.
# Imported by synth/ (generator registry), ops/synthesis and tests; never imports ops.
"""Geometry problems built the R-CoT / MAVIS way: construct, compute, then ask in reverse.

A figure is constructed step by step in true coordinates (GeoChain): each step adds elements
(an altitude, a midpoint, a bisector, a circumscribed circle, a parallel line ...) and derives one
quantity from the previous ones with a named theorem. The chain's last result is the answer; the
question is then written *from* it (reverse question generation), stating only the construction
and the given values; the rationale is the chain of steps. ``difficulty`` = number of steps.

Verification rebuilds the construction from the stored givens and *measures* the target in the
coordinates (distance, angle, area) - an independent derivation from the theorem chain.

Layout: ``plane`` (coordinates, Figure, Step), one module per problem family (``right_triangle``,
``angles``, ``chord``, ``rectangle``, ``polygon``, ``parallel``), ``diagram`` (drawing) and
``generator`` (the registered ``geometry`` kind). Only the generator is imported from outside.
"""

from mmrecipe.synth.geometry.generator import FAMILIES, GeometryGenerator, _givens

__all__ = ["FAMILIES", "GeometryGenerator", "_givens"]
