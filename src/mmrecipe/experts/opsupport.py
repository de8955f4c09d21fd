"""What the expert ops share: the backend lookup with its capability check, and opening each
sample's image (an unreadable or missing image rejects that sample, never the batch)."""

from __future__ import annotations

from typing import Any

from PIL import Image

from mmrecipe.backends.experts.base import require_expert
from mmrecipe.backends.inputs import RequestError, load_image
from mmrecipe.context import OpContext
from mmrecipe.imaging import Limits
from mmrecipe.sample import ImageRef, Sample

_LIMITS = Limits()
_ORIENTATION = 0x0112  # EXIF orientation tag


class ExpertUser:
    """Mixin for ops that call one expert backend (``backend`` names it in the recipe): put it
    before the op kind (``class X(ExpertUser, FilterOp)``); its ``setup`` finds the backend and
    checks ``capability``."""

    name: str  # the step name (set on the op)
    backend_name: str
    capability: str
    image_index: int = 0
    expert: Any = None

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)  # the op kind's setup, next in the MRO
        self.setup_expert(ctx, self.name)

    def setup_expert(self, ctx: OpContext, step: str) -> None:
        self.expert = ctx.backend(self.backend_name)
        require_expert(self.expert, self.capability, step)

    def texts_of(self, samples: list[Sample], source: str, missing: str) -> dict[str, str]:
        """Sample id -> the text ``source`` gives (see ``sample_text``) for each live sample;
        one without text is rejected (``no_text``, detail ``missing``)."""
        texts: dict[str, str] = {}
        for sample in samples:
            if sample.rejected:
                continue
            text = sample_text(sample, source)
            if text is None:
                sample.reject(self.name, "no_text", missing)
            else:
                texts[sample.id] = text
        return texts

    def open_images(self, samples: list[Sample], step: str) -> list[tuple[Sample, Any]]:
        """(sample, RGB PIL image) for each live sample; the others are rejected."""
        out = []
        for sample in samples:
            if sample.rejected:
                continue
            if len(sample.images) <= self.image_index:
                sample.reject(step, "no_image", f"the sample has {len(sample.images)} image(s)")
                continue
            try:
                out.append((sample, open_rgb(sample.images[self.image_index])))
            except RequestError as exc:
                sample.reject(step, "unreadable_image", str(exc))
        return out


def open_rgb(ref: ImageRef) -> Any:
    """An RGB PIL image. Plain upright RGB/greyscale files under the pixel cap are decoded
    once, directly; anything else (EXIF-rotated, CMYK, 16-bit, odd, broken) takes the full
    checked path of ``load_image``, which raises RequestError with the reason."""
    try:
        with Image.open(ref.path) as im:
            plain = (
                im.mode in ("RGB", "L")
                and im.width * im.height <= _LIMITS.max_pixels
                and im.getexif().get(_ORIENTATION, 1) == 1
                and not getattr(im, "is_animated", False)
            )
            if plain:
                im.load()
                return im if im.mode == "RGB" else im.convert("RGB")
    except Exception:  # unreadable here: the checked path says why
        pass
    return load_image(ref)


def crop(image: Any, box: list[float], min_side: int = 4) -> Any | None:
    """The box's crop of a PIL image (None when too small to show anything)."""
    x0, y0, x1, y1 = (round(v) for v in box)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(image.width, x1), min(image.height, y1)
    if x1 - x0 < min_side or y1 - y0 < min_side:
        return None
    return image.crop((x0, y0, x1, y1))


def regions_of(sample: Sample, field: str) -> list[dict[str, Any]]:
    """The region dicts (with a ``box``) stored in ``fields[field]``; malformed ones skipped."""
    value = sample.fields.get(field) or []
    if not isinstance(value, list):
        return []
    return [
        r
        for r in value
        if isinstance(r, dict) and isinstance(r.get("box"), list) and len(r["box"]) == 4
    ]


#: ``text_source`` value meaning "the sample's last assistant turn" (an image-text pair's text)
ASSISTANT = "@assistant"


def sample_text(sample: Sample, source: str) -> str | None:
    """The text an op pairs with the image: the last assistant turn (``@assistant``) or a
    field (a list gives its first entry: COCO has several captions per image)."""
    if source == ASSISTANT:
        for message in reversed(sample.messages):
            if message.get("role") == "assistant":
                content = message.get("content")
                if isinstance(content, list):
                    content = " ".join(
                        str(p.get("text", "")) for p in content if isinstance(p, dict)
                    )
                return str(content or "").strip() or None
        return None
    value = sample.fields.get(source)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("text") or value.get("caption")
    return str(value).strip() or None if value is not None else None


def text_reads(source: str | None) -> tuple[str, ...]:
    if source is None:
        return ()
    return ("messages",) if source == ASSISTANT else (f"fields.{source}",)
