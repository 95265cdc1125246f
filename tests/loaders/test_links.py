"""Internal links in exported bodies point at the new site: the WXR as the WordPress importer
reads it, the Markdown as a CommonMark renderer (Hugo's Goldmark, Jekyll's kramdown) turns
it into HTML, the comment data files as JSON, the redirect maps as the one source of the
mapping, and the validation report reading the whole output folder."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest

from blogport.validate import ValidateOptions, validate
from kernel.archive import Archive
from kernel.records import ArchiveMonth, BlogInfo, RawComment, RawLabel, RawPost
from loaders.links import LinkRewriter
from loaders.options import ExportOptions
from loaders.redirects import read_redirects_csv, write_redirects
from loaders.run import export
from loaders.source import ExportSource
from loaders.urls import UrlMap
from tests.loaders.wxr_reader import parse_wxr
from transform.models import Author, Comment, Post, Tag
from transform.store import save

BASE = "http://linky.blogspot.com"
EXTERNAL = "https://example.org/2011/03/first-post.html"
OWN_IMAGE = BASE + "/2011/03/photo.jpg"
COMMENT_LINK = "http://www.linky.blogspot.com/2011/03/first-post.html?showComment=1299400000000#c501"
# (what the link is, the href written in the old body, the old path the redirect maps know)
LINKS = [
    ("post", BASE + "/2011/03/first-post.html", "/2011/03/first-post.html"),
    ("post, country domain, mobile", "https://linky.blogspot.co.uk/2011/03/first-post.html?m=1", "/2011/03/first-post.html"),
    ("post, comment permalink", COMMENT_LINK, "/2011/03/first-post.html"),
    ("label", BASE + "/search/label/Client%20Service", "/search/label/Client%20Service"),
    ("archive month", BASE + "/2011/03/", "/2011/03/"),
    ("page", "https://linky.blogspot.com/p/about.html", "/p/about.html"),
    ("home", "https://linky.blogspot.com/", "/"),
]
SECOND_BODY = (
    "<p>Intro &amp; more&nbsp;text.</p><ul>"
    + "".join(f'<li><a href="{href.replace("&", "&amp;")}">{what}</a></li>' for what, href, _ in LINKS)
    + f'<li><a href="{EXTERNAL}">elsewhere</a></li></ul>'
    + f'<p><a href="{OWN_IMAGE}"><img src="{OWN_IMAGE}" alt="photo"></a> The end.</p>'
)
COMMENT_BODY = f'As <a href="{COMMENT_LINK}">said before</a>, see <a href="{EXTERNAL}">this</a>.'


def _raw(post: Post, comments: list[Comment]) -> RawPost:
    return RawPost(
        url=post.url, title=post.title, body_html=post.body_html, post_id=post.id,
        published_attr=post.published_local, author_name="Leo",
        labels=tuple(RawLabel(t, f"{BASE}/search/label/{t}") for t in post.tags),
        comment_count=len(comments),
        comments=tuple(RawComment(post_url=post.url, comment_id=c.id, position=i, body_html=c.body_html,
                                  author_text="Ann", date_text="March 6, 2011 at 9:00 AM",
                                  permalink=f"{post.url}?showComment=1#c{c.id}")
                       for i, c in enumerate(comments)),
    )


def build_linky(folder: Path) -> Path:
    """A three-item blog whose second post links to the first in every form, as the crawl
    and transform stages leave it (raw pages and normalised tables in ``blog.db``)."""
    folder.mkdir(parents=True, exist_ok=True)
    posts = [
        Post(id="1001", url=BASE + "/2011/03/first-post.html", title="First post", slug="first-post",
             body_html="<p>The first one.</p>", body_text="The first one.", published="2011-03-05T18:00:00+00:00",
             published_local="2011-03-05T10:00:00-08:00", author_id="blogger:leo", tags=("client-service",)),
        Post(id="1002", url=BASE + "/2011/04/second-post.html", title="Second post", slug="second-post",
             body_html=SECOND_BODY, body_text="Intro & more text.", published="2011-04-02T18:00:00+00:00",
             published_local="2011-04-02T11:00:00-07:00", author_id="blogger:leo"),
        Post(id="1003", url=BASE + "/p/about.html", title="About", slug="about", body_html="<p>About me.</p>",
             body_text="About me.", published="2011-01-01T18:00:00+00:00", published_local="2011-01-01T10:00:00-08:00",
             author_id="blogger:leo", kind="page"),
    ]
    comments = {
        "1001": [Comment(id="501", post_id="1001", body_html="<p>Nice.</p>", body_text="Nice.",
                         published="2011-03-06T17:00:00+00:00", published_local="2011-03-06T09:00:00-08:00",
                         author_id="name:ann")],
        "1002": [Comment(id="502", post_id="1002", body_html=COMMENT_BODY, body_text="As said before, see this.",
                         published="2011-04-03T17:00:00+00:00", published_local="2011-04-03T10:00:00-07:00",
                         author_id="name:ann")],
        "1003": [],
    }
    with Archive.in_dir(folder) as archive:
        archive.set_blog_info(BlogInfo(url=BASE + "/", title="Linky", timezone="America/Los_Angeles",
                                       archive_months=(ArchiveMonth("2011-03", 1, BASE + "/2011/03/"),
                                                       ArchiveMonth("2011-04", 1, BASE + "/2011/04/"))))
        archive.store_page(BASE + "/", status=200, body="<html>home</html>", kind="home")
        for post in posts:
            archive.store_page(post.url, status=200, body=f"<html>{post.title}</html>",
                               kind=post.kind, posts=[_raw(post, comments[post.id])])
        save(archive.db, authors=[Author("blogger:leo", "Leo", is_owner=True), Author("name:ann", "Ann")],
             tags=[Tag("client-service", "Client Service", BASE + "/search/label/Client%20Service")],
             posts=posts, comments=[c for thread in comments.values() for c in thread])
    return folder


@pytest.fixture()
def linky(tmp_path: Path) -> Path:
    return build_linky(tmp_path / "out")


def hrefs(html: str) -> list[str]:
    """Every ``a href`` in an HTML body, in document order, as a browser reads them."""
    if not html.strip():
        return []
    return [a.get("href") for a in lxml.html.fragment_fromstring(html, create_parent="div").iter("a")]


def markdown_hrefs(markdown: str) -> list[str]:
    md = pytest.importorskip("markdown_it").MarkdownIt("commonmark")
    return hrefs(md.render(markdown))


def md_body(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    m = re.match(r"\A---\n.*?\n---\n\n(.*)\Z", text, re.DOTALL)
    assert m, path
    return m.group(1)


def redirect_map(folder: Path) -> dict[str, str]:
    return {unquote(old): new for old, new, _kind in read_redirects_csv(folder / "redirects" / "redirects.csv")}


def _expected(mapping: dict[str, str], href: str, old_path: str) -> str:
    """What the old link should become: its path's entry in the redirect maps (or the path
    itself when it stays the same on the new site), the fragment kept."""
    fragment = urlsplit(href).fragment
    return mapping.get(unquote(old_path), old_path) + (f"#{fragment}" if fragment else "")


@pytest.mark.parametrize("flavor", ["hugo", "jekyll"])
def test_markdown_links_follow_the_redirect_maps(linky: Path, flavor: str) -> None:
    summary = export(linky, ExportOptions(formats=("markdown",), flavor=flavor))
    mapping = redirect_map(linky)
    root = linky / "markdown"
    post = root / ("content/posts/second-post.md" if flavor == "hugo" else "_posts/2011-04-02-second-post.md")
    found = markdown_hrefs(md_body(post))
    expected = [_expected(mapping, href, old) for _what, href, old in LINKS] + [EXTERNAL, OWN_IMAGE]
    assert found == expected
    first = "/posts/first-post/" if flavor == "hugo" else "/2011/03/05/first-post.html"
    assert found[:3] == [first, first, first + "#c501"]
    assert found[3] == ("/tags/client-service/" if flavor == "hugo" else "/tag/client-service/")
    assert found[4] == ("/posts/" if flavor == "hugo" else "/")
    assert found[5] == ("/about/" if flavor == "hugo" else "/about.html") and found[6] == "/"
    assert "Intro & more\xa0text." in md_body(post) and "![photo](" + OWN_IMAGE + ")" in md_body(post)
    # comments keep their HTML in the data file; the permalink to a comment keeps its anchor
    data_dir = root / ("data" if flavor == "hugo" else "_data") / "comments"
    (comment,) = json.loads((data_dir / "second-post.json").read_text(encoding="utf-8"))
    assert hrefs(comment["body_html"]) == [first + "#c501", EXTERNAL]
    assert summary.counts["markdown"]["links_rewritten"] == len(LINKS) + 1


def test_wxr_links_match_the_wordpress_permalinks_it_declares(linky: Path) -> None:
    summary = export(linky, ExportOptions(formats=("wxr",)))
    parsed = parse_wxr(linky / "wordpress.xml")
    items = {dict(p["postmeta"])["_blogport_source_id"]: p for p in parsed["posts"] if p["post_type"] != "attachment"}
    first, second, about = items["1001"], items["1002"], items["1003"]
    year, month = first["post_date"][:4], first["post_date"][5:7]
    first_url = f"/{year}/{month}/{first['post_name']}/"
    assert first_url == "/2011/03/first-post/"
    (tag,) = parsed["tags"]
    assert hrefs(second["content"]) == [
        first_url, first_url, first_url + "#c501", f"/tag/{tag['slug']}/", "/2011/03/",
        f"/{about['post_name']}/", "/", EXTERNAL, OWN_IMAGE,
    ]
    (comment,) = second["comments"]
    assert hrefs(comment["comment_content"]) == [first_url + "#c501", EXTERNAL]
    # the old address stays where WordPress and redirect plugins look for it
    assert ("blogger_permalink", "/2011/04/second-post.html") in second["postmeta"]
    assert summary.counts["wxr"]["links_rewritten"] == len(LINKS) + 1
    # labels as categories: the category base
    export(linky, ExportOptions(formats=("wxr",), tags_as="categories"))
    second = next(p for p in parse_wxr(linky / "wordpress.xml")["posts"] if p["post_name"] == "second-post")
    assert hrefs(second["content"])[3] == "/category/client-service/"


def test_custom_pattern_reaches_every_format(linky: Path) -> None:
    export(linky, ExportOptions(formats=("wxr", "markdown"), new_url_pattern="/blog/{year}/{slug}/"))
    assert redirect_map(linky)["/2011/03/first-post.html"] == "/blog/2011/first-post/"
    assert markdown_hrefs(md_body(linky / "markdown/content/posts/second-post.md"))[:3] == [
        "/blog/2011/first-post/"] * 2 + ["/blog/2011/first-post/#c501"]
    second = next(p for p in parse_wxr(linky / "wordpress.xml")["posts"] if p["post_name"] == "second-post")
    assert hrefs(second["content"])[:3] == ["/blog/2011/first-post/"] * 2 + ["/blog/2011/first-post/#c501"]


def test_keeping_old_links_leaves_bodies_as_they_were(linky: Path) -> None:
    export(linky, ExportOptions(formats=("wxr", "markdown"), rewrite_links=False))
    second = next(p for p in parse_wxr(linky / "wordpress.xml")["posts"] if p["post_name"] == "second-post")
    assert second["content"] == SECOND_BODY
    assert second["comments"][0]["comment_content"] == COMMENT_BODY
    assert markdown_hrefs(md_body(linky / "markdown/content/posts/second-post.md")) == \
        [href for _what, href, _old in LINKS] + [EXTERNAL, OWN_IMAGE]


def _old_link_warnings(folder: Path) -> list[str]:
    report = validate(folder, ValidateOptions())
    return [f.message for f in report.findings if "still point at the old blog" in f.message]


def test_validation_no_longer_warns_about_old_links(linky: Path) -> None:
    export(linky, ExportOptions(formats=("wxr", "markdown"), rewrite_links=False))
    before = _old_link_warnings(linky)
    assert any("Second post" in m for m in before) and any("comment 502" in m for m in before)
    export(linky, ExportOptions(formats=("wxr", "markdown")))
    assert _old_link_warnings(linky) == []


def _two_host_blog(folder: Path) -> Path:
    """The same post path on the blogspot host and on a custom domain."""
    from tests.loaders.conftest import build_blog

    posts = [Post(id=str(i), url=f"http://{host}/2012/01/same.html", title=f"T{i}", slug="same", body_html="<p>x</p>",
                  body_text="x", published=f"2012-01-0{i}T00:00:00+00:00", published_local=f"2012-01-0{i}T00:00:00+00:00",
                  author_id="a") for i, host in ((1, "a.blogspot.com"), (2, "www.a.com"))]
    return build_blog(folder, {"authors": [Author("a", "A")], "tags": [], "posts": posts, "comments": []})


@pytest.mark.parametrize("target", ["hugo", "jekyll", "wordpress"])
def test_link_map_is_the_redirect_map(linky: Path, target: str) -> None:
    """Every redirect rule and every link rewrite come from the same entries; a path written
    twice (the same post path on two hosts) resolves the same way in both; a draft has no
    rule and links to it stay as they are."""
    from tests.loaders.conftest import build_blog

    nasty = build_blog(linky.parent / "nasty")
    two_hosts = _two_host_blog(linky.parent / "two")
    for folder in (linky, nasty, two_hosts):
        conn = sqlite3.connect(folder / "blog.db", isolation_level=None)
        try:
            source = ExportSource(conn)
            write_redirects(source, folder, flavor=target)
            urls = UrlMap(source, target)
            rewriter = LinkRewriter(source, urls)
            rows = read_redirects_csv(folder / "redirects" / "redirects.csv")
            assert rows
            for old, new, kind in rows:
                found = urls.lookup(unquote(old.split("?")[0]))
                assert found is not None and (unquote(found[0]), found[1]) == (unquote(new), kind), old
                assert rewriter.new_href(source.meta.url.replace("http:", "https:") + old) == new
            if folder == nasty:
                body = '<a href="http://nasty.blogspot.com/2010/04/draft.html">d</a>'
                assert rewriter.rewrite(body) is body
            if folder == two_hosts:
                (new,) = {n for o, n, _k in rows if o == "/2012/01/same.html"}
                assert rewriter.new_href("http://www.a.com/2012/01/same.html") == new
                assert rewriter.new_href("https://a.blogspot.de/2012/01/same.html?m=1") == new
        finally:
            conn.close()


def test_bodies_without_the_old_host_are_returned_untouched(linky: Path) -> None:
    conn = sqlite3.connect(linky / "blog.db", isolation_level=None)
    try:
        source = ExportSource(conn)
        rewriter = LinkRewriter(source, UrlMap(source, "hugo"))
        for body in ["<p>Plain<br/>text &amp; <b>bold</b></p>", f'<a href="{EXTERNAL}">x</a>',
                     "linky.blogspot.com named in text only, <p>unclosed", "", "<a href='/2011/03/unknown.html'>u</a>"]:
            assert rewriter.rewrite(body) is body
        # a rewritten body keeps its text, comments and leading white space
        body = f"\n <!-- more --><p>See <a href='{BASE}/2011/03/first-post.html'>this</a> &lt;ok&gt;</p>"
        assert rewriter.rewrite(body) == '\n <!-- more --><p>See <a href="/posts/first-post/">this</a> &lt;ok&gt;</p>'
    finally:
        conn.close()


@pytest.mark.parametrize("flavor", ["hugo", "jekyll"])
def test_rewritten_exports_are_byte_identical_on_rerun(linky: Path, flavor: str) -> None:
    def snapshot() -> dict[str, bytes]:
        return {p.relative_to(linky).as_posix(): p.read_bytes() for p in sorted(linky.rglob("*"))
                if p.is_file() and not p.name.startswith("blog.db")}

    export(linky, ExportOptions(formats=("wxr", "markdown"), flavor=flavor))
    first = snapshot()
    assert b'href="/' in first["wordpress.xml"]
    export(linky, ExportOptions(formats=("wxr", "markdown"), flavor=flavor))
    assert snapshot() == first
