"""Parquet with embedded image bytes, readable by ``datasets.load_dataset("parquet")``.

Columns: ``id``, ``messages`` (list of {role, content}, ``<image>`` placeholders in the text,
assistant images included: this is a container, not a trainer's layout), ``images`` (list of
{bytes, path}: the layout of the ``datasets`` Image feature, declared in the schema's
``huggingface`` metadata), ``fields`` (JSON text of the kept fields: ``keep_fields`` plus the
source's own keys, never everything) and ``scores`` (JSON text). The reader also takes common
foreign layouts: an ``image``/``images`` column of bytes, paths or {bytes, path} structs;
``conversations`` (LLaVA), ``messages`` with string or typed-part content (ShareGPT,
llava-instruct-mix-vsft with ``text: null`` parts) or ``texts`` (the_cauldron:
``[{user, assistant, source}]``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from mmrecipe.io.base import (
    IMAGE_TOKEN,
    ImageRefused,
    ImageRoot,
    lone_surrogates,
    materialize_bytes,
    portable_path,
    record_error,
    rejected_record,
)
from mmrecipe.io.hf_messages import messages_from_parts
from mmrecipe.io.layout import LeftOut, content_text, join_pieces, kept_fields_raw, split_pieces
from mmrecipe.io.llava import source_fields
from mmrecipe.io.paths import image_ref, is_remote
from mmrecipe.io.writing import FormatWriter
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


class ParquetRows:
    """Rows buffered and written to a zstd Parquet file one row group at a time (the
    dataset writers' shared tail: ``parquet`` and ``edit_triplets``)."""

    def __init__(self, path: Path, schema: Any, row_group_size: int) -> None:
        import pyarrow.parquet as pq

        self.schema = schema
        self.row_group_size = row_group_size
        self._writer = pq.ParquetWriter(str(path), schema, compression="zstd")
        self._rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.row_group_size:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=self.schema))
            self._rows = []

    def close(self) -> None:
        self.flush()
        self._writer.close()


class ParquetWriter(FormatWriter):
    """Buffers rows and writes row groups; image bytes are read from disk when written."""

    suffix = ".parquet"
    OPTIONS: ClassVar[dict[str, Any]] = {"row_group_size": 256}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.row_group_size = int(self.options["row_group_size"])
        self._out = ParquetRows(self.path, _schema(), self.row_group_size)
        #: images that could not be read when written (stored without bytes)
        self.missing = 0

    def record(self, sample: Sample) -> dict[str, Any]:
        images = []
        for ref in sample.images:
            if is_remote(ref.path):
                raise LeftOut("remote_image", "Parquet embeds image bytes: fetch it first")
            try:
                data: bytes | None = Path(ref.path).read_bytes()
            except OSError:
                # callers drop such samples first (missing_image); this is the last guard
                data = None
                self.missing += 1
            images.append(
                {"bytes": data, "path": Path(portable_path(ref.path, self.base_dir)).name}
            )
        return {
            "id": str(sample.id),
            "messages": [
                {"role": str(m["role"]), "content": content_text(m.get("content"))}
                for m in sample.messages
            ],
            "images": images,
            "fields": json.dumps(
                kept_fields_raw(sample, self.keep_fields), ensure_ascii=False, default=str
            ),
            "scores": json.dumps(sample.scores),
        }

    def emit(self, record: Any) -> None:
        self._out.add(record)

    def close(self) -> None:
        self._out.close()


class ParquetReader:
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
        """One row's sample; a row that cannot be read is one reject, never a dead run."""
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
            messages = messages_from_parts(row["messages"])
        elif row.get("conversations") is not None:
            from mmrecipe.io.conversation import from_llava

            messages = from_llava(row["conversations"])
        elif row.get("texts") is not None:
            messages = _cauldron_messages(row["texts"], len(images))
        else:
            raise ValueError("no messages, conversations or texts column")
        fields: dict[str, Any] = {}
        if isinstance(row.get("fields"), str):
            fields = json.loads(row["fields"])
            if not isinstance(fields, dict):
                raise ValueError("'fields' is not a JSON object")
            if lone_surrogates(row["fields"], fields):
                raise ValueError("'fields' holds a lone surrogate (invalid Unicode)")
        else:
            own = ("id", "images", "image", "messages", "conversations", "texts", "scores")
            fields = source_fields(
                {k: v for k, v in row.items() if not isinstance(v, bytes | bytearray)}, own
            )
            if (
                row.get("texts")
                and isinstance(row["texts"][0], dict)
                and row["texts"][0].get("source")
            ):
                fields.setdefault("source", row["texts"][0]["source"])
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
        return image_ref(value, self.image_root)


def _cauldron_messages(texts: Any, n_images: int) -> list[dict[str, Any]]:
    """the_cauldron's ``texts: [{user, assistant, source}]``: one user and one assistant turn
    per entry; its images (no placeholders there) open the first user turn."""
    if not isinstance(texts, list) or not texts:
        raise ValueError("empty texts")
    messages: list[dict[str, Any]] = []
    for t in texts:
        if not isinstance(t, dict) or t.get("user") is None or t.get("assistant") is None:
            raise ValueError("a texts entry without user and assistant")
        messages.append({"role": "user", "content": str(t["user"])})
        messages.append({"role": "assistant", "content": str(t["assistant"])})
    if n_images and IMAGE_TOKEN not in messages[0]["content"]:
        messages[0]["content"] = join_pieces(
            [None] * n_images + split_pieces(messages[0]["content"])
        )
    return messages
