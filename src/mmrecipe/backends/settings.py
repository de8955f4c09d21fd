"""What a recipe's ``backends.NAME`` entry may hold: one settings schema per backend type.

``mmrecipe validate`` and ``mmrecipe run`` check every backend entry against the schema of its
``type`` before anything runs (names, types, ranges; unknown keys are refused with a "did you
mean"), and :func:`mmrecipe.backends.build_backend` builds backends from the checked values.

How a backend type declares its settings (no registration of the schema itself is needed):

1. Register the type: ``register_backend_type("tesseract", "pkg.module:TesseractBackend")`` in
   a plugin module (recipe ``plugins:``), or a line in :data:`mmrecipe.backends.BACKEND_TYPES`.
   The module must import cheaply (import torch, vLLM, ... inside ``__init__``): validation
   imports it to read the schema.
2. Either give the class a ``Settings`` attribute, a pydantic model of the accepted keys
   (``type`` and ``name`` excluded; extra keys are refused), or let its constructor be the
   declaration: every keyword argument after ``name`` is a setting, its type hint the check,
   its default the default (checked strictly: no ``"30"`` for a number, no ``true`` for
   an int; a hint that cannot be resolved at run time is not checked; a constructor with
   ``**kwargs`` accepts further keys unchecked). Ranges go in the hint: ``timeout_s: PositiveFloat``,
   ``batch_size: Annotated[int, pydantic.Field(ge=1)]``.

Secrets never live in a recipe: keys named like :data:`SECRET_KEYS` are refused in favour of
``api_key_env`` (the name of an environment variable), without echoing the value; a ``*_env``
setting that is not a variable name (a key pasted in its place) is refused the same way.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
import typing
from typing import Any

import pydantic

from mmrecipe.errors import ConfigError
from mmrecipe.suggest import did_you_mean, explain_validation

#: recipe keys that would hold a secret: refused everywhere in a backend entry
SECRET_KEYS = frozenset(
    {"api_key", "apikey", "key", "token", "api_token", "secret", "password", "authorization"}
)


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_secret_key(key: Any) -> bool:
    """Whether a recipe key would hold a secret (``api_key``, ``hf_token``, ``X-Api-Key``)."""
    name = str(key).lower().replace("-", "_")
    return name in SECRET_KEYS or name.endswith(
        ("_api_key", "_apikey", "_token", "_secret", "_password")
    )


def redact_secrets(data: Any) -> Any:
    """A copy of ``data`` with the value of every secret-named key replaced (for recipe.yaml)."""
    if isinstance(data, dict):
        return {k: "<redacted>" if is_secret_key(k) else redact_secrets(v) for k, v in data.items()}
    if isinstance(data, list):
        return [redact_secrets(v) for v in data]
    return data


def _secret_path(data: Any, where: str) -> str | None:
    if isinstance(data, dict):
        for k, v in data.items():
            if is_secret_key(k):
                return f"{where}.{k}"
            found = _secret_path(v, f"{where}.{k}")
            if found:
                return found
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found = _secret_path(v, f"{where}[{i}]")
            if found:
                return found
    return None


def backend_class(kind: str) -> type[Any]:
    """The class registered for backend ``type: kind`` (imported lazily)."""
    from mmrecipe.backends import BACKEND_TYPES

    module_name, _, cls_name = BACKEND_TYPES[kind].partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # a broken backend module is a configuration problem
        first = (str(exc).splitlines() or [""])[0]
        raise ConfigError(
            f"backend type {kind!r}: cannot import {module_name}: {type(exc).__name__}: {first}"
        ) from None
    return typing.cast(type[Any], getattr(module, cls_name))


@functools.cache
def settings_model(cls: type[Any]) -> type[pydantic.BaseModel]:
    """The class's ``Settings`` model, or one made from its constructor's signature."""
    declared = getattr(cls, "Settings", None)
    if isinstance(declared, type) and issubclass(declared, pydantic.BaseModel):
        return declared
    sig = inspect.signature(cls.__init__)
    hints = _hints(cls.__init__)
    fields: dict[str, Any] = {}
    for pname, p in sig.parameters.items():
        if pname in ("self", "name") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = ... if p.default is p.empty else p.default
        fields[pname] = (hints.get(pname, Any), default)
    open_ended = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
    return pydantic.create_model(
        f"{cls.__name__}Settings",
        # strict: ``concurrency: true`` or ``timeout_s: "30"`` is a mistake, not a number
        __config__=pydantic.ConfigDict(
            extra="allow" if open_ended else "forbid", arbitrary_types_allowed=True, strict=True
        ),
        **fields,
    )


def _hints(func: Any) -> dict[str, Any]:
    """Type hints of ``func``; one that cannot be resolved here (a name imported only for type
    checking, e.g. ``torch.dtype``) is left unchecked rather than breaking validation."""
    try:
        return typing.get_type_hints(func, include_extras=True)
    except Exception:
        pass
    hints: dict[str, Any] = {}
    namespace = getattr(func, "__globals__", {})
    for pname, ann in getattr(func, "__annotations__", {}).items():
        try:
            hints[pname] = (
                typing._eval_type(typing.ForwardRef(ann), namespace, None)  # type: ignore[attr-defined]
                if isinstance(ann, str)
                else ann
            )
        except Exception:
            hints[pname] = Any
    return hints


def check_backend_spec(name: str, spec: Any) -> tuple[type[Any], dict[str, Any]]:
    """Check one ``backends.NAME`` entry; return the class and its checked keyword arguments
    (only the keys the recipe gave, so the class's own defaults apply to the rest)."""
    from mmrecipe.backends import BACKEND_TYPES

    where = f"backends.{name}"
    if not isinstance(spec, dict):
        raise ConfigError(f"{where} must be a mapping with a 'type' key")
    settings = dict(spec)
    secret = _secret_path(settings, where)
    if secret:
        raise ConfigError(
            f"{secret}: secrets are never written in a recipe; put the key in an "
            "environment variable and give its name as api_key_env",
            key=("backends", name, secret.split(".")[2]),
        )
    for key, value in settings.items():
        if str(key).endswith("_env") and value is not None and not _ENV_NAME.fullmatch(str(value)):
            raise ConfigError(
                f"{where}.{key} must be the name of an environment variable (letters, digits, "
                "_), not the secret itself; the value is not shown",
                key=("backends", name, key),
            )
    kind = settings.pop("type", None)
    if kind is None:
        raise ConfigError(
            f"{where}.type is required: one of {', '.join(sorted(BACKEND_TYPES))}",
            key=("backends", name),
        )
    if not isinstance(kind, str) or kind not in BACKEND_TYPES:
        shown = kind if isinstance(kind, str) else type(kind).__name__
        raise ConfigError(
            f"{where}.type: unknown backend type {shown!r}{did_you_mean(str(kind), BACKEND_TYPES)}"
            f" (types: {', '.join(sorted(BACKEND_TYPES))})",
            key=("backends", name, "type"),
        )
    cls = backend_class(kind)
    model = settings_model(cls)
    unknown = [str(k) for k in settings if k not in model.model_fields]
    if unknown and not did_you_mean(unknown[0], model.model_fields):
        other = _owning_type(unknown[0], kind)
        if other is not None:
            verb = "is not a setting" if len(unknown) == 1 else "are not settings"
            raise ConfigError(
                f"{where}: {', '.join(unknown)} {verb} of backend type {kind!r} (but of "
                f"{other!r}); to change a backend's type, replace the whole entry: "
                f"--set '{where}={{type: {kind}, model: ...}}'",
                key=("backends", name, unknown[0]),
            )
    try:
        checked = model.model_validate(settings)
    except pydantic.ValidationError as exc:
        loc = tuple(str(x) for x in exc.errors()[0]["loc"][:1])
        raise ConfigError(
            f"{explain_validation(exc, model, where)} (backend type {kind})",
            key=("backends", name, *loc),
        ) from None
    extra = checked.model_extra or {}
    return cls, {
        k: getattr(checked, k) if k in model.model_fields else extra[k]
        for k in settings
        if k in model.model_fields or k in extra
    }


def _owning_type(key: str, kind: str) -> str | None:
    """Another backend type that accepts ``key`` (the entry's type was probably switched)."""
    from mmrecipe.backends import BACKEND_TYPES

    for other in sorted(BACKEND_TYPES):
        if other == kind:
            continue
        try:
            fields = settings_model(backend_class(other)).model_fields
        except ConfigError:
            continue
        if key in fields:
            return other
    return None


def check_backends(backends: dict[str, Any]) -> None:
    """Check every entry of a recipe's ``backends:`` section (raises ConfigError)."""
    for name, spec in backends.items():
        if isinstance(spec, dict) and "same_as" in spec:
            continue  # an alias of another entry: OpContext.resolve checks it
        try:
            check_backend_spec(name, spec)
        except ConfigError as exc:
            if exc.key is None:
                raise ConfigError(str(exc), key=("backends", name)) from None
            raise
