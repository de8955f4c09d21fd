"""Size limits on untrusted model output.

A model server is not trusted: an answer of any size must not fill memory or the run dir. Every
backend takes ``max_answer_bytes``; an answer over it fails as ``answer_too_large`` (not
retried, not cached, not transient) and only a preview of it is kept for the trace.
"""

from __future__ import annotations

from mmrecipe.backends.base import Generation

#: default ``max_answer_bytes`` of every backend: a model answer larger than this is rejected
DEFAULT_MAX_ANSWER_BYTES = 1_000_000
#: how much of a too-large answer the trace keeps
TOO_LARGE_PREVIEW_CHARS = 1000


def too_large(size: int, limit: int, preview: str = "") -> Generation:
    """The failed generation for an answer over ``max_answer_bytes`` (not retried, not cached;
    a preview of the raw text is kept for the trace)."""
    return Generation(
        texts=[preview[:TOO_LARGE_PREVIEW_CHARS]] if preview else [],
        error=f"the answer has {size} bytes, more than max_answer_bytes ({limit})",
        error_reason="answer_too_large",
    )


def limit_answer(gen: Generation, limit: int) -> Generation:
    """``gen`` itself, or an ``answer_too_large`` failure when any of its texts is over
    ``limit`` bytes (UTF-8): a server or model is untrusted, its output is size-capped."""
    if gen.error or limit <= 0:
        return gen
    for text in gen.texts:
        if len(text) * 4 > limit:  # at most 4 bytes a character: encode only when it may be over
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > limit:
                return too_large(size, limit, text)
    return gen
