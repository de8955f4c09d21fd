"""ShareGPT4Video-style differential captions: each keyframe described against the one before."""

from __future__ import annotations

from mmrecipe.backends.base import Backend, ChatRequest, SamplingParams, require
from mmrecipe.context import OpContext
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.prompted import reject_failed
from mmrecipe.registry import register_op
from mmrecipe.sample import ImageRef, Sample

FIRST_PROMPT = (
    "<image>\nThis is the first keyframe of a video, at {t:.1f} s. Describe what it shows: "
    "the scene, the objects and people, their positions and any visible action."
)
DIFF_PROMPT = (
    "<image>\n<image>\nThese are two consecutive keyframes of a video, at {t0:.1f} s and "
    "{t1:.1f} s. Describe what changed from the first to the second: objects or people that "
    "moved, appeared or disappeared, camera motion, a change of scene. Do not repeat what "
    "stayed the same."
)


@register_op("differential_captions")
class DifferentialCaptions(MapOp):
    """Caption a video's sampled keyframes (``sample_frames`` with ``mode: shots``) the way
    ShareGPT4Video's differential sliding-window captioning does: the first keyframe on its
    own, then each keyframe together with the previous one, asking only for what changed.
    Writes ``fields.keyframe_captions`` (``[{"t", "caption"}]``) and
    ``fields.keyframe_captions_text`` (one ``[t s] caption`` line each, for a summary prompt).

    Differs from ShareGPT4Video: the paper captions with GPT-4V and a fixed keyframe stride;
    here the keyframes are PySceneDetect shot centres (or any sampling) and the model is the
    recipe's backend.

    Rejects: ``no_frames`` (no sampled frames), ``model_error``, ``empty_output``.

    Args:
        backend: an MLLM backend (takes images)
        first_prompt: prompt for the first keyframe (``{t}``: its time)
        diff_prompt: prompt for a pair (``{t0}``, ``{t1}``: the two times)
        temperature: sampling temperature
        max_tokens: longest caption
    """

    io_bound = True
    reads = ("videos",)
    writes = ("fields.keyframe_captions", "fields.keyframe_captions_text", "trace")

    def __init__(
        self,
        backend: str,
        first_prompt: str = FIRST_PROMPT,
        diff_prompt: str = DIFF_PROMPT,
        temperature: float = 0.0,
        max_tokens: int = 256,
    ) -> None:
        if first_prompt.count("<image>") != 1 or diff_prompt.count("<image>") != 2:
            raise ConfigError(
                "differential_captions: first_prompt needs one <image>, diff_prompt two"
            )
        self.backend_name = backend
        self.first_prompt = first_prompt
        self.diff_prompt = diff_prompt
        self.params = SamplingParams(temperature=temperature, max_tokens=max_tokens)
        self.backend: Backend | None = None

    def setup(self, ctx: OpContext) -> None:
        super().setup(ctx)
        self.backend = ctx.backend(self.backend_name)
        require(self.backend, "vision", step=self.name)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        raise TypeError("differential_captions is I/O-bound: the executor calls aprocess_batch")

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        assert self.backend is not None, "setup() was not called"
        plan: list[tuple[Sample, list[dict[str, object]], list[ChatRequest]]] = []
        for sample in samples:
            if sample.rejected:
                continue
            frames = [f for v in sample.videos for f in v.frames]
            if not frames:
                sample.reject(self.name, "no_frames", "no sampled frames (run sample_frames)")
                continue
            refs = [ImageRef(path=str(f["path"]), sha256=f.get("sha256")) for f in frames]
            requests = []
            for i, frame in enumerate(frames):
                if i == 0:
                    text, images = self.first_prompt.format(t=frame["t"]), [refs[0]]
                else:
                    t0, t1 = frames[i - 1]["t"], frame["t"]
                    text, images = self.diff_prompt.format(t0=t0, t1=t1), refs[i - 1 : i + 1]
                requests.append(
                    ChatRequest(
                        messages=[{"role": "user", "content": text}],
                        images=images,
                        request_id=f"{sample.id}/{self.name}/{i}",
                    )
                )
            plan.append((sample, frames, requests))
        flat = [r for _, _, reqs in plan for r in reqs]
        gens = iter(await self.backend.generate(flat, self.params) if flat else [])
        for sample, frames, requests in plan:
            answers = [next(gens) for _ in requests]
            failed = next((g for g in answers if g.error), None)
            if failed is not None:
                reject_failed(sample, self.name, failed, None)
                continue
            texts = [(g.texts[0] if g.texts else "").strip() for g in answers]
            if not all(texts):
                sample.reject(self.name, "empty_output", "a keyframe caption came back empty")
                continue
            captions = [{"t": f["t"], "caption": c} for f, c in zip(frames, texts, strict=True)]
            sample.fields["keyframe_captions"] = captions
            sample.fields["keyframe_captions_text"] = "\n".join(
                f"[{c['t']:.1f} s] {c['caption']}" for c in captions
            )
            sample.trace[self.name] = {"requests": len(requests)}
        return samples
