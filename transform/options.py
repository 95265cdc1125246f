"""Options of the transform stage."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TransformOptions:
    language: str | None = None
    """Language of the displayed dates ("en", "es", "de"...); None: from the pages."""
    timezone: str | None = None
    """IANA name or "+HH:MM"; None: the offset seen in the blog's own ISO timestamps."""
