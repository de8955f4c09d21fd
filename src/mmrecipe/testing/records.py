"""Read a run's output shards in tests, whatever their layout (JSON arrays or JSONL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def data_records(folder: Path) -> list[dict[str, Any]]:
    """Every record of the ``shard-*`` files directly in ``folder``, in shard order: a ``.json``
    shard is one JSON array (``llava``), a ``.jsonl`` shard one record per line."""
    records: list[dict[str, Any]] = []
    for path in sorted(Path(folder).glob("shard-*.json*")):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            data = json.loads(text)
            records.extend(data if isinstance(data, list) else [data])  # a COCO file: one
        else:
            records.extend(json.loads(line) for line in text.splitlines() if line.strip())
    return records
