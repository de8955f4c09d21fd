# Offline test kit shipped with the package: tiny models and experts, stand-ins, fake servers.
# Imported by tests, benchmarks and scripts (and python -m mmrecipe.testing); never by src code.
"""Offline test helpers that ship with the package: a tiny random VLM (``tiny_models``), a
``transformers serve`` runner (``serve``) and a fault-injecting OpenAI-compatible server
(``openai_server``), so tests, benchmarks and users can smoke-test a recipe without a GPU or a
download. Tiny vision experts (``tiny_experts``) and stand-ins for any recipe's backends
(``standins``; ``python -m mmrecipe.testing tiny --recipe RECIPE DIR``)."""
