"""Edit triplets as edit datasets publish them: Parquet, one row per (source, instruction,
edited) triplet, images embedded as ``datasets`` Image features.

Columns: ``id``, ``source_image`` and ``edited_image`` (Image), ``instruction``,
``mask_image`` (Image, the region an inpainting edit repainted; null for instruction edits),
``edit_type``, ``source_caption``, ``target_caption``, ``scores`` (JSON text: the
verification scores) and the recipe's ``keep_fields`` as JSON text in ``fields``. The same
shape as MagicBrush's (source_img, mask_img, instruction, target_img) and InstructPix2Pix's
(original_image, edit_prompt, edited_image) releases, so an edit trainer's loader maps it by
renaming columns. ``datasets.load_dataset("parquet", data_files=...)`` decodes the images.

Only edits are written: a sample without a source image, an edited image (``fields.edited_image``
naming one of its images, other than the source) or an instruction is left out and counted by
reason (``no_source_image``, ``no_edited_image``, ``no_instruction``) in ``stats.json`` like every
format's; diffusers' ``train_instruct_pix2pix.py`` converts every row's images.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

from mmrecipe.io.base import portable_path
from mmrecipe.io.parquet import ParquetRows
from mmrecipe.sample import ImageRef, Sample

_STR = {"dtype": "string", "_type": "Value"}
_HF_FEATURES = {
    "id": _STR,
    "source_image": {"_type": "Image"},
    "instruction": _STR,
    "edited_image": {"_type": "Image"},
    "mask_image": {"_type": "Image"},
    "edit_type": _STR,
    "source_caption": _STR,
    "target_caption": _STR,
    "scores": _STR,
    "fields": _STR,
}


def _schema() -> Any:
    import pyarrow as pa

    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("source_image", image),
            ("instruction", pa.string()),
            ("edited_image", image),
            ("mask_image", image),
            ("edit_type", pa.string()),
            ("source_caption", pa.string()),
            ("target_caption", pa.string()),
            ("scores", pa.string()),
            ("fields", pa.string()),
        ]
    )
    return schema.with_metadata({"huggingface": json.dumps({"info": {"features": _HF_FEATURES}})})


def _index(sample: Sample, field: str, default: int | None) -> int | None:
    value = sample.fields.get(field, default)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(sample.images):
        return value
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _not_an_edit(source: int | None, edited: int | None, instruction: Any) -> str:
    """Why a sample is not an edit triplet ("" when it is one)."""
    if source is None:
        return "no_source_image"
    if edited is None or edited == source:
        return "no_edited_image"
    if not isinstance(instruction, str) or not instruction.strip():
        return "no_instruction"
    return ""


class EditTripletsWriter:
    """Buffers rows and writes row groups; image bytes are read from disk when written."""

    suffix = ".parquet"

    def __init__(
        self,
        path: Path,
        base_dir: Path | None = None,
        keep_fields: list[str] | None = None,
        row_group_size: int = 128,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.base_dir = base_dir
        self.keep_fields = keep_fields or []
        self.row_group_size = row_group_size
        self._out = ParquetRows(path, _schema(), row_group_size)
        #: samples not written, by reason (not an edit)
        self.left_out: Counter[str] = Counter()
        self.written = 0

    def _image(self, ref: ImageRef | None) -> dict[str, Any] | None:
        if ref is None:
            return None
        return {
            "bytes": Path(ref.path).read_bytes(),
            "path": Path(portable_path(ref.path, self.base_dir)).name,
        }

    def _mask(self, sample: Sample) -> dict[str, Any] | None:
        rle = sample.fields.get("edit_mask")
        if not isinstance(rle, dict):
            return None
        import numpy as np
        from PIL import Image

        from mmrecipe.experts.geometry import rle_decode

        try:
            mask = rle_decode(rle)
        except (KeyError, TypeError, ValueError):
            return None
        buf = io.BytesIO()
        Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L").save(buf, "PNG")
        return {"bytes": buf.getvalue(), "path": f"{sample.id}-mask.png"}

    def write(self, sample: Sample) -> None:
        source = _index(sample, "source_image", 0)
        edited = _index(sample, "edited_image", None)
        f = sample.fields
        reason = _not_an_edit(source, edited, f.get("instruction"))
        if reason:
            self.left_out[reason] += 1
            return
        assert source is not None and edited is not None
        self.written += 1
        self._out.add(
            {
                "id": sample.id,
                "source_image": self._image(sample.images[source]),
                "instruction": _text(f.get("instruction")),
                "edited_image": self._image(sample.images[edited]),
                "mask_image": self._mask(sample),
                "edit_type": _text(f.get("edit_type")),
                "source_caption": _text(f.get("source_caption")),
                "target_caption": _text(f.get("target_caption")),
                "scores": json.dumps(sample.scores),
                "fields": json.dumps(
                    {k: f[k] for k in self.keep_fields if k in f}, ensure_ascii=False, default=str
                ),
            }
        )

    def close(self) -> None:
        self._out.close()
