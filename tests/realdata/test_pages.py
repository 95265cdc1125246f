"""Real Blogger pages, extracted then transformed in process: the exact instants (UTC), comment
ids, parents and times, owner marks and surviving bodies, beside what the gate scores
(``test_gate.py``). Facts read from the pages themselves (abbr.published titles, showComment=
epoch permalinks, comment ids and nesting)."""

from __future__ import annotations

import sqlite3

import pytest
from scrapy.http import HtmlResponse

from blogport.validate import ValidateOptions, validate
from crawler.backup_file import read_backup
from crawler.extract import extract_post
from kernel.archive import Archive
from tests.realdata.catalogue import require_realdata
from transform.core import build_context, transform_post
from transform.options import TransformOptions
from transform.run import transform

# page -> (title starts with, published UTC or local day for date-only, flag, author name,
#          [(comment id, parent id, author name, published UTC)])
EXPECTED = {
    "trafilatura/cache__blog.python.org.html": (
        "Python 3.6.0 is now available!", "2016-12-23T10:11:00+00:00", None, "Ned Deily", []),
    "trafilatura/cache__chineselyrics4u.com.zhineng.html": (
        "Zhi Neng Xiang Nian Ni", "2011-07-28T04:11:00+00:00", None, "K A", []),
    "trafilatura/cache__plentylife.blogspot.pamela-reif.html": (
        "Strong & Beautiful - Pamela Reif", "2017-05-03", "date-only", "Sandra",
        [("5689936624652663696", None, "Andjela Gligorijevic", "2017-05-10T14:14:09+00:00")]),
    "trafilatura/eval__abookshelffullofsunshine.blogspot.com.interview.html": (
        "(News) Viertes eigenes Blog-Interview", "2013-10-05", "date-only", "Unknown",
        [("4265235981837780782", None, "Ruby", "2013-10-07T19:00:01+00:00"),
         ("8091037830143968017", "4265235981837780782", "Unknown", "2013-10-09T05:56:37+00:00")]),
    "trafilatura/eval__bumsbutzener-gumpfen.blogspot.com.tach-auch.html": (
        "Tach auch!", "2020-04-28T19:11:00+00:00", None, "der Michel", []),
    "trafilatura/eval__emacspeak.blogspot.com.meta.html": (
        "Meta-Programming In Emacs Using Defadvice", "2019-10-16T21:33:00+00:00", None, "T. V. Raman", []),
    "trafilatura/eval__hassanchef.com.bhindi.html": (
        "Bhindi masala (okra stir fry)", "2020-09-15T16:32:00+00:00", None, "Mobasir hassan", []),
    "trafilatura/eval__security.googleblog.com.protection.html": (
        "Enhanced Safe Browsing Protection now available", "2020-05-19", "date-only",
        "Nathan Parker, Varun Khaneja, Eric Mill and Kiran C Nair", []),
    "trafilatura/eval__sibenlab.blogspot.com.privacy.html": (
        "SibenLab privacy policy", "2018-06-05T15:00:00+00:00", None, "Unknown", []),
    "trafilatura/eval__weinlachgummis.blogspot.com.rezi.html": (
        "[Rezi] Love is War - Sehnsucht", "2017-09-09T08:52:00+00:00", None, "Weinlachgummi",
        [("6452616768283379311", None, "Unknown", "2017-09-10T16:12:36+00:00")]),
    "mozilla-readability/source.html": (
        "Open Verilog flow for Silego GreenPak4", "2016-05-08T07:55:00+00:00", None, "Andrew Zonenberg", []),
    "htmldate/test_set__1653190016.html": (
        "CONSUMERS ELEVATE APPEAL TO PRESIDENT DUTERTE", "2020-07-05", "date-only", "Azrael Coladilla", []),
}


def _transform(rel: str):
    path = require_realdata() / rel
    response = HtmlResponse(url="https://example.blogspot.com/2000/01/page.html", body=path.read_bytes(), encoding="utf-8")
    raw = extract_post(response)
    ctx = build_context([raw], None, TransformOptions())
    return raw, ctx, transform_post(raw, ctx)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_real_page_transforms_with_title_date_author_and_threads(rel):
    title, published, flag, author, comments = EXPECTED[rel]
    raw, ctx, result = _transform(rel)
    post = result.post
    names = {a.id: a.name for a in result.authors}
    assert post.title.startswith(title)
    assert post.date_flag == flag
    if flag == "date-only":
        assert post.published_local.startswith(published)
    else:
        assert post.published == published
    assert names[post.author_id] == author
    assert [a for a in result.authors if a.id == post.author_id][0].is_owner
    assert len(post.body_text) > 200, "the writing must survive cleaning"
    got = [(c.id, c.parent_id, names.get(c.author_id), c.published) for c in result.comments]
    assert got == comments
    assert all(c.date_flag is None for c in result.comments)
    assert "<script" not in post.body_html and "onclick" not in post.body_html


def test_german_blog_time_zone_comes_from_permalinks_and_displayed_times():
    raw, ctx, result = _transform("trafilatura/eval__abookshelffullofsunshine.blogspot.com.interview.html")
    # "21:00" beside showComment=1381172401460 (19:00:01 UTC): the blog is on +02:00
    assert ctx.tz_name == "+02:00"
    assert result.comments[0].published_local == "2013-10-07T21:00:01+02:00"
    # the owner ("Unknown" with the post author's profile) replied: same identity, marked owner
    owner_id = result.post.author_id
    assert result.comments[1].author_id == owner_id


def test_shared_profile_unknowns_are_one_person_but_plain_unknowns_are_not():
    _, _, result = _transform("trafilatura/eval__weinlachgummis.blogspot.com.rezi.html")
    ids = {a.id for a in result.authors}
    assert result.comments[0].author_id.startswith("blogger:")
    assert len(ids) == 2


def test_template_script_body_keeps_its_writing():
    _, _, result = _transform("trafilatura/eval__security.googleblog.com.protection.html")
    assert "Enhanced Safe Browsing" in result.post.body_text
    assert result.post.body_text.count("Over the past few years") == 1


def test_real_blogger_export_through_the_archive(tmp_path):
    path = require_realdata() / "nexusdecode-blogger2jekyll/blog-08-19-2012.xml"
    with Archive.in_dir(tmp_path) as archive:
        read_backup(path, archive)
    summary = transform(tmp_path, TransformOptions())
    assert summary.exit_code == 0 and summary.timezone == "America/New_York"
    assert summary.timezone_source == "source" and summary.unparsed_dates == 0
    conn = sqlite3.connect(tmp_path / "blog.db")
    try:
        post = conn.execute("SELECT published, published_local, status, kind, slug FROM posts"
                            " WHERE title='DateTime Differences in .NET and SQL Server 2000'").fetchone()
        assert post[:4] == ("2005-07-26T14:10:00+00:00", "2005-07-26T10:10:00-04:00", "published", "post")
        assert conn.execute("SELECT count(*) FROM posts WHERE status='draft'").fetchone()[0] >= 1
        comments = conn.execute("SELECT id, post_id, parent_id, published, published_local FROM comments").fetchall()
        assert comments == [("6283692263349070572", "6564295019642347867", None,
                             "2011-07-14T02:22:37+00:00", "2011-07-13T22:22:37-04:00")]
    finally:
        conn.close()


def test_comment_whose_post_is_not_in_the_file_is_kept_and_reported(tmp_path):
    # feedparser/atomthreadingwithentry.xml: a Blogger comments feed holding one comment by John
    # (id 4788628857625737701) whose thr:in-reply-to names post 3861663258538857954, not in the file
    path = require_realdata() / "feedparser/atomthreadingwithentry.xml"
    with Archive.in_dir(tmp_path) as archive:
        summary = read_backup(path, archive)
        (kept,) = archive.orphan_raw_comments()
    assert (summary.posts, summary.comments, summary.orphan_comments) == (0, 1, 1)
    assert "kept in blog.db" in "\n".join(summary.summary_lines())
    assert kept.comment_id == "4788628857625737701" and kept.author_text == "John"
    assert kept.post_url == "https://salmon-test.blogspot.com/2009/10/test-post.html"
    assert kept.body_html.startswith("bloffo bliff by")
    assert kept.datetime_attr == "2009-12-08T16:59:02.544-08:00"
    transform(tmp_path, TransformOptions())
    report = validate(tmp_path, ValidateOptions())
    (said,) = [f for f in report.findings if f.item_type == "comment"]
    assert said.item_id == "4788628857625737701" and "John" in said.message
    assert f"its post {kept.post_url} is not in the source" in said.message
    (entry,) = [e for e in report.ledger if e.item_type == "comment"]
    assert entry.status == "failed" and "kept in blog.db" in entry.lost[0]
