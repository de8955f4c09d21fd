"""Base of the trainer-facing writers: options, ``keep_fields``, and samples left out, counted.

A writer turns a sample into a record of its format or raises :class:`LeftOut`; the reasons
are counted in ``left_out`` (the executor puts them in ``stats.json`` under ``outputs``), so a
sample a format cannot hold is never written in a form its trainer crashes on, and never lost
silently.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import IO, Any, ClassVar

from mmrecipe.errors import ConfigError
from mmrecipe.io.base import portable_path
from mmrecipe.io.layout import ASSISTANT_IMAGE_POLICIES, LeftOut, kept_fields, uniform_value
from mmrecipe.io.paths import is_remote
from mmrecipe.sample import ImageRef, Sample

#: options every writer takes (``output.assistant_images`` or ``output.options.<fmt>``)
COMMON_OPTIONS: dict[str, Any] = {"assistant_images": "skip", "fields_as_text": False}


class FormatWriter:
    """Writes samples of one format into one file; subclasses implement ``record``/``emit``."""

    suffix = ".jsonl"
    #: format-specific options and their defaults
    OPTIONS: ClassVar[dict[str, Any]] = {}
    #: options whose value is one of a few words
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: the source's extra keys in one JSON text column (formats loaded as one table)
    source_column = False

    def __init__(
        self,
        path: Path,
        base_dir: Path | None = None,
        keep_fields: list[str] | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.path = path
        self.base_dir = base_dir
        self.keep_fields = list(keep_fields or [])
        self.options = self.check_config(options or {})
        self.assistant_images = self.options["assistant_images"]
        #: samples not written, by reason
        self.left_out: Counter[str] = Counter()
        #: parts of written samples this format cannot hold (a dropped system turn, ...)
        self.lost: Counter[str] = Counter()
        self.written = 0
        path.parent.mkdir(parents=True, exist_ok=True)

    @classmethod
    def check_config(cls, options: dict[str, Any]) -> dict[str, Any]:
        """The options with defaults filled in; a bad one is a ConfigError (checked by
        ``mmrecipe validate`` before anything runs, and again when a writer opens)."""
        options = check_options(cls.__name__, cls.OPTIONS, options)
        for key, allowed in cls.CHOICES.items():
            if options[key] not in allowed:
                raise ConfigError(
                    f"{cls.__name__} option {key} must be one of {', '.join(allowed)}, "
                    f"not {options[key]!r}"
                )
        return options

    def record(self, sample: Sample) -> Any:
        raise NotImplementedError

    def emit(self, record: Any) -> None:
        raise NotImplementedError

    #: whether the format holds videos; others leave video samples out (``video``)
    takes_videos: ClassVar[bool] = False

    def write(self, sample: Sample) -> None:
        if sample.videos and not self.takes_videos:
            self.left_out["video"] += 1
            return
        try:
            record = self.record(sample)
        except LeftOut as exc:
            self.left_out[exc.reason] += 1
            return
        self.emit(record)
        self.written += 1

    def close(self) -> None:
        pass

    def image_path(self, ref: ImageRef) -> str:
        """Relative to the run dir when the image is in it. The trainers of these formats
        open local files (``os.path.join(image_folder, image)``): an image still at a URL
        leaves its sample out (``remote_image``) until it is fetched."""
        if is_remote(ref.path):
            raise LeftOut("remote_image", f"{ref.path[:200]} is not fetched")
        return portable_path(ref.path, self.base_dir)

    def video_path(self, ref: Any) -> str:
        """A video file's path, relative to the run dir when it is in it."""
        return portable_path(ref.path, self.base_dir)

    def extra_fields(self, sample: Sample) -> dict[str, Any]:
        return kept_fields(
            sample,
            self.keep_fields,
            as_text=self.options["fields_as_text"],
            source_column=self.source_column,
        )


def check_options(owner: str, known: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with ``given``; an unknown option or policy is a configuration error."""
    defaults = {**COMMON_OPTIONS, **known}
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ConfigError(
            f"{owner} has no option {', '.join(unknown)}; known: {', '.join(sorted(defaults))}"
        )
    options = {**defaults, **given}
    if options["assistant_images"] not in ASSISTANT_IMAGE_POLICIES:
        raise ConfigError(
            f"assistant_images must be one of {', '.join(ASSISTANT_IMAGE_POLICIES)}, "
            f"not {options['assistant_images']!r}"
        )
    for key, default in {**COMMON_OPTIONS, **known}.items():
        if isinstance(default, bool) and not isinstance(options[key], bool):
            raise ConfigError(f"{owner} option {key} must be true or false")
    return options


class JsonOut(FormatWriter):
    """JSON records: one per line, or one JSON array (what ``json.load`` in LLaVA's
    ``LazySupervisedDataset`` reads). ``array`` overrides the format's default (``convert``
    sets it from the target's suffix: ``.json`` an array, ``.jsonl`` lines).

    Records are held until ``close`` (a shard, not a dataset): a kept field whose values mix
    JSON types across them (text in one row, a number in another: HF ``datasets`` infers one
    type per column) is then written as text in every row; ``fields_as_text`` writes every
    non-text kept field as JSON text, so a field has one type across shards too."""

    suffix = ".jsonl"
    array = False

    def __init__(self, *args: Any, array: bool | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if array is not None:
            self.array = array
        self._fh: IO[str] = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
        self._rows: list[Any] = []
        self._field_kinds: dict[str, set[str]] = {}

    def extra_fields(self, sample: Sample) -> dict[str, Any]:
        out = super().extra_fields(sample)
        for key, value in out.items():
            if value is not None:
                self._field_kinds.setdefault(key, set()).add(_json_kind(value))
        return out

    def emit(self, record: Any) -> None:
        self._rows.append(record)

    def encode(self, record: Any) -> str:
        return json.dumps(record, ensure_ascii=False)

    def close(self) -> None:
        mixed = [k for k, kinds in self._field_kinds.items() if len(kinds) > 1]
        if self.array:
            self._fh.write("[")
        for n, record in enumerate(self._rows):
            for key in mixed:
                if isinstance(record, dict) and record.get(key) is not None:
                    record[key] = uniform_value(record[key])
            text = self.encode(record)
            if self.array:
                self._fh.write(("\n" if not n else ",\n") + text)
            else:
                self._fh.write(text + "\n")
        if self.array:
            self._fh.write("\n]\n")
        self._rows = []
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", dict: "object", list: "array"}.get(type(value), "other")


class JsonLinesOut(JsonOut):
    """One JSON object per line."""


class JsonArrayOut(JsonOut):
    """One JSON array."""

    suffix = ".json"
    array = True
