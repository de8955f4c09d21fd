"""Test helpers that ship with the package: a fault-injecting OpenAI-compatible server used by
the test suite and the HTTP benchmark, and handy for trying a recipe without a GPU."""
