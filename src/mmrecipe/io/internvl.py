"""InternVL's meta JSON: ``{"name": {"root", "annotation", "data_augment", "repeat_time",
"length"}}``, each annotation a LLaVA-style JSONL whose image paths are relative to ``root``
(InternVL ``internvl_chat/internvl/train/internvl_chat_finetune.py``, ``LazySupervisedDataset``).

``repeat_time`` as InternVL applies it: below 1, only the first ``int(lines * repeat_time)``
records are trained on (``raw_data[:int(len(raw_data) * repeat_time)]``), so only those are
read; above 1 (an integer there) the records are repeated at training time, so each is read
once (repeats would only be curated away as duplicates) and the factor travels with it.
Each sample gets ``fields.internvl_dataset`` (the entry's name) and ``fields.internvl_meta``
(the entry's training settings: ``repeat_time`` when above 1, ``data_augment``,
``max_dynamic_patch``, ``min_dynamic_patch``, ... all but ``root``/``annotation``/``length``),
both source keys: ``llava_onevision`` writes them back and the run's ``internvl_meta.json``
lists one entry per source dataset with its settings, so InternVL trains on what it would
have trained on. With more than one entry, ids are prefixed ``NAME/`` (annotation files
number their records from 0 each; ids stay unique across the run, the same on every rerun).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.errors import InputError
from mmrecipe.io.base import (
    DEFAULT_MEMBER_BYTES,
    ImageRefused,
    ImageRoot,
    guarded,
    record_error,
    rejected_record,
)
from mmrecipe.io.files import check_regular, open_regular
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
            with open_regular(path) as fh:
                meta = json.loads(fh.read().decode("utf-8"))
        except ImageRefused as exc:
            raise InputError(f"cannot read InternVL meta {path}: {exc.detail}") from None
        except (OSError, ValueError, RecursionError) as exc:
            raise InputError(f"cannot read InternVL meta {path}: {exc}") from None
        if not is_internvl_meta(meta):
            raise InputError(f"{path} is not an InternVL meta JSON (name -> {{annotation, root}})")
        self.entries: list[tuple[str, dict[str, Any]]] = sorted(meta.items())

    def _reader(self, entry: dict[str, Any]) -> LlavaReader:
        """The reader of one entry; ImageRefused when the entry may not be read."""
        given = entry.get("annotation")
        if not isinstance(given, str) or not given.strip():
            raise ImageRefused("malformed_record", f"annotation {given!r} is not a file name")
        given_root = entry.get("root")
        if given_root is not None and not isinstance(given_root, str):
            raise ImageRefused("malformed_record", f"root {given_root!r} is not a folder name")
        ann = Path(given).expanduser()
        ann = ann if ann.is_absolute() else self.path.parent / ann
        root = Path(given_root or ann.parent).expanduser()
        root = root if root.is_absolute() else self.path.parent / root
        policy = self.policy
        if not (policy and policy.allow_outside_root):
            # the meta file is a dataset: its annotation and root stay inside the dataset root
            # (the meta's folder, or --image-root) like any image path a record names
            allowed = policy.roots if policy else [self.path.parent]
            for what, where in (("annotation", ann), ("root", root)):
                if not _inside(where, allowed):
                    raise ImageRefused(
                        "image_outside_root",
                        f"InternVL meta {self.path.name}: {what} {str(where)!r} is outside the "
                        "dataset root; not read (set --image-root / input.image_root, or "
                        "input.allow_outside_root: true)",
                    )
        if not ann.exists():
            raise ImageRefused("missing_file", f"InternVL annotation not found: {ann}")
        check_regular(ann)  # a folder or a FIFO: not_a_file, never opened
        confined = ImageRoot(
            root,
            allow_outside_root=bool(policy and policy.allow_outside_root),
            allow_remote=bool(policy and policy.allow_remote),
            remote_dir=policy.remote_dir if policy else None,
            remote_max_bytes=policy.remote_max_bytes if policy else 50 * 1024 * 1024,
            remote_timeout_s=policy.remote_timeout_s if policy else 30.0,
            remote_workers=policy.remote_workers if policy else 16,
            allow_private_hosts=bool(policy and policy.allow_private_hosts),
            member_max_bytes=policy.member_max_bytes if policy else DEFAULT_MEMBER_BYTES,
        )
        return LlavaReader(ann, confined)

    def count(self) -> int | None:
        try:
            counts = [self._reader(e).count() for _, e in self.entries]
        except Exception:
            return None
        return None if any(c is None for c in counts) else sum(c or 0 for c in counts)

    def __iter__(self) -> Iterator[Sample]:
        for name, entry in self.entries:
            try:
                reader = self._reader(entry)
            except ImageRefused as exc:  # one reject for the entry; the other entries are read
                detail = f"entry {name!r} of {self.path.name}: {exc.detail}"
                yield rejected_record(self.path, name, exc.reason, detail)
                continue
            except Exception as exc:
                detail = f"entry {name!r} of {self.path.name}: {record_error(exc)}"
                yield rejected_record(self.path, name, "malformed_record", detail)
                continue
            settings = training_settings(entry)
            prefix = f"{name}/" if len(self.entries) > 1 else ""
            for sample in _first_fraction(reader, entry.get("repeat_time", 1)):
                if sample.id and not sample.id.startswith(prefix):
                    sample.id = prefix + sample.id
                if sample.rejected:
                    yield sample
                    continue
                sample.fields.setdefault("internvl_dataset", name)
                if settings:
                    sample.fields.setdefault("internvl_meta", settings)
                keys = set(sample.fields.get("source_keys") or [])
                keys.add("internvl_dataset")
                if "internvl_meta" in sample.fields:
                    keys.add("internvl_meta")
                sample.fields["source_keys"] = sorted(keys)
                yield sample


#: the meta entry keys that say where the data is, not how InternVL trains on it
_LOCATION_KEYS = ("root", "annotation", "length")


def training_settings(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry's training settings, carried into the meta the run writes (a fraction
    ``repeat_time`` is applied by reading, so it is not carried)."""
    out = {k: v for k, v in entry.items() if k not in _LOCATION_KEYS}
    repeat = out.pop("repeat_time", 1)
    if isinstance(repeat, int | float) and not isinstance(repeat, bool) and repeat > 1:
        out["repeat_time"] = repeat
    return out


def _first_fraction(reader: LlavaReader, repeat_time: Any) -> Iterator[Sample]:
    """InternVL's ``repeat_time < 1``: the first ``int(n * repeat_time)`` records only."""
    if not isinstance(repeat_time, int | float) or isinstance(repeat_time, bool):
        yield from guarded(reader, reader.path)
        return
    if repeat_time >= 1:
        yield from guarded(reader, reader.path)
        return
    n = reader.count()
    items = None
    if n is None:
        items = list(guarded(reader, reader.path))
        n = len(items)
    keep = int(n * repeat_time)
    for i, sample in enumerate(items if items is not None else guarded(reader, reader.path)):
        if i >= keep:
            return
        yield sample


def _inside(path: Path, roots: list[Path]) -> bool:
    real = path.resolve()
    return any(real.is_relative_to(r.resolve()) for r in roots)
