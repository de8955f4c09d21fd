"""The record every op reads and writes.

A :class:`Sample` carries references to images (never pixels), the conversation being built,
free-form ``fields`` that ops agree on through their declared contracts, the ``scores`` that
filters measured, and a ``trace`` of raw model I/O for debugging and reports. Per-op data lives
in ``fields``/``scores``, not in the class, so new ops never change this module.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

MAIN_BRANCH = "main"


@dataclass(slots=True)
class ImageRef:
    """A reference to one image: where it is and what it is, without its pixels."""

    path: str
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    size_bytes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.as_items() if v is not None}

    def as_items(self) -> list[tuple[str, Any]]:
        return [
            ("path", self.path),
            ("sha256", self.sha256),
            ("width", self.width),
            ("height", self.height),
            ("format", self.format),
            ("size_bytes", self.size_bytes),
        ]

    @classmethod
    def from_dict(cls, data: dict[str, Any] | str) -> ImageRef:
        if isinstance(data, str):
            return cls(path=data)
        return cls(
            path=str(data["path"]),
            sha256=data.get("sha256"),
            width=data.get("width"),
            height=data.get("height"),
            format=data.get("format"),
            size_bytes=data.get("size_bytes"),
        )


@dataclass(slots=True)
class VideoRef:
    """A reference to one video: the file and its header facts, never its frames' pixels.

    ``frames`` are the frames a sampling op wrote (``{"path", "t", "index"}``: file, time in
    seconds, frame number), so trainers that take frames and trainers that take the file both
    find what they need; ``shots`` are shot boundaries ``[[start_s, end_s], ...]`` when measured.
    """

    path: str
    sha256: str | None = None
    duration: float | None = None
    fps: float | None = None
    frame_count: int | None = None
    width: int | None = None
    height: int | None = None
    codec: str | None = None
    size_bytes: int | None = None
    frames: list[dict[str, Any]] = field(default_factory=list)
    shots: list[list[float]] = field(default_factory=list)

    _KEYS = ("path", "sha256", "duration", "fps", "frame_count", "width", "height", "codec")

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in (*self._KEYS, "size_bytes")}
        out = {k: v for k, v in out.items() if v is not None}
        if self.frames:
            out["frames"] = [dict(f) for f in self.frames]
        if self.shots:
            out["shots"] = [list(s) for s in self.shots]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any] | str) -> VideoRef:
        if isinstance(data, str):
            return cls(path=data)
        return cls(
            path=str(data["path"]),
            **{k: data.get(k) for k in (*cls._KEYS[1:], "size_bytes")},
            frames=[dict(f) for f in data.get("frames") or []],
            shots=[list(s) for s in data.get("shots") or []],
        )


@dataclass(slots=True)
class Rejection:
    """Why a sample was dropped: the op (step name) that dropped it and a short reason."""

    op: str
    reason: str
    detail: str | None = None
    #: a transport failure (server error, time-out, rate limit): the next run retries it
    transient: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "reason": self.reason}
        if self.detail:
            out["detail"] = self.detail
        if self.transient:
            out["transient"] = True
        return out


@dataclass(slots=True)
class Sample:
    """One record flowing through a recipe.

    ``messages`` use the OpenAI-style shape ``{"role": "user"|"assistant"|"system",
    "content": str}``; images are attached to the sample (``images``) and referenced in user
    text with the ``<image>`` placeholder, as LLaVA and LLaMA-Factory do.
    """

    id: str
    images: list[ImageRef] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    trace: dict[str, Any] = field(default_factory=dict)
    branch: str = MAIN_BRANCH
    rejection: Rejection | None = None
    #: videos, referenced in user text with ``<video>`` (LLaMA-Factory's placeholder)
    videos: list[VideoRef] = field(default_factory=list)

    def reject(
        self, op: str, reason: str, detail: str | None = None, *, transient: bool = False
    ) -> Sample:
        """Mark the sample as dropped by ``op``; the executor sends it to ``rejects/``.
        ``transient``: a transport failure that a later run should retry."""
        self.rejection = Rejection(op=op, reason=reason, detail=detail, transient=transient)
        return self

    @property
    def rejected(self) -> bool:
        return self.rejection is not None

    def child(self, suffix: str) -> Sample:
        """A derived sample (for expand ops) with a deterministic id ``<parent>-<suffix>``."""
        return Sample(
            id=f"{self.id}-{suffix}",
            images=[ImageRef.from_dict(i.to_dict()) for i in self.images],
            messages=[dict(m) for m in self.messages],
            fields=dict(self.fields),
            scores=dict(self.scores),
            trace=dict(self.trace),
            branch=self.branch,
            videos=[VideoRef.from_dict(v.to_dict()) for v in self.videos],
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "images": [i.to_dict() for i in self.images],
            **({"videos": [v.to_dict() for v in self.videos]} if self.videos else {}),
            "messages": self.messages,
            "fields": self.fields,
            "scores": self.scores,
        }
        if self.trace:
            out["trace"] = self.trace
        if self.branch != MAIN_BRANCH:
            out["branch"] = self.branch
        if self.rejection is not None:
            out["rejection"] = self.rejection.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sample:
        rejection = data.get("rejection")
        return cls(
            id=str(data["id"]),
            images=[ImageRef.from_dict(i) for i in data.get("images", [])],
            messages=list(data.get("messages", [])),
            fields=dict(data.get("fields", {})),
            scores=dict(data.get("scores", {})),
            trace=dict(data.get("trace", {})),
            branch=data.get("branch", MAIN_BRANCH),
            rejection=Rejection(**rejection) if rejection else None,
            videos=[VideoRef.from_dict(v) for v in data.get("videos") or []],
        )


def stable_id(*parts: str) -> str:
    """A short deterministic id from the parts that identify a record in its source."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:16]
