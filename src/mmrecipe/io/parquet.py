"""Parquet with embedded image bytes, readable by ``datasets.load_dataset("parquet")``.

Columns: ``id``, ``messages`` (list of {role, content}), ``images`` (list of {bytes, path}:
the layout of the ``datasets`` Image feature, declared in the schema's ``huggingface``
metadata), ``fields`` and ``scores`` as JSON text. The reader also takes common foreign
layouts: an ``image``/``images`` column of bytes, paths or {bytes, path} structs, and
``conversations`` (LLaVA) or ``messages`` (ShareGPT) columns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.io.base import (
    ImageRefused,
    ImageRoot,
    lone_surrogates,
    materialize_bytes,
    portable_path,
    record_error,
    rejected_record,
    resolve_image,
)
from mmrecipe.io.conversation import LLAVA_TO_ROLE, text_of
from mmrecipe.sample import ImageRef, Sample, stable_id

_HF_FEATURES = {
    "id": {"dtype": "string", "_type": "Value"},
    "messages": [
        {
            "role": {"dtype": "string", "_type": "Value"},
            "content": {"dtype": "string", "_type": "Value"},
        }
    ],
    "images": [{"_type": "Image"}],
    "fields": {"dtype": "string", "_type": "Value"},
    "scores": {"dtype": "string", "_type": "Value"},
}


def _schema() -> Any:
    import pyarrow as pa

    schema = pa.schema(
        [
            ("id", pa.string()),
            ("messages", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
            ("images", pa.list_(pa.struct([("bytes", pa.binary()), ("path", pa.string())]))),
            ("fields", pa.string()),
            ("scores", pa.string()),
        ]
    )
    meta = {"huggingface": json.dumps({"info": {"features": _HF_FEATURES}})}
    return schema.with_metadata(meta)


class ParquetWriter:
    """Buffers rows and writes row groups; image bytes are read from disk when written."""

    suffix = ".parquet"

    def __init__(
        self,
        path: Path,
        base_dir: Path | None = None,
        keep_fields: list[str] | None = None,
        row_group_size: int = 256,
    ) -> None:
        import pyarrow.parquet as pq

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.base_dir = base_dir
        self.keep_fields = keep_fields
        self.row_group_size = row_group_size
        self._schema = _schema()
        self._writer = pq.ParquetWriter(str(path), self._schema, compression="zstd")
        self._rows: list[dict[str, Any]] = []
        #: images that could not be read when written (stored without bytes)
        self.missing = 0

    def write(self, sample: Sample) -> None:
        images = []
        for ref in sample.images:
            try:
                data: bytes | None = Path(ref.path).read_bytes()
            except OSError:
                # callers drop such samples first (missing_image); this is the last guard
                data = None
                self.missing += 1
            images.append(
                {"bytes": data, "path": Path(portable_path(ref.path, self.base_dir)).name}
            )
        fields = sample.fields  # all fields: Parquet is the lossless trainer-side format
        self._rows.append(
            {
                "id": str(sample.id),
                "messages": [
                    {"role": str(m["role"]), "content": text_of(m)} for m in sample.messages
                ],
                "images": images,
                "fields": json.dumps(fields, ensure_ascii=False, default=str),
                "scores": json.dumps(sample.scores),
            }
        )
        if len(self._rows) >= self.row_group_size:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=self._schema))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


class ParquetReader:
    """Rows of one Parquet file or of every ``*.parquet`` under a folder, in sorted order.

    A row that cannot be turned into a sample (bad ``fields`` JSON, a message without a role,
    an image outside the dataset root) is one reject; a file that cannot be read (truncated,
    not Parquet) is one reject for the file, and the next file is read.
    """

    def __init__(
        self,
        path: Path,
        image_root: Path | ImageRoot | None = None,
        materialize_dir: Path | None = None,
        batch_size: int = 256,
    ) -> None:
        self.path = path
        self.image_root = image_root or (path if path.is_dir() else path.parent)
        self.materialize_dir = materialize_dir or path.parent / "images"
        self.batch_size = batch_size

    def _files(self) -> list[Path]:
        if self.path.is_dir():
            return sorted(self.path.rglob("*.parquet"))
        return [self.path]

    def count(self) -> int | None:
        import pyarrow.parquet as pq

        total = 0
        for f in self._files():
            try:
                total += pq.ParquetFile(str(f)).metadata.num_rows
            except Exception:
                total += 1  # an unreadable file is one reject
        return total

    def __iter__(self) -> Iterator[Sample]:
        import pyarrow.parquet as pq

        for file in self._files():
            index = 0
            try:
                pf = pq.ParquetFile(str(file))
                for batch in pf.iter_batches(batch_size=self.batch_size):
                    for row in batch.to_pylist():
                        yield self._safe_sample(file, index, row)
                        index += 1
            except Exception as exc:  # truncated or not Parquet: the rest of this file
                detail = f"{file.name} (after {index} row(s)): {record_error(exc)}"
                yield rejected_record(file, f"file:{index}", "unreadable_file", detail)

    def _safe_sample(self, file: Path, index: int, row: dict[str, Any]) -> Sample:
        try:
            return self._sample(file, index, row)
        except ImageRefused as exc:
            return rejected_record(file, index, exc.reason, f"row {index}: {exc.detail}")
        except Exception as exc:
            detail = f"row {index} of {file.name}: {record_error(exc)}"
            return rejected_record(file, index, "malformed_record", detail)

    def _sample(self, file: Path, index: int, row: dict[str, Any]) -> Sample:
        raw_images = row.get("images", row.get("image"))
        if raw_images is None:
            raw_images = []
        elif not isinstance(raw_images, list):
            raw_images = [raw_images]
        images = [self._image(x) for x in raw_images if x is not None]
        if row.get("messages") is not None:
            messages = [{"role": m["role"], "content": text_of(m)} for m in row["messages"]]
            if any(not isinstance(m["role"], str) for m in messages):
                raise ValueError("a message has no role")
        elif row.get("conversations") is not None:
            messages = [
                {"role": LLAVA_TO_ROLE.get(t.get("from"), "user"), "content": t.get("value", "")}
                for t in row["conversations"]
            ]
        else:
            messages = []
        fields: dict[str, Any] = {}
        if isinstance(row.get("fields"), str):
            fields = json.loads(row["fields"])
            if not isinstance(fields, dict):
                raise ValueError("'fields' is not a JSON object")
            if lone_surrogates(row["fields"], fields):
                raise ValueError("'fields' holds a lone surrogate (invalid Unicode)")
        scores = json.loads(row["scores"]) if isinstance(row.get("scores"), str) else {}
        if not isinstance(scores, dict):
            raise ValueError("'scores' is not a JSON object")
        rid = row.get("id")
        return Sample(
            id=str(rid) if rid is not None else stable_id(str(file), str(index)),
            images=images,
            messages=messages,
            fields=fields,
            scores=scores,
        )

    def _image(self, value: Any) -> ImageRef:
        if isinstance(value, dict):
            if value.get("bytes"):
                return materialize_bytes(value["bytes"], self.materialize_dir)
            value = value.get("path")
        if isinstance(value, bytes | bytearray):
            return materialize_bytes(bytes(value), self.materialize_dir)
        return ImageRef(path=resolve_image(value, self.image_root))
