"""The generator protocol shared by every synthesis kind, and its registry."""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import random
from dataclasses import dataclass, field
from typing import Any, ClassVar

from PIL import Image

from mmrecipe.errors import ConfigError


@dataclass
class SynthItem:
    """One generated example, before it becomes a Sample.

    Single-turn items set ``question``/``answer`` (and ``rationale`` when the answer needs a
    computation); the user turn gets one ``<image>`` placeholder per image. Interleaved items
    (text -> image -> text) set ``messages`` instead: a conversation whose ``<image>``
    placeholders refer to ``images`` in order (input and produced images alike).
    """

    images: list[Image.Image]
    task: str
    ground_truth: dict[str, Any]
    question: str = ""
    answer: str = ""
    rationale: str | None = None
    messages: list[dict[str, str]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Generator:
    """Base of synthesis generators. ``make`` must depend only on ``rng`` and ``difficulty``."""

    kind: ClassVar[str] = ""
    #: the hardest level ``make`` knows; a mix asking for more gets this level
    levels: ClassVar[int] = 3
    #: ``make`` returns interleaved ``messages`` (no question/answer: no answer style)
    interleaved: ClassVar[bool] = False

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        raise NotImplementedError

    def options_key(self) -> str:
        """A stable text of the generator's options (task/style filters), part of sample ids.

        Options are the public attributes set by ``__init__``; "" when there are none.
        """
        import json

        opts = {k: v for k, v in sorted(vars(self).items()) if not k.startswith("_")}
        return json.dumps(opts, sort_keys=True, default=str) if opts else ""

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        """Re-derive the answer from ``ground_truth``; None if ``answer`` matches, else why not."""
        raise NotImplementedError

    def caption(self, ground_truth: dict[str, Any]) -> str | None:
        """What the image shows, written from ``ground_truth`` alone (caption data); None when
        this generator does not describe its images."""
        return None


def check_choices(what: str, chosen: list[str] | None, known: tuple[str, ...]) -> list[str]:
    """A generator option that picks from ``known`` (chart types, tasks, modes ...): all of
    them when None, else the chosen ones; an unknown or empty choice fails before any run."""
    if chosen is None:
        return list(known)
    bad = [c for c in chosen if c not in known]
    if bad or not chosen:
        raise ConfigError(f"unknown {what} {bad or chosen}; known: {', '.join(known)}")
    return list(chosen)


_GENERATORS: dict[str, type[Generator]] = {}
_DISCOVERED = False


def register_generator(kind: str) -> Any:
    def decorate(cls: type[Generator]) -> type[Generator]:
        if kind in _GENERATORS and _GENERATORS[kind] is not cls:
            raise ConfigError(f"synthesis generator {kind!r} is registered twice")
        cls.kind = kind
        _GENERATORS[kind] = cls
        return cls

    return decorate


def get_generator(kind: str) -> type[Generator]:
    _discover()
    try:
        return _GENERATORS[kind]
    except KeyError:
        raise ConfigError(
            f"unknown synthesis generator {kind!r}; known: {', '.join(sorted(_GENERATORS))}"
        ) from None


def all_generators() -> dict[str, type[Generator]]:
    _discover()
    return dict(sorted(_GENERATORS.items()))


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    import mmrecipe.synth as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name not in ("base", "source"):
            importlib.import_module(f"mmrecipe.synth.{info.name}")
    _DISCOVERED = True


def item_rng(seed: int, kind: str, index: int) -> random.Random:
    """The RNG of one item: a function of (seed, kind, index) only, so shards are independent."""
    digest = hashlib.sha256(f"{seed}:{kind}:{index}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))
