"""``ChildPipes``: a child process's stdout and stderr, read line by line by the one thread that
waits for the child (the crawl process, ``crawler.run``; an image download's process,
``loaders.images``), with no reader thread of their own."""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from collections import deque
from collections.abc import Iterator

#: Seconds the rest of a child's stderr is read for once its stdout has ended (a process it
#: started may hold the pipe a moment longer).
STDERR_END_S = 2.0


class ChildPipes:
    """A child's stdout and stderr, read line by line by the thread that waits for the child
    (no reader thread: a process that holds none may fork, ``kernel.forked``). Whichever pipe
    has data is read, so a child that writes much to one never blocks while this process
    waits for a line on the other; lines read ahead stay queued, in the order they came."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        self._selector = selectors.DefaultSelector()
        self._partial: dict[int, bytes] = {}
        self._queue: deque[tuple[bool, str]] = deque()
        self._stdout_fd = proc.stdout.fileno()
        self._stdout_ended = False
        for stream, is_err in ((proc.stdout, False), (proc.stderr, True)):
            self._selector.register(stream.fileno(), selectors.EVENT_READ, is_err)
            self._partial[stream.fileno()] = b""

    def next_line(self, deadline: float | None = None) -> tuple[bool, str] | None:
        """The next line, as (from stderr, text with its newline); None once every stdout
        line has been given (the child closed it: ended) or at ``deadline`` (monotonic)."""
        while True:
            if self._queue:
                return self._queue.popleft()
            if self._stdout_ended or not self._read(deadline):
                return None

    def drain(self, deadline: float) -> Iterator[tuple[bool, str]]:
        """Every line left on both pipes, until both have ended or ``deadline``."""
        while True:
            if self._queue:
                yield self._queue.popleft()
            elif not self._read(deadline):
                return

    def errors_now(self) -> list[str]:
        """The stderr lines that can be read without waiting (queued stdout lines stay)."""
        while self._read(time.monotonic()):
            pass
        lines = [line for is_err, line in self._queue if is_err]
        self._queue = deque(item for item in self._queue if not item[0])
        return lines

    def _read(self, deadline: float | None) -> bool:
        """Read what a pipe holds (waiting up to ``deadline``); False when nothing came."""
        if not self._selector.get_map():
            return False
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        events = self._selector.select(timeout)
        for key, _mask in events:
            fd, is_err = key.fd, bool(key.data)
            data = os.read(fd, 1 << 16)
            if data:
                *lines, self._partial[fd] = (self._partial[fd] + data).split(b"\n")
                self._queue.extend((is_err, _text(line) + "\n") for line in lines)
                continue
            self._selector.unregister(fd)  # the end of this pipe
            if self._partial[fd]:
                self._queue.append((is_err, _text(self._partial[fd]) + "\n"))
                self._partial[fd] = b""
            if fd == self._stdout_fd:
                self._stdout_ended = True
        return bool(events)

    def close(self) -> None:
        self._selector.close()


def _text(line: bytes) -> str:
    return line.decode("utf-8", "replace").removesuffix("\r")
