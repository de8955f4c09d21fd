from __future__ import annotations

import random
import re
from pathlib import Path

from mmrecipe.synth.base import get_generator
from mmrecipe.synth.formula import FormulaGenerator, make_formula, normalize_latex


def test_registered_and_deterministic(tmp_path: Path, determinism) -> None:
    assert get_generator("formula") is FormulaGenerator
    determinism(FormulaGenerator(), tmp_path)


def test_verifier_accepts_own_answers_and_rejects_tampered(verifier) -> None:
    verifier(FormulaGenerator(), 60)


def test_latex_comparison_ignores_spacing_and_delimiter_sizing() -> None:
    gen = FormulaGenerator()
    gt = {"latex": r"\sin\left(x_{1}\right) + \frac{a}{2} \, dx"}
    assert gen.verify(gt, r"$\sin(x_1)+\frac{a}{2}dx$") is None
    assert gen.verify(gt, r"\sin(x_2)+\frac{a}{2}dx")


def test_difficulty_grows_the_formula() -> None:
    mean = {
        d: sum(len(make_formula(random.Random(i), d)[0]) for i in range(200)) / 200 for d in (1, 3)
    }
    assert mean[3] > 1.5 * mean[1]
    assert normalize_latex(" a + b ") == "a+b"


def test_every_family_renders_and_numeric_instances_are_true() -> None:
    from mmrecipe.synth.formula import _FAMILIES_BY_LEVEL, render_formula

    style = {
        "fontset": "cm",
        "font_size": 16,
        "dpi": 60,
        "color": "#000000",
        "background": "#ffffff",
        "pad": 6,
        "noise": False,
        "blur": 0.0,
    }
    for _level, families in _FAMILIES_BY_LEVEL.items():
        for name, build in families:
            for seed in range(2):
                latex = build(random.Random(seed))
                render_formula(latex, style, random.Random(0))  # mathtext parses it
                if name == "physics/kinematics":
                    nums = [int(n) for n in re.findall(r"\d+", latex)]
                    v0, t, _one, _two, a, t2, _sq, s = nums
                    assert s == v0 * t + a * t * t // 2 and t == t2, latex
                if name == "algebra/quadratic":
                    lhs, rhs = latex.split(" = ")
                    for x in range(-4, 5):
                        assert _evaluate(lhs, x) == _evaluate(rhs, x), latex


def _evaluate(side: str, x: int) -> int:
    """A polynomial as the quadratic family writes it, evaluated at ``x``."""
    py = side.replace("^{2}", "**2").replace(")(", ")*(")
    py = re.sub(r"(\d)([a-z])", r"\1*\2", py)
    py = re.sub(r"\b[a-z]\b", f"({x})", py)
    py = re.sub(r"\)\s*\(", ")*(", py)
    return eval(py)


def test_prompts_vary() -> None:
    gen = FormulaGenerator()
    prompts = {gen.make(random.Random(i), 1).question for i in range(100)}
    assert len(prompts) >= 40
