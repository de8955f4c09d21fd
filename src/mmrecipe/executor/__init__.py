# The executors: the local one (local.py and the modules it is split into) and Ray's (ray*.py).
# Imported by the CLI, benchmarks and tests only; nothing below the executor imports it.
