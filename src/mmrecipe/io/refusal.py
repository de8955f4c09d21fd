"""The one exception a reader turns into a reject: an image the dataset may not use.

Its own module so that ``io.base`` (the path policy) and ``io.remote`` (downloads) both raise it
without importing each other at load time.
"""

from __future__ import annotations


class ImageRefused(Exception):
    """A record names an image the dataset may not use (outside the root, a URL the recipe does
    not allow, ...): readers turn it into a reject of that record with ``reason``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
