"""crawler.links: navigation links of real Blogger pages and of small pages written here."""

from __future__ import annotations

from scrapy.http import HtmlResponse

from crawler.links import extract_links
from crawler.urls import classify
from tests.conftest import realdata_path


def _page(url: str, html: str) -> HtmlResponse:
    return HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8")


def _real(rel: str, url: str) -> HtmlResponse:
    return HtmlResponse(url, body=realdata_path(rel).read_bytes(), encoding="utf-8")


def test_post_page_of_a_layout_blog() -> None:
    url = "https://emacspeak.blogspot.com/2019/10/meta-programming-in-emacs-using.html"
    links = extract_links(_real("trafilatura/eval__emacspeak.blogspot.com.meta.html", url))
    assert links.newer == "https://emacspeak.blogspot.com/2019/11/emacspeak-510-asssistdog-unleashed.html"
    assert links.older == "https://emacspeak.blogspot.com/2019/05/emacspeak-500-sagedog-unleashed.html"
    assert links.home == "https://emacspeak.blogspot.com/"
    assert {links.newer, links.older} <= links.posts
    assert "https://emacspeak.blogspot.com/2019/10/" in links.archives
    assert "https://emacspeak.blogspot.com/2005/" in links.archives
    assert len(links.archives) > 50
    for group in (links.posts, links.archives, links.labels, links.pager, links.comment_pages):
        for link in group:
            assert link.startswith("https://emacspeak.blogspot.com/")
            assert "#" not in link and "showComment" not in link
    assert all(classify(u) == "archive" for u in links.archives)
    # nothing off the blog, no widget toggles, no feeds, no blogger.com
    assert not any("blogger.com" in u or "feeds" in u or "widgetType" in u for u in links.all())


def test_custom_domain_page_with_labels() -> None:
    url = "http://www.chineselyrics4u.com/2011/07/zhineng.html"
    links = extract_links(_real("trafilatura/cache__chineselyrics4u.com.zhineng.html", url))
    assert "http://www.chineselyrics4u.com/search/label/Mandarin" in links.labels
    assert "http://www.chineselyrics4u.com/search/label/Jam%20Hsiao%20Jing%20Teng" in links.labels
    assert len(links.labels) > 100
    assert links.older == "http://www.chineselyrics4u.com/2011/07/bu-pai-li-chu-pai-magic-power-mo-huan.html"
    assert all(u.startswith("http://www.chineselyrics4u.com/") for u in links.all())


def test_hosts_restrict_links() -> None:
    url = "https://emacspeak.blogspot.com/2019/10/meta-programming-in-emacs-using.html"
    response = _real("trafilatura/eval__emacspeak.blogspot.com.meta.html", url)
    assert extract_links(response, hosts=["other.blogspot.com"]).all() == frozenset()
    assert extract_links(response, hosts=["emacspeak.blogspot.co.uk"]).posts


HOME = """<html><head><title>Fixture</title></head><body>
<div class="blog-posts hfeed">
 <h3 class="post-title"><a href="/2009/08/client-service.html">Client service</a></h3>
 <a href="/2009/08/client-service.html#comments">5 comments</a>
 <a href="/2009/08/client-service.html?showComment=1250351400000#c1">link</a>
 <a href="http://127.0.0.1:8000/2009/08/client-service.html?m=1">mobile</a>
 <a href="2009/07/older.html?utm_source=feed">relative</a>
 <a href="//127.0.0.1:8000/p/about.html">about</a>
</div>
<div id="blog-pager">
 <a class="blog-pager-older-link" href="/search?updated-max=2009-08-01T10:00:00-07:00&amp;max-results=7" title="Older Posts">Older Posts</a>
</div>
<div class="widget BlogArchive">
 <a class="toggle" href="javascript:void(0)">&#9658;</a>
 <a class="post-count-link" href="/2009/">2009</a>
 <a class="post-count-link" href="/2009/08/">August</a>
 <a class="post-count-link" href="/2009/07/">July</a>
 <a href="/?widgetType=BlogArchive&amp;widgetId=BlogArchive1&amp;action=toggle&amp;dir=open">toggle</a>
</div>
<div class="widget Label"><a dir="ltr" href="/search/label/PR">PR</a><a href="/search/label/PR?m=1">PR</a></div>
<a href="/2009/08/client-service.html?commentPage=2">2</a>
<a href="/search?q=client">search</a>
<a href="/feeds/posts/default">feed</a>
<a href="http://other.blogspot.com/2009/08/theirs.html">blogroll</a>
<a href="mailto:me@example.com">mail</a>
<a>no href</a>
</body></html>"""


def test_sorted_canonical_and_unique() -> None:
    links = extract_links(_page("http://127.0.0.1:8000/", HOME))
    assert links.posts == {
        "http://127.0.0.1:8000/2009/08/client-service.html",
        "http://127.0.0.1:8000/2009/07/older.html",
    }
    assert links.pages == {"http://127.0.0.1:8000/p/about.html"}
    assert links.archives == {
        "http://127.0.0.1:8000/2009/",
        "http://127.0.0.1:8000/2009/08/",
        "http://127.0.0.1:8000/2009/07/",
    }
    assert links.labels == {"http://127.0.0.1:8000/search/label/PR"}
    assert links.pager == {"http://127.0.0.1:8000/search?max-results=7&updated-max=2009-08-01T10:00:00-07:00"}
    assert links.older == "http://127.0.0.1:8000/search?max-results=7&updated-max=2009-08-01T10:00:00-07:00"
    assert links.newer is None
    assert links.comment_pages == {"http://127.0.0.1:8000/2009/08/client-service.html?commentPage=2"}
    assert len(links) == len(links.all()) == 9


def test_base_href_and_empty_pages() -> None:
    html = '<html><head><base href="http://127.0.0.1:8000/2009/"></head><body><a href="08/x.html">x</a></body></html>'
    assert extract_links(_page("http://127.0.0.1:8000/", html)).posts == {"http://127.0.0.1:8000/2009/08/x.html"}
    assert extract_links(_page("http://127.0.0.1:8000/", "")).all() == frozenset()
