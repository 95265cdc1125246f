"""kernel.forked.ForkedCall: a result back from a forked child, None for a failed one, and a
child ended by its parent that cleans up after itself."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from kernel.forked import ForkedCall, pause_for_forks

pytestmark = [pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is not available here"),
              pytest.mark.single_thread]  # a fork is refused beside other threads


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


def test_the_result_comes_back_from_another_process(tmp_path: Path) -> None:
    before = _children()
    call = ForkedCall(_pair_and_pid, 21, "big " * 100_000)  # bigger than a pipe's buffer
    doubled, text, pid = call.join()
    assert (doubled, len(text)) == (42, 400_000) and text.startswith("BIG ")
    assert pid != os.getpid()
    assert _children() == before


def test_a_failing_child_gives_none(tmp_path: Path) -> None:
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


class _Ticker:
    """A helper thread whose owner stops and restarts it, as a live display's refresh does."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.thread: threading.Thread | None = None
        self.done = threading.Event()

    def start(self) -> None:
        self.calls.append("start")
        self.done.clear()
        self.thread = threading.Thread(target=self.done.wait, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.calls.append("stop")
        self.done.set()  # the thread ends soon after, as rich's refresh thread does


def test_a_thread_that_pauses_for_forks_is_stopped_for_the_fork_and_restarted(tmp_path: Path) -> None:
    ticker = _Ticker()
    ticker.start()
    try:
        assert not ForkedCall.possible()  # an unregistered thread rules the fork out
        unregister = pause_for_forks(ticker.stop, ticker.start)
        assert ForkedCall.possible()
        doubled, _text, pid = ForkedCall(_pair_and_pid, 4, "x").join()
        assert doubled == 8 and pid != os.getpid()  # forked, not done here
        assert ticker.calls == ["start", "stop", "start"]
        assert ticker.thread is not None and ticker.thread.is_alive()  # running again
        unregister()
        assert not ForkedCall.possible()
    finally:
        ticker.stop()


def test_a_thread_that_does_not_end_means_no_child(tmp_path: Path) -> None:
    ticker = _Ticker()
    ticker.start()
    unregister = pause_for_forks(lambda: None, lambda: None)  # says it pauses, never stops its thread
    try:
        assert ForkedCall.possible()
        call = ForkedCall(_pair_and_pid, 1, "x")
        assert call.pid == 0 and call.join() is None  # no fork beside a running thread
        call.stop()
    finally:
        unregister()
        ticker.stop()

