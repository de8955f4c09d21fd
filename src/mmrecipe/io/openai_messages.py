"""OpenAI chat fine-tuning JSONL with images (vision fine-tuning).

The rules the writer keeps (OpenAI's fine-tuning guide, "Vision fine-tuning"): images are
``image_url`` parts whose ``url`` is an ``https://`` URL or a ``data:image/...;base64`` URL
(JPEG, PNG or WEBP in RGB or RGBA, at most 10 MB each, at most 10 per example); images only
in user messages
(samples with an image in an assistant turn are left out, ``assistant_image``, or moved with
``assistant_images: move_to_user``); every example has an assistant answer; text is written
unchanged (the newline beside ``<image>`` is the placeholder's separator, not text).

Options (``output.options.openai.*`` in a recipe, ``--option`` on ``convert``):
``embed_images`` (default true: data URLs), ``image_url_base`` (an https prefix for the
run-relative paths when not embedding). User content is always a list of parts; system and
assistant content always a string, so each keeps one JSON type across rows.
"""

from __future__ import annotations

import base64
import mimetypes
import re
import secrets
from pathlib import Path
from typing import Any, ClassVar

from mmrecipe.errors import ConfigError
from mmrecipe.io.base import ImageRoot, JsonRecordReader, materialize_bytes
from mmrecipe.io.layout import LeftOut, join_pieces, merge_image_only_turns, prepare, split_pieces
from mmrecipe.io.llava import source_fields
from mmrecipe.io.paths import image_ref, is_remote
from mmrecipe.io.writing import JsonLinesOut
from mmrecipe.sample import ImageRef, Sample

_TOKEN = re.compile(r"@@mmrecipe-[0-9a-f]{16}-[0-9]+@@")
MAX_IMAGES = 10
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MIME_TYPES = {"image/jpeg", "image/png", "image/webp"}
_OWN_KEYS = ("id", "messages")


class OpenAIReader(JsonRecordReader):
    format_name = "openai"

    def __init__(
        self,
        path: Path,
        image_root: Path | ImageRoot | None = None,
        materialize_dir: Path | None = None,
    ) -> None:
        super().__init__(path, image_root)
        self.materialize_dir = materialize_dir or path.parent / "images"

    def _sample(self, index: int, record: dict[str, Any]) -> Sample:
        raw = record["messages"]
        if not isinstance(raw, list):
            raise ValueError("no 'messages' list")
        images: list[ImageRef] = []
        messages = []
        for m in raw:
            content = m.get("content")
            if isinstance(content, list):
                pieces: list[str | None] = []
                for part in content:
                    kind = part.get("type")
                    if kind in ("text", "input_text"):
                        if part.get("text") is not None:
                            pieces.append(str(part["text"]))
                    elif kind in ("image_url", "input_image", "image"):
                        url = part.get("image_url", part.get("image"))
                        url = url.get("url") if isinstance(url, dict) else url
                        images.append(self._image(url))
                        pieces.append(None)
                    else:
                        raise ValueError(f"content part of type {kind!r} is not supported")
                content = join_pieces(pieces)
            elif content is None:
                content = ""
            messages.append({"role": str(m["role"]), "content": str(content)})
        return Sample(
            id=self.record_id(index, record),
            images=images,
            messages=merge_image_only_turns(messages),
            fields=source_fields(record, _OWN_KEYS),
        )

    def _image(self, url: object) -> ImageRef:
        if isinstance(url, str) and url.startswith("data:"):
            _, _, payload = url.partition(",")
            return materialize_bytes(base64.b64decode(payload, validate=True), self.materialize_dir)
        return image_ref(url, self.image_root)


class OpenAIWriter(JsonLinesOut):
    """OpenAI vision fine-tuning JSONL (see the module docstring)."""

    OPTIONS: ClassVar[dict[str, Any]] = {"embed_images": True, "image_url_base": ""}

    @classmethod
    def check_config(cls, options: dict[str, Any]) -> dict[str, Any]:
        options = super().check_config(options)
        base = str(options["image_url_base"] or "")
        if base and not base.startswith("https://"):
            raise ConfigError(f"openai image_url_base must be an https:// URL, not {base!r}")
        if not options["embed_images"] and not base:
            raise ConfigError(
                "openai needs images as data: or https URLs: keep embed_images on, or set "
                "image_url_base (e.g. --set output.options.openai.image_url_base=https://host/run/)"
            )
        return options

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        base = str(self.options["image_url_base"] or "")
        self.url_base = base if base.endswith("/") or not base else base + "/"
        self._nonce = secrets.token_hex(8)
        #: token -> (image path, MIME type): data URLs are made only when a record is written
        self._payloads: dict[str, tuple[str, str]] = {}
        self._n_tokens = 0

    def encode(self, record: Any) -> str:
        # a short token stands in for each data URL while the record is JSON-encoded
        # (encoding megabytes of base64 character by character costs more than the rest)
        text = super().encode(record)
        for token in _TOKEN.findall(text):
            path, mime = self._payloads.pop(token)
            data = base64.b64encode(Path(path).read_bytes()).decode()
            text = text.replace(token, f"data:{mime};base64,{data}", 1)
        return text

    def _url(self, ref: ImageRef) -> str:
        if is_remote(ref.path):
            if not ref.path.startswith("https://"):
                raise LeftOut("image_not_https", ref.path[:200])
            return ref.path
        if not self.options["embed_images"]:
            rel = self.image_path(ref)
            if Path(rel).is_absolute():
                raise LeftOut("image_outside_run", "no URL under image_url_base for it")
            return self.url_base + rel
        path = Path(ref.path)
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise LeftOut("image_too_large", f"{size} bytes > 10 MB")
        mime, mode = _mime_and_mode(path)
        if mime not in MIME_TYPES:
            raise LeftOut("image_format", f"{mime}: OpenAI takes JPEG, PNG or WEBP")
        if mode not in (None, "RGB", "RGBA"):
            raise LeftOut("image_mode", f"{mode}: OpenAI takes RGB or RGBA images")
        # a short token stands in for the data URL while the record is JSON-encoded (encoding
        # megabytes of base64 character by character costs more than the rest of the write)
        self._n_tokens += 1
        token = f"@@mmrecipe-{self._nonce}-{self._n_tokens}@@"
        self._payloads[token] = (str(path), mime)
        return token

    def record(self, sample: Sample) -> dict[str, Any]:
        conv = prepare(sample, self.assistant_images)
        if len(conv.images) > MAX_IMAGES:
            raise LeftOut("too_many_images", f"{len(conv.images)} > {MAX_IMAGES}")
        remaining = [self._url(r) for r in conv.images]
        messages: list[dict[str, Any]] = []
        if conv.system:
            messages.append({"role": "system", "content": conv.system})
        for m in conv.messages:
            if m["role"] == "assistant":
                messages.append({"role": "assistant", "content": m["content"]})
                continue
            parts: list[dict[str, Any]] = []
            for piece in split_pieces(m["content"]):
                if piece is None:
                    parts.append({"type": "image_url", "image_url": {"url": remaining.pop(0)}})
                else:
                    parts.append({"type": "text", "text": piece})
            messages.append({"role": "user", "content": parts})
        out: dict[str, Any] = {"id": sample.id, "messages": messages}
        out.update(self.extra_fields(sample))
        return out


def _mime_and_mode(path: Path) -> tuple[str, str | None]:
    """The image's MIME type (from its bytes, else its name) and PIL mode (header only)."""
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    try:
        from PIL import Image

        with Image.open(path) as im:
            return Image.MIME.get(im.format or "", mime), im.mode
    except Exception:
        return mime, None
