"""Recipes: a YAML file (or Python objects) naming an input, a list of ops, outputs and backends.

```yaml
name: curate-folder
input: {format: image_folder, path: ./images}
ops:
  - {op: image_intake, name: intake, max_pixels: 100_000_000}
  - {op: exact_dedup}
output: {formats: [llava]}
```

Every key can be overridden with a dotted path (``--set ops.intake.max_pixels=5e7``); entries of
``ops`` are addressed by their ``name`` (or index). Op parameters are checked against the op's
constructor signature before anything runs.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import pydantic

from mmrecipe.errors import ConfigError

# the checks stay importable from here (they moved to recipe_checks.py, issue 25)
from mmrecipe.recipe_checks import check_recipe as check_recipe
from mmrecipe.recipe_checks import check_settings as check_settings
from mmrecipe.safe_yaml import key_line, load_override_value, load_yaml, read_yaml_file
from mmrecipe.sample import MAIN_BRANCH
from mmrecipe.suggest import did_you_mean, explain_validation

STEP_KEYS = {"op", "name", "branch", "route", "enabled"}
#: backend keys that change how a model is reached, not what it answers: a resume may change them
_OPERATIONAL_BACKEND_KEYS = {
    "base_url",
    "concurrency",
    "timeout_s",
    "api_key_env",
    "max_retries",
    "server",
    "backoff_s",
    "max_backoff_s",
    "connect_timeout_s",
}


class StepSpec(pydantic.BaseModel):
    """One step: an op, its name in this recipe, the branch it serves and its routes."""

    model_config = pydantic.ConfigDict(extra="forbid")

    op: str
    name: str
    #: the step only sees samples on this branch
    branch: str = MAIN_BRANCH
    #: reject reason (or "*") -> branch: such samples continue on that branch instead of rejects/
    route: dict[str, str] = pydantic.Field(default_factory=dict)
    #: false: the step is validated but skipped (ablations a recipe ships switched off)
    enabled: bool = True
    params: dict[str, Any] = pydantic.Field(default_factory=dict)


class InputSpec(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    #: image_folder | llava | sharegpt | openai | parquet | coco | samples | auto
    format: str = "auto"
    path: str | None = None
    #: the dataset root: relative image paths are resolved against it, and no image may lie
    #: outside it (default: the dataset file's folder; a run dir for a file inside one); a
    #: list allows several folders (relative paths are resolved against the first)
    image_root: str | list[str] | None = None
    #: let records name images outside the root (absolute paths, ``..``, symlinks out)
    allow_outside_root: bool = False
    #: download ``http(s)://`` images into the run dir (else such records are rejected)
    allow_remote: bool = False
    #: size cap and time-out of each download
    remote_max_bytes: int = pydantic.Field(default=50 * 1024 * 1024, ge=1)
    remote_timeout_s: float = pydantic.Field(default=30.0, gt=0)
    #: downloads in flight at once (JSON/JSONL readers)
    remote_concurrency: int = pydantic.Field(default=16, ge=1)
    #: let URLs reach loopback, private, link-local and reserved addresses (an image server
    #: on your own network); by default such a URL is rejected (``private_address``)
    allow_private_hosts: bool = False
    #: the cap on one member of a dataset's container (a WebDataset tar member): a larger one
    #: is one reject (``member_too_large``), never read
    member_max_bytes: int = pydantic.Field(default=50 * 1024 * 1024, ge=1)
    #: reader-specific options (e.g. recursive, extensions)
    options: dict[str, Any] = pydantic.Field(default_factory=dict)
    #: a random, deterministic subset: {n: 15000, seed: 0} (``--limit`` takes the first N)
    sample: SampleSpec | None = None


class SampleSpec(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    #: how many input samples to keep
    n: int = pydantic.Field(ge=1)
    #: another seed, another subset; the same seed, the same subset on every rerun
    seed: int = 0


class OutputSpec(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    #: the first goes to data/, others to data/<format>/
    formats: list[str] = pydantic.Field(default_factory=lambda: ["llava"])
    #: sample fields copied into each output record when present
    keep_fields: list[str] = pydantic.Field(default_factory=lambda: ["domain", "source"])
    #: images in assistant turns, for formats whose trainers take none: skip (the sample is
    #: left out of that format, counted in stats.json) | move_to_user (before the answer)
    assistant_images: str = "skip"
    #: per-format writer options, e.g. {openai: {embed_images: true}, llava: {system: fold}}
    options: dict[str, dict[str, Any]] = pydantic.Field(default_factory=dict)

    def writer_options(self, fmt: str) -> dict[str, Any]:
        """What the writer of ``fmt`` gets: its own options over the shared ones."""
        return {"assistant_images": self.assistant_images, **self.options.get(fmt, {})}


class ExecutorSpec(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    #: "local" (this machine) or "ray" (a Ray cluster: pip install 'mmrecipe[ray]')
    type: Literal["local", "ray"] = "local"
    #: ray only: the cluster to join (default: $RAY_ADDRESS, else a Ray started on this machine)
    address: str | None = None
    #: ray only: actors per phase that calls models (each keeps its backends across shards;
    #: default: one per shard in flight)
    actors: int | None = pydantic.Field(default=None, ge=1)
    #: samples per shard: the unit of atomic output and resume
    shard_size: int = pydantic.Field(default=1000, ge=1)
    #: shards processed concurrently (bounds memory: about shards_in_flight * shard_size samples)
    shards_in_flight: int = pydantic.Field(default=2, ge=1)
    #: default samples per op call (I/O-bound ops get a whole shard so requests overlap)
    batch_size: int = pydantic.Field(default=64, ge=1)
    #: samples that flow together through consecutive I/O-bound steps (model calls): a chunk
    #: goes on to the next step as soon as its own answers are in
    io_chunk_size: int = pydantic.Field(default=64, ge=1)
    #: threads for CPU-bound ops (default: number of cores)
    cpu_threads: int | None = None


class Recipe(pydantic.BaseModel):
    """A validated recipe. Build from YAML with :func:`load_recipe` or in Python directly."""

    model_config = pydantic.ConfigDict(extra="forbid")

    name: str = "recipe"
    description: str = ""
    #: importable modules that register extra ops (your own ``@register_op`` classes)
    plugins: list[str] = pydantic.Field(default_factory=list)
    input: InputSpec = pydantic.Field(default_factory=InputSpec)
    ops: list[StepSpec] = pydantic.Field(default_factory=list)
    output: OutputSpec = pydantic.Field(default_factory=OutputSpec)
    executor: ExecutorSpec = pydantic.Field(default_factory=ExecutorSpec)
    backends: dict[str, dict[str, Any]] = pydantic.Field(default_factory=dict)

    @pydantic.model_validator(mode="after")
    def _unique_step_names(self) -> Recipe:
        seen: set[str] = set()
        for step in self.ops:
            if step.name in seen:
                raise ValueError(f"two steps are named {step.name!r}; give one a different name")
            seen.add(step.name)
        return self

    def active_steps(self) -> list[StepSpec]:
        """The steps that run (``enabled: false`` ones are left out)."""
        return [s for s in self.ops if s.enabled]

    def to_yaml_dict(self) -> dict[str, Any]:
        """The recipe in its YAML shape (params inline in each step)."""
        data = self.model_dump(mode="json")
        data["ops"] = [_flatten_step(s) for s in data["ops"]]
        return data

    def fingerprint(self, extra: dict[str, Any] | None = None) -> str:
        """What decides the output: changes invalidate finished shards (the cache stays)."""
        data = self.to_yaml_dict()
        data.pop("description", None)
        data["executor"] = {"shard_size": self.executor.shard_size}
        data["backends"] = {
            name: {k: v for k, v in spec.items() if k not in _OPERATIONAL_BACKEND_KEYS}
            for name, spec in self.backends.items()
        }
        data["extra"] = extra or {}
        blob = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]


#: top-level keys a recipe file may hold (a file with none of them is not a recipe)
_FILE_KEYS = {*Recipe.model_fields, "extends", "overrides"}


def step(
    op: str,
    name: str | None = None,
    *,
    branch: str = MAIN_BRANCH,
    route: dict[str, str] | None = None,
    enabled: bool = True,
    **params: Any,
) -> StepSpec:
    """Build a step in Python: ``step("image_intake", max_pixels=50_000_000)``."""
    return StepSpec(
        op=op, name=name or op, branch=branch, route=route or {}, enabled=enabled, params=params
    )


def _flatten_step(step_data: dict[str, Any]) -> dict[str, Any]:
    out = {k: step_data[k] for k in ("op", "name")}
    if step_data.get("branch", MAIN_BRANCH) != MAIN_BRANCH:
        out["branch"] = step_data["branch"]
    if step_data.get("route"):
        out["route"] = step_data["route"]
    if step_data.get("enabled") is False:
        out["enabled"] = False
    out.update(step_data.get("params", {}))
    return out


def _normalize_step(raw: Any, index: int) -> dict[str, Any]:
    if isinstance(raw, str):
        raw = {"op": raw}
    if not isinstance(raw, dict) or "op" not in raw:
        got = "a mapping without 'op'" if isinstance(raw, dict) else type(raw).__name__
        raise ConfigError(
            f"ops[{index}] must be a mapping with an 'op' key, got {got}", key=("ops", index)
        )
    raw = dict(raw)
    params = raw.pop("params", {}) or {}
    if not isinstance(params, dict):
        raise ConfigError(
            f"ops[{index}].params must be a mapping, not {type(params).__name__}",
            key=("ops", index, "params"),
        )
    params = dict(params)
    for key in list(raw):
        if key not in STEP_KEYS:
            params[key] = raw.pop(key)
    raw.setdefault("name", raw["op"])
    raw["params"] = params
    return raw


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"ops.qc.min_sum=8"`` -> (["ops", "qc", "min_sum"], 8); values are parsed as YAML."""
    if "=" not in text:
        raise ConfigError(f"--set expects KEY=VALUE, got {text!r}")
    key, _, value = text.partition("=")
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ConfigError(f"--set has an empty key in {text!r}")
    # the recipe loader's limits (depth, alias expansion): a --set value is YAML too
    parsed = load_override_value(value, f"--set {'.'.join(parts)}") if value.strip() else ""
    return parts, parsed


def apply_override(data: dict[str, Any], path: list[str], value: Any) -> None:
    """Set ``value`` at ``path`` in the raw recipe dict; ``ops`` entries go by name or index."""
    node: Any = data
    for depth, part in enumerate(path[:-1]):
        if isinstance(node, list):
            node = _find_step(node, part, path[: depth + 1])
            continue
        if not isinstance(node, dict):
            raise ConfigError(
                f"cannot set {'.'.join(path)}: {'.'.join(path[:depth])} is not a mapping"
            )
        if "op" in node and "params" in node and part not in STEP_KEYS:
            node = node["params"]  # a key inside a mapping parameter: ops.gate.minimums.x=5
        if part not in node or node[part] is None:
            node[part] = {}
        node = node[part]
    last = path[-1]
    if isinstance(node, list):
        raise ConfigError(f"cannot replace a whole step with --set {'.'.join(path)}")
    if not isinstance(node, dict):
        raise ConfigError(f"cannot set {'.'.join(path)}: its parent is not a mapping")
    if "op" in node and "params" in node and last not in STEP_KEYS:
        node["params"][last] = value
    else:
        node[last] = value


def _find_step(steps: list[Any], key: str, where: list[str]) -> dict[str, Any]:
    for s in steps:
        if isinstance(s, dict) and s.get("name") == key:
            return s
    if key.isdigit() and int(key) < len(steps):
        return steps[int(key)]
    names = [str(s.get("name")) for s in steps if isinstance(s, dict)]
    raise ConfigError(
        f"no step named {key!r} for --set {'.'.join(where)}{did_you_mean(key, names)}"
        f" (steps: {', '.join(names)})"
    )


def recipe_from_dict(
    raw: dict[str, Any],
    overrides: list[str] | None = None,
    *,
    base_overrides: list[tuple[list[str], Any]] | None = None,
    values: dict[str, Any] | None = None,
) -> Recipe:
    """Validate a raw recipe mapping, after applying a child recipe's ``overrides:``
    (``base_overrides``), then the command line's ``--set`` overrides, then ``values``
    (dotted key -> value, set as given: paths from options are never parsed as YAML)."""
    if not isinstance(raw, dict):
        raise ConfigError("a recipe must be a YAML mapping with at least an 'ops' list")
    data = copy.deepcopy(raw)
    steps = data.get("ops") or []
    if not isinstance(steps, list):
        raise ConfigError(f"ops: must be a list of steps, not {type(steps).__name__}", key=("ops",))
    data["ops"] = [_normalize_step(s, i) for i, s in enumerate(steps)]
    for path, value in base_overrides or []:
        apply_override(data, path, value)
    for text in overrides or []:
        path, value = parse_override(text)
        apply_override(data, path, value)
    for key, value in (values or {}).items():
        apply_override(data, key.split("."), value)
    try:
        recipe = Recipe.model_validate(data)
    except pydantic.ValidationError as exc:
        loc = tuple(exc.errors()[0]["loc"])
        raise ConfigError(explain_validation(exc, Recipe), key=loc) from None
    return recipe


def load_recipe(
    path: str | Path, overrides: list[str] | None = None, values: dict[str, Any] | None = None
) -> Recipe:
    """Read a recipe YAML file and validate it (ops and backends included).

    ``overrides`` are ``--set KEY=VALUE`` texts (values parsed as YAML); ``values`` maps dotted
    keys to values set as given (``{"input.path": "dir/my #1"}``).

    A recipe may start from another: ``extends: other.yaml`` (relative to this file) takes
    that recipe whole, this file's top-level keys replace the other's, and ``overrides:`` maps
    dotted keys to values exactly as ``--set`` does (``ops.domain.values: {domain: ocr}``).
    """
    try:
        raw, base_overrides = _read_extended(Path(path), [])
        recipe = recipe_from_dict(raw, overrides, base_overrides=base_overrides, values=values)
        check_recipe(recipe)
    except ConfigError as exc:
        touched = {
            p.split(".")[0].split("=")[0].strip() for p in [*(overrides or []), *(values or {})]
        }
        where = None if exc.key is None or exc.key[0] in touched else _locate(Path(path), exc.key)
        if where is None:
            raise
        raise ConfigError(f"{exc} [{where}]", key=exc.key) from None
    return recipe


def _locate(path: Path, key: tuple[str | int, ...]) -> str | None:
    """``"recipe.yaml, line 12"``: where the file (or the one it extends) sets ``key``."""
    for _ in range(16):
        try:
            text = path.read_text(encoding="utf-8")
            line = key_line(text, key)
            if line is not None:
                return f"{path}, line {line}"
            base = load_yaml(text)
        except (OSError, UnicodeDecodeError, ConfigError):
            return None
        if not isinstance(base, dict) or not isinstance(base.get("extends"), str):
            return None
        path = path.parent / base["extends"]
    return None


def _read_extended(
    path: Path, chain: list[Path]
) -> tuple[dict[str, Any], list[tuple[list[str], Any]]]:
    if not path.is_file():
        raise ConfigError(f"recipe file not found: {path}")
    if path.resolve() in chain:
        raise ConfigError(f"recipe {path} extends itself (through {chain[-1].name})")
    raw = read_yaml_file(path) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} is not a valid recipe: not a YAML mapping")
    if raw and not any(isinstance(k, str) and k in _FILE_KEYS for k in raw):
        raise ConfigError(f"{path} is not a valid recipe: none of its keys is a recipe key")
    own = raw.pop("overrides", None) or {}
    if not isinstance(own, dict):
        raise ConfigError(f"{path}: overrides: must map dotted keys to values")
    base = raw.pop("extends", None)
    if base is not None and not isinstance(base, str):
        raise ConfigError(f"{path}: extends: must name one recipe file")
    if base is None:
        if own:
            raise ConfigError(f"{path}: overrides: needs extends: (the recipe it changes)")
        return raw, []
    parent, parent_overrides = _read_extended(path.parent / str(base), [*chain, path.resolve()])
    parent.update(raw)
    return parent, parent_overrides + [(k.split("."), v) for k, v in own.items()]


InputSpec.model_rebuild()
