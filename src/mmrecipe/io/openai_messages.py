"""OpenAI chat messages JSONL: images as ``image_url`` parts (data URLs or file paths)."""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Any

from mmrecipe.io.base import (
    IMAGE_TOKEN,
    ImageRoot,
    JsonlWriter,
    JsonRecordReader,
    materialize_bytes,
    resolve_image,
)
from mmrecipe.sample import ImageRef, Sample


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
        images: list[ImageRef] = []
        messages = []
        for m in record["messages"]:
            content = m.get("content", "")
            if isinstance(content, list):
                pieces = []
                for part in content:
                    kind = part.get("type")
                    if kind == "text":
                        pieces.append(part.get("text", ""))
                    elif kind in ("image_url", "image"):
                        url = part.get("image_url", {})
                        url = url.get("url") if isinstance(url, dict) else url or part.get("image")
                        images.append(self._image(url))
                        pieces.append(IMAGE_TOKEN)
                content = "\n".join(pieces)
            messages.append({"role": m["role"], "content": content})
        extra = {k: v for k, v in record.items() if k not in ("id", "messages")}
        return Sample(
            id=self.record_id(index, record),
            images=images,
            messages=messages,
            fields=extra,
        )

    def _image(self, url: Any) -> ImageRef:
        if isinstance(url, str) and url.startswith("data:"):
            _, _, payload = url.partition(",")
            return materialize_bytes(base64.b64decode(payload), self.materialize_dir)
        return ImageRef(path=resolve_image(url, self.image_root))


class OpenAIWriter(JsonlWriter):
    """Writes ``<image>`` placeholders as image parts; ``embed_images`` makes data URLs."""

    def __init__(
        self,
        path: Path,
        base_dir: Path | None = None,
        keep_fields: list[str] | None = None,
        embed_images: bool = False,
    ) -> None:
        super().__init__(path, base_dir, keep_fields)
        self.embed_images = embed_images

    def _url(self, ref: ImageRef) -> str:
        if not self.embed_images:
            return self.image_path(ref)
        mime = mimetypes.guess_type(ref.path)[0] or "image/png"
        data = base64.b64encode(Path(ref.path).read_bytes()).decode()
        return f"data:{mime};base64,{data}"

    def record(self, sample: Sample) -> dict[str, Any]:
        remaining = list(sample.images)
        messages = []
        for m in sample.messages:
            text = m.get("content", "")
            if not isinstance(text, str) or IMAGE_TOKEN not in text or not remaining:
                messages.append({"role": m["role"], "content": text})
                continue
            parts: list[dict[str, Any]] = []
            chunks = text.split(IMAGE_TOKEN)
            for i, chunk in enumerate(chunks):
                if chunk.strip("\n"):
                    parts.append({"type": "text", "text": chunk.strip("\n")})
                if i < len(chunks) - 1 and remaining:
                    parts.append(
                        {"type": "image_url", "image_url": {"url": self._url(remaining.pop(0))}}
                    )
            messages.append({"role": m["role"], "content": parts})
        if remaining and messages:
            # images never referenced by a placeholder go first in the first user turn
            first = next((m for m in messages if m["role"] == "user"), messages[0])
            if isinstance(first["content"], str):
                first["content"] = [{"type": "text", "text": first["content"]}]
            first["content"] = [
                {"type": "image_url", "image_url": {"url": self._url(r)}} for r in remaining
            ] + first["content"]
        out: dict[str, Any] = {"id": sample.id, "messages": messages}
        out.update(self.extra_fields(sample))
        return out
