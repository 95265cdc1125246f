"""crawler.urls: canonical URLs and URL classes, on real-looking Blogger URLs."""

from __future__ import annotations

import pytest

from crawler.urls import (
    blog_hosts,
    canonicalize,
    classify,
    comment_page_number,
    fold_host,
    is_index_pager,
    post_url_of,
    same_blog,
)

POST = "https://emacspeak.blogspot.com/2019/10/meta-programming-in-emacs-using.html"


@pytest.mark.parametrize(
    "raw, expected",
    [
        # comment permalinks, fragments
        (POST + "?showComment=1250351400000#c4544335809639638846", POST),
        (POST + "#comment-form", POST),
        (POST + "#more", POST),
        (POST + "?showComment=1250351400000", POST),
        # mobile / desktop views
        (POST + "?m=1", POST),
        (POST + "?m=0", POST),
        ("https://emacspeak.blogspot.com/?m=1", "https://emacspeak.blogspot.com/"),
        # tracking
        (POST + "?utm_source=feedburner&utm_medium=feed&utm_campaign=Feed%3A+emacspeak", POST),
        (POST + "?spref=tw", POST),
        (POST + "?fbclid=IwAR0abc&m=1", POST),
        (POST + "?gclid=x&utm_content=y#c1", POST),
        # schemes and country domains
        ("http://emacspeak.blogspot.com/2019/10/meta-programming-in-emacs-using.html", POST),
        ("http://emacspeak.blogspot.co.uk/2019/10/meta-programming-in-emacs-using.html", POST),
        ("https://emacspeak.blogspot.de/2019/10/meta-programming-in-emacs-using.html", POST),
        ("https://emacspeak.blogspot.com.es/2019/10/meta-programming-in-emacs-using.html", POST),
        ("http://EMACSPEAK.Blogspot.COM.AU/2019/10/meta-programming-in-emacs-using.html", POST),
        ("https://emacspeak.blogspot.in/2019/10/meta-programming-in-emacs-using.html?m=1", POST),
        ("https://emacspeak.blogspot.com:443/2019/10/meta-programming-in-emacs-using.html", POST),
        # custom domains keep their scheme
        ("http://blog.python.org/2016/12/python-2713-released.html#links",
         "http://blog.python.org/2016/12/python-2713-released.html"),
        ("HTTP://WWW.Hassanchef.com/2020/09/kadai-chicken.html", "http://www.hassanchef.com/2020/09/kadai-chicken.html"),
        ("http://127.0.0.1:8080/2009/08/client-service-or-client.html?showComment=1#c2",
         "http://127.0.0.1:8080/2009/08/client-service-or-client.html"),
        ("http://localhost:80/", "http://localhost/"),
        # parameters that select content are kept, sorted
        (POST + "?commentPage=2", POST + "?commentPage=2"),
        (POST + "?commentPage=2&showComment=123#c123", POST + "?commentPage=2"),
        (POST + "?commentPage=1", POST),
        ("https://emacspeak.blogspot.com/search?updated-max=2020-10-09T13:38:00-07:00&max-results=7",
         "https://emacspeak.blogspot.com/search?max-results=7&updated-max=2020-10-09T13:38:00-07:00"),
        ("https://emacspeak.blogspot.com/search/label/emacs?max-results=20&m=1&utm_source=x",
         "https://emacspeak.blogspot.com/search/label/emacs?max-results=20"),
        ("https://x.blogspot.com/feeds/posts/default?start-index=26&max-results=25&alt=atom",
         "https://x.blogspot.com/feeds/posts/default?alt=atom&max-results=25&start-index=26"),
        # encoding: spaces and non-ASCII in label paths
        ("http://www.chineselyrics4u.com/search/label/Jam Hsiao Jing Teng",
         "http://www.chineselyrics4u.com/search/label/Jam%20Hsiao%20Jing%20Teng"),
        ("http://www.chineselyrics4u.com/search/label/Jam%20Hsiao%20Jing%20Teng",
         "http://www.chineselyrics4u.com/search/label/Jam%20Hsiao%20Jing%20Teng"),
        ("https://x.blogspot.com/search/label/Küche", "https://x.blogspot.com/search/label/K%C3%BCche"),
        # empty path, /index.html
        ("https://x.blogspot.com", "https://x.blogspot.com/"),
        ("http://127.0.0.1:5000/index.html", "http://127.0.0.1:5000/"),
    ],
)
def test_canonicalize(raw: str, expected: str) -> None:
    assert canonicalize(raw) == expected


def test_canonicalize_is_idempotent() -> None:
    samples = [
        POST + "?commentPage=3&utm_source=x#c9",
        "http://x.blogspot.co.uk/search?updated-max=2009-08-15T09:50:00%2B02:00&max-results=7&m=1",
        "http://blog.python.org/search/label/releases",
    ]
    for url in samples:
        once = canonicalize(url)
        assert canonicalize(once) == once


def test_source_scheme_applies_to_custom_hosts_only() -> None:
    assert canonicalize("http://blog.python.org/2016/12/x.html", "https") == "https://blog.python.org/2016/12/x.html"
    assert canonicalize("https://blog.python.org/2016/12/x.html", "http") == "http://blog.python.org/2016/12/x.html"
    assert canonicalize("http://x.blogspot.com/2016/12/x.html", "http") == "https://x.blogspot.com/2016/12/x.html"


def test_non_http_urls_are_left_alone() -> None:
    for url in ("mailto:someone@example.com", "javascript:void(0)", "ftp://example.com/x"):
        assert canonicalize(url) == url
        assert classify(url) == "other"


def test_plus_and_colon_in_query_values_survive() -> None:
    url = "https://x.blogspot.com/search?updated-max=2009-08-15T09:50:00%2B02:00&max-results=7"
    assert "updated-max=2009-08-15T09:50:00%2B02:00" in canonicalize(url)


@pytest.mark.parametrize(
    "url, kind",
    [
        (POST, "post"),
        (POST + "?commentPage=2", "comments"),
        ("https://x.blogspot.com/p/about.html", "page"),
        ("https://x.blogspot.com/p/about.html?commentPage=2", "comments"),
        ("https://x.blogspot.com/2009/08/", "archive"),
        ("https://x.blogspot.com/2009/", "archive"),
        ("https://x.blogspot.com/2009/08/15/", "archive"),
        ("https://x.blogspot.com/2009/08", "archive"),
        ("http://www.example.com/blog/2007_08_01_archive.html", "archive"),
        ("http://www.e-gineer.com/blog/2007/08/our-intranet-wiki-case-study-of-wiki.html", "post"),
        ("https://x.blogspot.com/search/label/PR", "label"),
        ("https://x.blogspot.com/search/label/PR?max-results=20&updated-max=2009-08-15T09:50:00-07:00", "label"),
        ("https://x.blogspot.com/search?max-results=7&updated-max=2009-08-15T09:50:00-07:00", "search"),
        ("https://x.blogspot.com/search?q=client", "search"),
        ("https://x.blogspot.com/feeds/posts/default", "feed"),
        ("https://x.blogspot.com/feeds/932306423056216142/comments/default", "feed"),
        ("http://siliconexposed.blogspot.com/feeds/posts/default?alt=rss", "feed"),
        ("http://www.example.com/blog/atom.xml", "feed"),
        ("https://x.blogspot.com/", "home"),
        ("https://x.blogspot.com/?action=toggle&dir=open&widgetId=BlogArchive1&widgetType=BlogArchive", "other"),
        ("https://x.blogspot.com/favicon.ico", "other"),
        ("https://x.blogspot.com/robots.txt", "other"),
        ("https://www.blogger.com/profile/03589687652590194428", "other"),
    ],
)
def test_classify(url: str, kind: str) -> None:
    assert classify(url) == kind


def test_comment_page_helpers() -> None:
    url = canonicalize(POST + "?commentPage=3&m=1")
    assert comment_page_number(url) == 3
    assert post_url_of(url) == POST
    assert comment_page_number(POST) == 1


def test_index_pager() -> None:
    assert is_index_pager("https://x.blogspot.com/search?max-results=7&updated-max=2009-08-15T09:50:00-07:00")
    assert is_index_pager("https://x.blogspot.com/search?reverse-paginate=true&updated-min=2009-08-15T09:50:00-07:00")
    assert not is_index_pager("https://x.blogspot.com/search?q=client")


def test_fold_host() -> None:
    assert fold_host("Foo.BlogSpot.co.uk") == "foo.blogspot.com"
    assert fold_host("foo.blogspot.com.br") == "foo.blogspot.com"
    assert fold_host("1.bp.blogspot.com") == "1.bp.blogspot.com"  # image host, not a blog
    assert fold_host("blog.python.org") == "blog.python.org"


def test_same_blog() -> None:
    hosts = blog_hosts(["https://emacspeak.blogspot.com/"])
    assert same_blog("http://emacspeak.blogspot.co.uk/2019/10/x.html", hosts)
    assert same_blog("https://emacspeak.blogspot.de/", ["emacspeak.blogspot.com"])
    assert not same_blog("https://other.blogspot.com/2019/10/x.html", hosts)
    assert not same_blog("https://www.blogger.com/profile/1", hosts)
    assert not same_blog("https://1.bp.blogspot.com/-x/s1600/a.png", hosts)
    assert same_blog("http://chineselyrics4u.com/2011/07/x.html", ["www.chineselyrics4u.com"])
    assert same_blog("http://127.0.0.1:8080/2009/08/x.html", ["http://127.0.0.1:8080/"])
    assert not same_blog("http://127.0.0.1:8081/2009/08/x.html", ["127.0.0.1:8080"])
    assert not same_blog("mailto:x@example.com", hosts)
