"""kernel.forked.ForkedCall: a result back from a forked child, None for a failed one, and a
child ended by its parent that cleans up after itself."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kernel.forked import ForkedCall

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is not available here")


def _children() -> set[int]:
    try:
        text = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text()
    except OSError:
        return set()
    return {int(pid) for pid in text.split()}


def _pair_and_pid(a: int, b: str) -> tuple[int, str, int]:
    return a * 2, b.upper(), os.getpid()


def _fails() -> None:
    raise ValueError("wrong in the child")


def _slow_with_cleanup(marker: str) -> None:
    path = Path(marker)
    path.write_text("working")
    try:
        time.sleep(30)
    finally:
        path.unlink()


def test_the_result_comes_back_from_another_process() -> None:
    before = _children()
    call = ForkedCall(_pair_and_pid, 21, "big " * 100_000)  # bigger than a pipe's buffer
    doubled, text, pid = call.join()
    assert (doubled, len(text)) == (42, 400_000) and text.startswith("BIG ")
    assert pid != os.getpid()
    assert _children() == before


def test_a_failing_child_gives_none() -> None:
    assert ForkedCall(_fails).join() is None


def test_stop_ends_a_running_child_whose_finally_blocks_run(tmp_path: Path) -> None:
    before = _children()
    marker = tmp_path / "working"
    call = ForkedCall(_slow_with_cleanup, str(marker))
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists()
    started = time.monotonic()
    call.stop()
    assert time.monotonic() - started < 10  # ended, not waited for
    assert not marker.exists()  # the child's finally removed what it made
    assert _children() == before
    call.stop()  # a second stop is harmless
