"""Florence-2's data engine for captions: several captioners describe an image and an LLM
keeps only what most of them support (the "wisdom of crowds" consensus, applied to text)."""

from __future__ import annotations

from mmrecipe.backends.base import SamplingParams
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

#: our own wording; the paper publishes no prompt
CONSENSUS_PROMPT = """\
Several captioning models described the same image. Their captions:
{caption_candidates}

Write one caption of the image that keeps every detail at least {min_agree} of these {n} \
captions state or clearly imply, and leaves out anything fewer of them support (a detail only \
one model mentions may be a mistake). Do not add anything none of them says. Reply with the \
caption only."""


@register_op("caption_consensus")
class CaptionConsensus(PromptedOp, MapOp):
    """An LLM merges the captions in ``sources`` (fields; empty ones are skipped) into one
    caption holding what at least ``min_agree`` of them support, in ``fields.<output_field>``;
    the numbered candidates it saw stay in ``fields.caption_candidates``. Samples with fewer
    than ``min_agree`` non-empty captions are rejected (``too_few_captions``, no call);
    ``model_error``, ``empty_output`` as every model step.

    Args:
        backend: a text LLM
        sources: the fields holding each captioner's caption (two or more)
        min_agree: how many captions must support a detail
        prompt: replaces the built-in prompt (``{caption_candidates}``; ``{min_agree}`` and
            ``{n}`` are filled in first)
        output_field: where the merged caption goes
        temperature: sampling temperature
        max_tokens: longest caption
    """

    def __init__(
        self,
        backend: str,
        sources: list[str],
        min_agree: int = 2,
        prompt: str = CONSENSUS_PROMPT,
        output_field: str = "consensus_caption",
        temperature: float = 0.0,
        max_tokens: int = 512,
    ) -> None:
        if len(sources) < 2:
            raise ConfigError("caption_consensus: sources needs two or more caption fields")
        if not 1 <= min_agree <= len(sources):
            raise ConfigError(f"caption_consensus: min_agree must be in 1..{len(sources)}")
        if "{caption_candidates}" not in prompt:
            raise ConfigError("caption_consensus: the prompt must contain {caption_candidates}")
        self.sources = list(sources)
        self.min_agree = min_agree
        self.output_field = output_field
        template = prompt.replace("{min_agree}", str(min_agree)).replace("{n}", str(len(sources)))
        self.caller = PromptCaller(
            backend,
            {"consensus": template},
            SamplingParams(temperature=temperature, max_tokens=max_tokens),
            use_images=False,
        )
        self.reads = tuple(f"fields.{s}" for s in sources)
        self.writes = (f"fields.{output_field}", "fields.caption_candidates", "trace")

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        asked = []
        for sample in samples:
            if sample.rejected:
                continue
            captions = [
                str(sample.fields.get(s)).strip()
                for s in self.sources
                if isinstance(sample.fields.get(s), str) and str(sample.fields.get(s)).strip()
            ]
            if len(captions) < self.min_agree:
                sample.reject(
                    self.name, "too_few_captions", f"{len(captions)} non-empty of {self.sources}"
                )
                continue
            numbered = "\n".join(f"{i}. {c}" for i, c in enumerate(captions, 1))
            sample.fields["caption_candidates"] = numbered
            asked.append(sample)
        for answer in await self.caller.ask(asked, self.name):
            answer.sample.fields[self.output_field] = answer.text("consensus").strip()
        return samples
