"""An LLM labels each sample's domain from a configurable taxonomy (HoneyPipe's mixture)."""

from __future__ import annotations

from mmrecipe.backends.base import SamplingParams
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import MapOp
from mmrecipe.ops.curation.honeypipe.fields import QA_FIELDS, fill_qa
from mmrecipe.ops.curation.honeypipe.parsing import bracket_token
from mmrecipe.ops.curation.honeypipe.prompts import DOMAIN_PROMPT
from mmrecipe.prompted import PromptCaller, PromptedOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

#: Honey-Data-15M's seven domains (Bee-8B)
DEFAULT_TAXONOMY = ["general", "chart", "caption", "stem", "document", "grounding_counting", "ocr"]


@register_op("domain_label")
class DomainLabel(PromptedOp, MapOp):
    """Writes one label of ``taxonomy`` to ``fields.<field>``, from the question and answer
    (the conversation's turns when a dataset has only ``messages``). A reply naming no label
    of the taxonomy takes ``fallback``, or rejects the sample (``unparseable_domain``, the raw
    reply in the detail) when there is none.

    Args:
        backend: the LLM
        taxonomy: the labels to choose from (default: Bee-8B's domains)
        field: where the label goes
        fallback: label for unparseable replies (None: reject them)
        prompt: replaces the built-in prompt (``{labels}``, ``{example}``, ``{instruction}``,
            ``{answer}``)
        temperature: sampling temperature
        max_tokens: longest reply
    """

    def __init__(
        self,
        backend: str,
        taxonomy: list[str] | None = None,
        field: str = "domain",
        fallback: str | None = None,
        prompt: str = DOMAIN_PROMPT,
        temperature: float = 0.0,
        max_tokens: int = 64,
    ) -> None:
        self.taxonomy = list(taxonomy or DEFAULT_TAXONOMY)
        if not self.taxonomy:
            raise ConfigError("domain_label: taxonomy is empty")
        if fallback is not None and fallback not in self.taxonomy:
            raise ConfigError(f"domain_label: fallback {fallback!r} is not in the taxonomy")
        self.field = field
        self.fallback = fallback
        labels = "\n".join(f"- {label}" for label in self.taxonomy)
        filled = prompt.replace("{labels}", labels).replace("{example}", self.taxonomy[0])
        self.caller = PromptCaller(
            backend,
            {"domain": filled},
            SamplingParams(temperature=temperature, max_tokens=max_tokens),
            use_images=False,
        )
        self.reads = ("messages", *QA_FIELDS)
        self.writes = (f"fields.{field}", *QA_FIELDS, "trace")

    async def aprocess_batch(self, samples: list[Sample]) -> list[Sample]:
        fill_qa(samples)
        for answer in await self.caller.ask(samples, self.name):
            label = bracket_token(answer.text("domain"), self.taxonomy) or self.fallback
            if label is None:
                answer.sample.reject(self.name, "unparseable_domain", answer.text("domain")[-300:])
                continue
            answer.sample.fields[self.field] = label
        return samples
