"""Counted nouns for the summaries every stage prints: "1 page", "2 pages", "1 reply"."""

from __future__ import annotations

_IRREGULAR = {"reply": "replies", "entry": "entries", "category": "categories", "this": "these"}


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``counted(1, "page")`` -> "1 page"; ``counted(3, "page")`` -> "3 pages" (with thousands separators)."""
    if n == 1:
        return f"1 {noun}"
    return f"{n:,} {plural or _IRREGULAR.get(noun) or noun + 's'}"
