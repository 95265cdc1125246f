"""The small family of named errors every stage raises for a user's bad input or a bad source.

The CLI turns any ``BlogportError`` into one clear line on stderr and a non-zero exit code;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import os


class BlogportError(Exception):
    """Base: a problem the user can act on. ``transient`` says whether retrying may help."""

    exit_code = 2
    transient = False


class SourceError(BlogportError):
    """The source is not something blogport can read: not a blog it knows, a missing folder or file."""


class UnreachableError(SourceError):
    """The blog's host cannot be reached (DNS, refused connection, timeout)."""

    transient = True


class UnsafeXMLError(SourceError):
    """An export or feed file declares entities (billion laughs, external entities) or is not XML."""


class ArchiveError(BlogportError):
    """``DIR/blog.db`` is missing, not an archive, or from an incompatible version."""


class LockedError(BlogportError):
    """Another blogport run holds the lock on this output folder."""

    transient = True


class ExportError(BlogportError):
    """An export could not be written (bad option, unwritable folder)."""


class DiskFullError(BlogportError):
    """The disk filled up while writing a file; whatever was stored before is intact."""

    transient = True

    def __init__(self, path: object, device: str | None = None) -> None:
        self.path = str(path)
        self.device = device or device_of(self.path)
        super().__init__(
            f"no space left on {self.device} while writing {self.path}; nothing was lost,"
            " free some space and run the same command again"
        )

    def __reduce__(self) -> tuple[type, tuple[str, str]]:  # crosses process pools intact
        return (DiskFullError, (self.path, self.device))


class InterruptedRun(BlogportError):
    """The person pressed Ctrl-C (or the run got SIGINT/SIGTERM); what was stored is kept."""

    exit_code = 130

    def __init__(self, stage: str | None = None) -> None:
        self.stage = stage
        super().__init__("interrupted: run the same command again to resume")

    def __reduce__(self) -> tuple[type, tuple[str | None]]:
        return (InterruptedRun, (self.stage,))


def no_archive_message(path: object, out_dir: object) -> str:
    """The one wording every command uses when DIR/blog.db does not exist yet."""
    return f"no archive at {path}: run `blogport crawl SOURCE -o {out_dir}` (or `blogport migrate`) first"


def device_of(path: object) -> str:
    """The file system holding ``path``, as people know it: "/dev/sda1 (mounted on /)"."""
    current = os.path.abspath(str(path))
    while not os.path.exists(current) and os.path.dirname(current) != current:
        current = os.path.dirname(current)
    try:
        dev = os.stat(current).st_dev
        while os.path.dirname(current) != current and os.stat(os.path.dirname(current)).st_dev == dev:
            current = os.path.dirname(current)
    except OSError:
        return "the disk"
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as mounts:
            for line in mounts:
                parts = line.split()
                if len(parts) >= 2 and parts[1].replace("\\040", " ") == current:
                    return f"{parts[0]} (mounted on {current})"
    except OSError:
        pass
    return f"the disk mounted on {current}"


def is_disk_full(exc: BaseException) -> bool:
    """An OSError ENOSPC/EDQUOT, or SQLite's "database or disk is full"."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return "database or disk is full" in str(exc)
