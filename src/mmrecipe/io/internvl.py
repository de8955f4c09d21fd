"""InternVL's meta JSON: ``{"name": {"root", "annotation", "data_augment", "repeat_time",
"length"}}``, each annotation a LLaVA-style JSONL whose image paths are relative to ``root``
(InternVL ``internvl/train/internvl_chat_finetune.py``, ``LazySupervisedDataset``). The reader
reads every listed annotation once (``repeat_time`` is a training-time weight, kept in
``fields.internvl_repeat_time`` when not 1) and tags samples with ``fields.internvl_dataset``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.errors import InputError
from mmrecipe.io.base import ImageRoot
from mmrecipe.io.llava import LlavaReader
from mmrecipe.sample import Sample


def is_internvl_meta(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and bool(data)
        and all(isinstance(v, dict) and "annotation" in v for v in data.values())
    )


class InternVLMetaReader:
    def __init__(self, path: Path, image_root: ImageRoot | None = None) -> None:
        self.path = path
        #: the policy (remote images, outside-root) of the caller, each entry's root its own
        self.policy = image_root
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read InternVL meta {path}: {exc}") from None
        if not is_internvl_meta(meta):
            raise InputError(f"{path} is not an InternVL meta JSON (name -> {{annotation, root}})")
        self.entries: list[tuple[str, dict[str, Any]]] = sorted(meta.items())

    def _reader(self, entry: dict[str, Any]) -> LlavaReader:
        ann = Path(str(entry["annotation"])).expanduser()
        ann = ann if ann.is_absolute() else self.path.parent / ann
        root = Path(str(entry.get("root") or ann.parent)).expanduser()
        root = root if root.is_absolute() else self.path.parent / root
        if not ann.exists():
            raise InputError(f"InternVL annotation not found: {ann}")
        policy = self.policy
        confined = ImageRoot(
            root,
            allow_outside_root=bool(policy and policy.allow_outside_root),
            allow_remote=bool(policy and policy.allow_remote),
            remote_dir=policy.remote_dir if policy else None,
        )
        return LlavaReader(ann, confined)

    def count(self) -> int | None:
        counts = [self._reader(e).count() for _, e in self.entries]
        return None if any(c is None for c in counts) else sum(c or 0 for c in counts)

    def __iter__(self) -> Iterator[Sample]:
        for name, entry in self.entries:
            for sample in self._reader(entry):
                sample.fields.setdefault("internvl_dataset", name)
                repeat = entry.get("repeat_time", 1)
                if repeat != 1:
                    sample.fields.setdefault("internvl_repeat_time", repeat)
                yield sample
