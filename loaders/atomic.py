"""Files are never half-written: every export file goes to a temporary name in the same
folder and is moved into place with ``os.replace`` only once it is complete."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from kernel.errors import ExportError


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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        self.tmp_path = Path(tmp)
        if "b" in mode:
            self.file: IO[Any] = os.fdopen(fd, mode)
        else:
            self.file = os.fdopen(fd, mode, encoding=encoding, newline="\n")
        self.bytes_written = 0
        self._done = False

    def write(self, data: Any) -> int:
        written = self.file.write(data)
        self.bytes_written += len(data.encode("utf-8")) if isinstance(data, str) else len(data)
        return written

    def commit(self, final: Path | None = None) -> Path:
        target = Path(final) if final is not None else self.path
        self.file.flush()
        if self.durable:
            os.fsync(self.file.fileno())
        self.file.close()
        os.chmod(self.tmp_path, 0o644)
        os.replace(self.tmp_path, target)
        self._done = True
        return target

    def discard(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            self.file.close()
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
    except BaseException:
        handle.discard()
        raise
    else:
        handle.commit()


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless the file already holds exactly these bytes."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    with atomic_write(path, "wb", None, durable=False) as fh:
        fh.write(data)
    return True
