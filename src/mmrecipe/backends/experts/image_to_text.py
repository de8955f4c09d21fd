"""Image-to-text experts (``type: image_to_text``): captioners (BLIP, BLIP-2, GIT), OCR
(TrOCR and other vision-encoder-decoder models) and Florence-2's native tasks (``<CAPTION>``,
``<DETAILED_CAPTION>``, ``<OCR>``, ``<OD>``). ``generate()`` is called directly (the
transformers pipelines fail on vision-encoder-decoder models)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import pydantic

from mmrecipe.backends.experts.base import ExpertBackend, ExpertSettings
from mmrecipe.errors import ConfigError
from mmrecipe.experts.geometry import clip_box

Task = Literal["caption", "detailed_caption", "ocr"]
_FLORENCE_TASKS = {
    "caption": "<CAPTION>",
    "detailed_caption": "<MORE_DETAILED_CAPTION>",
    "ocr": "<OCR>",
}


class ImageToTextSettings(ExpertSettings):
    #: what a vision-encoder-decoder model does ("auto": ocr for TrOCR, else caption)
    kind: Literal["auto", "caption", "ocr"] = "auto"
    #: longest answer, in tokens
    max_new_tokens: int = pydantic.Field(default=64, ge=1)
    #: shortest answer (tests with random models set it so answers are never empty)
    min_new_tokens: int | None = None
    #: beam search width (Florence-2's examples use 3; 1 is greedy)
    num_beams: int = pydantic.Field(default=1, ge=1)
    #: text prefix for conditional captioning (BLIP "a picture of"), None for none
    prompt: str | None = None


class ImageToTextBackend(ExpertBackend):
    """``describe(images, task)`` -> one text per image; Florence-2 also ``detect``."""

    type_name = "image_to_text"
    Settings = ImageToTextSettings
    settings: ImageToTextSettings

    def _load(self) -> None:
        tf = self._transformers
        kw = self._load_kwargs()
        config = tf.AutoConfig.from_pretrained(self.model, **kw)
        self.model_type = config.model_type
        self.processor = tf.AutoProcessor.from_pretrained(self.model, **kw)
        if self.model_type == "vision-encoder-decoder":
            model_cls = tf.VisionEncoderDecoderModel
        else:
            model_cls = tf.AutoModelForImageTextToText
        self.engine = self._place(model_cls.from_pretrained(self.model, **kw))
        self.florence = self.model_type.startswith("florence")
        if self.settings.kind != "auto" and self.model_type != "vision-encoder-decoder":
            raise ConfigError(
                f"backend {self.name!r}: kind applies to vision-encoder-decoder models (TrOCR); "
                f"{self.model_type} has fixed tasks"
            )
        if self.florence and self.settings.prompt is not None:
            raise ConfigError(
                f"backend {self.name!r}: Florence-2 is prompted by its task tokens, not prompt:"
            )
        kind = self.settings.kind
        if kind == "auto":
            decoder = getattr(config, "decoder", None)
            kind = "ocr" if getattr(decoder, "model_type", "") == "trocr" else "caption"
        caps = {"caption", "detailed_caption"} if kind == "caption" else {"ocr"}
        if self.florence:
            caps = {"caption", "detailed_caption", "ocr", "detection"}
        self.capabilities = frozenset(caps)

    def describe(self, images: Sequence[Any], task: Task = "caption") -> list[str]:
        """One text per PIL image: a caption, a detailed caption or the text read (OCR)."""
        texts: list[str] = []
        for chunk in self.batches(list(images)):
            texts.extend(self._generate(list(chunk), task))
        return [t.strip() for t in texts]

    def detect(
        self,
        images: Sequence[Any],
        labels: Sequence[Sequence[str]] | None = None,
        threshold: float | None = None,
    ) -> list[list[dict[str, Any]]]:
        """Florence-2 ``<OD>``: boxes with labels (no scores: 1.0); ``labels`` filters."""
        if not self.florence:
            raise TypeError(f"{self.model_type} cannot detect objects")
        out: list[list[dict[str, Any]]] = []
        for chunk_start in range(0, len(images), self.settings.batch_size):
            chunk = list(images[chunk_start : chunk_start + self.settings.batch_size])
            raw = self._generate(chunk, "<OD>", skip_special=False)
            for j, (im, text) in enumerate(zip(chunk, raw, strict=True)):
                wanted = labels[chunk_start + j] if labels else []
                dets = self.parse_od(text, im.width, im.height, wanted)
                out.append(dets)
        return out

    def parse_od(
        self, text: str, width: int, height: int, wanted: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """Florence-2 ``<OD>`` output (``label<loc_x0><loc_y0><loc_x1><loc_y1>...``) as boxes
        in pixels; ``wanted`` (case-insensitive) filters labels when given."""
        parsed = self.processor.post_process_generation(
            text, task="<OD>", image_size=(width, height)
        )
        od = parsed.get("<OD>", {}) if isinstance(parsed, dict) else {}
        keep = {v.lower() for v in wanted}
        return [
            {"label": str(lab).strip(), "score": 1.0, "box": clip_box(box, width, height)}
            for lab, box in zip(od.get("labels", []), od.get("bboxes", []), strict=False)
            if len(box) == 4 and (not keep or str(lab).strip().lower() in keep)
        ]

    def _generate(self, images: list[Any], task: str, skip_special: bool = True) -> list[str]:
        torch = self._torch
        prompt: str | None = self.settings.prompt
        if self.florence:
            prompt = task if task.startswith("<") else _FLORENCE_TASKS[task]
        with self._lock:
            if self.model_type == "vision-encoder-decoder":
                inputs = self._inputs(self.processor(images=images, return_tensors="pt"))
                gen_inputs = {"pixel_values": inputs["pixel_values"]}
            elif prompt is not None:
                inputs = self._inputs(
                    self.processor(
                        images=images,
                        text=[prompt] * len(images),
                        return_tensors="pt",
                        padding=True,
                    )
                )
                gen_inputs = dict(inputs)
            else:
                gen_inputs = dict(self._inputs(self.processor(images=images, return_tensors="pt")))
            kw: dict[str, Any] = {
                "max_new_tokens": self.settings.max_new_tokens,
                "num_beams": self.settings.num_beams,
                "do_sample": False,
            }
            if self.settings.min_new_tokens:
                kw["min_new_tokens"] = self.settings.min_new_tokens
            with torch.inference_mode():
                ids = self.engine.generate(**gen_inputs, **kw)
        new = ids
        prompt_ids = gen_inputs.get("input_ids") if not self.florence else None
        if prompt_ids is not None:  # decoder-only LMs echo the prompt; encoder-decoders do not
            n = prompt_ids.shape[1]
            if ids.shape[1] >= n and torch.equal(ids[:, :n].to(prompt_ids.device), prompt_ids):
                new = ids[:, n:]
        texts = self.processor.batch_decode(new, skip_special_tokens=skip_special)
        if prompt and not self.florence and self.model_type == "blip":
            texts = [t[len(prompt) :] if t.lower().startswith(prompt.lower()) else t for t in texts]
        return texts
