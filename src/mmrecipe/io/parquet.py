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
from mmrecipe.io.files import check_regular, listed_files
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

    #: a video sample is written as its sampled frames (embedded images, ``<image>`` each
    #: where ``<video>`` was) with the video files and frame times in ``fields.videos``:
    #: Parquet embeds bytes, and a whole video in a row group is not what loaders stream
    takes_videos = True

    def record(self, sample: Sample) -> dict[str, Any]:
        if sample.videos:
            sample = self._frames_sample(sample)
        images = []
        names = sample.fields.get("image_names") or []  # embedded images' original names
        for i, ref in enumerate(sample.images):
            if is_remote(ref.path):
                raise LeftOut("remote_image", "Parquet embeds image bytes: fetch it first")
            try:
                data: bytes | None = Path(ref.path).read_bytes()
            except OSError:
                # callers drop such samples first (missing_image); this is the last guard
                data = None
                self.missing += 1
            name = names[i] if i < len(names) and isinstance(names[i], str) else None
            images.append(
                {"bytes": data, "path": name or Path(portable_path(ref.path, self.base_dir)).name}
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

    def _frames_sample(self, sample: Sample) -> Sample:
        from mmrecipe.video.frames import frames_as_images

        if any(not v.frames for v in sample.videos):
            raise LeftOut("video_without_frames", "Parquet holds a video as its sampled frames")
        copy = Sample.from_dict(sample.to_dict())
        frames_as_images(copy)
        copy.fields["videos"] = [
            {
                "path": portable_path(v.path, self.base_dir),
                "frame_times": [f["t"] for f in v.frames],
            }
            for v in copy.videos
        ]
        if "videos" not in self.keep_fields:
            self.keep_fields = [*self.keep_fields, "videos"]
        copy.videos = []
        return copy

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

    def _files(self) -> list[tuple[Path, ImageRefused | None]]:
        """The Parquet files, each listed one checked against the dataset root."""
        if self.path.is_dir():
            policy = self.image_root if isinstance(self.image_root, ImageRoot) else None
            return list(listed_files(self.path, (".parquet",), policy))
        return [(self.path, None)]

    def count(self) -> int | None:
        import pyarrow.parquet as pq

        total = 0
        for f, refusal in self._files():
            try:
                if refusal is not None:
                    raise refusal
                total += pq.ParquetFile(check_regular(f)).metadata.num_rows
            except Exception:
                total += 1  # an unreadable file is one reject
        return total

    def __iter__(self) -> Iterator[Sample]:
        import pyarrow.parquet as pq

        seen: set[str] = set()
        folder = self.path.is_dir()
        for file, refusal in self._files():
            if refusal is not None:
                yield rejected_record(file, "file", refusal.reason, refusal.detail)
                continue
            index = 0
            try:
                pf = pq.ParquetFile(check_regular(file))
                for batch in pf.iter_batches(batch_size=self.batch_size):
                    for row in batch.to_pylist():
                        sample = self._safe_sample(file, index, row)
                        if folder and sample.id in seen and not sample.rejected:
                            # a folder of shards whose ids restart: the file tells them apart
                            sample.id = f"{file.relative_to(self.path).as_posix()}/{sample.id}"
                        seen.add(sample.id)
                        yield sample
                        index += 1
            except ImageRefused as exc:
                yield rejected_record(file, "file", exc.reason, exc.detail)
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
            fields.update(_cauldron_sources(row.get("texts"), fields))
            names = _embedded_names(raw_images)
            if names and "image_names" not in fields:
                fields["image_names"] = names
                fields["source_keys"] = sorted({*fields.get("source_keys", []), "image_names"})
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
        """An image cell: bytes are written once under their hash (the original file name
        of an embedded image, OneVision's ``{bytes, path}``, is kept in
        ``fields.image_names``: :func:`_embedded_names`)."""
        if isinstance(value, dict):
            if value.get("bytes"):
                return materialize_bytes(value["bytes"], self.materialize_dir)
            value = value.get("path")
        if isinstance(value, bytes | bytearray):
            return materialize_bytes(bytes(value), self.materialize_dir)
        return image_ref(value, self.image_root)


def _embedded_names(raw_images: list[Any]) -> list[str | None]:
    """The ``path`` of each embedded ``{bytes, path}`` image (its original file name), or an
    empty list when none has one."""
    names = [
        str(x["path"]) if isinstance(x, dict) and x.get("bytes") and x.get("path") else None
        for x in raw_images
        if x is not None
    ]
    return names if any(names) else []


def _cauldron_sources(texts: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """the_cauldron's per-turn ``source``: ``source`` (the first turn's) and ``turn_sources``
    (one per user/assistant pair) when the turns differ; both kept as source keys."""
    if not isinstance(texts, list) or not all(isinstance(t, dict) for t in texts):
        return {}
    sources = [t.get("source") for t in texts]
    if not any(sources):
        return {}
    out: dict[str, Any] = {}
    if "source" not in fields:
        out["source"] = sources[0]
    if len(set(sources)) > 1:
        out["turn_sources"] = sources
    out["source_keys"] = sorted({*fields.get("source_keys", []), *out})
    return out


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
