"""One-line explanations of configuration mistakes: the key at fault and a "did you mean".

Every configuration error a user can make ends as one ``error: ...`` line (exit 2); these
helpers keep those lines uniform: they name the dotted key, suggest the closest valid name, and
never repeat the value that was given (it may be a secret or the contents of a file).
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable
from typing import Any

import pydantic


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'path'?"`` for the closest of ``choices``, else ``""``."""
    options = sorted({str(c) for c in choices})
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if not close:
        lowered = {o.lower(): o for o in options}
        close = [lowered[str(word).lower()]] if str(word).lower() in lowered else []
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown_key(where: str, key: str, choices: Iterable[str], what: str = "key") -> str:
    """``"unknown key 'input.pth'; did you mean 'path'? (keys: format, path, ...)"``."""
    options = sorted({str(c) for c in choices})
    full = f"{where}.{key}" if where else key
    hint = did_you_mean(key, options)
    listing = f" ({what}s: {', '.join(options)})" if options and not hint else ""
    return f"unknown {what} {full!r}{hint}{listing}"


def _model_at(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> type[Any] | None:
    """The pydantic model that validates the mapping at ``loc`` (None when it is not one)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, pydantic.BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current


def _unwrap(annotation: Any) -> Any:
    """``list[StepSpec]`` / ``StepSpec | None`` -> ``StepSpec``; other types as they are."""
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, pydantic.BaseModel):
            return arg
    return annotation


_SECRET_WORDS = ("key", "token", "secret", "password", "auth", "header", "cookie", "url")


def given_value(error: Any) -> str:
    """`` (got 'abc')``: the value a check refused, short and printable (a recipe's or a
    ``--set``'s own value, so the user sees what was parsed)."""
    if "input" not in error or isinstance(error["input"], dict | list):
        return ""
    where = " ".join(str(x).lower() for x in error.get("loc", ()))
    if any(word in where for word in _SECRET_WORDS):  # never echo what may be a credential
        return ""
    text = "".join(c for c in repr(error["input"]) if c.isprintable())
    return f" (got {text[:80]}{'...' if len(text) > 80 else ''})"


def explain_validation(
    exc: pydantic.ValidationError, model: type[pydantic.BaseModel], prefix: str = ""
) -> str:
    """One line for the first problem of ``exc`` (and how many more there are)."""
    errors = exc.errors()
    first = errors[0]
    loc = tuple(first["loc"])
    key = ".".join(str(x) for x in loc)
    where = ".".join(x for x in (prefix, key) if x)
    if first["type"] == "extra_forbidden" and loc:
        parent = _model_at(model, loc[:-1])
        choices = parent.model_fields if isinstance(parent, type) else []
        parent_key = ".".join(x for x in (prefix, *(str(p) for p in loc[:-1])) if x)
        text = unknown_key(parent_key, str(loc[-1]), choices)
    elif first["type"] == "missing":
        text = f"{where} is required"
    else:
        text = f"{where or '(top)'}: {first['msg']}{given_value(first)}"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return text
