"""Blogger export files -> archive records (crawler.backup_file), on real exports and hostile files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kernel.archive import Archive
from kernel.errors import SourceError, UnsafeXMLError
from crawler.backup_file import read_backup
from crawler.urls import canonicalize
from tests.conftest import PROJECT, realdata_path

REAL_EXPORTS = [
    "pelican/bloggerexport.xml",
    "nexusdecode-blogger2jekyll/blog-08-19-2012.xml",
    "hakyll-convert/blogger-000_input.xml",
    "hakyll-convert/blogger-002_input.xml",
]

_ENTRY = re.compile(r"<entry[\s>].*?</entry>", re.S)
_KIND = re.compile(r"term=['\"]http://schemas\.google\.com/blogger/2008/kind#(\w+)['\"]")
_ID = re.compile(r"<id>tag:blogger\.com,1999:blog-\d+\.(?:post|page)-(\d+)</id>")
_REPLY = re.compile(r"<thr:in-reply-to [^>]*?href=['\"]([^'\"]+)['\"][^>]*?ref=['\"][^'\"]*?post-(\d+)['\"]")


def _entries_by_kind(text: str) -> dict[str, list[str]]:
    """The file's own entries grouped by kind, counted with plain regular expressions."""
    out: dict[str, list[str]] = {}
    for entry in _ENTRY.findall(text):
        kind = _KIND.search(entry)
        out.setdefault(kind.group(1) if kind else "?", []).append(entry)
    return out


def _import(path: Path, tmp_path: Path):
    archive = Archive.in_dir(tmp_path / "out")
    try:
        summary = read_backup(path, archive)
        posts = list(archive.raw_posts())
        orphans = archive.orphan_raw_comments()
        meta = archive.get_meta("source_file")
        info = archive.blog_info()
        issues = archive.issues()
    finally:
        archive.close()
    return summary, posts, orphans, meta, info, issues


@pytest.mark.parametrize("rel", REAL_EXPORTS)
def test_real_export_gives_every_post_page_and_comment(rel: str, tmp_path: Path) -> None:
    path = realdata_path(rel)
    text = path.read_text(encoding="utf-8")
    by_kind = _entries_by_kind(text)
    summary, posts, orphans, meta, info, issues = _import(path, tmp_path)

    expected_posts = by_kind.get("post", [])
    expected_pages = by_kind.get("page", [])
    expected_comments = by_kind.get("comment", [])
    assert summary.posts == len(expected_posts) and summary.pages == len(expected_pages)
    assert summary.comments == len(expected_comments)
    assert Counter(p.kind for p in posts) == Counter(
        {"post": len(expected_posts), "page": len(expected_pages)}
    ) - Counter()
    assert {p.post_id for p in posts} == {
        _ID.search(e).group(1) for e in expected_posts + expected_pages
    }
    drafts = [e for e in expected_posts + expected_pages if re.search(r"<app:draft>\s*yes\s*</app:draft>", e)]
    assert drafts, "every one of these real exports has a draft"
    assert {p.post_id for p in posts if p.status == "draft"} == {_ID.search(e).group(1) for e in drafts}
    assert summary.drafts == len(drafts)
    assert all(p.source == "export" and p.template == "export" for p in posts)

    # comment threads: each comment hangs off the post its thr:in-reply-to names
    stored = {c.comment_id: (p, c) for p in posts for c in p.comments}
    assert len(stored) == len(expected_comments) and not orphans and not issues
    for entry in expected_comments:
        comment_id = _ID.search(entry).group(1)
        href, ref = _REPLY.search(entry).groups()
        post, comment = stored[comment_id]
        assert post.post_id == ref
        assert comment.post_url == post.url == canonicalize(href)
        assert comment.datetime_attr and comment.body_html
        assert comment.timestamp_ms and comment.permalink and f"c{comment_id}" in comment.permalink

    # blog facts from the header and the settings entries
    locale = re.search(r"settings\.BLOG_LOCALE</id>.*?<content[^>]*>([^<]*)</content>", text, re.S).group(1).strip()
    zone = re.search(r"settings\.BLOG_TIME_ZONE</id>.*?<content[^>]*>([^<]*)</content>", text, re.S).group(1).strip()
    assert info is not None and info.language == locale and info.timezone == zone
    assert info.blog_id and info.blog_id in text[:2000]
    assert all(p.language == locale for p in posts)
    assert meta["size"] == path.stat().st_size and len(meta["sha256"]) == 64


def test_real_export_details(tmp_path: Path) -> None:
    """Labels, authors, counts and the owner's own comment in hakyll-convert's export."""
    summary, posts, *_ = _import(realdata_path("hakyll-convert/blogger-000_input.xml"), tmp_path)
    by_id = {p.post_id: p for p in posts}
    commented = by_id["7643416819140719600"]
    assert commented.title == ""  # untitled post kept as found
    assert commented.comment_count == 1
    assert commented.author_name == "Minoru" and "15979236009981641914" in (commented.author_url or "")
    (comment,) = commented.comments
    assert comment.author_text == "Minoru" and comment.is_blog_author  # the owner answered
    assert comment.position == 0 and comment.parent_id is None
    draft = by_id["8071006425242346850"]
    assert draft.status == "draft" and draft.url != commented.url


def test_real_export_labels_become_label_urls(tmp_path: Path) -> None:
    _, posts, *_ = _import(realdata_path("pelican/bloggerexport.xml"), tmp_path)
    (draft,) = [p for p in posts if p.title == "Black as Egypt's Night"]
    assert [lab.name for lab in draft.labels] == ["Interesting cases", "amputations"]
    assert draft.labels[0].url == "https://youngdoctornotes.blogspot.com/search/label/Interesting%20cases"


def test_reimport_does_not_duplicate(tmp_path: Path) -> None:
    path = realdata_path("nexusdecode-blogger2jekyll/blog-08-19-2012.xml")
    with Archive.in_dir(tmp_path) as archive:
        first = read_backup(path, archive)
        second = read_backup(path, archive)
        n_posts = archive.conn.execute("SELECT count(*) FROM raw_posts").fetchone()[0]
        n_comments = archive.conn.execute("SELECT count(*) FROM raw_comments").fetchone()[0]
    assert first.posts == second.posts
    assert n_posts == first.posts + first.pages and n_comments == first.comments


# -- a synthetic export with what the small real ones lack: threads, order, scheduling --------
BLOG = "998877"


def _entry(kind: str, ident: str, published: str, extra: str = "", content: str = "body") -> str:
    return (
        f"<entry><id>tag:blogger.com,1999:blog-{BLOG}.{ident}</id><published>{published}</published>"
        f"<updated>{published}</updated><category scheme='http://schemas.google.com/g/2005#kind' "
        f"term='http://schemas.google.com/blogger/2008/kind#{kind}'/><title type='text'>T {ident}</title>"
        f"<content type='html'>{content}</content>{extra}</entry>"
    )


def _comment(cid: str, post_id: str, published: str, *, parent: str | None = None, href: bool = True,
             author: str = "<author><name>Reader</name></author>") -> str:
    url = f"http://threads.blogspot.com/2010/01/p{post_id}.html"
    extra = f"<link rel='alternate' type='text/html' href='{url}?showComment=1#c{cid}'/>" if href else ""
    if parent:
        extra += (f"<link rel='related' type='application/atom+xml' "
                  f"href='https://www.blogger.com/feeds/{BLOG}/{post_id}/comments/default/{parent}'/>")
    reply_href = f" href='{url}'" if href else ""
    extra += author + f"<thr:in-reply-to{reply_href} ref='tag:blogger.com,1999:blog-{BLOG}.post-{post_id}' type='text/html'/>"
    return _entry("comment", f"post-{cid}", published, extra, content=f"comment {cid}")


def _post(post_id: str, published: str, *, kind: str = "post", draft: bool = False) -> str:
    extra = "<app:control xmlns:app='http://purl.org/atom/app#'><app:draft>yes</app:draft></app:control>" if draft else ""
    path = f"/p/page{post_id}.html" if kind == "page" else f"/2010/01/p{post_id}.html"
    if not draft:
        extra += f"<link rel='alternate' type='text/html' href='http://threads.blogspot.com{path}'/>"
    extra += ("<author><name>Owner</name><uri>http://www.blogger.com/profile/4242</uri></author>"
              "<author><name>ignored second author</name></author>")
    extra += "<category scheme='http://www.blogger.com/atom/ns#' term='Café &amp; Co'/>"
    return _entry(kind, f"{kind}-{post_id}", published, extra)


def _feed(entries: list[str], updated: str = "2010-06-01T00:00:00.000-08:00") -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom' "
        "xmlns:thr='http://purl.org/syndication/thread/1.0'>"
        f"<id>tag:blogger.com,1999:blog-{BLOG}.archive</id><updated>{updated}</updated>"
        "<title type='text'>Threads</title><link rel='alternate' type='text/html' href='http://threads.blogspot.com/'/>"
        "<author><name>Owner</name><uri>https://www.blogger.com/profile/4242</uri></author>"
        "<generator version='7.00' uri='https://www.blogger.com'>Blogger</generator>"
        + "".join(entries) + "</feed>"
    )


def test_threads_order_and_status(tmp_path: Path) -> None:
    owner = "<author><name>Owner</name><uri>https://www.blogger.com/profile/4242</uri></author>"
    entries = [
        # comments first, newest first, as Blogger writes them; one names its post only by id
        _comment("13", "1", "2010-01-03T12:00:00.000-08:00", parent="11", author=owner),
        _comment("12", "1", "2010-01-02T12:00:00.000+01:00"),  # earlier than 11 once in UTC
        _comment("11", "1", "2010-01-02T10:00:00.000-08:00"),
        _comment("21", "2", "2010-01-05T10:00:00.000-08:00", href=False),
        _comment("99", "404", "2010-01-05T10:00:00.000-08:00"),  # its post is not in the file
        _post("1", "2010-01-01T10:00:00.000-08:00"),
        _post("2", "2010-01-04T10:00:00.000-08:00"),
        _post("3", "2010-02-01T10:00:00.000-08:00", draft=True),
        _post("4", "2011-02-01T10:00:00.000-08:00"),  # after the export's own time: scheduled
        _post("5", "2010-01-01T09:00:00.000-08:00", kind="page"),
        _entry("settings", "settings.BLOG_LOCALE", "2010-01-01T00:00:00.000-08:00", content="es_ES"),
    ]
    path = tmp_path / "threads.xml"
    path.write_text(_feed(entries), encoding="utf-8")
    summary, posts, orphans, meta, info, issues = _import(path, tmp_path)
    assert (summary.posts, summary.pages, summary.comments) == (4, 1, 5)
    assert (summary.drafts, summary.scheduled) == (1, 1)
    assert summary.orphan_comments == 1 and [c.comment_id for c in orphans] == ["99"]
    by_id = {p.post_id: p for p in posts}
    assert by_id["3"].status == "draft" and by_id["4"].status == "scheduled" and by_id["1"].status == "published"
    assert by_id["5"].kind == "page" and by_id["5"].url == "https://threads.blogspot.com/p/page5.html"
    assert by_id["1"].author_name == "Owner"
    assert by_id["1"].labels[0].name == "Café & Co"
    assert by_id["1"].labels[0].url == "https://threads.blogspot.com/search/label/Caf%C3%A9%20%26%20Co"
    # positions by time within the post (UTC), whatever order the file had
    thread = by_id["1"].comments
    assert [(c.comment_id, c.position) for c in thread] == [("12", 0), ("11", 1), ("13", 2)]
    assert {c.comment_id: c.parent_id for c in thread} == {"12": None, "11": None, "13": "11"}
    assert [c.is_blog_author for c in thread] == [False, False, True]
    # a comment naming its post only by id still lands on the post
    assert [c.comment_id for c in by_id["2"].comments] == ["21"]
    assert by_id["2"].comments[0].post_url == by_id["2"].url
    assert info.language == "es-ES" and info.url == "https://threads.blogspot.com/"
    assert summary.exit_code == 0 and not issues



def _comment_at(cid: str, ref: str, href: str, published: str, *, parent: str | None = None) -> str:
    """A comment whose thr:in-reply-to names post ``ref`` by id and ``href`` by URL."""
    extra = f"<link rel='alternate' type='text/html' href='{href}?showComment=1#c{cid}'/>"
    if parent:
        extra += (f"<link rel='related' type='application/atom+xml' "
                  f"href='https://www.blogger.com/feeds/{BLOG}/{ref}/comments/default/{parent}'/>")
    extra += ("<author><name>Reader</name></author>"
              f"<thr:in-reply-to href='{href}' ref='tag:blogger.com,1999:blog-{BLOG}.post-{ref}' type='text/html'/>")
    return _entry("comment", f"post-{cid}", published, extra, content=f"comment {cid}")


def test_a_comment_belongs_to_the_post_its_ref_names_whatever_host_its_href_says(tmp_path: Path) -> None:
    when = "2010-01-02T10:00:00.000-08:00"
    entries = [
        # before their post in the file, with the hosts a blog has had over the years
        _comment_at("11", "1", "https://threads.blogspot.com/2010/01/p1.html", when),
        _comment_at("12", "1", "http://www.threads-custom.example/2010/01/p1.html", when, parent="11"),
        _comment_at("13", "1", "http://www.threads.blogspot.com/2010/01/p1.html", when),
        _post("1", "2010-01-01T10:00:00.000-08:00"),
        _post("5", "2010-01-01T09:00:00.000-08:00", kind="page"),
        # after the post; on the static page, whose ref says .post-5 for the .page-5 entry
        _comment_at("14", "1", "http://threads-custom.example/2010/01/p1.html", when),
        _comment_at("51", "5", "http://threads-custom.example/p/page5.html", when),
        _comment_at("52", "5", "https://threads.blogspot.com/p/page5.html", when, parent="51"),
        # its post is not in the file: kept under the URL it names, counted as an orphan
        _comment_at("99", "404", "http://threads.blogspot.com/2010/01/gone.html", when),
    ]
    path = tmp_path / "hosts.xml"
    path.write_text(_feed(entries), encoding="utf-8")
    summary, posts, orphans, meta, info, issues = _import(path, tmp_path)
    by_id = {p.post_id: p for p in posts}
    assert sorted(c.comment_id for c in by_id["1"].comments) == ["11", "12", "13", "14"]
    assert all(c.post_url == by_id["1"].url for c in by_id["1"].comments)
    assert by_id["5"].kind == "page"
    assert {c.comment_id: c.parent_id for c in by_id["5"].comments} == {"51": None, "52": "51"}
    assert {c.comment_id: c.parent_id for c in by_id["1"].comments}["12"] == "11"
    assert [(c.comment_id, c.post_url) for c in orphans] == [("99", "https://threads.blogspot.com/2010/01/gone.html")]
    assert summary.orphan_comments == 1 and summary.comments == 7 and not issues
    # positions are numbered within each post once the comments are where they belong
    assert sorted(c.position for c in by_id["1"].comments) == [0, 1, 2, 3]


_BLOGGER_EXPORTS = [
    "alantsai-blogger-to-wyam/blog-03-22-2018.xml",
    "ecoal95-blogger-to-wordpress/blog.xml",
    "ecoal95-blogger-to-wordpress/blog2.xml",
    "tnrbeat-blogger-to-mt/blogger.xml",
    "yms9654-github-io/blog-11-22-2015.xml",
    *REAL_EXPORTS,
]
_ANY_ID = re.compile(r"<id>tag:blogger\.com,1999:blog-\d+\.(post|page)-(\d+)</id>")
_REF = re.compile(r"<thr:in-reply-to [^>]*?ref=['\"][^'\"]*?\.(?:post|page)-(\d+)['\"]")
_RELATED = re.compile(r"<link rel=['\"]related['\"][^>]*?href=['\"][^'\"]*/comments/default/(\d+)['\"]")


@pytest.mark.parametrize("rel", _BLOGGER_EXPORTS)
def test_every_comment_of_a_real_export_hangs_off_the_entry_its_ref_names(rel: str, tmp_path: Path) -> None:
    """Posts, drafts, pages, comments (on pages too) and replies: the whole export arrives."""
    path = realdata_path(rel)
    by_kind = _entries_by_kind(path.read_text(encoding="utf-8"))
    comments = by_kind.get("comment", [])
    comment_ids = {_ANY_ID.search(e).group(2) for e in comments}
    summary, posts, orphans, meta, info, issues = _import(path, tmp_path)
    stored = {c.comment_id: (p, c) for p in posts for c in p.comments}
    assert sorted(stored) == sorted(comment_ids) and not orphans and not issues
    replies = 0
    for entry in comments:
        cid = _ANY_ID.search(entry).group(2)
        post, comment = stored[cid]
        assert post.post_id == _REF.search(entry).group(1), f"comment {cid} is on the wrong entry"
        parent = _RELATED.search(entry)
        if parent and parent.group(1) in comment_ids:
            replies += 1
            assert comment.parent_id == parent.group(1)
        else:
            assert comment.parent_id is None
    assert sum(c.parent_id is not None for _, c in stored.values()) == replies
    entries = by_kind.get("post", []) + by_kind.get("page", [])
    assert len(posts) == len(entries) == summary.posts + summary.pages


def test_comments_on_a_static_page_stay_with_the_page(tmp_path: Path) -> None:
    path = realdata_path("ecoal95-blogger-to-wordpress/blog2.xml")
    by_kind = _entries_by_kind(path.read_text(encoding="utf-8"))
    page_ids = {_ANY_ID.search(e).group(2) for e in by_kind["page"]}
    on_pages = {_ANY_ID.search(e).group(2) for e in by_kind["comment"] if _REF.search(e).group(1) in page_ids}
    assert len(on_pages) == 11  # their ref says ".post-ID"; the page entry is ".page-ID"
    _, posts, orphans, *_ = _import(path, tmp_path)
    kept = {c.comment_id for p in posts if p.kind == "page" for c in p.comments}
    assert kept == on_pages and not orphans


def test_two_entries_with_one_id_are_both_kept(tmp_path: Path) -> None:
    """The trimmed Ghost fixture: a draft re-uses a published post's entry id."""
    path = realdata_path("tryghost-migrate/mg-blogger-xml__sample.xml")
    titles = re.findall(r"<title type='text'>([^<]*)</title>", path.read_text(encoding="utf-8"))[1:]
    summary, posts, *_ = _import(path, tmp_path)
    assert sorted(p.title for p in posts) == sorted(titles) and len(titles) == 3
    assert summary.drafts == 1 and [p.title for p in posts if p.status == "draft"] == ["Maecenas Draft Post"]
    ids = [p.post_id for p in posts]
    assert len(set(ids)) == 3, "the repeated id must not make one post replace the other downstream"

def test_entry_without_id_or_link_is_recorded_not_dropped(tmp_path: Path) -> None:
    bad = ("<entry><category scheme='http://schemas.google.com/g/2005#kind' "
           "term='http://schemas.google.com/blogger/2008/kind#post'/><title>?</title></entry>")
    path = tmp_path / "bad.xml"
    path.write_text(_feed([_post("1", "2010-01-01T10:00:00.000-08:00"), bad]), encoding="utf-8")
    summary, posts, orphans, meta, info, issues = _import(path, tmp_path)
    assert summary.posts == 1 and summary.issues == 1 and summary.exit_code == 1
    assert len(issues) == 1 and issues[0]["kind"] == "parse" and "entry-2" in issues[0]["url"]


# -- hostile and wrong files ------------------------------------------------------------------
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feed xmlns='http://www.w3.org/2005/Atom'><id>tag:blogger.com,1999:blog-1.archive</id>
<entry><id>tag:blogger.com,1999:blog-1.post-1</id><title>&lol9;</title></entry></feed>
"""


def _assert_one_line(exc: BaseException) -> None:
    message = str(exc)
    assert message and "\n" not in message and len(message) < 400


def test_billion_laughs_fails_fast_with_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "lol.xml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    with Archive.in_dir(tmp_path / "out") as archive:
        with pytest.raises(UnsafeXMLError) as info:
            read_backup(path, archive)
        assert archive.conn.execute("SELECT count(*) FROM raw_posts").fetchone()[0] == 0
    _assert_one_line(info.value)
    assert "entit" in str(info.value).lower()
    # in a child process: the refusal costs next to nothing
    code = textwrap.dedent(f"""
        import resource, sys
        from pathlib import Path
        from kernel.archive import Archive
        from kernel.errors import UnsafeXMLError
        from crawler.backup_file import read_backup
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with Archive.in_dir({str(tmp_path / 'child')!r}) as archive:
            try:
                read_backup(Path({str(path)!r}), archive)
            except UnsafeXMLError:
                pass
            else:
                sys.exit(3)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=PROJECT)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) < 20 * 1024  # KiB: well under 20 MB more than the interpreter


class _CountingHandler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits.append(self.path)
        body = b"<!ENTITY x 'leak'>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def counting_server():
    _CountingHandler.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _CountingHandler.hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE feed [<!ENTITY xxe SYSTEM "{server}/secret.txt">]>',
        '<!DOCTYPE feed SYSTEM "{server}/evil.dtd">',
        '<!DOCTYPE feed [<!ENTITY % remote SYSTEM "{server}/evil.dtd"> %remote;]>',
    ],
)
def test_external_entities_are_never_fetched(doctype: str, tmp_path: Path, counting_server) -> None:
    server, hits = counting_server
    body = (
        "<?xml version='1.0'?>" + doctype.format(server=server)
        + "<feed xmlns='http://www.w3.org/2005/Atom'><id>tag:blogger.com,1999:blog-1.archive</id>"
        "<entry><id>tag:blogger.com,1999:blog-1.post-1</id><category scheme='http://schemas.google.com/g/2005#kind' "
        "term='http://schemas.google.com/blogger/2008/kind#post'/><title>&xxe;</title>"
        "<link rel='alternate' type='text/html' href='http://a.blogspot.com/2010/01/a.html'/></entry></feed>"
    )
    path = tmp_path / "xxe.xml"
    path.write_text(body, encoding="utf-8")
    with Archive.in_dir(tmp_path / "out") as archive:
        with pytest.raises(UnsafeXMLError) as info:
            read_backup(path, archive)
        records = [r for (r,) in archive.conn.execute("SELECT record FROM raw_posts")]
    _assert_one_line(info.value)
    assert hits == [] and records == []


def test_undeclared_entity_without_doctype_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "ent.xml"
    path.write_text(_feed([_entry("post", "post-1", "2010-01-01T10:00:00.000-08:00", content="&lol9;")]))
    with Archive.in_dir(tmp_path / "out") as archive, pytest.raises(SourceError) as info:
        read_backup(path, archive)
    _assert_one_line(info.value)


@pytest.mark.parametrize(
    "name,content,words",
    [
        ("notes.xml", b"just some notes, not XML at all\n", "not well-formed"),
        ("empty.xml", b"", "not well-formed"),
        ("binary.xml", bytes(range(256)) * 64, "not well-formed"),
        ("page.xml", b"<!DOCTYPE html><html><body><p>hello</p></body></html>", "not a blogger export"),
        ("rss.xml", b"<?xml version='1.0'?><rss version='2.0'><channel><title>x</title></channel></rss>",
         "not a blogger export"),
        ("atom.xml",
         b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><id>urn:uuid:60a76c80</id>"
         b"<title>Example</title><generator>Hugo</generator><entry><id>urn:uuid:1</id><title>a</title></entry></feed>",
         "not a blogger export"),
        ("truncated.xml", _feed([_post("1", "2010-01-01T10:00:00.000-08:00")]).encode()[:-40], "not well-formed"),
    ],
)
def test_wrong_files_give_one_line_source_errors(name: str, content: bytes, words: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with Archive.in_dir(tmp_path / "out") as archive, pytest.raises(SourceError) as info:
        read_backup(path, archive)
    _assert_one_line(info.value)
    assert words in str(info.value).lower() and name in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path / "out") as archive, pytest.raises(SourceError):
        read_backup(tmp_path / "nope.xml", archive)


# -- memory stays flat --------------------------------------------------------------------------
def _write_big_export(path: Path, entries: int, body_bytes: int = 2000) -> None:
    para = ("&lt;p&gt;" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * (body_bytes // 57 + 1))[:body_bytes]
    with path.open("w", encoding="utf-8") as out:
        out.write(_feed([]).rsplit("</feed>", 1)[0])
        for i in range(entries):
            p = i // 2
            url = f"http://big.blogspot.com/2010/01/post-{p}.html"
            if i % 2 == 0:
                out.write(_entry("post", f"post-{p}", "2010-01-01T10:00:00.000-08:00",
                                 f"<link rel='alternate' type='text/html' href='{url}'/><thr:total>1</thr:total>",
                                 content=para))
            else:
                out.write(_entry("comment", f"post-{10**9 + i}", "2010-01-02T10:00:00.000-08:00",
                                 f"<thr:in-reply-to href='{url}' ref='tag:blogger.com,1999:blog-{BLOG}.post-{p}'/>",
                                 content=para))
            out.write("\n")
        out.write("</feed>\n")


def test_streaming_import_keeps_memory_flat(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    _write_big_export(path, 50_000)
    size = path.stat().st_size
    assert size > 100 * 1024 * 1024
    code = textwrap.dedent(f"""
        import json, resource
        from pathlib import Path
        from kernel.archive import Archive
        from crawler.backup_file import read_backup
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with Archive.in_dir({str(tmp_path / 'out')!r}) as archive:
            summary = read_backup(Path({str(path)!r}), archive)
            stored = archive.conn.execute("SELECT count(*) FROM raw_comments").fetchone()[0]
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"posts": summary.posts, "comments": summary.comments, "stored": stored,
                          "grew_kib": after - before}}))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=PROJECT)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["posts"] == 25_000 and result["comments"] == 25_000 == result["stored"]
    # the whole file would be >100 MB in memory; streaming keeps growth to a small fraction
    assert result["grew_kib"] * 1024 < size / 5, result


# -- through the crawl stage and the command line ----------------------------------------------------
def test_crawl_stage_reads_a_backup_file(tmp_path: Path) -> None:
    from crawler.options import CrawlOptions
    from crawler.run import crawl

    path = realdata_path("pelican/bloggerexport.xml")
    summary = crawl(str(path), tmp_path / "out", CrawlOptions(progress=False))
    assert summary.via == "export" and summary.exit_code == 0
    assert (summary.posts_found, summary.comments_found) == (4, 1)
    assert any("2 posts, 2 pages, 1 comments" in line for line in summary.summary_lines())


def test_cli_refuses_billion_laughs_with_one_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from blogport.cli import main

    path = tmp_path / "lol.xml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    result = CliRunner().invoke(main, ["crawl", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("blogport: error: lol.xml declares XML entities")
