"""Magpie's empty starting points: one sample per instruction to be written, each with its
language (and that language's system prompt and lead), drawn by ratio."""

from __future__ import annotations

import math

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import SourceOp
from mmrecipe.ops.magpie.languages import LANGUAGE_NAMES, default_system
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@register_op("magpie_seed")
class MagpieSeed(SourceOp):
    """``num_samples`` empty samples for ``magpie_hook``, languages in the given ratios.

    Sample ``i``'s language comes from a low-discrepancy sequence over the ratios (every prefix
    of the run keeps the shares within a sample or two), so shards and reruns are identical.

    Args:
        num_samples: instructions to write
        languages: language code -> ratio (default ``{en: 1}``: Magpie's bare template)
        systems: language -> system prompt, overriding the default (``""``: none)
        leads: language -> text that opens the user turn (default none)
        seed: shifts the sequence (a different seed, a different language order)
    """

    reads = ()
    writes = (
        "fields.language",
        "fields.magpie_system",
        "fields.magpie_lead",
        "fields.magpie_index",
    )

    def __init__(
        self,
        num_samples: int = 1000,
        languages: dict[str, float] | None = None,
        systems: dict[str, str] | None = None,
        leads: dict[str, str] | None = None,
        seed: int = 0,
    ) -> None:
        if num_samples < 0:
            raise ConfigError("magpie_seed: num_samples must be >= 0")
        weights = dict(languages or {"en": 1.0})
        bad = {k: v for k, v in weights.items() if not (isinstance(v, int | float) and v >= 0)}
        if bad or not any(v > 0 for v in weights.values()):
            raise ConfigError(f"magpie_seed: languages needs ratios >= 0, one > 0; got {weights}")
        systems = dict(systems or {})
        leads = dict(leads or {})
        unknown = sorted(
            k for k in weights if k not in LANGUAGE_NAMES and (k not in systems and k not in leads)
        )
        if unknown:
            raise ConfigError(
                f"magpie_seed: no default system prompt for {', '.join(unknown)} (known: "
                f"{', '.join(LANGUAGE_NAMES)}); give one under systems: or a lead under leads:"
            )
        stray = sorted((set(systems) | set(leads)) - set(weights))
        if stray:
            raise ConfigError(f"magpie_seed: systems/leads for languages not listed: {stray}")
        self.num_samples = num_samples
        self.seed = seed
        total = sum(weights.values())
        self.languages = sorted((k, v / total) for k, v in weights.items() if v > 0)
        self.systems = {
            k: (systems[k] or None) if k in systems else default_system(k)
            for k, _ in self.languages
        }
        self.leads = {k: leads.get(k, "") for k, _ in self.languages}

    def count(self) -> int:
        return self.num_samples

    def _language(self, index: int) -> str:
        u = ((index + 1 + self.seed) * _GOLDEN) % 1.0
        acc = 0.0
        for code, share in self.languages:
            acc += share
            if u < acc:
                return code
        return self.languages[-1][0]

    def generate(self, start: int, stop: int) -> list[Sample]:
        out = []
        for index in range(start, min(stop, self.num_samples)):
            code = self._language(index)
            fields = {
                "language": code,
                "magpie_system": self.systems[code],
                "magpie_lead": self.leads[code],
                "magpie_index": index,
            }
            out.append(Sample(id=f"magpie-{self.seed}-{index:08d}", fields=fields))
        return out
