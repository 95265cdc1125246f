"""The small family of named errors every stage raises for a user's bad input or a bad source.

The CLI turns any ``BlogportError`` into one clear line on stderr and a non-zero exit code;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


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
