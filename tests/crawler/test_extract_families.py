"""The markup families of ``crawler.families`` and ``crawler.extract_listing`` on real pages
(../shared/realdata), checked against facts read in the files themselves."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from blogport.validate import ValidateOptions, validate
from crawler.extract import detect_template, extract_post, extract_posts, is_blogger_page
from crawler.extract_markup import page_of
from crawler.extract_comments import BylineComment
from crawler.extract_script import script_items
from crawler.families import COMMENT_SHAPES, TEMPLATE_FAMILIES, comment_nodes
from crawler.options import CrawlOptions
from crawler.run import crawl
from kernel.archive import Archive
from tests.conftest import realdata_path
from transform.options import TransformOptions
from transform.run import transform

GOOSE = "goose3/test_issue129.html"
DYNAMIC = "htmldate/eval__juliasleseblog.blogspot.com.irland.html"
DYNAMIC_URL = "http://juliasleseblog.blogspot.com/2018/08/irland-roadtrip.html"
GOOSE_URL = "http://lostinjit.blogspot.com/2011/10/pypy-and-road-towards-scipy.html"
CLEANEVAL = "trafilatura-pr185-cleaneval/"
_WRAPPER = re.compile(rb'^\s*<text id="([^"]+)"')


def real(rel: str, url: str | None = None, body: bytes | None = None) -> HtmlResponse:
    """A real page served at its URL: the CleanEval wrapper's, else ``url``."""
    data = realdata_path(rel).read_bytes() if body is None else body
    if url is None:
        match = _WRAPPER.match(data)
        assert match, f"{rel}: no URL given and no CleanEval wrapper line"
        url = match.group(1).decode()
    return HtmlResponse(url=url, body=data)


def test_every_shape_and_family_names_a_real_example() -> None:
    assert len({s.name for s in COMMENT_SHAPES}) == len(COMMENT_SHAPES)
    assert all(s.example for s in COMMENT_SHAPES) and all(f.example for f in TEMPLATE_FAMILIES)


def test_script_rendered_threaded_widget() -> None:
    response = real(GOOSE, GOOSE_URL)
    post = extract_post(response)
    assert detect_template(response) == "layout-threaded"
    assert [shape.name for shape, _ in comment_nodes(page_of(response))] == ["threaded"] * 7
    assert len(post.comments) == post.comment_count == 7
    first = post.comments[0]
    assert (first.comment_id, first.author_text, first.date_text) == (
        "5038916005497812552", "Dave Beazley", "October 27, 2011 at 5:39 AM")
    assert first.author_url == "http://www.blogger.com/profile/02802905126181462140"
    assert first.timestamp_ms == 1319719182528 and first.parent_id is None
    assert post.comments[1].is_blog_author  # cite.user.blog-author: Maciej Fijalkowski
    assert post.disagreements is None and post.comments_elsewhere is None


def test_comment_script_items_agree_with_the_markup() -> None:
    response = real(GOOSE, GOOSE_URL)
    items = script_items(page_of(response).text)
    markup = extract_post(response).comments
    assert [item["id"] for item in items] == [c.comment_id for c in markup]
    assert [item["author"]["name"] for item in items] == [c.author_text for c in markup]
    # octal escapes decoded, the body kept as HTML: "\46#39;" is "&#39;", "\74br /\76" is "<br />"
    assert items[0]["body"].startswith("I&#39;m going to play devil&#39;s advocate")
    assert "<br />" in items[1]["body"]


def test_markup_and_script_disagreeing_is_recorded() -> None:
    body = realdata_path(GOOSE).read_bytes().replace(b"'id': '6305406649190702282'", b"'id': '6305406649190702999'")
    post = extract_post(real(GOOSE, GOOSE_URL, body))
    assert len(post.comments) == 7
    assert "c6305406649190702999" in post.disagreements  # listed by the script only
    assert "c6305406649190702282" in post.disagreements  # shown by the markup only


def test_comments_never_rendered_come_from_the_script() -> None:
    text = realdata_path(GOOSE).read_text(encoding="utf-8")
    start = text.index("<div id='comment-holder'>")
    end = text.index("</div></div></div>", text.index("bc_0_8C"))  # the rendered thread
    body = (text[:start] + "<div id='comment-holder'>" + text[end:]).encode("utf-8")
    response = real(GOOSE, GOOSE_URL, body)
    assert comment_nodes(page_of(response)) == []
    post = extract_post(response)
    assert [c.author_text for c in post.comments][:2] == ["Dave Beazley", "Maciej Fijalkowski"]
    assert len(post.comments) == 7 and post.comments[0].timestamp_ms == 1319719182528


def test_classic_classless_list_comments() -> None:
    post = extract_post(real(CLEANEVAL + "finalrun-input__72.html"))
    assert detect_template(real(CLEANEVAL + "finalrun-input__72.html")) == "classic"
    assert len(post.comments) == post.comment_count == 3
    first = post.comments[0]
    assert first.comment_id == "111722094015807951"
    assert first.author_text == "By Kevin Schulman, at" and first.date_text == "3:09 PM"
    assert first.author_url == "http://www.blogger.com/profile/9457212"
    assert first.body_html.strip().startswith("<p>This study builds on our 2002 work.")
    assert post.author_name == "posted by Roy M. Poses MD"


def test_byline_comments_share_one_parser_and_an_html_comment_hides_no_author() -> None:
    # classic li#c and inline div.blogComment are rows of one byline parser
    by_name = {shape.name: shape.parse for shape in COMMENT_SHAPES}
    assert isinstance(by_name["classic-list"], BylineComment) and isinstance(by_name["inline"], BylineComment)
    data = realdata_path(CLEANEVAL + "finalrun-input__72.html").read_bytes().replace(
        b'<p class="comment-data">By <a href="http://www.blogger.com/profile/9457212"',
        b'<p class="comment-data"><!-- author -->By <a href="http://www.blogger.com/profile/9457212"', 1)
    first = extract_post(real(CLEANEVAL + "finalrun-input__72.html", body=data)).comments[0]
    assert first.author_text == "By Kevin Schulman, at" and first.date_text == "3:09 PM"
    assert first.author_url == "http://www.blogger.com/profile/9457212" and first.comment_id == "111722094015807951"


def test_classic_comment_data_at_date_name_said() -> None:
    post = extract_post(real(CLEANEVAL + "en-original__57.html"))
    assert len(post.comments) == post.comment_count == 22
    first = post.comments[0]
    assert (first.comment_id, first.date_text, first.author_text) == (
        "111395608922054770", "4/19/2005 07:14:49 PM", "Anonymous said...")
    assert first.permalink.endswith("#c111395608922054770")
    assert first.body_html.strip().startswith("<p>Hey joshua")


def test_classic_footer_with_the_date() -> None:
    post = extract_post(real(CLEANEVAL + "finalrun-input__129.html"))
    assert post.author_name == "posted by OLS"
    assert post.date_header == "Wednesday, June 15, 2005" and post.published_text == "9:37 AM"
    assert len(post.comments) == 3


@pytest.mark.parametrize(
    "rel,url",
    [
        ("graby/content__bjori.blogspot.com_2015_04_next-gen-mongodb-driver.html",
         "https://bjori.blogspot.com/2015/04/next-gen-mongodb-driver.html"),
        ("wcxb/dev__0441.html", None),
        ("wcxb/dev__4456.html", None),
        ("nreadability/SampleInput_02.html", None),
    ],
)
def test_no_byline_gives_no_author(rel: str, url: str | None) -> None:
    # footers holding "Labels: ...", share buttons or a location, and a byline that is only
    # its label ("Tłumaczenie:"), are not bylines
    body = realdata_path(rel).read_bytes()
    if url is None:
        match = re.search(rb"<link href='([^']+)' rel='canonical'", body) or re.search(
            rb"<link rel=.canonical. href=.([^'\"]+)", body)
        url = match.group(1).decode()
    assert extract_post(HtmlResponse(url=url, body=body)).author_name is None


def test_byline_at_the_end_of_the_body() -> None:
    post = extract_post(real("srid-readability/blogspot.orig.html",
                             "http://googleblog.blogspot.com/2010/09/google-health-update.html"))
    assert post.author_name == "Posted by Aaron Brown, Senior Product Manager"
    assert post.date_header == "9/15/2010 06:00:00 AM"  # printed inside the body by the theme


def test_byline_in_a_script_template_body() -> None:
    post = extract_post(real("extractus-article-extractor/test__data__blogContent.html",
                             "https://googleblog.blogspot.com/2016/11/fantastic-beasts.html"))
    assert post.author_name == "Posted by David Blanar, Apprentice Magizoologist, Google"


@pytest.mark.parametrize(
    "rel,url,service",
    [
        ("metascraper/integration__fastersite__input.html",
         "http://gent.ilcore.com/2012/06/better-timer-for-javascript.html", "Google+"),
        ("htmldate/test_set__1653190016.html",
         "https://azraelsmerryland.blogspot.com/2020/07/consumers-elevate-appeal-to-president.html", "Disqus"),
    ],
)
def test_comments_hosted_elsewhere(rel: str, url: str, service: str) -> None:
    post = extract_post(real(rel, url))
    assert post.comments_elsewhere == service
    assert post.comments == () and post.comment_count is None


def test_classic_home_page_of_sibling_posts() -> None:
    response = real(CLEANEVAL + "finalrun-input__783.html")
    assert is_blogger_page(response)
    posts = extract_posts(response)
    assert len(posts) == 10
    assert [p.title for p in posts[:3]] == ["To All", "Screwy", "Begging Your Indulgence"]
    assert posts[0].url == "http://www.users.muohio.edu/kelleycs/2006/12/to-all.html"
    assert posts[0].post_id == "2603468943910716482"
    assert posts[0].date_header == "Sunday, December 24, 2006"
    assert posts[0].author_name == "posted by Chris"
    assert "9:51 PM" in posts[0].published_text
    assert all(p.comments_elsewhere == "HaloScan" and p.comment_count is None for p in posts)
    assert "posted by Chris" not in posts[0].body_html and "Merry Christmas" in posts[0].body_html


def test_classic_weekly_archive_without_blogger_name() -> None:
    response = real(CLEANEVAL + "finalrun-input__725.html")
    assert is_blogger_page(response)  # Blogger's post ids on the anchors
    posts = extract_posts(response)
    base = "http://www.steelypips.org/principles/2005_05_08_principlearchive.php"
    assert [p.url for p in posts[:2]] == [f"{base}#111611798199525806", f"{base}#111581523538778669"]
    assert [p.title for p in posts][3] == "Singles of the Moment"
    # the date is printed once a day: the second post of 9 May inherits it
    assert posts[2].date_header == posts[3].date_header == "Monday, May 09, 2005"
    assert all(p.author_name is None for p in posts)
    assert all(p.comments_elsewhere == "BlogKomm" for p in posts)


def test_classic_archive_page_with_titles_inside_bodies() -> None:
    posts = extract_posts(real(CLEANEVAL + "finalrun-input__179.html"))
    assert len(posts) == 9
    assert posts[0].title == "A Detailed Plan For Iraq?"
    assert posts[0].url == "https://thestoppedclock.blogspot.com/2004/10/detailed-plan-for-iraq-throughout.html"
    assert posts[0].date_header == "Saturday, October 02, 2004"
    assert posts[0].author_name == "posted by Aaron"
    assert (posts[0].comment_count_text, posts[0].comment_count) == ("Comments (0)", 0)


@pytest.mark.parametrize(
    "rel,saved_as,count",
    [
        ("finalrun-input__783.html", "www.users.muohio.edu/kelleycs/mediablog.html", 10),
        ("finalrun-input__725.html", "www.steelypips.org/principles/2005_05_08_principlearchive.php", 6),
        ("finalrun-input__133.html", "orsa.blogspot.com/index.html", 11),
        ("finalrun-input__179.html", "thestoppedclock.blogspot.com/2004_09_26_thestoppedclock_archive.html", 9),
    ],
)
def test_mirror_of_listing_pages_only_is_a_blog(tmp_path: Path, rel: str, saved_as: str, count: int) -> None:
    target = tmp_path / "saved" / saved_as
    target.parent.mkdir(parents=True)
    shutil.copyfile(realdata_path(CLEANEVAL + rel), target)
    summary = crawl(str(tmp_path / "saved"), tmp_path / "out", CrawlOptions(progress=False))
    assert summary.via == "mirror" and summary.errors == 0
    with Archive.in_dir(tmp_path / "out") as archive:
        posts = list(archive.raw_posts())
    assert len(posts) == count == summary.posts_found
    assert all(p.title and len(p.body_html) > 100 for p in posts)


def test_dynamic_views_page_gives_what_it_holds_and_says_the_body_is_drawn_by_script() -> None:
    # The page is a shell: div.main is empty; only <title>, og:title and the _SetDataContext
    # data (view title "Irland Roadtrip ", postId 5080902832310451193, isPost) name the post.
    response = real(DYNAMIC, DYNAMIC_URL)
    assert detect_template(response) == "dynamic-views" and is_blogger_page(response)
    post = extract_post(response)
    assert (post.title, post.post_id, post.blog_id, post.kind) == (
        "Irland Roadtrip", "5080902832310451193", "4441630963059095420", "post")
    assert post.url == "https://juliasleseblog.blogspot.com/2018/08/irland-roadtrip.html"
    assert post.body_html == "" and post.author_name is None and post.date_header is None
    assert post.comments == () and post.comment_count is None  # unknown, not 0
    assert post.missing is not None and post.missing.startswith(
        "body drawn by script (Dynamic Views): the page holds the title only")
    assert "https://juliasleseblog.blogspot.com/feeds/posts/default holds the whole post" in post.missing
    assert post.language == "de"


def test_dynamic_views_body_in_noscript_is_read() -> None:
    data = realdata_path(DYNAMIC).read_bytes().replace(
        b"<body class='variant-magazine'>",
        b"<body class='variant-magazine'><noscript><p>Wir sind <b>los</b> &amp; weg.</p></noscript>", 1)
    post = extract_post(real(DYNAMIC, DYNAMIC_URL, body=data))
    assert post.body_html == "<p>Wir sind <b>los</b> &amp; weg.</p>"
    # what a <noscript> shows may be a part or a notice: the report still says how the post was read
    assert post.missing and "what its <noscript> shows (19 characters of text)" in post.missing


def test_only_the_dynamic_template_is_read_from_its_scripts() -> None:
    # every layout page names dynamicViewsScriptSrc in its data; that alone is no Dynamic Views page
    response = real("trafilatura/cache__blog.python.org.html", "https://blog.python.org/2016/12/python-360-is-now-available.html")
    assert "dynamicViewsScriptSrc" in page_of(response).text
    assert detect_template(response) != "dynamic-views" and extract_post(response).missing is None


def test_dynamic_views_mirror_is_archived_and_reported(tmp_path: Path) -> None:
    target = tmp_path / "saved" / "juliasleseblog.blogspot.com" / "2018" / "08" / "irland-roadtrip.html"
    target.parent.mkdir(parents=True)
    shutil.copyfile(realdata_path(DYNAMIC), target)
    summary = crawl(str(tmp_path / "saved"), tmp_path / "out", CrawlOptions(progress=False))
    assert summary.errors == 0 and summary.posts_found == 1
    with Archive.in_dir(tmp_path / "out") as archive:
        (post,) = list(archive.raw_posts())
    assert post.title == "Irland Roadtrip" and post.missing and "drawn by script" in post.missing
    transform(tmp_path / "out", TransformOptions())
    report = validate(tmp_path / "out", ValidateOptions())
    said = [f for f in report.findings if f.check == "crawl" and "body drawn by script" in f.message]
    assert len(said) == 1 and said[0].old_url == post.url
