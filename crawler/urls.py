"""Blogger URL canonicalisation and classification.

Every URL the crawl stage stores or requests goes through ``canonicalize`` first, so one
page is stored once however it was linked: ``?showComment=...#c123`` permalinks, ``?m=1``
mobile views, ``utm_*`` tracking, ``http``/``https`` and country domains
(``x.blogspot.co.uk``) all fold into one URL.

These functions are pure and cached: the link extractor calls them for every anchor of
every page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

#: Query parameters that carry no content: dropped by ``canonicalize``.
DROP_PARAMS = frozenset(
    {
        "m",  # mobile view (?m=1) / desktop view (?m=0)
        "showcomment",  # comment permalink (?showComment=<epoch ms>)
        "spref",  # Blogger share buttons (?spref=tw, ?spref=fb)
        "zx",  # Blogger cache buster
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
    }
)
DROP_PREFIXES = ("utm_",)

#: Query parameters that select content: always kept (listed for documentation; every
#: parameter not dropped above is kept and sorted).
KEEP_PARAMS = ("commentPage", "updated-max", "updated-min", "max-results", "start-index", "by-date")

_BLOGSPOT = re.compile(r"^(?P<name>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.blogspot\.(?:com|[a-z]{2}|(?:co|com)\.[a-z]{2})$")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/%:@!$&'()*+,;=-._~?"

_POST = re.compile(r"^(?:/[^/]+)*/\d{4}/\d{2}/[^/]+\.html?$")
_PAGE = re.compile(r"^(?:/[^/]+)*/p/[^/]+\.html?$")
_ARCHIVE = re.compile(
    r"^(?:/[^/]+)*/\d{4}(?:/\d{2}(?:/\d{2})?)?/?$"  # /2009/, /2009/08/, /2009/08/15/
    r"|(?:^|/)\d{4}_\d{2}(?:_\d{2})?_(?:archive|index)\.html$"  # classic 2009_08_01_archive.html
)
_FEED_PATH = re.compile(r"(?:^|/)feeds(?:/|$)|/(?:atom|rss)\.xml$")


def fold_host(host: str) -> str:
    """Lowercase a host and fold Blogger country domains: ``x.blogspot.co.uk`` -> ``x.blogspot.com``."""
    host = host.strip().rstrip(".").lower()
    match = _BLOGSPOT.match(host)
    if match:
        return f"{match.group('name')}.blogspot.com"
    return host


def is_blogspot_host(host: str) -> bool:
    return _BLOGSPOT.match(host.lower().split(":", 1)[0]) is not None


def _drop_param(raw_key: str) -> bool:
    key = unquote_plus(raw_key).lower()
    return key in DROP_PARAMS or key.startswith(DROP_PREFIXES)


@lru_cache(maxsize=131072)
def canonicalize(url: str, scheme: str | None = None) -> str:
    """The one URL a page is stored and requested under.

    Drops fragments, ``showComment``, ``m``, ``commentPage=1`` (the post page itself) and
    tracking parameters; keeps ``commentPage``, ``updated-max``, ``max-results``,
    ``start-index`` and any other parameter, sorted. Lowercases the host, drops default
    ports, folds Blogger country domains into ``.blogspot.com`` and uses https for blogspot
    hosts (as Blogger serves them today). For other hosts (custom domains, a local copy)
    ``scheme`` is the scheme of the crawl source; by default the URL keeps its own.

    Anything that is not an http(s) URL is returned unchanged.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    own_scheme = parts.scheme.lower()
    if own_scheme not in ("http", "https") or not parts.netloc:
        return url
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        port = None
    host = fold_host(host)
    if _BLOGSPOT.match(host):
        new_scheme = "https"
        port = None
    else:
        new_scheme = scheme.lower() if scheme in ("http", "https", "HTTP", "HTTPS") else own_scheme
    netloc = host
    if port is not None and str(port) != _DEFAULT_PORTS.get(own_scheme) and str(port) != _DEFAULT_PORTS.get(new_scheme):
        netloc = f"{host}:{port}"
    path = parts.path or "/"
    path = quote(path, safe=_PATH_SAFE)
    if path == "/index.html":
        path = "/"
    query = ""
    if parts.query:
        pairs = []
        for item in parts.query.replace(";", "&").split("&"):
            if not item:
                continue
            key, _, value = item.partition("=")
            if _drop_param(key):
                continue
            if unquote_plus(key) == "commentPage" and value in ("1", "0", ""):
                continue
            pairs.append((quote(key, safe=_QUERY_SAFE), quote(value, safe=_QUERY_SAFE), "=" in item))
        pairs.sort()
        query = "&".join(f"{k}={v}" if has_eq else k for k, v, has_eq in pairs)
    return urlunsplit((new_scheme, netloc, path, query, ""))


def _query_keys(query: str) -> set[str]:
    return {unquote_plus(item.partition("=")[0]) for item in query.split("&") if item}


@lru_cache(maxsize=131072)
def classify(url: str) -> str:
    """What a (canonical) Blogger URL points at.

    One of "post", "page" (static ``/p/`` page), "archive" (``/2009/08/``, classic
    ``2009_08_01_archive.html``), "label" (``/search/label/X``), "search" (the
    ``/search?updated-max=...`` pager and searches), "feed", "comments" (a post's
    ``?commentPage=N`` page, N >= 2), "home" or "other".
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "other"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "other"
    path = parts.path or "/"
    keys = _query_keys(parts.query) if parts.query else set()
    if "alt" in keys or _FEED_PATH.search(path):
        return "feed"
    if "widgetType" in keys or "action" in keys:
        return "other"  # widget toggles (archive widget "expand year" links)
    if _POST.match(path):
        return "comments" if "commentPage" in keys else "post"
    if _PAGE.match(path):
        return "comments" if "commentPage" in keys else "page"
    if path.startswith("/search/label/") and len(path) > len("/search/label/"):
        return "label"
    if path in ("/search", "/search/"):
        return "search"
    if _ARCHIVE.search(path):
        return "archive"
    if path == "/" and not (keys - {"m"}):
        return "home"
    return "other"


def item_kind(url_class: str) -> str:
    """The ``PageItem.kind`` a page of this URL class is stored as."""
    return {"search": "index"}.get(url_class, url_class)


def comment_page_number(url: str) -> int:
    """N of ``?commentPage=N`` (1 when absent or unreadable)."""
    query = urlsplit(url).query
    for item in query.split("&"):
        key, _, value = item.partition("=")
        if key == "commentPage":
            try:
                return max(1, int(value))
            except ValueError:
                return 1
    return 1


def post_url_of(url: str) -> str:
    """The post a comment page belongs to: the URL without its ``commentPage`` parameter."""
    parts = urlsplit(url)
    query = "&".join(
        item for item in parts.query.split("&") if item and item.partition("=")[0] != "commentPage"
    )
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def is_index_pager(url: str) -> bool:
    """A ``/search`` URL that pages through posts ("Older Posts"), not a text search."""
    keys = _query_keys(urlsplit(url).query)
    return "q" not in keys and bool(keys & {"updated-max", "updated-min", "max-results", "start-index", "by-date"})


def _netloc_of(host_or_url: str) -> str:
    text = host_or_url.strip()
    if "://" in text:
        text = urlsplit(text).netloc
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit() and "]" not in port:
        return f"{fold_host(host)}:{port}"
    return fold_host(text)


def _bare(netloc: str) -> str:
    return netloc[4:] if netloc.startswith("www.") else netloc


def blog_hosts(urls: Iterable[str]) -> frozenset[str]:
    """The set of folded netlocs (``host[:port]``) for ``same_blog``, from URLs or hosts."""
    result: set[str] = set()
    for item in urls:
        netloc = _netloc_of(canonicalize(item) if "://" in item else item)
        result.add(_bare(netloc))
    return frozenset(result)


def same_blog(url: str, hosts: Iterable[str]) -> bool:
    """Whether ``url`` is on one of the blog's hosts (country domains and ``www.`` folded).

    ``hosts`` may hold hosts (``x.blogspot.com``, ``127.0.0.1:8080``) or URLs.
    """
    try:
        netloc = urlsplit(canonicalize(url)).netloc
    except ValueError:
        return False
    if not netloc:
        return False
    return _bare(netloc) in _normalised_hosts(frozenset(hosts))


@lru_cache(maxsize=64)
def _normalised_hosts(hosts: frozenset[str]) -> frozenset[str]:
    return blog_hosts(hosts)
