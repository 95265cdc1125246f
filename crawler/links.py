"""Navigation links of one Blogger page, canonicalised and de-duplicated.

``extract_links`` walks the page's anchors once (on the lxml tree the response already
caches, so extraction and link discovery share one parse) and sorts every link on the
blog's own hosts by what it points at: posts, static pages, archive months, labels, the
"Older Posts"/"Newer Posts" pager, a post's Newer/Older neighbours and comment pages.
Each set holds a URL at most once, however many anchors point at it.

``discover_links`` gives the spider the same URLs as ``extract_links(...).all()`` without
parsing the page (the extraction process parses it anyway); ``tests/crawler/test_fast_paths.py``
holds the two to the same result on every fixture family and on real Blogger pages.
"""

from __future__ import annotations

import html
import html.entities
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy.http import TextResponse

from crawler.urls import blog_hosts, canonicalize, classify, is_index_pager, same_blog

_SKIP_PREFIXES = ("javascript:", "mailto:", "#", "data:", "tel:", "about:")
_NEWER = ("blog-pager-newer-link", "newer-link", "newer-posts")
_OLDER = ("blog-pager-older-link", "older-link", "older-posts")


@dataclass(frozen=True)
class PageLinks:
    posts: frozenset[str] = frozenset()
    """Post pages (``/2009/08/slug.html``)."""
    pages: frozenset[str] = frozenset()
    """Static pages (``/p/about.html``)."""
    archives: frozenset[str] = frozenset()
    """Archive widget entries: months, years, days, classic ``_archive.html`` pages."""
    labels: frozenset[str] = frozenset()
    """Label pages (``/search/label/X``, including their own pager)."""
    pager: frozenset[str] = frozenset()
    """"Older Posts"/"Newer Posts" index pages (``/search?updated-max=...``)."""
    comment_pages: frozenset[str] = frozenset()
    """A post's further comment pages (``?commentPage=N``)."""
    home: str | None = None
    newer: str | None = None
    """The page's "Newer Post(s)" link (a post on a post page, an index page elsewhere)."""
    older: str | None = None

    def all(self) -> frozenset[str]:
        """Every link worth following, once each."""
        extra = {u for u in (self.home, self.newer, self.older) if u}
        return self.posts | self.pages | self.archives | self.labels | self.pager | self.comment_pages | extra

    def __len__(self) -> int:
        return len(self.all())


def _absolute(href: str, base: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(_SKIP_PREFIXES):
        return None
    if href.startswith(("http://", "https://")):
        return href
    if href.startswith("//"):
        return urlsplit(base).scheme + ":" + href
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def _base_url(response: TextResponse) -> str:
    root = response.selector.root
    try:
        bases = root.xpath("/html/head/base/@href")
    except Exception:  # not an HTML tree (an empty or XML page)
        return response.url
    if bases:
        return urljoin(response.url, str(bases[0]).strip())
    return response.url


_HREFS = etree.XPath("//a/@href | //*[local-name()='a']/@href", smart_strings=False)
_NAV = etree.XPath(
    "//a[contains(@class, 'newer') or contains(@class, 'older')]",
)
_CACHE_MAX = 200_000
# (absolute href, hosts, scheme) -> (group, canonical URL) or None: most anchors of a blog
# (archive widget, labels, sidebar) repeat on every page, so each is canonicalised once.
_resolved: dict[tuple[str, frozenset[str], str | None], tuple[str, str] | None] = {}


_COMMENT_PERMALINK = re.compile(r"(https?://[^?]*)\?showComment=[0-9]+")
_UNSAFE = re.compile(r"[\t\r\n]")
# host set -> substrings one of which the netloc of any URL on those hosts contains
_needles: dict[frozenset[str], tuple[str, ...]] = {}


def _host_needles(host_set: frozenset[str]) -> tuple[str, ...]:
    try:
        return _needles[host_set]
    except KeyError:
        pass
    needles = []
    for netloc in host_set:
        host, sep, port = netloc.rpartition(":")
        if not (sep and port.isdigit() and "]" not in port):
            host = netloc
        if host.endswith(".blogspot.com"):  # country domains fold into .blogspot.com
            host = host[: -len("com")]
        needles.append(host)
    _needles[host_set] = result = tuple(needles)
    return result


def _short_form(absolute: str, host_set: frozenset[str]) -> str | None:
    """A shorter URL that resolves as ``absolute`` does: without its fragment and a sole
    ``showComment`` parameter (both dropped by ``canonicalize``); None when ``absolute`` is
    certainly off the blog's hosts (its netloc holds none of them)."""
    if not absolute.startswith(("http://", "https://")) or _UNSAFE.search(absolute):
        return absolute
    rest = absolute[absolute.index("//") + 2 :]
    end = len(rest)
    for mark in "/?#":
        at = rest.find(mark)
        if at != -1 and at < end:
            end = at
    netloc = rest[:end].lower()
    if not any(needle in netloc for needle in _host_needles(host_set)):
        return None
    short = absolute.partition("#")[0]
    match = _COMMENT_PERMALINK.fullmatch(short)
    if match is not None:
        short = match.group(1)
    return short


def _resolve(absolute: str, host_set: frozenset[str], scheme: str | None) -> tuple[str, str] | None:
    key = (absolute, host_set, scheme)
    try:
        return _resolved[key]
    except KeyError:
        pass
    short = _short_form(absolute, host_set)
    if short is None:
        result = None
    elif short != absolute:
        result = _resolve(short, host_set, scheme)
    else:
        result = _resolve_new(absolute, host_set, scheme)
    if len(_resolved) >= _CACHE_MAX:
        _resolved.clear()
    _resolved[key] = result
    return result


def _resolve_new(absolute: str, host_set: frozenset[str], scheme: str | None) -> tuple[str, str] | None:
    url = canonicalize(absolute, scheme)
    result: tuple[str, str] | None = None
    if same_blog(url, host_set):
        kind = classify(url)
        if kind == "search":
            if is_index_pager(url):
                result = ("pager", url)
        elif kind in _GROUPS:
            result = (kind, url)
    return result


_GROUPS = frozenset({"post", "page", "archive", "label", "comments", "home"})


def _nav_links(root: etree._Element, base: str, host_set: frozenset[str], scheme: str | None) -> tuple[str | None, str | None]:
    newer = older = None
    for anchor in _NAV(root):
        classes = anchor.get("class") or ""
        href = anchor.get("href")
        if not href:
            continue
        absolute = _absolute(href, base)
        resolved = _resolve(absolute, host_set, scheme) if absolute else None
        if resolved is None:
            continue
        if newer is None and any(name in classes for name in _NEWER):
            newer = resolved[1]
        elif older is None and any(name in classes for name in _OLDER):
            older = resolved[1]
    return newer, older


def extract_links(
    response: TextResponse, hosts: Iterable[str] | None = None, scheme: str | None = None
) -> PageLinks:
    """Sort the page's links on the blog's ``hosts`` (default: the page's own host).

    ``scheme`` is the crawl source's scheme, passed on to ``canonicalize`` (it matters only
    for custom domains). Links to feeds, widgets, searches and other sites are left out.
    """
    host_set = blog_hosts(hosts) if hosts is not None else blog_hosts([response.url])
    try:
        root = response.selector.root
        hrefs = _HREFS(root)
    except Exception:  # not an HTML tree (an empty or binary page)
        return PageLinks()
    base = _base_url(response)
    groups: dict[str, set[str]] = {name: set() for name in ("post", "page", "archive", "label", "pager", "comments", "home")}
    for href in set(hrefs):
        absolute = _absolute(href, base)
        if absolute is None:
            continue
        resolved = _resolve(absolute, host_set, scheme)
        if resolved is not None:
            groups[resolved[0]].add(resolved[1])
    newer, older = _nav_links(root, base, host_set, scheme)
    home = next(iter(groups["home"]), None)
    return PageLinks(
        posts=frozenset(groups["post"]),
        pages=frozenset(groups["page"]),
        archives=frozenset(groups["archive"]),
        labels=frozenset(groups["label"]),
        pager=frozenset(groups["pager"]),
        comment_pages=frozenset(groups["comments"]),
        home=home,
        newer=newer,
        older=older,
    )


# -- link discovery without a parse ---------------------------------------------------
# The crawl process needs only the set of URLs to follow (``PageLinks.all()``); the
# extraction process parses every page fully anyway. ``discover_links`` finds the same
# anchors as the lxml tree with one regular-expression scan that follows the HTML
# tokenizer's rules where they matter (comments and raw-text elements hold no tags, the
# first of repeated attributes wins, character references are decoded). Whatever it cannot
# read with certainty (a ``<base>`` element, a tag it cannot delimit, an ambiguous
# character reference) makes it answer None, and the caller parses the page instead.

_RAW_TEXT = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes")


def _ascii_ci(name: str) -> str:
    """A tag name matched without regard to ASCII case, as the tokenizer lowercases it:
    ``re.IGNORECASE`` would also take Unicode case folds ("ſcript") and makes the whole
    scan about a third slower."""
    return "".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in name)


_SCAN = re.compile(
    r"<!--(?:-?>|.*?(?:--!?>|\Z))"  # a comment
    r"|<!(?!--)[^>]*+>|<\?[^>]*+>"  # a doctype, CDATA or processing instruction: bogus comments
    + "".join(  # raw text, up to its own end tag
        rf"|<{_ascii_ci(name)}(?=[\s/>])(?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+>.*?(?:</{_ascii_ci(name)}(?=[\s/>])|\Z)"
        for name in _RAW_TEXT
    )
    + rf"|<{_ascii_ci('plaintext')}(?=[\s/>]).*\Z"
    + rf"|<({_ascii_ci('base')})(?=[\s/>])"  # a document base: parse the page instead
    + r"|<[aA](?=[\s/>])((?:[\s/]++|[^\s/>][^\s/>=]*+(?:\s*+=\s*+(?:\"[^\"]*+\"|'[^']*+'|[^\s>]++))?+)*+)>"
    + r"|<([aA])(?=[\s/>])",  # an anchor the pattern above cannot delimit
    re.S,
)
_ATTR = re.compile(r"([^\s/>][^\s/>=]*+)(?:\s*+=\s*+(?:\"([^\"]*+)\"|'([^']*+)'|([^\s>]++)))?+")
_CHAR_REF = re.compile(r"&(?:#[xX][0-9A-Fa-f]+;?|#[0-9]+;?|([A-Za-z0-9]+;?))")
_ENTITIES = html.entities.html5
_LEGACY_MAX = max(len(name) for name in _ENTITIES if not name.endswith(";"))


def _decode_ref(match: re.Match[str]) -> str:
    """One character reference in an attribute value, decoded as an HTML parser does: a
    named one without its ";" stays as written when a letter, digit or "=" follows it."""
    ref = match.group(0)
    name = match.group(1)
    if name is None:  # numeric
        return html.unescape(ref)
    if name in _ENTITIES:  # "amp;", or a legacy name alone ("amp", "copy")
        if name.endswith(";") or match.end() >= len(match.string) or not _BLOCKS_LEGACY(match.string[match.end()]):
            return _ENTITIES[name]
        return ref
    for size in range(min(len(name), _LEGACY_MAX), 1, -1):
        prefix = name[:size]
        if prefix in _ENTITIES and not prefix.endswith(";"):
            # a legacy name followed by more of the word ("&sectionId"): left as written
            if _BLOCKS_LEGACY(name[size]):
                return ref
            return _ENTITIES[prefix] + name[size:]
    return ref


def _BLOCKS_LEGACY(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "=")



# an anchor's attribute text -> its decoded href and, for the "Newer"/"Older" pager
# anchors, its class: the blog's sidebar, archive widget and labels repeat the same anchors
# on every page
_anchor_hrefs: dict[str, tuple[str | None, str | None]] = {}


def _attribute(match: re.Match[str]) -> str:
    value = match.group(2)
    if value is None:
        value = match.group(3)
        if value is None:
            value = match.group(4) or ""
    if "&" in value:
        value = _CHAR_REF.sub(_decode_ref, value)
    return value


def _anchor(attrs: str) -> tuple[str | None, str | None]:
    """An anchor's ``href`` (decoded; None without one) and its ``class`` when that names
    a pager link (``newer``/``older``), from the anchor's attribute text."""
    lowered = attrs.lower()
    if "href" not in lowered:
        return None, None
    want_class = "class" in lowered
    href = classes = None
    seen: set[str] = set()
    for match in _ATTR.finditer(attrs):
        name = match.group(1).lower()
        if name in seen:
            continue  # the first of repeated attributes counts
        seen.add(name)
        if name == "href":
            href = _attribute(match)
            if not want_class:
                break
        elif name == "class" and want_class:
            classes = _attribute(match)
    if classes is not None and "newer" not in classes and "older" not in classes:
        classes = None
    return href, classes


def discover_links(
    response: TextResponse, hosts: Iterable[str] | None = None, scheme: str | None = None
) -> frozenset[str] | None:
    """``extract_links(response, hosts, scheme).all()`` without parsing the page, or None
    when the page needs the parse (see above)."""
    try:
        text = response.text
    except Exception:  # undecodable: the parser decides
        return None
    host_set = blog_hosts(hosts) if hosts is not None else blog_hosts([response.url])
    base = response.url
    hrefs: set[str] = set()  # filled in document order, as extract_links fills its set
    nav: list[tuple[str, str]] = []
    cache = _anchor_hrefs
    for base_tag, attrs, undelimited in _SCAN.findall(text):
        if attrs:
            try:
                href, classes = cache[attrs]
            except KeyError:
                href, classes = cache[attrs] = _anchor(attrs)
            if href is not None:
                hrefs.add(href)
                if classes is not None and href:
                    nav.append((href, classes))
        elif base_tag or undelimited:
            return None  # <base>, or an anchor the pattern cannot delimit
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    found: set[str] = set()
    homes: set[str] = set()
    for href in hrefs:
        absolute = _absolute(href, base)
        if absolute is None:
            continue
        resolved = _resolve(absolute, host_set, scheme)
        if resolved is not None:
            if resolved[0] == "home":
                homes.add(resolved[1])
            else:
                found.add(resolved[1])
    # as PageLinks.all(): one home link, and the page's "Newer"/"Older" links
    home = next(iter(homes), None)
    if home is not None:
        found.add(home)
    newer = older = None
    for href, classes in nav:
        absolute = _absolute(href, base)
        resolved = _resolve(absolute, host_set, scheme) if absolute else None
        if resolved is None:
            continue
        if newer is None and any(name in classes for name in _NEWER):
            newer = resolved[1]
            found.add(newer)
        elif older is None and any(name in classes for name in _OLDER):
            older = resolved[1]
            found.add(older)
    return frozenset(found)
