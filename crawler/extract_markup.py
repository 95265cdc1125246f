"""Shared machinery of the extraction functions: one analysis per page, compiled selectors,
text helpers.

``page_of(response)`` parses nothing itself: it walks the lxml tree the response already
caches (``response.selector.root``) once, with one XPath that picks every element whose
class or id matters to extraction, and keeps the result for the next call on the same
response (the spider calls ``is_blogger_page``, ``extract_blog_info`` and ``extract_post``
on one page in a row).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree

from crawler.urls import canonicalize

if TYPE_CHECKING:  # only named in hints: the text helpers stay importable without Scrapy
    from scrapy.http import TextResponse

Element = etree._Element


def has_class(name: str) -> str:
    """XPath predicate: the element's class list holds ``name`` (a whole token)."""
    # The plain contains() rejects most elements cheaply before the exact token test.
    return f"(contains(@class, '{name}') and contains(concat(' ', normalize-space(@class), ' '), ' {name} '))"


def xpath(expr: str) -> etree.XPath:
    return etree.XPath(expr)


# Ids and class tokens the one page walk records.
MARK_IDS = frozenset({"comments", "comment-holder", "comments-block", "ArchiveList", "blogComments"})
WANTED_TOKENS = frozenset(
    {
        "post-body", "entry-content", "date-header", "widget", "BlogArchive", "archive-list",
        "post-outer", "post-outer-container", "date-outer", "post-body-container", "comment",
        "comment-author", "comment-poster", "blogComment", "blogCommentByline", "loadmore",
        "blog-posts", "byline", "published", "item-view", "feed-view", "post-footer", "Header",
        "comments", "no-comments", "hentry", "comment-data", "blogPost", "postsubject",
    }
)
_HEAD = xpath("/html/head/meta | /html/head/link | /html/head/title")
_HEAD_ANYWHERE = xpath("//meta | //link[@rel] | //title")
_HTML_LANG = xpath("/html/@lang | /html/@xml:lang")

_WS = re.compile(r"\s+")
_JS_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|([0-7]{1,3})|(.))", re.DOTALL)
_BLOG_CONTEXT = re.compile(r"""name['"]\s*:\s*['"]blog['"]\s*,\s*['"]data['"]\s*:\s*\{""")
_CONTEXT_ITEM = re.compile(
    r"""['"](\w+)['"]\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(\{)|(\[))|(\})"""
)
COMMENT_ID_PREFIX = r"c(?:omment-)?"
"""What Blogger puts before a comment's digits in ids and anchors: ``c123``, ``comment-123``."""
_COMMENT_FRAGMENT = re.compile(rf"^#{COMMENT_ID_PREFIX}\d+$")
ITEM_PATH = re.compile(r"/\d{4}/\d{2}/[^/]+\.html?$")
STATIC_PATH = re.compile(r"/p/[^/]+\.html?$")


# --------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------


def norm(text: str | None) -> str:
    """Whitespace runs folded to one space, ends stripped (what a browser shows)."""
    return _WS.sub(" ", text or "").strip()


def text_of(el: Element | None) -> str:
    if el is None:
        return ""
    return norm("".join(el.itertext()))


def classes(el: Element) -> set[str]:
    value = el.get("class")
    return set(value.split()) if value else set()


def inner_html(el: Element | None) -> str:
    """Inner HTML of ``el``, raw: its text and every child serialised with its tail."""
    if el is None:
        return ""
    parts = [html.escape(el.text, quote=False)] if el.text else []
    for child in el:
        parts.append(etree.tostring(child, encoding="unicode", method="html", with_tail=True))
    return "".join(parts)


def js_unescape(value: str, entities: bool = True) -> str:
    """A JavaScript string literal's value (``\\x27``, ``\\u003d``, octal ``\\46``), with HTML
    entities decoded unless ``entities`` is false (a value that is itself HTML)."""

    def repl(match: re.Match[str]) -> str:
        hex2, hex4, octal, other = match.groups()
        if hex2:
            return chr(int(hex2, 16))
        if hex4:
            return chr(int(hex4, 16))
        if octal:
            return chr(int(octal, 8))
        return {"n": "\n", "t": "\t", "r": "\r"}.get(other, other)

    decoded = _JS_ESCAPE.sub(repl, value)
    return html.unescape(decoded) if entities else decoded


def strip_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def canonical(url: str) -> str:
    try:
        return canonicalize(url)
    except (ValueError, TypeError):
        return url


def is_before(a: Element, b: Element) -> bool:
    """Whether ``a`` comes before ``b`` in document order (and neither holds the other)."""
    ancestors_b = [b, *b.iterancestors()]
    ancestors_a = [a, *a.iterancestors()]
    set_b = set(ancestors_b)
    common = next((x for x in ancestors_a if x in set_b), None)
    if common is None or common is a or common is b:
        return False
    child_a = ancestors_a[ancestors_a.index(common) - 1]
    child_b = ancestors_b[ancestors_b.index(common) - 1]
    return common.index(child_a) < common.index(child_b)


def blog_context(text: str) -> dict[str, str]:
    """String values of Blogger's ``_WidgetManager._SetDataContext`` blog data (top level)."""
    match = _BLOG_CONTEXT.search(text)
    if not match:
        return {}
    segment = text[match.end() : match.end() + 8000]
    result: dict[str, str] = {}
    depth = 0
    for token in _CONTEXT_ITEM.finditer(segment):
        key, single, double, brace, bracket, close = token.groups()
        if close:
            if depth == 0:
                break
            depth -= 1
            continue
        if brace:
            depth += 1
            continue
        if depth == 0 and key and key not in result and (single is not None or double is not None):
            result[key] = js_unescape(single if single is not None else double)
    return result


# --------------------------------------------------------------------------------------
# One analysis per page
# --------------------------------------------------------------------------------------


class Page:
    """What extraction needs to know about one response, computed at most once."""

    def __init__(self, response: TextResponse) -> None:
        self.response = response
        self.memo: dict[str, object] = {}
        """Results other modules compute once per page (``crawler.families``)."""
        self.url: str = response.url
        self.root: Element | None = None
        try:
            root = response.selector.root
        except (AttributeError, ValueError, TypeError):
            root = None
        if isinstance(root, etree._Element):
            self.root = root

    # ---- raw material

    @cached_property
    def text(self) -> str:
        try:
            return self.response.text
        except (AttributeError, ValueError):
            return ""

    @cached_property
    def context(self) -> dict[str, str]:
        return blog_context(self.text)

    @cached_property
    def marked(self) -> list[tuple[Element, frozenset[str]]]:
        """Every element whose class or id matters, in document order, with its wanted tokens."""
        if self.root is None:
            return []
        # One Python walk beats one XPath with many contains() tests by an order of magnitude.
        result = []
        wanted = WANTED_TOKENS
        ids = MARK_IDS
        empty: frozenset[str] = frozenset()
        for el in self.root.iter(etree.Element):
            value = el.get("class")
            if value:
                split = value.split()
                if not wanted.isdisjoint(split):
                    tokens = wanted.intersection(split)
                    if "widget" in tokens and "Blog" in split:
                        tokens = tokens | {"widget-Blog"}
                    result.append((el, tokens))
                    continue
            ident = el.get("id")
            if ident and (ident in ids or (ident[0] == "c" and el.tag == "li" and ident[1:].isdigit())):
                result.append((el, empty))  # the last: a classic class-less ``li#c123`` comment
        return result

    @cached_property
    def by_token(self) -> dict[str, list[Element]]:
        index: dict[str, list[Element]] = {}
        for el, tokens in self.marked:
            for token in tokens:
                index.setdefault(token, []).append(el)
        return index

    @cached_property
    def by_id(self) -> dict[str, Element]:
        index: dict[str, Element] = {}
        for el, _ in self.marked:
            ident = el.get("id")
            if ident in MARK_IDS and ident not in index:
                index[ident] = el
        return index

    def having(self, *tokens: str) -> list[Element]:
        """Elements holding any of ``tokens``, in document order."""
        wanted = set(tokens)
        return [el for el, found in self.marked if not wanted.isdisjoint(found)]

    @cached_property
    def head(self) -> list[Element]:
        if self.root is None:
            return []
        found = _HEAD(self.root)
        return found if found else _HEAD_ANYWHERE(self.root)

    def meta(self, *, name: str | None = None, prop: str | None = None) -> list[str]:
        values = []
        for el in self.head:
            if el.tag != "meta":
                continue
            if name is not None and (el.get("name") or "").lower() != name:
                continue
            if prop is not None and el.get("property") != prop:
                continue
            content = el.get("content")
            if content is not None:
                values.append(content)
        return values

    def links(self, rel: str) -> list[Element]:
        return [
            el
            for el in self.head
            if el.tag == "link" and rel in (el.get("rel") or "").lower().split() and el.get("href")
        ]

    @cached_property
    def canonical_links(self) -> list[str]:
        result = []
        for el in self.links("canonical"):
            url = self.absolute(el.get("href"))
            if url:
                result.append(canonical(url))
        return result

    @cached_property
    def language(self) -> str | None:
        if self.root is not None:
            for value in _HTML_LANG(self.root):
                if str(value).strip():
                    return str(value).strip()
        return self.context.get("locale") or None

    @cached_property
    def page_type(self) -> str:
        """"item", "static_page" or "index" (anything that lists posts)."""
        page_type = self.context.get("pageType")
        if page_type in ("item", "static_page"):
            return page_type
        if page_type:
            return "index"
        path = urlsplit(self.url).path
        if STATIC_PATH.search(path):
            return "static_page"
        if ITEM_PATH.search(path):
            return "item"
        return "index"

    # ---- URLs

    def absolute(self, href: str | None) -> str | None:
        """``href`` made absolute; None for empty, ``javascript:``, ``mailto:`` and bare
        fragments (comment anchors ``#c123`` are kept: they are permalinks)."""
        if not href:
            return None
        href = href.strip()
        if not href or href.startswith(("javascript:", "mailto:", "data:")):
            return None
        if href.startswith("#") and not _COMMENT_FRAGMENT.match(href):
            return None
        if href.startswith(("http://", "https://")) and "/." not in href:
            return href
        try:
            return urljoin(self.url, href)
        except ValueError:
            return None

    def profile_url(self, href: str | None) -> str | None:
        """A person's link, or None for "#" and script links."""
        if not href or href.strip().startswith("#"):
            return None
        return self.absolute(href)


_CACHE: list[Page] = []
_CACHE_SIZE = 4


def page_of(response: TextResponse) -> Page:
    """The analysis of ``response``, shared by every extraction call on it."""
    for page in _CACHE:
        if page.response is response:
            return page
    page = Page(response)
    _CACHE.insert(0, page)
    del _CACHE[_CACHE_SIZE:]
    return page


# --------------------------------------------------------------------------------------
# Zones inside a post container
# --------------------------------------------------------------------------------------

COMMENT_ZONE_CLASSES = frozenset(
    {"comments", "comments-content", "comment-thread", "blogComments", "comment-form", "comments-page"}
)
COMMENT_ZONE_IDS = frozenset({"comments", "comment-holder", "comments-block", "blogComments"})
OTHER_ZONE_CLASSES = frozenset(
    {"post-share-buttons", "share-links", "post-share", "related-posts", "related-wrap", "about-author",
     "post-nav", "blog-pager", "author-description", "item-control", "post-body",
     "post-snippet", "snippet-container"}
)
OTHER_ZONE_IDS = frozenset({"related-wrap", "related-posts", "blog-pager"})


def _is_zone(el: Element) -> bool:
    ident = el.get("id")
    if ident and (ident in COMMENT_ZONE_IDS or ident in OTHER_ZONE_IDS):
        return True
    value = el.get("class")
    if not value:
        return False
    tokens = value.split()
    return not (COMMENT_ZONE_CLASSES.isdisjoint(tokens) and OTHER_ZONE_CLASSES.isdisjoint(tokens))


def excluded(el: Element, container: Element, body: Element | None = None) -> bool:
    """``el`` sits in ``body``, another post body, the comments or the share/related cruft
    of ``container``."""
    node: Element | None = el
    while node is not None and node is not container:
        if node is body or _is_zone(node):
            return True
        node = node.getparent()
    return False


def visible(found: Iterable[object], container: Element, body: Element | None = None) -> Iterator[Element]:
    """The elements of ``found`` outside body, comments and cruft of ``container``."""
    for el in found:
        if isinstance(el, etree._Element) and not excluded(el, container, body):
            yield el


def first_visible(
    selectors: Iterable[etree.XPath], container: Element, body: Element | None = None
) -> Iterator[Element]:
    """Matches of each selector in turn (priority order) outside body, comments and cruft."""
    for selector in selectors:
        yield from visible(selector(container), container, body)


def in_foreign_widget(el: Element) -> bool:
    """Inside a sidebar widget (anything but the ``Blog`` widget that holds the posts)."""
    for anc in el.iterancestors():
        value = anc.get("class")
        if value and "widget" in value.split():
            return "Blog" not in value.split()
    return False
