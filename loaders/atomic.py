"""Files are never half-written: every export file goes to a temporary name in the same
folder and is moved into place with ``os.replace`` only once it is complete.

A full disk raises ``DiskFullError`` naming the file (the temporary file is removed). A run
killed part-way leaves its temporary files (``.NAME.XXXXXXXX.tmp``) behind;
``remove_stale_temps`` clears them at the start of the next run.
"""

from __future__ import annotations

import functools
import os
import random
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from kernel.errors import DiskFullError, ExportError, is_disk_full

TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")
"""What ``tempfile.mkstemp(prefix=".NAME.", suffix=".tmp")`` makes; nothing else is removed."""


@functools.cache
def file_mode() -> int:
    """The permissions every other file gets (0666 less the umask), read once."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def remove_stale_temps(folder: Path) -> int:
    """Remove the temporary files a killed run left under ``folder``; returns how many.

    Only names ``AtomicFile`` makes are touched; symlinks are neither followed nor removed.
    Call it while holding the folder's lock (no other run is writing there)."""
    removed = 0
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
        for name in names:
            if TEMP_NAME.match(name):
                path = os.path.join(root, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    try:
                        os.unlink(path)
                        removed += 1
                    except OSError:
                        pass
    return removed


def inside(root: Path, path: Path) -> Path:
    """``path`` resolved, or ExportError when it would land outside ``root``."""
    root_resolved = root.resolve()
    resolved = path.resolve()  # follows "..", symlinks included
    if resolved != root_resolved and root_resolved not in resolved.parents:
        raise ExportError(f"refusing to write {path}: it is outside the output folder {root}")
    return resolved


class AtomicFile:
    """A temporary file beside its destination; ``commit`` moves it into place.

    The destination may be chosen late (``commit(final)``), which the WXR splitter needs
    because it only knows at the end whether there is one file or several.
    """

    def __init__(self, path: Path, mode: str = "w", encoding: str | None = "utf-8", durable: bool = True) -> None:
        self.path = Path(path)
        self.durable = durable
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        except OSError as exc:
            if is_disk_full(exc):
                raise DiskFullError(self.path) from exc
            raise
        self.tmp_path = Path(tmp)
        if "b" in mode:
            self.file: IO[Any] = os.fdopen(fd, mode)
        else:
            self.file = os.fdopen(fd, mode, encoding=encoding, newline="\n")
        self.bytes_written = 0
        self._done = False

    def write(self, data: Any) -> int:
        try:
            written = self.file.write(data)
        except OSError as exc:
            if is_disk_full(exc):
                raise DiskFullError(self.path) from exc
            raise
        self.bytes_written += len(data.encode("utf-8")) if isinstance(data, str) else len(data)
        return written

    def commit(self, final: Path | None = None) -> Path:
        target = Path(final) if final is not None else self.path
        try:
            self.file.flush()
            if self.durable:
                os.fsync(self.file.fileno())
            self.file.close()
        except OSError as exc:
            if is_disk_full(exc):
                raise DiskFullError(target) from exc
            raise
        os.chmod(self.tmp_path, file_mode())
        os.replace(self.tmp_path, target)
        self._done = True
        return target

    def discard(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            self.file.close()
        except OSError:
            pass  # a full disk fails the last flush too; the file goes anyway
        finally:
            try:
                self.tmp_path.unlink()
            except FileNotFoundError:
                pass


@contextmanager
def atomic_write(path: Path, mode: str = "w", encoding: str | None = "utf-8", durable: bool = True) -> Iterator[IO[Any]]:
    """Yield a file object; on a clean exit the file replaces ``path``, on an error it is removed.

    ``durable=False`` skips the fsync (still never half-written: the rename is atomic); used for
    the many small per-post files, where an fsync each would dominate the export time."""
    handle = AtomicFile(path, mode, encoding, durable)
    try:
        yield handle.file
    except OSError as exc:
        handle.discard()
        if is_disk_full(exc):
            raise DiskFullError(path) from exc
        raise
    except BaseException:
        handle.discard()
        raise
    else:
        try:
            handle.commit()
        except BaseException:
            handle.discard()
            raise


_TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
_TEMP_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_BINARY", 0))


def _new_temp(path: str) -> tuple[int, str] | None:
    """A new temporary file beside ``path`` named as ``mkstemp`` names them (``TEMP_NAME``),
    created with the permissions ``file_mode`` gives; None when it cannot be made here (the
    caller then goes the way of ``AtomicFile``, which says why)."""
    folder, name = os.path.split(path)
    for _attempt in range(100):
        tmp = os.path.join(folder, f".{name}.{''.join(random.choices(_TEMP_CHARS, k=8))}.tmp")
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o666), tmp  # 0666 less the umask: file_mode()
        except FileExistsError:
            continue
        except FileNotFoundError:
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError:
                return None
        except OSError:
            return None
    return None


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless the file already holds exactly these bytes.

    The bytes go to a temporary file beside ``path`` with plain ``os`` calls (no file object,
    no ``chmod``: a third of the time of the many small files of an export), then replace it."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    made = _new_temp(os.fspath(path))
    if made is None:
        with atomic_write(path, "wb", None, durable=False) as fh:
            fh.write(data)
        return True
    fd, tmp = made
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and is_disk_full(exc):
            raise DiskFullError(path) from exc
        raise
    return True
