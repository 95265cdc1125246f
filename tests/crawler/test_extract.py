"""Extraction on real Blogger pages (../shared/realdata), checked against facts read in the files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html as lxml_html
from scrapy.http import HtmlResponse, Response

from crawler.extract import (
    ExtractionError,
    comment_page_of,
    detect_template,
    extract_blog_info,
    extract_comments,
    extract_post,
    extract_posts,
    is_blogger_page,
    is_item_page,
)
from kernel.errors import BlogportError
from kernel.records import RawComment, RawPost
from crawler.urls import canonicalize
from tests.conftest import realdata_path

_CANONICAL = re.compile(rb"""<link\s+href=['"]([^'"]+)['"]\s+rel=['"]canonical['"]""")


def page_response(rel: str, url: str | None = None) -> HtmlResponse:
    """A response for a saved page, served at its own canonical URL (as the crawler meets it)."""
    body = realdata_path(rel).read_bytes()
    if url is None:
        match = _CANONICAL.search(body)
        assert match, f"{rel} has no canonical link"
        url = match.group(1).decode()
    return HtmlResponse(url=url, body=body, encoding="utf-8")


def markdown_comments_response(rel: str) -> HtmlResponse:
    """The HTML part of an e-gineer Markdown post (its classic comment block) as a page."""
    text = realdata_path(rel).read_text(encoding="utf-8")
    start = text.index('<div id="blogComments">')
    return HtmlResponse(url="https://www.e-gineer.com/v2/blog/post.html", body=text[start:].encode("utf-8"), encoding="utf-8")


# Facts read in the files themselves.
POST_PAGES = {
    "trafilatura/eval__abookshelffullofsunshine.blogspot.com.interview.html": dict(
        title="(News) Viertes eigenes Blog-Interview: Dieses Mal mit Anne Lück",
        date_header="Samstag, 5. Oktober 2013", author="Unknown", post_id="8358976888484216631",
        template="layout-threaded", language="de", comments=2,
    ),
    "trafilatura/cache__plentylife.blogspot.pamela-reif.html": dict(
        title="Strong & Beautiful - Pamela Reif [Rezension]", published_text="Mai 03, 2017",
        author="Sandra", post_id="1635172696041005740", template="layout-threaded", language="de",
        comments=1, count=1,
    ),
    "trafilatura/eval__weinlachgummis.blogspot.com.rezi.html": dict(
        title="[Rezi] Love is War - Sehnsucht von R. K. Lilley", date_header="Samstag, 9. September 2017",
        published_attr="2017-09-09T10:52:00+02:00", published_text="10:52", author="Weinlachgummi",
        post_id="9057142798779452920", template="layout-threaded", comments=1, count=1,
    ),
    "trafilatura/eval__hassanchef.com.bhindi.html": dict(
        title="Bhindi masala (okra stir fry)", published_attr="2020-09-15T09:32:00-07:00",
        published_text="September 15, 2020", author="Mobasir hassan", post_id="7274426057037123720",
        template="modern", comments=0, count=0,
    ),
    "trafilatura/eval__security.googleblog.com.protection.html": dict(
        title="Enhanced Safe Browsing Protection now available in Chrome", published_text="May 19, 2020",
        author="Posted by Nathan Parker, Varun Khaneja, Eric Mill and Kiran C Nair - Chrome Safe Browsing team",
        post_id="8124570213217375432", template="layout-flat", comments=0, count=None,
        comments_elsewhere="Google+",
    ),
    "trafilatura/cache__blog.python.org.html": dict(
        title="Python 3.6.0 is now available!", date_header="Friday, December 23, 2016",
        published_attr="2016-12-23T05:11:00-05:00", published_text="5:11 AM", author="Ned Deily",
        post_id="3969073602705017876", comments=0, comments_elsewhere="Disqus",
    ),
    "trafilatura/cache__chineselyrics4u.com.zhineng.html": dict(
        title="Zhi Neng Xiang Nian Ni - Jam Hsiao Jing Teng (只能想念你 - 蕭敬騰)",
        date_header="Thursday, July 28, 2011", published_attr="2011-07-28T12:11:00+08:00",
        published_text="12:11 PM", author="K A", post_id="490021973046048304", template="layout-flat",
        comments=0, count=0,
    ),
    "trafilatura/eval__bumsbutzener-gumpfen.blogspot.com.tach-auch.html": dict(
        title="Tach auch!", date_header="Dienstag, 28. April 2020", published_attr="2020-04-28T21:11:00+02:00",
        published_text="21:11", author="der Michel", comments=0, count=0,
    ),
    "trafilatura/eval__emacspeak.blogspot.com.meta.html": dict(
        title="Meta-Programming In Emacs Using Defadvice", date_header="Wednesday, October 16, 2019",
        published_attr="2019-10-16T14:33:00-07:00", author="T. V. Raman", post_id="4544335809639638846",
        language="en", comments=0,
    ),
    "trafilatura/eval__sibenlab.blogspot.com.privacy.html": dict(
        title="SibenLab privacy policy", date_header="mardi 5 juin 2018", published_text="08:00",
        author="Unknown", language="fr", comments=0, count=0,
    ),
    "mozilla-readability/source.html": dict(
        title="Open Verilog flow for Silego GreenPak4 programmable logic devices",
        date_header="Sunday, May 8, 2016", published_attr="2016-05-08T00:55:00-07:00",
        published_text="12:55 AM", author="Andrew Zonenberg", post_id="932306423056216142",
        template="layout-flat", comments=0, count=0,
    ),
    "htmldate/test_set__1653190016.html": dict(
        title="CONSUMERS ELEVATE APPEAL TO PRESIDENT DUTERTE, SC MORE POWER wallops Iloilo with double "
        "whammy of brownouts, bill shocks",
        date_header="Sunday, July 05, 2020", author="Azrael Coladilla", post_id="2600469197793155388",
        language="en-US", comments=0, comments_elsewhere="Disqus",
    ),
}


@pytest.mark.parametrize("rel", sorted(POST_PAGES))
def test_real_post_pages(rel: str) -> None:
    facts = POST_PAGES[rel]
    response = page_response(rel)
    assert is_blogger_page(response)
    assert is_item_page(response)
    post = extract_post(response)
    assert isinstance(post, RawPost)
    assert post.url == canonicalize(response.url)
    assert post.title == facts["title"]
    assert post.author_name == facts["author"]
    assert post.comments_elsewhere == facts.get("comments_elsewhere")
    for key in ("date_header", "published_attr", "published_text", "post_id", "template", "language"):
        if key in facts:
            assert getattr(post, key) == facts[key], key
    assert post.date_header or post.published_attr or post.published_text
    assert post.kind == "post" and post.source == "html"
    assert len(post.body_html) > 200 and "<" in post.body_html
    assert len(post.comments) == facts["comments"]
    if "count" in facts:
        assert post.comment_count == facts["count"]
    assert [c.position for c in post.comments] == list(range(len(post.comments)))
    assert all(c.post_url == post.url for c in post.comments)
    # extract_posts sees the same single post
    assert [p.url for p in extract_posts(response)] == [post.url]


def test_abookshelf_threaded_reply_dated_only_by_show_comment() -> None:
    response = page_response("trafilatura/eval__abookshelffullofsunshine.blogspot.com.interview.html")
    post = extract_post(response)
    first, reply = post.comments
    assert first.comment_id == "4265235981837780782"
    assert first.author_text == "Ruby"
    assert first.author_url == "http://ruby-celtic.blog.de/"
    assert first.date_text == "21:00"
    assert first.timestamp_ms == 1381172401460
    assert first.header_text == "Ruby21:00"
    assert first.parent_id is None and not first.is_blog_author
    assert first.body_html.startswith("Hey,<br><br>ein wirklich tolles Interview.")
    assert reply.comment_id == "8091037830143968017"
    assert reply.parent_id == "4265235981837780782"
    assert reply.author_text == "Unknown"
    assert reply.author_url == "https://www.blogger.com/profile/17995061625121164959"
    assert reply.is_blog_author
    assert reply.date_text == "07:56"
    assert reply.timestamp_ms == 1381298197474
    assert reply.permalink.endswith("?showComment=1381298197474#c8091037830143968017")
    # the heading " Kommentare:" declares no number
    assert post.comment_count is None
    assert [label.name for label in post.labels] == [
        "Anne", "Der Weg des Unsterblichen", "Endless Life", "Interview", "Lück", "News",
    ]
    assert post.labels[4].url == "https://abookshelffullofsunshine.blogspot.com/search/label/L%C3%BCck"
    assert post.author_url == "https://www.blogger.com/profile/17995061625121164959"
    assert post.blog_id == "5752296526548674102"


def test_plentylife_comment_keeps_german_us_order_date() -> None:
    post = extract_post(page_response("trafilatura/cache__plentylife.blogspot.pamela-reif.html"))
    (comment,) = post.comments
    assert comment.author_text == "Andjela Gligorijevic"
    assert comment.date_text == "Mittwoch, Mai 10, 2017 4:14:00 PM"
    assert comment.header_text == "Andjela GligorijevicMittwoch, Mai 10, 2017 4:14:00 PM"
    assert comment.timestamp_ms == 1494425649856
    assert comment.comment_id == "5689936624652663696"
    assert post.comment_count_text == "1 Meinungen"
    assert post.author_url is None  # the theme links the author to "#"


def test_weinlachgummis_comment_and_entity_in_blog_title() -> None:
    response = page_response("trafilatura/eval__weinlachgummis.blogspot.com.rezi.html")
    post = extract_post(response)
    (comment,) = post.comments
    assert comment.date_text == "10. September 2017 um 18:12"
    assert comment.author_text == "Unknown"
    assert comment.timestamp_ms == 1505059956197
    assert post.comment_count_text == "1 Kommentar:"
    assert len(post.labels) == 8
    info = extract_blog_info(response)
    assert info is not None
    assert info.title == "Weinlachgummi\u00b4s Naschtüte"
    assert info.blog_id == "3777486878889148862"
    assert info.url == "https://weinlachgummis.blogspot.com/"


def test_hassanchef_modern_theme_time_published() -> None:
    response = page_response("trafilatura/eval__hassanchef.com.bhindi.html")
    post = extract_post(response)
    assert post.published_attr == "2020-09-15T09:32:00-07:00"
    assert post.author_url == "https://www.blogger.com/profile/18169630202487810573"
    assert [(label.name, label.url) for label in post.labels] == [
        ("Veg recipes", "https://www.hassanchef.com/search/label/Veg%20recipes")
    ]
    # the related-posts widget inside the article is not the title
    assert "You might like" not in post.title
    assert detect_template(response) == "modern"


def test_readability_body_matches_readabilitys_oracle() -> None:
    response = page_response("mozilla-readability/source.html")
    post = extract_post(response)
    expected = lxml_html.fromstring(realdata_path("mozilla-readability/expected.html").read_bytes())
    paragraphs = [" ".join(p.text_content().split()) for p in expected.iter("p")]
    paragraphs = [p for p in paragraphs if len(p) > 60]
    assert len(paragraphs) > 5
    body_text = " ".join(lxml_html.fromstring(f"<div>{post.body_html}</div>").text_content().split())
    for paragraph in paragraphs:
        assert paragraph in body_text
    assert [label.name for label in post.labels] == ["FPGA", "Tools"]
    assert post.comment_count_text == "No comments:"


def test_readability_blog_info_and_archive() -> None:
    info = extract_blog_info(page_response("mozilla-readability/source.html"))
    assert info is not None
    assert info.title == "Silicon Exposed"
    assert info.blog_id == "175004091875960054"
    assert info.url == "http://siliconexposed.blogspot.com/"
    assert info.generator == "blogger"
    assert info.feeds[0] == "http://siliconexposed.blogspot.com/feeds/posts/default"
    assert all(feed.endswith("/default") for feed in info.feeds)
    months = {m.month: m for m in info.archive_months}
    assert months["2016-05"].count == 1
    assert all(re.fullmatch(r"\d{4}-\d{2}", m) for m in months)
    assert len(months) == len(info.archive_months)


def test_hierarchy_archive_months_with_counts() -> None:
    info = extract_blog_info(page_response("trafilatura/eval__abookshelffullofsunshine.blogspot.com.interview.html"))
    assert info is not None
    months = {m.month: m for m in info.archive_months}
    # "Mai (2)", "April (8)", "März (3)" under "2019 (22)": the year itself is no month
    assert months["2019-05"].count == 2
    assert months["2019-04"].count == 8
    assert months["2019-03"].count == 3
    assert months["2019-05"].url == "https://abookshelffullofsunshine.blogspot.com/2019/05/"
    assert info.language == "de"


def test_weekly_archive_is_not_read_as_months() -> None:
    # this blog archives by week ("07/05 - 07/12" -> 2020_07_05_archive.html); a week that
    # starts on the 1st is still a week
    info = extract_blog_info(page_response("htmldate/test_set__1653190016.html"))
    assert info is not None
    assert info.archive_months == ()
    assert info.blog_id == "5491504"
    assert info.title == "Azrael's Merryland Blog - Lifestyle, Travel, Food, and Tech"


@pytest.mark.parametrize(
    "rel, count, first_id, first_author, first_date",
    [
        ("e-gineer-blog/2007-08-18-our-intranet-wiki-case-study-of-wiki.md", 22, "2461314218101005754",
         "jon silvers", "August 21, 2007 7:44 AM"),
        ("e-gineer-blog/2006-02-01-15lb-burger.md", 11, "113883456785357540", "Victor", "February 02, 2006 9:56 AM"),
        ("e-gineer-blog/2005-08-16-unofficial-history-of-synop.md", 7, "112422762766571678", "Rod",
         "August 17, 2005 7:27 AM"),
    ],
)
def test_inline_classic_comments(rel: str, count: int, first_id: str, first_author: str, first_date: str) -> None:
    response = markdown_comments_response(rel)
    comments = extract_comments(response, "https://www.e-gineer.com/v2/blog/post.html")
    assert len(comments) == count
    assert all(isinstance(c, RawComment) for c in comments)
    first = comments[0]
    assert first.comment_id == first_id
    assert first.author_text == f"Comment by {first_author} on"
    assert first.date_text == first_date
    assert first.header_text == f"Comment by {first_author} on {first_date}"
    assert first.permalink == f"https://www.e-gineer.com/v2/blog/post.html#c{first_id}"
    assert [c.position for c in comments] == list(range(count))
    assert len({c.comment_id for c in comments}) == count
    assert all(c.body_html and c.date_text and c.parent_id is None for c in comments)
    # the raw file's ids, in order
    ids = re.findall(r'<a name="c(\d+)">', realdata_path(rel).read_text(encoding="utf-8"))
    assert [c.comment_id for c in comments] == ids


def test_inline_classic_keeps_br_markup_raw() -> None:
    response = markdown_comments_response("e-gineer-blog/2006-02-01-15lb-burger.md")
    comments = extract_comments(response, "https://www.e-gineer.com/v2/blog/post.html")
    assert comments[2].body_html == "Burger-rific!!<br>What, no fries (chips)?"
    assert comments[1].author_text == "Comment by Nathan @ e-gineer on"


def test_comment_page_and_offset_continue_positions() -> None:
    response = page_response("trafilatura/eval__abookshelffullofsunshine.blogspot.com.interview.html")
    comments = extract_comments(response, "https://example.org/post.html", page=2, position_offset=200)
    assert [c.position for c in comments] == [200, 201]
    assert {c.page for c in comments} == {2}
    assert {c.post_url for c in comments} == {"https://example.org/post.html"}
    assert comment_page_of("https://x.blogspot.com/2009/08/a.html?commentPage=3") == 3
    assert comment_page_of("https://x.blogspot.com/2009/08/a.html") == 1


def test_js_rendered_page_raises_extraction_error() -> None:
    # the Dynamic Views page without the meta tag that names its template: no family reads it
    # (the page itself, read as Dynamic Views: tests/crawler/test_extract_families.py)
    real = page_response("htmldate/eval__juliasleseblog.blogspot.com.irland.html")
    body = real.body.replace(b"<meta content='dynamic' name='blogger-template'/>", b"", 1)
    assert body != real.body
    response = real.replace(body=body)
    assert is_blogger_page(response)
    with pytest.raises(ExtractionError) as caught:
        extract_post(response)
    assert "no post markup" in caught.value.reason
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, BlogportError)
    assert "\n" not in str(caught.value)
    assert extract_posts(response) == []
    info = extract_blog_info(response)
    assert info is not None and info.title == "Julias Lesewelt" and info.language == "de"


def test_not_blogger_and_not_html() -> None:
    empty = HtmlResponse(url="https://example.org/", body=b"<html><body><p>Hello</p></body></html>", encoding="utf-8")
    assert not is_blogger_page(empty)
    assert extract_blog_info(empty) is None
    assert extract_posts(empty) == []
    assert extract_comments(empty, "https://example.org/") == []
    with pytest.raises(ExtractionError):
        extract_post(empty)
    binary = Response(url="https://example.org/a.png", body=b"\x89PNG\r\n\x1a\n")
    assert not is_blogger_page(binary)  # type: ignore[arg-type]
    with pytest.raises(ExtractionError, match="not an HTML page"):
        extract_post(binary)  # type: ignore[arg-type]


def test_every_real_blogger_page_is_recognised() -> None:
    root = realdata_path("trafilatura")
    pages = sorted(Path(root).glob("*.html"))
    assert len(pages) == 10
    for path in pages:
        response = HtmlResponse(url="https://example.org/x.html", body=path.read_bytes(), encoding="utf-8")
        assert is_blogger_page(response), path.name


# Markup variants that neither the saved pages nor the fixture blog show, written as Blogger
# renders them.


def _markup(url: str, body: str, head: str = "<meta content='blogger' name='generator'/>") -> HtmlResponse:
    html = f"<!DOCTYPE html><html lang='es'><head>{head}</head><body>{body}</body></html>"
    return HtmlResponse(url=url, body=html.encode("utf-8"), encoding="utf-8")


def test_dropdown_archive_widget() -> None:
    page = _markup(
        "https://x.blogspot.com/",
        "<div class='widget BlogArchive' id='BlogArchive1'><div class='widget-content'>"
        "<select id='BlogArchive1_ArchiveMenu'><option value=''>Archivo del blog</option>"
        "<option value='https://x.blogspot.com/2009/08/'>agosto (4)</option>"
        "<option value='https://x.blogspot.com/2009/07/'>julio 2009 (12)</option>"
        "<option value='https://x.blogspot.com/2009/'>2009 (16)</option>"
        "</select></div></div>",
    )
    info = extract_blog_info(page)
    assert info is not None
    assert [(m.month, m.count, m.url) for m in info.archive_months] == [
        ("2009-08", 4, "https://x.blogspot.com/2009/08/"),
        ("2009-07", 12, "https://x.blogspot.com/2009/07/"),
    ]
    assert info.language == "es"


def test_modern_index_page_lists_snippets() -> None:
    page = _markup(
        "https://x.blogspot.com/",
        "<div class='widget Blog' id='Blog1'><div class='blog-posts hfeed container'>"
        "<article class='post-outer-container'><div class='post-outer'><div class='post'>"
        "<h3 class='post-title entry-title'><a href='https://x.blogspot.com/2019/05/uno.html'>Uno</a></h3>"
        "<div class='post-header'><span class='byline post-timestamp'><a class='timestamp-link' "
        "href='https://x.blogspot.com/2019/05/uno.html' rel='bookmark'><time class='published' "
        "datetime='2019-05-02T10:00:00-07:00'>mayo 2, 2019</time></a></span></div>"
        "<div class='container post-body entry-content'></div>"
        "</div></div></article>"
        "<article class='post-outer-container'><div class='post-outer'><div class='post'>"
        "<h3 class='post-title entry-title'><a href='https://x.blogspot.com/2019/04/dos.html'>Dos</a></h3>"
        "<div class='post-snippet snippet-container'><div class='snippet-item'>Texto &amp; más</div></div>"
        "<span class='byline post-comment-link'><a class='comment-link' href='https://x.blogspot.com/2019/04/dos.html#comments'>3 comentarios</a></span>"
        "</div></div></article></div></div>",
    )
    posts = extract_posts(page)
    assert [(p.title, p.url) for p in posts] == [
        ("Uno", "https://x.blogspot.com/2019/05/uno.html"),
        ("Dos", "https://x.blogspot.com/2019/04/dos.html"),
    ]
    assert posts[0].published_attr == "2019-05-02T10:00:00-07:00"
    assert posts[0].template == "modern"
    # the second shows only a snippet: no body markup, the snippet kept as found
    assert posts[1].body_html == "<div class=\"snippet-item\">Texto &amp; más</div>"
    assert (posts[1].comment_count_text, posts[1].comment_count) == ("3 comentarios", 3)


def test_body_is_post_body_inside_entry_content() -> None:
    page = _markup(
        "https://x.blogspot.com/2010/01/a.html",
        "<div class='post hentry'><h3 class='post-title'>A</h3><div class='entry-content'>"
        "<div class='post-body'><p>Real body</p></div><div class='post-footer'>"
        "<span class='post-author vcard'>Posted by <span class='fn'>Ana</span></span></div></div></div>",
    )
    post = extract_post(page)
    assert post.body_html == "<p>Real body</p>"
    assert post.author_name == "Ana"
    assert post.template == "classic"


def test_classic_footer_author_and_time() -> None:
    page = _markup(
        "https://x.blogspot.com/2005/03/old.html",
        "<div id='main'><h2 class='date-header'>Tuesday, March 01, 2005</h2>"
        "<div class='post'><a name='111'></a><h3 class='post-title'>Old</h3>"
        "<div class='post-body'><div>Text</div></div>"
        "<p class='post-footer'><em>posted by <a href='http://www.blogger.com/profile/42'>Leo</a> @ "
        "<a href='https://x.blogspot.com/2005/03/old.html' title='permanent link'>7:00 AM</a></em> "
        "<a class='comment-link' href='https://x.blogspot.com/2005/03/old.html#comments'>2 comments</a></p></div>"
        "<div id='comments'><h4>2 Comments:</h4><dl id='comments-block'>"
        "<dt class='comment-poster' id='c1'><a name='c1'></a><a href='http://www.blogger.com/profile/7'>Ann</a> said...</dt>"
        "<dd class='comment-body'><p>First</p></dd>"
        "<dd class='comment-timestamp'><a href='#c1' title='comment permalink'>3/01/2005 9:10 AM</a></dd>"
        "<dt class='comment-poster' id='c2'><a name='c2'></a>Anonymous said...</dt>"
        "<dd class='comment-body'><p><span class='deleted-comment'>This comment has been removed by the author.</span></p></dd>"
        "<dd class='comment-timestamp'><a href='#c2' title='comment permalink'>3/02/2005 1:00 PM</a></dd>"
        "</dl></div></div>",
    )
    post = extract_post(page)
    assert post.author_name == "posted by Leo"
    assert post.author_url == "http://www.blogger.com/profile/42"
    assert post.published_text == "7:00 AM"
    assert post.date_header == "Tuesday, March 01, 2005"
    assert post.post_id == "111"
    assert (post.comment_count_text, post.comment_count) == ("2 comments", 2)
    first, second = post.comments
    assert (first.comment_id, first.author_text, first.author_url, first.date_text) == (
        "1", "Ann said...", "http://www.blogger.com/profile/7", "3/01/2005 9:10 AM",
    )
    assert first.permalink == "https://x.blogspot.com/2005/03/old.html#c1"
    assert not first.deleted
    assert second.deleted and second.author_text == "Anonymous said..." and second.author_url is None


def test_threaded_comment_parts_without_child_elements(recwarn: pytest.WarningsRecorder) -> None:
    # An element with no children is false in a truth test (lxml warns): a header holding only
    # its cite, a bare-text timestamp and an empty body must still be read as found.
    page = _markup(
        "https://x.blogspot.com/2012/05/a.html",
        "<div class='widget Blog' id='Blog1'><div class='post-outer'><div class='post hentry'>"
        "<h3 class='post-title'>A</h3><div class='post-body'>Body</div></div>"
        "<div class='comments' id='comments'><div id='comment-holder'><div class='comment-thread'><ol>"
        "<li class='comment' id='c7'><div class='comment-block'>"
        "<div class='comment-header'><cite class='user'>Ann</cite><span class='datetime'>May 1, 2012</span></div>"
        "<p class='comment-content'></p></div></li>"
        "</ol></div></div></div></div></div>",
    )
    (comment,) = extract_post(page).comments
    assert (comment.comment_id, comment.author_text, comment.date_text) == ("7", "Ann", "May 1, 2012")
    assert comment.header_text == "AnnMay 1, 2012" and comment.body_html == "" and not comment.deleted
    assert not [w for w in recwarn if issubclass(w.category, FutureWarning)]
