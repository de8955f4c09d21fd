"""CoMM's text-sequence filter: an LLM rates how coherent an interleaved document's text is
(logical flow, no abrupt topic shifts, no disconnected fragments)."""

from __future__ import annotations

from mmrecipe.backends.base import SamplingParams
from mmrecipe.ops.base import FilterOp
from mmrecipe.ops.curation.interleaved import document_text
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.replies import parse_score
from mmrecipe.sample import Sample

COHERENCE_PROMPT = """You are checking a document made of text and images ([image] marks where \
an image stands). Rate how coherent its text is as one document: does it flow logically from \
step to step, stay on one topic without abrupt shifts, and read as connected sentences rather \
than fragments, menus or boilerplate?

Document:
{document_text}

Give a short reason, then the score from 0 (incoherent) to 10 (perfectly coherent) as [[k]]."""


@register_op("text_coherence")
class TextCoherence(PromptedOp, FilterOp):
    """Stores ``scores.text_coherence`` in [0, 1] (the judge's 0-10 score / 10) and the
    judged text in ``fields.document_text``; documents below ``min_score`` are rejected
    (``incoherent_text``), replies without a score as ``unparseable_score`` (reply kept).

    Args:
        backend: a chat backend (text only is enough)
        min_score: keep documents at or above this (CoMM, per the survey: 0.75)
        prompt: the judge prompt; ``{document_text}`` is the document
        max_chars: the document text is cut to this many characters
        temperature: sampling temperature (judges: 0)
        max_tokens: longest reply
    """

    writes = ("scores.text_coherence", "fields.document_text", "trace")

    def __init__(
        self,
        backend: str,
        min_score: float = 0.75,
        prompt: str = COHERENCE_PROMPT,
        max_chars: int = 6000,
        temperature: float = 0.0,
        max_tokens: int = 256,
    ) -> None:
        self.min_score = min_score
        self.max_chars = max_chars
        self.caller = PromptCaller(
            backend,
            {"coherence": prompt},
            SamplingParams(temperature=temperature, max_tokens=max_tokens),
            use_images=False,
        )
        self.reads = ()  # fields.segments, which the interleaved reader writes

    async def ascore(self, samples: list[Sample]) -> None:
        for sample in samples:
            if sample.rejected:
                continue
            text = document_text(sample, self.max_chars)
            if not text.replace("[image]", "").strip():
                sample.reject(self.name, "no_text", "the document has no text segments")
                continue
            sample.fields["document_text"] = text
        for answer in await self.caller.ask(samples, self.name):
            reply = answer.text("coherence")
            value = parse_score(reply, 0, 10)
            if value is None:
                answer.sample.reject(self.name, "unparseable_score", reply[-300:])
                continue
            answer.sample.scores["text_coherence"] = value / 10

    def keep(self, sample: Sample) -> str | tuple[str, str] | None:
        value = sample.scores.get("text_coherence")
        if value is None:
            return "no_score"
        if value < self.min_score:
            return "incoherent_text", f"{value:.2f} < {self.min_score}"
        return None
