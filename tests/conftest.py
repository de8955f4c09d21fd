"""Shared fixtures: the tiny random LLaVA model and a ``transformers serve`` on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_llava_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random tiny LLaVA model folder (~1 MB), built once per test session."""
    pytest.importorskip("torch", reason="the tiny model needs the 'hf' extra (torch)")
    from mmrecipe.testing.tiny_models import build_tiny_llava

    return build_tiny_llava(tmp_path_factory.mktemp("tiny-llava"))


@pytest.fixture(scope="session")
def tiny_llava_server(tiny_llava_dir: Path) -> Iterator[str]:
    """``transformers serve`` serving the tiny model on a free loopback port; yields base_url."""
    pytest.importorskip("fastapi", reason="transformers serve needs transformers[serving]")
    from mmrecipe.testing.serve import transformers_serve

    with transformers_serve(tiny_llava_dir) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def tiny_stand_ins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where ``mmrecipe.testing.standins`` builds tiny experts, shared by the session's tests
    (each folder is built once and reused)."""
    pytest.importorskip("torch", reason="the tiny experts need the 'hf' extra (torch)")
    return tmp_path_factory.mktemp("tiny-stand-ins")
