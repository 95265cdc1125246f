"""What the validation report fails on: a value of its own, so that a command that does not
validate (``migrate --no-validate``) does not import the checks to name its defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ValidateOptions:
    max_errors: int = 0
    """Exit 1 when more errors than this are found."""
    max_warnings: int | None = None
    """Exit 1 when more warnings than this are found; None: warnings never fail."""
