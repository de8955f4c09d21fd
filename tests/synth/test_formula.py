from __future__ import annotations

import random
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
        d: sum(len(make_formula(random.Random(i), d)) for i in range(200)) / 200 for d in (1, 3)
    }
    assert mean[3] > 2 * mean[1]
    assert normalize_latex(" a + b ") == "a+b"
