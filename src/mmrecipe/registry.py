"""The op registry: explicit registration by decorator, discovery by importing ``mmrecipe.ops``.

An op's parameters are its constructor's typed arguments; :func:`param_model` turns the
signature into a pydantic model so a recipe is validated before anything runs.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import typing
from dataclasses import dataclass
from typing import Any, TypeVar

import pydantic

from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import Op
from mmrecipe.suggest import did_you_mean, given_value

_OPS: dict[str, type[Op]] = {}
_DISCOVERED = False

OpT = TypeVar("OpT", bound=type[Op])


def register_op(name: str) -> typing.Callable[[OpT], OpT]:
    """Class decorator that registers an op under ``name``; a duplicate name is an error."""

    def decorate(cls: OpT) -> OpT:
        if name in _OPS and _OPS[name] is not cls:
            raise ConfigError(
                f"op name {name!r} is registered twice: {_OPS[name].__module__} and {cls.__module__}"
            )
        cls.op_name = name
        _OPS[name] = cls
        return cls

    return decorate


def discover() -> None:
    """Import every module under ``mmrecipe.ops`` so their decorators run."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    import mmrecipe.ops as ops_pkg

    for info in pkgutil.walk_packages(ops_pkg.__path__, prefix="mmrecipe.ops."):
        importlib.import_module(info.name)
    _DISCOVERED = True


def load_plugins(modules: list[str]) -> None:
    """Import user modules that register ops (recipe ``plugins:`` and ``MMRECIPE_PLUGINS``)."""
    env = [m for m in os.environ.get("MMRECIPE_PLUGINS", "").split(",") if m.strip()]
    for name in [*modules, *env]:
        where = "plugins" if name in modules else "MMRECIPE_PLUGINS"
        try:
            importlib.import_module(name.strip())
        except ConfigError:
            raise
        except Exception as exc:  # any failure of user code on import is the plugin's, one line
            first = (str(exc).splitlines() or [""])[0][:200]
            raise ConfigError(
                f"{where}: cannot import plugin module {name.strip()!r}: "
                f"{type(exc).__name__}: {first}",
                key=("plugins",) if where == "plugins" else None,
            ) from None


#: ``@register_op("name")`` as written in an op module's source
_REGISTER_LINE = re.compile(r"""@register_op\(\s*["']([^"']+)["']\s*\)""")


def _op_index() -> dict[str, str]:
    """Op name -> module, read from the sources of ``mmrecipe.ops`` without importing them, so
    a recipe imports the modules of its own ops only (not every op's libraries): start-up and
    ``mmrecipe validate`` stay fast. Any name not found here falls back to :func:`discover`."""
    import mmrecipe.ops as ops_pkg

    index: dict[str, str] = {}
    for top in ops_pkg.__path__:
        for folder, dirs, files in os.walk(top):
            rel = os.path.relpath(folder, top)
            if rel != "." and not os.path.exists(os.path.join(folder, "__init__.py")):
                dirs.clear()  # not a package: walk_packages does not import it either
                continue
            dirs.sort()
            package = "mmrecipe.ops" + ("" if rel == "." else "." + rel.replace(os.sep, "."))
            for file in sorted(files):
                if not file.endswith(".py") or file == "__init__.py":
                    continue
                try:
                    with open(os.path.join(folder, file), encoding="utf-8") as fh:
                        text = fh.read()
                except OSError:
                    continue
                for found in _REGISTER_LINE.finditer(text):
                    index.setdefault(found.group(1), f"{package}.{file[:-3]}")
    return index


_INDEX: dict[str, str] | None = None


def _import_for(name: str) -> None:
    """Import the module that registers ``name`` (when the index knows it)."""
    global _INDEX
    if _INDEX is None:
        _INDEX = _op_index()
    module = _INDEX.get(name)
    if module is not None:
        importlib.import_module(module)


def get_op(name: str) -> type[Op]:
    if name not in _OPS and not _DISCOVERED:
        _import_for(name)
    if name not in _OPS:
        discover()
    try:
        return _OPS[name]
    except KeyError:
        known = ", ".join(sorted(_OPS))
        hint = did_you_mean(name, _OPS)
        listing = " (`mmrecipe ops` lists them)" if hint else f"; known ops: {known}"
        raise ConfigError(f"unknown op {name!r}{hint}{listing}") from None


def all_ops() -> dict[str, type[Op]]:
    discover()
    return dict(sorted(_OPS.items()))


@dataclass(frozen=True)
class Param:
    name: str
    annotation: str
    default: Any
    required: bool
    doc: str


def op_params(cls: type[Op]) -> list[Param]:
    """The op's constructor parameters with their types and defaults."""
    sig = inspect.signature(cls.__init__)
    hints = typing.get_type_hints(cls.__init__)
    docs = _arg_docs(cls)
    params = []
    for pname, p in sig.parameters.items():
        if pname == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        ann = hints.get(pname, Any)
        params.append(
            Param(
                name=pname,
                annotation=_type_name(ann),
                default=None if p.default is p.empty else p.default,
                required=p.default is p.empty,
                doc=docs.get(pname, ""),
            )
        )
    return params


def param_model(cls: type[Op]) -> type[pydantic.BaseModel]:
    """A pydantic model of the op's constructor arguments (extra keys forbidden)."""
    sig = inspect.signature(cls.__init__)
    hints = typing.get_type_hints(cls.__init__)
    fields: dict[str, Any] = {}
    for pname, p in sig.parameters.items():
        if pname == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = ... if p.default is p.empty else p.default
        fields[pname] = (hints.get(pname, Any), default)
    return pydantic.create_model(
        f"{cls.__name__}Params",
        __config__=pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True),
        **fields,
    )


def build_op(op_name: str, step_name: str, params: dict[str, Any]) -> Op:
    """Validate ``params`` against the op's signature and construct it."""
    cls = get_op(op_name)
    model = param_model(cls)
    try:
        validated = model(**params)
    except pydantic.ValidationError as exc:
        problems = "; ".join(_param_problem(e, model) for e in exc.errors())
        raise ConfigError(f"step {step_name!r} (op {op_name}): {problems}") from None
    kwargs = {k: getattr(validated, k) for k in model.model_fields}
    op = cls(**kwargs)
    op.step_name = step_name
    return op


def _param_problem(error: Any, model: type[pydantic.BaseModel]) -> str:
    key = ".".join(str(x) for x in error["loc"]) or "(params)"
    if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
        # a misspelt step key (nmae, brnach) lands among the params: suggest those too
        hint = did_you_mean(key, [*model.model_fields, "name", "branch", "route", "enabled"])
        known = ", ".join(model.model_fields) or "none"
        return f"unknown parameter {key!r}{hint}" + ("" if hint else f" (parameters: {known})")
    if error["type"] == "missing":
        return f"{key} is required"
    return f"{key}: {error['msg']}{given_value(error)}"


def _type_name(ann: Any) -> str:
    if isinstance(ann, type):
        return ann.__name__
    return str(ann).replace("typing.", "")


def _arg_docs(cls: type[Op]) -> dict[str, str]:
    """Parse ``Args:`` lines of a Google-style class or __init__ docstring."""
    out: dict[str, str] = {}
    for doc in (cls.__doc__ or "", cls.__init__.__doc__ or ""):
        in_args = False
        key_indent: int | None = None
        last: str | None = None
        for line in doc.splitlines():
            stripped = line.strip()
            indent = len(line) - len(line.lstrip())
            if stripped in ("Args:", "Parameters:"):
                in_args, key_indent, last = True, None, None
                continue
            if not in_args or not stripped:
                continue
            if stripped.endswith(":") and " " not in stripped:
                in_args = False
                continue
            if last is not None and key_indent is not None and indent > key_indent:
                out[last] = f"{out[last]} {stripped}".strip()  # a description's next line
                continue
            key, sep, text = stripped.partition(":")
            key = key.split("(")[0].strip()
            if sep and key.isidentifier():
                out[key] = text.strip()
                key_indent, last = indent, key
            else:
                last = None
    return out
