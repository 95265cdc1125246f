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


_SINGLE_THREAD_CHILD = "BLOGPORT_TEST_SINGLE_THREAD"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "single_thread: the test forks work to a child, which blogport only does"
                            " in a process with no other thread; run where the test process has others, it"
                            " runs again in a pytest process of its own")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A ``single_thread`` test in a process where other threads run (pytest-xdist's worker,
    threads earlier tests left) runs in a fresh pytest process instead, and passes or fails there."""
    import subprocess
    import sys
    import threading

    if (pyfuncitem.get_closest_marker("single_thread") is None or threading.active_count() == 1
            or os.environ.get(_SINGLE_THREAD_CHILD)):
        return None
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
                           pyfuncitem.nodeid], cwd=PROJECT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, _SINGLE_THREAD_CHILD: "1"})
    assert done.returncode == 0, f"{pyfuncitem.nodeid} in a process of its own:\n{done.stdout[-4000:]}"
    return True
