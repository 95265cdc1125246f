"""The stage end to end on a real SQLite archive."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from kernel.archive import Archive
from kernel.errors import ArchiveError, BlogportError
from kernel.records import BlogInfo, RawComment, RawLabel, RawPost
from transform.options import TransformOptions
from transform.run import transform

BLOG = "http://leo.blogspot.com"
OWNER = "https://www.blogger.com/profile/0123456789"


def _post(slug: str, pid: str, day: str, comments: tuple[RawComment, ...] = (), title: str | None = None) -> RawPost:
    url = f"{BLOG}/2009/08/{slug}.html"
    return RawPost(
        url=url, title=title or slug.replace("-", " ").title(), post_id=pid,
        body_html=f"<p>Words of {slug}.</p><div style='clear: both;'></div>",
        date_header=day, published_text="9:50 AM", author_name="Posted by Leo Bottary", author_url=OWNER,
        labels=(RawLabel("PR", f"{BLOG}/search/label/PR"), RawLabel("Client Service", f"{BLOG}/search/label/Client%20Service")),
        comments=tuple(replace(c, post_url=url) for c in comments), template="layout-threaded", language="en",
    )


def _comment(cid: str, pos: int, who: str, when: str, body: str, parent: str | None = None, url: str | None = None,
             owner: bool = False) -> RawComment:
    return RawComment(post_url="", comment_id=cid, position=pos, body_html=body, author_text=who, author_url=url,
                      date_text=when, parent_id=parent, is_blog_author=owner)


def _archive(tmp_path: Path) -> Path:
    first = _post("client-service-or-client", "111", "Saturday, August 15, 2009", (
        _comment("1", 0, "Joan Koerber-Walker", "August 15, 2009 at 9:50 AM", "Great post<br><br>Recent blog:=- <a href='http://j.example/x'>X</a>", url="http://joan.example/"),
        _comment("2", 1, "Leo said...", "August 15, 2009 at 11:00 AM", "Thanks Joan", parent="1", url=OWNER, owner=True),
        _comment("3", 2, "Anonymous", "August 16, 2009 at 8:00 AM", "Me too"),
    ))
    second = _post("linkedin-to-client-service", "222", "Monday, August 17, 2009", (
        _comment("4", 0, "Leo B.", "August 17, 2009 at 1:00 PM", "Own reply", url=OWNER, owner=True),
        _comment("5", 1, "Anonymous", "August 17, 2009 at 2:00 PM", "Who?", parent="404"),
    ))
    with Archive.in_dir(tmp_path) as archive:
        archive.set_blog_info(BlogInfo(url=BLOG, title="Leo", language="en", timezone="America/Los_Angeles"))
        archive.store_page(first.url, status=200, body="<html></html>", kind="post", posts=[first])
        archive.store_page(second.url, status=200, body="<html></html>", kind="post", posts=[second])
        # a further comment page of the first post
        more = replace(_comment("6", 3, "Chris", "August 18, 2009 at 7:00 AM", "Late to this"), post_url=first.url, page=2)
        archive.store_page(first.url + "?commentPage=2", status=200, body="<html></html>", kind="comments", comments=[more])
    return tmp_path


def _rows(tmp_path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(tmp_path / "blog.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_transform_writes_the_normalised_tables(tmp_path):
    out = _archive(tmp_path)
    summary = transform(out, TransformOptions())
    assert summary.exit_code == 0
    assert (summary.posts, summary.comments, summary.tags) == (2, 6, 2)
    assert summary.authors == 5  # owner, Joan, Chris, two anonymous
    assert summary.orphans == 1 and summary.unparsed_dates == 0
    assert summary.cruft_removed == {"clear-float": 2, "commentluv": 1}
    assert summary.timezone == "America/Los_Angeles" and summary.timezone_source == "source"

    posts = _rows(out, "SELECT id, slug, published, published_local, author_id FROM posts ORDER BY id")
    assert posts == [
        ("111", "client-service-or-client", "2009-08-15T16:50:00+00:00", "2009-08-15T09:50:00-07:00", "blogger:0123456789"),
        ("222", "linkedin-to-client-service", "2009-08-17T16:50:00+00:00", "2009-08-17T09:50:00-07:00", "blogger:0123456789"),
    ]
    comments = _rows(out, "SELECT id, parent_id, depth, thread_order, orphan, author_id FROM comments WHERE post_id='111' ORDER BY thread_order")
    assert comments == [("1", None, 0, 0, 0, "url:joan.example"), ("2", "1", 1, 1, 0, "blogger:0123456789"),
                        ("3", None, 0, 2, 0, "anon:3"), ("6", None, 0, 3, 0, "name:chris")]
    orphan = _rows(out, "SELECT parent_id, parent_ref, orphan FROM comments WHERE id='5'")
    assert orphan == [(None, "404", 1)]
    owner = _rows(out, "SELECT name, is_owner FROM authors WHERE id='blogger:0123456789'")
    assert owner == [("Leo Bottary", 1)]
    assert _rows(out, "SELECT tag_id FROM post_tags WHERE post_id='111' ORDER BY tag_id") == [("client-service",), ("pr",)]
    assert _rows(out, "SELECT item_type, item_id, rule, count FROM cruft_hits WHERE item_type='comment'") == [
        ("comment", "1", "commentluv", 1)]
    assert _rows(out, "SELECT body_text FROM comments WHERE id='1'") == [("Great post",)]
    assert "transformed 2 posts, 6 comments" in summary.summary_lines()[0]
    data = summary.as_dict()
    assert data["exit_code"] == 0 and data["cruft_removed"]["commentluv"] == 1


def test_rerun_updates_in_place_never_duplicates(tmp_path):
    out = _archive(tmp_path)
    transform(out, TransformOptions())
    counts = [_rows(out, f"SELECT count(*) FROM {t}")[0][0] for t in ("posts", "comments", "authors", "tags", "post_tags", "cruft_hits")]
    # the post is re-crawled with a new title
    with Archive.in_dir(out) as archive:
        changed = _post("client-service-or-client", "111", "Saturday, August 15, 2009", title="Renamed")
        archive.store_page(changed.url, status=200, body="<html></html>", kind="post", posts=[changed])
    summary = transform(out, TransformOptions())
    again = [_rows(out, f"SELECT count(*) FROM {t}")[0][0] for t in ("posts", "comments", "authors", "tags", "post_tags", "cruft_hits")]
    assert again == counts
    assert _rows(out, "SELECT title FROM posts WHERE id='111'") == [("Renamed",)]
    assert summary.posts == 2


def test_timezone_option_overrides_the_source(tmp_path):
    out = _archive(tmp_path)
    summary = transform(out, TransformOptions(timezone="+02:00"))
    assert summary.timezone_source == "option"
    assert _rows(out, "SELECT published FROM posts WHERE id='111'") == [("2009-08-15T07:50:00+00:00",)]


def test_missing_archive_is_a_clear_error(tmp_path):
    with pytest.raises(ArchiveError, match="no archive at"):
        transform(tmp_path / "nowhere", TransformOptions())


def test_a_file_that_is_not_an_archive(tmp_path):
    (tmp_path / "blog.db").write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ArchiveError, match="not a blogport archive"):
        transform(tmp_path, TransformOptions())
    other = tmp_path / "other"
    other.mkdir()
    conn = sqlite3.connect(other / "blog.db")
    conn.execute("CREATE TABLE something (x)")
    conn.close()
    with pytest.raises(ArchiveError, match="not a blogport archive"):
        transform(other, TransformOptions())


def test_bad_options_are_user_errors(tmp_path):
    out = _archive(tmp_path)
    with pytest.raises(BlogportError, match="unknown time zone"):
        transform(out, TransformOptions(timezone="Nowhere/Land"))
    with pytest.raises(BlogportError, match="unknown date language"):
        transform(out, TransformOptions(language="klingon"))


def test_a_post_that_cannot_be_transformed_is_recorded_and_the_rest_saved(tmp_path):
    out = _archive(tmp_path)
    broken = _post("broken-record", "333", "Tuesday, August 18, 2009")
    bad_comment = RawComment(post_url=broken.url, comment_id="77", position=0, body_html="x", page=None)  # type: ignore[arg-type]
    with Archive.in_dir(out) as archive:
        archive.store_page(broken.url, status=200, body="<html></html>", kind="post", posts=[replace(broken, comments=(bad_comment,))])
    summary = transform(out, TransformOptions())
    assert summary.exit_code == 1
    assert summary.posts == 2
    assert [u for u, _ in summary.failures] == [broken.url]
    assert any(line.startswith("failed: " + broken.url) for line in summary.summary_lines())
    assert _rows(out, "SELECT count(*) FROM posts")[0][0] == 2
    with Archive.in_dir(out) as archive:
        recorded = archive.get_meta("last_transform")
    assert recorded["failures"][0]["url"] == broken.url and recorded["exit_code"] == 1


def test_the_summary_is_stored_with_the_rows_it_counts(tmp_path):
    import json

    out = _archive(tmp_path)
    summary = transform(out, TransformOptions())
    (stored,) = _rows(out, "SELECT value FROM meta WHERE key='last_transform'")[0]
    data = json.loads(stored)
    assert data.pop("at")
    assert data == json.loads(json.dumps(summary.as_dict()))
    assert data["posts"] == _rows(out, "SELECT count(*) FROM posts")[0][0] == 2
    assert data["comments"] == _rows(out, "SELECT count(*) FROM comments")[0][0] == 6
    # one transaction made tables, rows, indexes and summary: the write-ahead log is gone, the
    # indexes are whole and their triggers in place
    assert not (out / "blog.db-wal").exists()
    conn = sqlite3.connect(out / "blog.db")
    try:
        for table in ("posts_fts", "comments_fts"):
            conn.execute(f"INSERT INTO {table}({table}) VALUES('integrity-check')")
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type='trigger'").fetchone() == (6,)
        assert conn.execute("SELECT rowid FROM comments_fts WHERE comments_fts MATCH 'late'").fetchall() != []
    finally:
        conn.close()
