"""Set constant fields on every sample: the domain of an image source, a source tag, ..."""

from __future__ import annotations

from typing import Any

from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("set_fields")
class SetFields(MapOp):
    """Write the given key/values into ``sample.fields`` (e.g. ``{domain: ocr}``).

    Args:
        values: fields to set on every sample
        overwrite: replace a field the sample already has
    """

    writes = ("fields.*",)

    def __init__(self, values: dict[str, Any], overwrite: bool = True) -> None:
        self.values = dict(values)
        self.overwrite = overwrite

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            for key, value in self.values.items():
                if self.overwrite or key not in sample.fields:
                    sample.fields[key] = value
        return samples
