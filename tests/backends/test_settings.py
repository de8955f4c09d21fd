"""Backend settings schemas: derived from a constructor or declared, checked before a build,
and open to new backend types registered by name."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from mmrecipe.backends import BACKEND_TYPES, build_backend, register_backend_type
from mmrecipe.backends.settings import check_backend_spec, redact_secrets
from mmrecipe.errors import ConfigError


class EchoBackend:
    """A backend type from outside the core, declaring its settings with a pydantic model."""

    class Settings(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="forbid")
        lang: str = "eng"
        psm: int = pydantic.Field(default=3, ge=0, le=13)

    def __init__(self, name: str, lang: str = "eng", psm: int = 3) -> None:
        self.name, self.lang, self.psm = name, lang, psm


class PlainBackend:
    """Settings come from the constructor: hints and defaults."""

    def __init__(self, name: str, model: str, workers: pydantic.PositiveInt = 2) -> None:
        self.name, self.model, self.workers = name, model, workers


class LooseBackend:
    """A hint that only resolves for type checkers, and ``**kwargs``."""

    def __init__(self, name: str, dtype: NotImportedHere = None, **engine: Any) -> None:  # type: ignore[name-defined]  # noqa: F821
        self.name, self.dtype, self.engine = name, dtype, engine


@pytest.fixture
def extra_types() -> Any:
    register_backend_type("echo", f"{__name__}:EchoBackend")
    register_backend_type("plain", f"{__name__}:PlainBackend")
    register_backend_type("loose", f"{__name__}:LooseBackend")
    yield
    for kind in ("echo", "plain", "loose"):
        BACKEND_TYPES.pop(kind)


def test_new_types_plug_in_with_their_schema(extra_types: Any) -> None:
    backend = build_backend("ocr", {"type": "echo", "psm": "6"})
    assert isinstance(backend, EchoBackend) and backend.psm == 6
    with pytest.raises(ConfigError, match=r"backends\.ocr\.psm"):
        check_backend_spec("ocr", {"type": "echo", "psm": 99})
    with pytest.raises(ConfigError, match="did you mean 'lang'"):
        check_backend_spec("ocr", {"type": "echo", "lagn": "deu"})
    assert build_backend("p", {"type": "plain", "model": "m"}).workers == 2
    with pytest.raises(ConfigError, match=r"backends\.p\.model is required"):
        check_backend_spec("p", {"type": "plain"})
    with pytest.raises(ConfigError, match=r"backends\.p\.workers"):
        check_backend_spec("p", {"type": "plain", "model": "m", "workers": 0})
    loose = build_backend("l", {"type": "loose", "dtype": "bf16", "steps": 4})
    assert loose.dtype == "bf16" and loose.engine == {"steps": 4}


def test_core_types_check_ranges_without_importing_engines() -> None:
    spec = {"type": "openai", "model": "m", "base_url": "http://x", "timeout_s": 0}
    with pytest.raises(ConfigError, match="timeout_s"):
        check_backend_spec("mllm", spec)
    with pytest.raises(ConfigError, match="batch_size"):
        check_backend_spec("local", {"type": "transformers", "model": "m", "batch_size": 0})
    with pytest.raises(ConfigError, match="gpu_memory_utilization"):
        check_backend_spec("gpu", {"type": "vllm", "model": "m", "gpu_memory_utilization": 1.5})
    with pytest.raises(ConfigError, match="concurrency"):
        check_backend_spec("mllm", {**spec, "timeout_s": 5, "concurrency": True})
    _, kwargs = check_backend_spec("mllm", {**spec, "timeout_s": 30})
    assert kwargs == {"model": "m", "base_url": "http://x", "timeout_s": 30}


def test_secrets_are_refused_and_redacted() -> None:
    spec = {"type": "openai", "model": "m", "base_url": "u", "extra_body": {"hf_token": "S3CRET"}}
    with pytest.raises(ConfigError) as err:
        check_backend_spec("mllm", spec)
    assert "extra_body.hf_token" in str(err.value) and "S3CRET" not in str(err.value)
    assert redact_secrets({"b": {"api_key": "S3CRET", "max_tokens": 5}}) == {
        "b": {"api_key": "<redacted>", "max_tokens": 5}
    }


def test_recipe_yaml_in_the_run_dir_holds_no_secret(tmp_path: Any) -> None:
    from mmrecipe.recipe import Recipe
    from mmrecipe.rundir import RunDir

    recipe = Recipe(backends={"m": {"type": "openai", "headers": {"Authorization": "Bearer S3"}}})
    layout = RunDir(tmp_path / "run")
    layout.create()
    layout.write_recipe(recipe)
    assert "Bearer S3" not in layout.recipe_file.read_text()
