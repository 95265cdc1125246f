"""One blogport run per output folder at a time.

``hold_lock(DIR)`` takes an exclusive, non-blocking ``flock`` on ``DIR/.blogport.lock`` and
writes the holder's pid inside. A second run on the same folder fails at once with
``LockedError``. The kernel drops the lock when the holder's file is closed, so it is released
on every exit, SIGKILL included; a stale lock file left behind is harmless (the pid in it is
only informative). Re-entering the lock in the same process (``migrate`` calling stages that
also lock) is allowed and counted.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kernel.errors import LockedError

LOCK_NAME = ".blogport.lock"

log = logging.getLogger(__name__)

_held: dict[str, tuple[int, int]] = {}
"""Resolved lock path -> (fd, depth) for the locks this process holds."""
_guard = threading.Lock()


def lock_path(out_dir: str | Path) -> Path:
    return Path(out_dir) / LOCK_NAME


def _holder_pid(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 64).decode("ascii", errors="replace").strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


def acquire(out_dir: str | Path) -> int:
    """Take the lock (or re-enter it); returns the lock file's descriptor."""
    path = lock_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            return fd
        # O_CLOEXEC (Python's default): child processes started by exec do not inherit it.
        fd = os.open(key, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            pid = _holder_pid(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                who = f"pid {pid}" if pid else "pid unknown"
                raise LockedError(f"another blogport run ({who}) is using {out_dir}") from None
            raise
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        _held[key] = (fd, 1)
        log.debug("locked %s", key)
        return fd


def release(out_dir: str | Path) -> None:
    key = str(lock_path(out_dir).resolve())
    with _guard:
        if key not in _held:
            return
        fd, depth = _held[key]
        if depth > 1:
            _held[key] = (fd, depth - 1)
            return
        del _held[key]
        # The file stays: unlinking it would let a waiting run lock a different inode.
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        log.debug("unlocked %s", key)


@contextmanager
def hold_lock(out_dir: str | Path) -> Iterator[Path]:
    """Hold the exclusive lock on ``out_dir`` for the ``with`` block.

    Raises ``LockedError`` ("another blogport run (pid N) is using DIR") at once when another
    process holds it.
    """
    acquire(out_dir)
    try:
        yield lock_path(out_dir)
    finally:
        release(out_dir)


def is_locked(out_dir: str | Path) -> int | None:
    """The pid holding the lock on ``out_dir`` from another process, or None when it is free."""
    path = lock_path(out_dir)
    if not path.exists():
        return None
    key = str(path.resolve())
    with _guard:
        if key in _held:
            return os.getpid()
    fd = os.open(key, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return _holder_pid(fd) or -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
