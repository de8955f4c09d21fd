"""The registry's source index (which module registers which op, read without importing) agrees
with full discovery, and a recipe's load imports only its own ops' modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mmrecipe.registry as registry

RECAPTION = Path(__file__).resolve().parents[1] / "recipes" / "recaption.yaml"


def test_index_matches_discovery() -> None:
    index = registry._op_index()
    registry.discover()
    found = {name: cls.__module__ for name, cls in registry._OPS.items()}
    # other tests' plugins register ops of their own; the index covers mmrecipe.ops only
    assert {n: m for n, m in found.items() if m.startswith("mmrecipe.ops.")} == index


def test_recipe_load_imports_only_its_ops() -> None:
    code = (
        "import sys\n"
        "from mmrecipe.recipe import load_recipe\n"
        f"load_recipe({str(RECAPTION)!r}, [])\n"
        "ops = sorted(m for m in sys.modules if m.startswith('mmrecipe.ops.') and "
        "m.count('.') == 3)\n"
        "print(' '.join(ops))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert {"mmrecipe.ops.intake.image_intake", "mmrecipe.ops.generation.vlm_generate"} <= loaded
    assert "mmrecipe.ops.curation.image_consistency" not in loaded
