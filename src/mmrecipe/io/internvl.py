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
from mmrecipe.io.base import ImageRoot, rejected_record
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
        policy = self.policy
        if not (policy and policy.allow_outside_root):
            # the meta file is a dataset: its annotation and root stay inside the dataset root
            # (the meta's folder, or --image-root) like any image path a record names
            allowed = policy.roots if policy else [self.path.parent]
            for what, where in (("annotation", ann), ("root", root)):
                if not _inside(where, allowed):
                    raise _Outside(
                        f"InternVL meta {self.path.name}: {what} {str(where)!r} is outside the "
                        "dataset root; not read (set --image-root / input.image_root, or "
                        "input.allow_outside_root: true)"
                    )
        if not ann.exists():
            raise InputError(f"InternVL annotation not found: {ann}")
        confined = ImageRoot(
            root,
            allow_outside_root=bool(policy and policy.allow_outside_root),
            allow_remote=bool(policy and policy.allow_remote),
            remote_dir=policy.remote_dir if policy else None,
        )
        return LlavaReader(ann, confined)

    def count(self) -> int | None:
        try:
            counts = [self._reader(e).count() for _, e in self.entries]
        except _Outside:
            return None
        return None if any(c is None for c in counts) else sum(c or 0 for c in counts)

    def __iter__(self) -> Iterator[Sample]:
        for name, entry in self.entries:
            try:
                reader = self._reader(entry)
            except _Outside as exc:  # one reject for the entry; the other entries are read
                yield rejected_record(self.path, name, "image_outside_root", str(exc))
                continue
            for sample in reader:
                sample.fields.setdefault("internvl_dataset", name)
                repeat = entry.get("repeat_time", 1)
                if repeat != 1:
                    sample.fields.setdefault("internvl_repeat_time", repeat)
                yield sample


class _Outside(ValueError):
    """An entry of the meta names a file or folder outside the dataset root."""


def _inside(path: Path, roots: list[Path]) -> bool:
    real = path.resolve()
    return any(real.is_relative_to(r.resolve()) for r in roots)
