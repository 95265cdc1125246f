"""A function run in a forked child of this process, its result sent back through a pipe.

Used where a stage has two independent pieces of work and the blog is big enough to repay a
child (the export's WXR beside its Markdown, validation's check groups): the child shares the
parent's loaded modules (no start-up), opens its own resources (never the parent's connection,
whose objects it leaves alone: no garbage collection runs there) and exits with ``os._exit``.

* ``ForkedCall.possible()``: fork exists and no other thread runs (a forked child could inherit
  a lock another thread holds), except threads whose owners stop them for the moment of the
  fork (``pause_for_forks``: the live display's refresh thread).
* ``join()``: the result, or ``None`` when the child failed (the caller then does the work
  itself, which raises what went wrong as it would have without a child).
* ``stop()``: ends a child that still runs (an error or Ctrl-C in the parent) with SIGTERM,
  which the child turns into ``SystemExit`` so that ``finally`` blocks remove its temporary
  files; the child ignores Ctrl-C itself, the parent handles it. No child is left behind.

``exit_now(code)``: the end of a worker process whose work is saved, without the interpreter's
teardown.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any


def _ended(_signum: int, _frame: Any) -> None:
    raise SystemExit(1)


_PAUSERS: dict[int, tuple[Callable[[], None], Callable[[], None]]] = {}
"""Owners of one helper thread each that stop it for a fork (``pause_for_forks``)."""
_THREADS_END_S = 0.25
"""How long a fork waits for paused threads to end; past it the work is done without a child."""


def pause_for_forks(stop: Callable[[], None], restart: Callable[[], None]) -> Callable[[], None]:
    """Register the owner of one helper thread (a live display's refresh thread): a
    ``ForkedCall`` calls ``stop`` (which ends the thread) just before its fork and ``restart``
    just after it, in this process, so a child never inherits a lock that thread holds.
    Returns the call that unregisters it."""
    key = id(stop)
    _PAUSERS[key] = (stop, restart)
    return lambda: _PAUSERS.pop(key, None)


class ForkedCall:
    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.pid, self.read_fd = 0, -1
        paused = list(_PAUSERS.values())
        for stop, _restart in paused:
            stop()
        try:
            deadline = time.monotonic() + _THREADS_END_S
            while threading.active_count() > 1 and time.monotonic() < deadline:
                time.sleep(0.002)
            if threading.active_count() > 1:
                return  # a thread still runs: no child (``join`` gives None, the caller does the work)
            read_fd, write_fd = os.pipe()
            self.pid = os.fork()
            if self.pid == 0:  # the child: never returns
                os.close(read_fd)
                self._child(fn, args, write_fd)
            os.close(write_fd)
            self.read_fd = read_fd
        finally:
            for _stop, restart in paused:
                restart()

    @staticmethod
    def possible() -> bool:
        """Fork exists and no thread runs but this one and those that pause for a fork."""
        return hasattr(os, "fork") and threading.active_count() - len(_PAUSERS) <= 1

    @staticmethod
    def _child(fn: Callable[..., Any], args: tuple[Any, ...], write_fd: int) -> None:
        code = 1
        try:
            gc.disable()  # the parent's objects (its connections among them) are never collected here
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, _ended)
            view = memoryview(pickle.dumps(fn(*args)))
            while view:
                view = view[os.write(write_fd, view):]
            code = 0
        except BaseException:  # the parent does the work itself and reports what goes wrong
            code = 1
        finally:
            os._exit(code)

    def join(self) -> Any:
        """The child's result, or None when it failed (or none was started)."""
        if not self.pid:
            return None
        chunks = []
        try:
            while chunk := os.read(self.read_fd, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self.read_fd)
            self.read_fd = -1
            _pid, status = os.waitpid(self.pid, 0)
            self.pid = 0
        if os.waitstatus_to_exitcode(status) != 0 or not chunks:
            return None
        return pickle.loads(b"".join(chunks))

    def stop(self) -> None:
        """End the child if it still runs: no child is left behind."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGTERM)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = 0
        if self.read_fd >= 0:
            try:
                os.close(self.read_fd)
            except OSError:
                pass
            self.read_fd = -1


def exit_now(code: int, *, join_threads: bool = False) -> None:
    """End this process without the interpreter's teardown of every module it loaded (Scrapy,
    lxml, sqlite: tens to hundreds of milliseconds a waiting parent or shell would sit
    through), once its work is committed and closed. As at a normal exit, the exit handlers run
    and the log, standard output and error are flushed first; with ``join_threads`` its other
    non-daemon threads are waited for before that."""
    if join_threads:
        for thread in threading.enumerate():
            if thread is not threading.current_thread() and not thread.daemon:
                thread.join()
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
