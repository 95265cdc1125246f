"""What blogport can read a blog from: the ``Source`` protocol and the sources that are files.

A source is one kind of place a blog's pages or posts come from. Each kind is a class with:

* ``detect(text)`` (classmethod): the source named by ``text`` (what the user typed as
  SOURCE), or None when ``text`` does not name a source of this kind;
* ``crawl(out_dir, options, settings=None)``: the full crawl into ``out_dir/blog.db``
  (resuming what an interrupted one stored), returning a ``CrawlSummary``;
* ``refresh(out_dir, options, settings=None)``: what ``sync`` runs: plan what changed since
  the archive was filled and fetch only that (a file is simply read again);
* ``hosts()``: the hosts the source owns; no request ever leaves them (empty for files);
* ``name`` (a short name of the kind) and ``live`` (whether it is read over HTTP).

The sources are tried in the order of the table ``crawler.run.SOURCES``; a new kind (a web
archive, another platform) is one class in its own module and one row in that table. This
module holds the protocol and the file sources: a saved mirror folder (``crawler.mirror``)
and a Blogger "Back up content" file (``crawler.backup_file``); the live blog is
``crawler.run.LiveBlog``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from crawler.backup_file import read_backup
from crawler.options import CrawlOptions
from crawler.summary import CrawlSummary
from kernel.archive import Archive, utc_now
from kernel.errors import SourceError

#: File name endings of a Blogger backup file.
BACKUP_SUFFIXES = (".xml", ".atom")


class Source(Protocol):
    """One place a blog comes from (see the module docstring)."""

    name: ClassVar[str]
    live: ClassVar[bool]
    location: str

    @classmethod
    def detect(cls, text: str) -> "Source | None": ...

    def crawl(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None) -> CrawlSummary: ...

    def refresh(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None) -> CrawlSummary: ...

    def hosts(self) -> frozenset[str]: ...


def _path(text: str) -> Path | None:
    text = text.strip()
    if not text or "://" in text:
        return None
    return Path(text).expanduser()


@dataclass(frozen=True)
class MirrorFolder:
    """A saved copy of the blog's pages (wget, HTTrack)."""

    location: str
    name: ClassVar[str] = "mirror"
    live: ClassVar[bool] = False

    @classmethod
    def detect(cls, text: str) -> "MirrorFolder | None":
        path = _path(text)
        return cls(str(path)) if path is not None and path.is_dir() else None

    def crawl(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None) -> CrawlSummary:
        from crawler.mirror import crawl_mirror  # Scrapy's responses: imported for a mirror only (start-up)

        return crawl_mirror(Path(self.location), Path(out_dir), options)

    def refresh(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None) -> CrawlSummary:
        return self.crawl(out_dir, options, settings)  # read again: nothing is fetched

    def hosts(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True)
class BackupFile:
    """A Blogger "Back up content" file (``blog-MM-DD-YYYY.xml``)."""

    location: str
    name: ClassVar[str] = "export"
    live: ClassVar[bool] = False

    @classmethod
    def detect(cls, text: str) -> "BackupFile | None":
        path = _path(text)
        if path is None or not path.is_file() or path.suffix.lower() not in BACKUP_SUFFIXES:
            return None
        return cls(str(path))

    def crawl(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None) -> CrawlSummary:
        path = Path(self.location)
        started = time.monotonic()
        with Archive.in_dir(out_dir) as archive:
            result = read_backup(path, archive, limit=options.limit)
            archive.set_meta("source", {"source": str(path.resolve()), "via": self.name, "at": utc_now()})
        counts = result.as_dict()
        errors = int(counts.get("issues", 0))
        return CrawlSummary(
            source=str(path),
            out_dir=str(out_dir),
            via=self.name,
            posts_found=int(counts.get("posts", 0)) + int(counts.get("pages", 0)),
            comments_found=int(counts.get("comments", 0)),
            errors=errors,
            issues=errors,
            bytes_downloaded=int(counts.get("size", 0)),
            elapsed_s=time.monotonic() - started,
            details=tuple(result.summary_lines()),
        )

    def refresh(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None) -> CrawlSummary:
        return self.crawl(out_dir, options, settings)

    def hosts(self) -> frozenset[str]:
        return frozenset()


def refusal(text: str) -> SourceError:
    """Why ``text`` names no source any row of the table accepts."""
    text = text.strip()
    if not text:
        return SourceError("no source given: pass a blog URL, a saved mirror folder or a Blogger export file")
    if "://" in text:
        return SourceError(f"{text}: only http:// and https:// blog URLs can be crawled")
    path = Path(text).expanduser()
    if path.is_file():
        return SourceError(
            f"{text}: not a Blogger export file (.xml or .atom); pass a blog URL, a saved mirror folder or an export file"
        )
    return SourceError(f"{text}: no such file or folder, and not a blog URL")


def source_for(text: str, table: tuple[type[Source], ...]) -> Source:
    """The first source of ``table`` that ``text`` names; ``SourceError`` when none does."""
    for kind in table:
        found = kind.detect(text)
        if found is not None:
            return found
    raise refusal(text)
