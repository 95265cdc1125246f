"""The source table: which kind of source a SOURCE names, what each kind owns, and that a
new kind plugs in as one row."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from crawler.options import CrawlOptions
from crawler.run import SOURCES, LiveBlog, crawl
from crawler.sources import BackupFile, MirrorFolder, Source, source_for
from crawler.summary import CrawlSummary
from kernel.errors import SourceError

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"


def test_the_table_names_each_kind_once() -> None:
    names = [kind.name for kind in SOURCES]
    assert len(names) == len(set(names))
    assert {"blog", "mirror", "export"} <= set(names)
    assert [kind for kind in SOURCES if kind.live] == [LiveBlog]


def test_each_kind_detects_its_own_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "mirror"
    folder.mkdir()
    backup = tmp_path / "blog-01-02-2024.xml"
    backup.write_text("<feed/>")
    assert source_for("https://x.blogspot.com/", SOURCES) == LiveBlog("https://x.blogspot.com/")
    assert source_for("x.blogspot.com", SOURCES) == LiveBlog("https://x.blogspot.com")
    assert source_for(str(folder), SOURCES) == MirrorFolder(str(folder))
    assert source_for(str(backup), SOURCES) == BackupFile(str(backup))
    # a folder that happens to be named like a host is a mirror, not a blog on the web
    named = tmp_path / "y.blogspot.com"
    named.mkdir()
    monkeypatch.chdir(tmp_path)
    assert source_for("y.blogspot.com", SOURCES) == MirrorFolder("y.blogspot.com")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no source given"),
        ("ftp://x.blogspot.com/", "only http:// and https:// blog URLs can be crawled"),
        ("/nonexistent/folder/x", "no such file or folder, and not a blog URL"),
    ],
)
def test_what_no_kind_accepts_is_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        source_for(text, SOURCES)


def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(SourceError, match="not a Blogger export file"):
        crawl(str(other), tmp_path / "out", CrawlOptions())


def test_only_the_live_blog_owns_hosts(tmp_path: Path) -> None:
    assert LiveBlog("https://x.blogspot.com/").hosts() == frozenset({"x.blogspot.com"})
    assert MirrorFolder(str(tmp_path)).hosts() == frozenset()
    assert BackupFile(str(tmp_path / "b.xml")).hosts() == frozenset()


@dataclass(frozen=True)
class Notes:
    """A made-up kind of source: a folder of ``.notes`` files, one post each."""

    location: str
    name: ClassVar[str] = "notes"
    live: ClassVar[bool] = False

    @classmethod
    def detect(cls, text: str) -> "Notes | None":
        return cls(text) if text.endswith(".notes") else None

    def crawl(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None) -> CrawlSummary:
        return CrawlSummary(source=self.location, out_dir=str(out_dir), via=self.name, posts_found=1)

    def refresh(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None) -> CrawlSummary:
        return self.crawl(out_dir, options, settings)

    def hosts(self) -> frozenset[str]:
        return frozenset()


def test_a_new_kind_is_one_row() -> None:
    table: tuple[type[Source], ...] = (Notes, *SOURCES)  # before the bare-host rule
    found = source_for("my.notes", table)
    assert found == Notes("my.notes")
    assert found.refresh(Path("/tmp/o"), CrawlOptions()).via == "notes"
    assert source_for("https://x.blogspot.com/", table) == LiveBlog("https://x.blogspot.com/")


def test_a_backup_file_is_read_again_by_refresh(tmp_path: Path) -> None:
    path = REALDATA / "feedjira" / "OlaBinionJavaLispRubyandAI.xml"
    if not path.is_file():
        if os.environ.get("CI") == "true":
            raise AssertionError(f"{path} is missing")
        pytest.skip(f"{path} is not here (../shared/realdata)")
    source = source_for(str(path), SOURCES)
    assert isinstance(source, BackupFile)
    first = source.crawl(tmp_path, CrawlOptions())
    again = source.refresh(tmp_path, CrawlOptions())
    assert first.posts_found == again.posts_found == 25
    with sqlite3.connect(tmp_path / "blog.db") as conn:
        assert conn.execute("SELECT count(*) FROM raw_posts").fetchone() == (25,)
