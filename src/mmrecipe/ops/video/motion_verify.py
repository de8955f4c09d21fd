"""Check that a model's motion-edit instruction names the motion the flow measured."""

from __future__ import annotations

import json
from typing import Any

from mmrecipe.ops.base import MapOp
from mmrecipe.ops.video.video_qa_turns import parse_qa
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

#: the model's words for each measured kind (ByteMorph's categories: camera zoom, camera
#: motion, camera rotation, object motion, human motion; human motion is object motion here:
#: the flow cannot tell a person from a thing)
KINDS = {
    "camera_zoom": {"camera_zoom", "zoom"},
    "camera_pan": {"camera_pan", "camera_motion", "pan"},
    "camera_rotation": {"camera_rotation", "rotation"},
    "object_motion": {"object_motion", "human_motion"},
}


@register_op("motion_verify")
class MotionVerify(MapOp):
    """Parse the MLLM's ``{"motion", "direction", "instruction"}`` and keep the pair only when
    its motion type matches the measured one (``fields.motion.kind``) and, where the flow
    gives one, its direction too (zoom in/out, pan or object left/right/up/down, rotation
    clockwise/counterclockwise). Writes ``fields.instruction`` and ``fields.edit_type`` (what
    ``edit_triplets`` writes).

    Rejects: ``unparsable_motion``, ``motion_mismatch``, ``direction_mismatch``.

    Args:
        field: the model's answer
    """

    reads = ("fields.motion",)
    writes = ("fields.instruction", "fields.edit_type")

    def __init__(self, field: str = "motion_answer") -> None:
        self.field = field
        self.reads = ("fields.motion", f"fields.{field}")

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        for sample in samples:
            if sample.rejected:
                continue
            measured: dict[str, Any] = sample.fields.get("motion") or {}
            try:
                said = parse_qa(str(sample.fields.get(self.field) or ""))
                kind = str(said["motion"]).strip().lower().replace(" ", "_")
                direction = str(said.get("direction") or "").strip().lower()
                instruction = str(said["instruction"]).strip()
            except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
                sample.reject(self.name, "unparsable_motion", str(exc)[:200])
                continue
            if not instruction:
                sample.reject(self.name, "unparsable_motion", "empty instruction")
                continue
            if kind not in KINDS.get(str(measured.get("kind")), set()):
                sample.reject(
                    self.name,
                    "motion_mismatch",
                    f"model says {kind}, flow says {measured.get('kind')}",
                )
                continue
            if (
                measured.get("direction") not in (None, "none")
                and direction != measured["direction"]
            ):
                sample.reject(
                    self.name,
                    "direction_mismatch",
                    f"model says {direction or 'nothing'}, flow says {measured['direction']}",
                )
                continue
            sample.fields["instruction"] = instruction
            sample.fields["edit_type"] = f"{measured['kind']}_{measured['direction']}"
        return samples
