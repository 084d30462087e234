"""Domain errors, each with a stable problem type (``/problems/<slug>``) for the API."""

from __future__ import annotations

from typing import Any


class ReadingRejected(Exception):
    """A reading that breaks a metering rule; nothing is stored."""

    def __init__(self, slug: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.slug = slug
        self.detail = detail
        self.extra = extra
