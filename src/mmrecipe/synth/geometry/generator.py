"""The geometry generator: pick a family, build its chain, ask for the last result in reverse."""

from __future__ import annotations

import random
import re
from types import ModuleType
from typing import Any

from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.geometry import angles, chord, parallel, polygon, rectangle, right_triangle
from mmrecipe.synth.geometry.diagram import render
from mmrecipe.synth.geometry.plane import Builder

#: family -> its module (``draw_givens`` and ``build``) and the longest chain it builds
_MODULES: dict[str, tuple[int, ModuleType]] = {
    "right_triangle": (5, right_triangle),
    "angles": (5, angles),
    "chord": (5, chord),
    "rectangle": (4, rectangle),
    "polygon": (4, polygon),
    "parallel": (3, parallel),
}
FAMILIES: dict[str, tuple[int, Builder]] = {
    name: (most, module.build) for name, (most, module) in _MODULES.items()
}


def _givens(family: str, rng: random.Random) -> dict[str, Any]:
    if family not in _MODULES:
        raise ValueError(family)
    return _MODULES[family][1].draw_givens(rng)


# --- the generator -----------------------------------------------------------------------------
_ASK = ["Find {q}.", "What is {q}?", "Compute {q}.", "Determine {q}."]


@register_generator("geometry")
class GeometryGenerator(Generator):
    """Geometry diagrams with a chained, verifiable answer (R-CoT GeoChain + reverse Q&A)."""

    levels = 5

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        n = max(1, min(difficulty, 5))
        families = sorted(k for k, (most, _) in FAMILIES.items() if most >= n)
        family = rng.choice(families)
        givens = _givens(family, rng)
        fig, steps = FAMILIES[family][1](givens, n)
        target = steps[-1]
        # reverse generation: the result exists first; the question states exactly the
        # construction that leads to it and asks for it
        # "Consider ..." sentences only name the quantity a step computes: the question asks
        # for the target by name, and the steps in between are the solver's work, not givens
        construction = " ".join(
            s.statement for s in steps if not s.statement.startswith("Consider")
        )
        whole = abs(target.value - round(target.value)) < 1e-9
        rounding = "" if whole else " Round to two decimal places."
        if target.unit == "angle":
            rounding = " Give the answer in degrees." + rounding
        question = f"{construction} {rng.choice(_ASK).format(q=target.quantity)}{rounding}"
        rationale = "\n".join(f"Step {i + 1}: {s.reasoning}" for i, s in enumerate(steps))
        # the answer honours the format the question asks for: two decimals, trailing zeros kept
        answer = str(round(target.value)) if whole else f"{target.value:.2f}"
        rationale += f"\nSo {target.quantity} is {answer}{'°' if target.unit == 'angle' else ''}."
        image = render(fig, rng)
        description = self.caption({"family": family, "givens": givens, "steps": n})
        return SynthItem(
            images=[image],
            task=f"geometry/{family}",
            question=question,
            answer=answer,
            rationale=rationale,
            ground_truth={
                "family": family,
                "givens": givens,
                "steps": n,
                "target": target.quantity,
                "measure": target.measure,
                "value": target.value,
            },
            extra={"caption": description},
        )

    def caption(self, ground_truth: dict[str, Any]) -> str:
        """The construction, step by step (R-CoT's GeoChain description)."""
        family, n = ground_truth["family"], int(ground_truth["steps"])
        _fig, steps = FAMILIES[family][1](ground_truth["givens"], n)
        return " ".join(s.statement for s in steps)

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        family = ground_truth.get("family")
        if family not in FAMILIES:
            return f"unknown geometry family {family!r}"
        fig, steps = FAMILIES[family][1](ground_truth["givens"], int(ground_truth["steps"]))
        target = steps[-1]
        measured = fig.measure(target.measure)
        if abs(measured - target.value) > 1e-6 * max(1.0, abs(measured)):
            return f"construction gives {measured:.6f} but the theorem chain {target.value:.6f}"
        numbers = re.findall(r"-?\d+(?:\.\d+)?", answer.replace(",", ""))
        if not numbers:
            return f"no number in answer {answer!r}"
        got = float(numbers[-1])
        if abs(got - measured) > 0.0051 + 1e-9 * abs(measured):
            return f"answer {got} but the construction measures {measured:.4f}"
        return None
