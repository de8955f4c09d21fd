"""Interleaved image-text documents (web pages, tutorials, stories), one JSON record each.

Read: OBELICS style ``{"texts": [str | null], "images": [path | null]}`` (parallel lists, one
of the two set at each position, in reading order), or MMC4 style ``{"text_list": [str],
"image_info": [{"image_name", "matched_text_index"}]}`` (each image goes before the sentence
it was matched to). Images must be local files (relative paths resolve against
``input.image_root`` or the file's folder); a document naming a URL is rejected
(``remote_image``): download first, nothing here reaches the network.

A document becomes one sample: ``images`` in reading order and ``fields.segments``, the
sequence ``{"type": "text", "text"}`` / ``{"type": "image", "image": k}`` (k indexes
``images``). Write: OBELICS style, which ``datasets`` and OBELICS/CoMM loaders read.
"""

from __future__ import annotations

from typing import Any

from mmrecipe.io.base import JsonlWriter, JsonRecordReader, resolve_image
from mmrecipe.sample import ImageRef, Sample

SEGMENTS = "segments"
_OWN_KEYS = {"id", "texts", "images", "text_list", "image_info"}


class InterleavedError(ValueError):
    """A document that cannot be used; the message starts with the reason."""


def _image_path(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("path") or value.get("image_name") or value.get("src") or value.get("url")
    if not isinstance(value, str) or not value.strip():
        raise InterleavedError("malformed_record: an image entry has no path")
    if value.startswith(("http://", "https://")):
        raise InterleavedError(f"remote_image: {value[:200]} (download images first)")
    return value


def parse_document(record: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """(image paths, segments) of an OBELICS or MMC4 record, in reading order."""
    images: list[str] = []
    segments: list[dict[str, Any]] = []
    if "texts" in record or "images" in record:
        texts = record.get("texts") or []
        pics = record.get("images") or []
        if not isinstance(texts, list) or not isinstance(pics, list):
            raise InterleavedError("malformed_record: texts and images must be lists")
        if texts and pics and len(texts) != len(pics):
            raise InterleavedError(
                f"malformed_record: texts ({len(texts)}) and images ({len(pics)}) differ in length"
            )
        for i in range(max(len(texts), len(pics))):
            text = texts[i] if i < len(texts) else None
            pic = pics[i] if i < len(pics) else None
            if pic is not None:
                segments.append({"type": "image", "image": len(images)})
                images.append(_image_path(pic))
            if isinstance(text, str) and text.strip():
                segments.append({"type": "text", "text": text})
    elif "text_list" in record:
        sentences = record.get("text_list") or []
        before: dict[int, list[str]] = {}
        for info in record.get("image_info") or []:
            if not isinstance(info, dict):
                raise InterleavedError("malformed_record: image_info entries must be objects")
            index = int(info.get("matched_text_index", len(sentences)))
            before.setdefault(index, []).append(_image_path(info))
        for i, sentence in enumerate([*sentences, None]):
            for path in before.pop(i, []):
                segments.append({"type": "image", "image": len(images)})
                images.append(path)
            if isinstance(sentence, str) and sentence.strip():
                segments.append({"type": "text", "text": sentence})
        for paths in before.values():  # indices past the end: images at the end
            for path in paths:
                segments.append({"type": "image", "image": len(images)})
                images.append(path)
    else:
        raise InterleavedError("malformed_record: neither texts/images nor text_list/image_info")
    if not segments:
        raise InterleavedError("empty_document: no text and no image")
    return images, segments


class InterleavedReader(JsonRecordReader):
    format_name = "interleaved"

    def _sample(self, index: int, record: dict[str, Any]) -> Sample:
        sample_id = self.record_id(index, record)
        try:
            paths, segments = parse_document(record)
        except InterleavedError as exc:
            reason, _, detail = str(exc).partition(": ")
            sample = Sample(
                id=sample_id, fields={"source_file": str(self.path), "source_index": index}
            )
            return sample.reject("read", reason, detail)
        extra = {k: v for k, v in record.items() if k not in _OWN_KEYS}
        return Sample(
            id=sample_id,
            images=[ImageRef(path=resolve_image(p, self.image_root)) for p in paths],
            fields={**extra, SEGMENTS: segments},
        )


class InterleavedWriter(JsonlWriter):
    """OBELICS style: ``texts`` and ``images`` parallel lists in reading order."""

    def record(self, sample: Sample) -> dict[str, Any]:
        texts: list[str | None] = []
        images: list[str | None] = []
        for seg in sample.fields.get(SEGMENTS) or []:
            if seg.get("type") == "image" and 0 <= int(seg.get("image", -1)) < len(sample.images):
                texts.append(None)
                images.append(self.image_path(sample.images[int(seg["image"])]))
            elif seg.get("type") == "text":
                texts.append(str(seg.get("text", "")))
                images.append(None)
        out: dict[str, Any] = {"id": sample.id, "texts": texts, "images": images}
        out.update(self.extra_fields(sample))
        return out
