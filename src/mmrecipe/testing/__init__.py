"""Offline test helpers: a tiny random VLM and a ``transformers serve`` fixture.

Package code (not only test code) so tests, benchmarks and users can smoke-test a recipe end to
end without downloading anything.
"""
