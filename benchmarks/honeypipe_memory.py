"""Peak memory of HoneyPipe's streaming text rules at growing sizes: it should stay flat.

    python benchmarks/honeypipe_memory.py [--sizes 10000 50000 200000]

The per-turn rule filters of ``recipes/honeypipe.yaml`` (structure, length, repetition,
special tokens) over a LLaVA file, each size in its own ``mmrecipe run`` process, peak RSS from
``wait4`` (``benchmarks/memory.py``'s harness with this recipe). Barrier ops (near_dedup,
mixture, fasttext_filter) hold per-sample state by design and are not in it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import memory

memory.RECIPE = """
name: honeypipe-rules-memory
input: {format: llava}
ops:
  - {op: turn_structure, name: turn_structure}
  - {op: turn_length, name: turn_length, min_words: 1, max_words: 2000}
  - {op: turn_repetition, name: turn_repetition, ngram: 5, max_ratio: 0.3}
  - {op: special_tokens, name: special_tokens}
output: {formats: [llava]}
executor: {shard_size: 1000, shards_in_flight: 2}
"""

if __name__ == "__main__":
    memory.main()
