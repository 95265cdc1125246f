"""Shared test helpers. Real data lives in ../shared/realdata beside the project checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
REALDATA = PROJECT.parent / "shared" / "realdata"
SEEDS = PROJECT.parent / "shared" / "seeds"


def realdata_path(relative: str) -> Path:
    """Path of a real-data file, or skip the test with a clear reason when it is absent."""
    path = REALDATA / relative
    if not path.exists():
        reason = f"real data not available: {path} (needs ../shared/realdata beside the checkout)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; in CI it is always there, so tests that need it must run")
        pytest.skip(reason)
    return path


def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed posts not available: {SEEDS} (needs ../shared/seeds beside the checkout)")
    return SEEDS
