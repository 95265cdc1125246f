"""Pure extraction: one fetched Blogger page -> raw records.

Every function here takes a Scrapy ``TextResponse`` (a live page, a saved mirror page, or a
response built from a file in a test) and returns records from ``kernel.records``. They
work on the lxml tree the response already caches (``response.selector.root``), so link
discovery and extraction share one parse; selectors are compiled once at import, and the
page analysis is shared by calls on the same response.

Fields keep the text *as found* (whitespace runs folded to one space, entities decoded):
"Leo said...", "Joan Koerber-WalkerAugust 15, 2009 at 9:50 AM", "posted by Leo", "21:00".
Reading dates, names and counts is the transform stage's job; the one number read here is
the declared comment count, so the crawl can tell when comments are missing.

Markup families (``RawPost.template``):

- ``"layout-threaded"``: layout/widget templates with threaded comments (``li.comment``).
- ``"layout-flat"``: layout/widget templates with ``dl#comments-block`` comments.
- ``"classic"``: pre-2007 templates without widgets (``p.post-footer`` "posted by NAME @
  TIME", ``dt.comment-poster``, inline ``div.blogComment``).
- ``"modern"``: 2017+ themes (``time.published``, ``article.post-outer-container``,
  ``section#comments``, ``span.byline``).
- ``"unknown"``: none of these.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import logging
import re
from functools import cmp_to_key
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from scrapy.http import TextResponse

from kernel.errors import SourceError
from crawler.bylines import POSTED_BY_RE, starts_with_byline
from crawler.extract_listing import layout_of, sequence_posts
from crawler.families import comment_nodes, comments_elsewhere, extract_page_comments, template_of
from crawler.extract_markup import (
    STATIC_PATH,
    Element,
    Page,
    canonical,
    classes,
    first_visible,
    has_class,
    in_foreign_widget,
    inner_html,
    is_before,
    js_unescape,
    norm,
    page_of,
    strip_query,
    text_of,
    visible,
    xpath,
)
from kernel.records import ArchiveMonth, BlogInfo, RawComment, RawLabel, RawPost
from crawler.urls import comment_page_number

__all__ = [
    "ExtractionError",
    "comment_page_of",
    "detect_template",
    "extract_blog_info",
    "extract_comments",
    "extract_post",
    "extract_posts",
    "is_blogger_page",
    "is_item_page",
]

logger = logging.getLogger(__name__)


class ExtractionError(SourceError, ValueError):
    """A page that should hold a post has no post markup; ``reason`` says what was missing.
    The crawl records it against the page (``ValueError`` stays a base for older callers)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------------------
# Selectors relative to one post container (priority order where a tuple)
# --------------------------------------------------------------------------------------

_TITLE = xpath(f".//*[{has_class('post-title')} or {has_class('entry-title')}]")
_HEADINGS = xpath(".//*[self::h1 or self::h2 or self::h3]")
_META_POST_ID = xpath(".//meta[@itemprop='postId']/@content")
_META_BLOG_ID = xpath(".//meta[@itemprop='blogId']/@content")
_NAMED_ANCHORS = xpath(".//a[@name]")
_LINKS = xpath(".//a[@href]")
_SNIPPET = xpath(
    f".//*[{has_class('post-snippet')} or {has_class('snippet-item')} or {has_class('post-summary')}"
    f" or {has_class('entry-summary')}]"
)
_PUBLISHED_ATTR = (
    xpath(f".//abbr[{has_class('published')}][@title]"),
    xpath(f".//time[{has_class('published')}][@datetime]"),
    xpath(".//time[@datetime]"),
    xpath(".//*[@itemprop='datePublished'][@content or @datetime or @title]"),
)
_UPDATED_ATTR = (
    xpath(f".//abbr[{has_class('updated')}][@title]"),
    xpath(f".//time[{has_class('updated')}][@datetime]"),
    xpath(".//*[@itemprop='dateModified'][@content or @datetime or @title]"),
)
_PUBLISHED_TEXT = (
    xpath(f".//abbr[{has_class('published')}]"),
    xpath(f".//time[{has_class('published')}]"),
    xpath(".//time[@datetime]"),
    xpath(f".//a[{has_class('timestamp-link')}]"),
    xpath(".//a[@title='permanent link']"),
    xpath(f".//*[{has_class('post-timestamp')}]"),
    xpath(".//*[@itemprop='datePublished'][not(self::meta)]"),
    xpath(
        f".//*[{has_class('publishdate')} or {has_class('entry-time')} or {has_class('post-date')}"
        f" or {has_class('entry-date')}]"
    ),
)
_BOOKMARK_LINKS = xpath(".//a[contains(concat(' ', @rel, ' '), ' bookmark ')]")
_AUTHOR = (
    xpath(f".//*[{has_class('post-author')}]"),
    xpath(".//*[@itemprop='author']"),
    xpath(f".//*[{has_class('vcard')}]"),
    xpath(
        f".//*[{has_class('entry-author')} or {has_class('entry-author-link')}"
        f" or {has_class('post-author-name')}]"
    ),
    xpath(f".//*[{has_class('byline-author')} or {has_class('author')} or {has_class('author-name')}]"),
)
_AUTHOR_LINKS = (xpath(".//a[contains(concat(' ', @rel, ' '), ' author ')]"),)
# Corporate themes sign the post at the end of its body: "Posted by NAME, Job title".
_BODY_BYLINE = xpath(f".//*[{has_class('byline-author')}]")
_TEMPLATE_BYLINE = re.compile(r"""class=["']byline-author["']>([^<]{1,300})<""")
_AUTHOR_NAME = (
    xpath(f".//*[{has_class('fn')}]"),
    xpath(".//*[@itemprop='name']"),
    xpath(".//a[@href]"),
)
_AUTHOR_URL = xpath(".//a/@href | .//meta[@itemprop='url']/@content")
_FOOTER = xpath(f".//*[{has_class('post-footer')}]")
_LABEL_LINKS = xpath(
    f".//a[contains(concat(' ', @rel, ' '), ' tag ')] | .//*[{has_class('post-labels')}]//a[@href]"
)
_COMMENT_LINKS = xpath(
    f".//*[{has_class('post-comment-link')}]//a | .//a[{has_class('comment-link')}]"
    f" | .//*[{has_class('entry-comments-link')}]//a"
)
_ITEMPROP_URL = xpath(".//meta[@itemprop='url']/@content")
# Month links end in "/" (``/2009/08/``) or are classic ``2009_08_01_archive.html`` pages;
# the test in XPath keeps the widget's many toggle and post links out of Python.
_ARCHIVE_ENTRIES = xpath(
    ".//a[substring(@href, string-length(@href)) = '/' or contains(@href, '_archive.htm')]"
    " | .//option[substring(@value, string-length(@value)) = '/' or contains(@value, '_archive.htm')]"
)
_MONTH_ENTRIES = xpath(
    ".//a[substring(@href, string-length(@href)) = '/']"
    " | .//option[substring(@value, string-length(@value)) = '/']"
)
# A classic archive page not on the 1st (``2009_08_09_archive.html``) means the widget lists
# weeks or days, and then ``..._01_archive.html`` is a week too, not a month.
_NOT_MONTHLY = xpath(
    ".//a[contains(@href, '_archive.htm')][not(contains(@href, '_01_archive.htm'))]"
    " | .//option[contains(@value, '_archive.htm')][not(contains(@value, '_01_archive.htm'))]"
)
_HOME_LINKS = xpath(f"//a[{has_class('home-link')}]/@href")
_COMMENT_PAGE_HREFS = xpath(".//a[contains(@href, 'commentPage=')]/@href")
_BLOG_TITLE_ID = xpath("//*[@id='blog-title']")
_HEADER_TITLE = xpath(".//*[self::h1 or self::h2 or self::h3 or self::a][normalize-space()]")

_DIGITS = re.compile(r"\d+")
_ID_CLASS = re.compile(r"(?:^|\s)post-(\d{5,})(?:\s|$)")
_ID_ATTR = re.compile(r"^(?:post-body-|post-|post)?(\d{5,})$")
_VIEW_POST_ID = re.compile(r"_BlogView'.{0,400}?'postId'\s*:\s*'(\d+)'", re.DOTALL)
_COMMENT_FEED = re.compile(r"/feeds/(\d+)/comments/")
_BLOG_POST_REF = re.compile(r"blog-(\d+)\.post-(\d+)")
_POST_ID_HREF = re.compile(r"(?:^|/)(?:share-post|post-edit|comment-iframe|comment)\.g\?[^\"'#]*?postID=(\d+)")
_BLOG_ID_HREF = re.compile(r"blogID=(\d+)", re.IGNORECASE)
_MONTH_HREF = re.compile(r"/(\d{4})/(\d{1,2})/?(?:[?#].*)?$")
_CLASSIC_MONTH_HREF = re.compile(r"(\d{4})_(\d{2})_01_archive\.html(?:[?#].*)?$")
_COUNT_IN_PARENS = re.compile(r"\((\d[\d.,\s]*)\)\s*$")
_NO_COMMENTS = re.compile(
    r"^\s*(?:no\b|keine\b|kein\b|sin\b|aucun|nessun|sem\b|geen\b|brak\b|ingen\b|ei\b)", re.IGNORECASE
)
_AUTHOR_SEPARATOR = re.compile(
    r"\s*(?:@|\bat|\bum|\bà|\ba las|\balle|\bàs|\bom|,|-|\|)\s*$", re.IGNORECASE
)
_BLOGGER_TEXT = re.compile(
    r"blogger\.com/(?:navbar\.g|comment(?:-iframe)?\.g|post-edit\.g|share-post\.g|rearrange|dyn-css|static/v1)"
    r"|_WidgetManager\._|blogblog\.com/"
)
_NAVBAR_BLOG_ID = re.compile(r"targetBlogID(?:=|\\x3d|\\u003d|%3D)(\d+)", re.IGNORECASE)
_NAVBAR_BLOG_NAME = re.compile(r"navbar\.g\?[^'\"]*?blogName(?:=|\\x3d|\\u003d|%3D)([^&\\'\"]+)", re.IGNORECASE)
_NAVBAR_LOCALE = re.compile(r"blogLocale(?:=|\\x3d|\\u003d|%3D)([A-Za-z_-]+)")

_POST_CLASSES = frozenset(
    {"post-outer-container", "post-outer", "post", "hentry", "blog-post", "item-post", "post-wrapper", "type-post"}
)
_STOP_CLASSES = frozenset(
    {"blog-posts", "date-outer", "date-posts", "widget", "hfeed", "main-inner", "column-center-inner"}
)


def comment_page_of(url: str) -> int:
    """The comment page a URL shows: N of ``?commentPage=N``, 1 when absent."""
    return comment_page_number(url)


# --------------------------------------------------------------------------------------
# Page-level facts
# --------------------------------------------------------------------------------------


def is_blogger_page(response: TextResponse) -> bool:
    """Whether Blogger rendered the page (any template generation)."""
    page = page_of(response)
    if page.root is None:
        return False
    if any("blogger" in value.lower() for value in page.meta(name="generator")):
        return True
    host = (urlsplit(page.url).hostname or "").lower()
    if ".blogspot." in host:
        return True
    tokens = page.by_token
    if "blog-posts" in tokens or "widget-Blog" in tokens or "comment-poster" in tokens or "blogCommentByline" in tokens:
        return True
    if any(_inside_post(body) for body in tokens.get("post-body", ())):
        return True
    if _BLOGGER_TEXT.search(page.text):
        return True
    # A classic template published to the owner's server may name Blogger nowhere: its
    # layout and Blogger's 15-19 digit post ids on the posts' anchors give it away.
    return layout_of(page) is not None and any(p.post_id and len(p.post_id) >= 15 for p in _raw_posts(page))


def _inside_post(el: Element) -> bool:
    return any("post" in classes(anc) for anc in el.iterancestors())


def is_item_page(response: TextResponse) -> bool:
    """Whether the page shows one post or static page (the pages that show comments)."""
    return page_of(response).page_type != "index"


def detect_template(response: TextResponse) -> str:
    """Markup family: "layout-threaded", "layout-flat", "classic", "modern" or "unknown"."""
    return _template(page_of(response))


def _template(page: Page) -> str:
    return template_of(page)


def _language(page: Page) -> str | None:
    if page.language:
        return page.language
    match = _NAVBAR_LOCALE.search(page.text)
    return match.group(1) if match else None


def _page_blog_id(page: Page) -> str | None:
    if page.context.get("blogId", "").isdigit():
        return page.context["blogId"]
    match = _NAVBAR_BLOG_ID.search(page.text)
    if match:
        return match.group(1)
    if page.root is not None:
        for value in _META_BLOG_ID(page.root):
            if str(value).isdigit():
                return str(value)
    match = _BLOG_ID_HREF.search(page.text)
    return match.group(1) if match else None


def _archive_count(entry: Element) -> int | None:
    """Post count of one archive entry: ``span.post-count`` "(12)", "(12)" after the link,
    the option text "August 2009 (12)"."""
    if entry.tag == "option":
        match = _COUNT_IN_PARENS.search(norm("".join(entry.itertext())))
        return int(re.sub(r"\D", "", match.group(1))) if match else None
    for el in entry.iter():
        if isinstance(el.tag, str) and classes(el) & {"post-count", "archive-count"}:
            found = _DIGITS.search(text_of(el))
            if found:
                return int(found.group())
    parent = entry.getparent()
    if parent is not None:
        for sibling in parent:
            if sibling is not entry and isinstance(sibling.tag, str) and classes(sibling) & {"post-count", "archive-count"}:
                found = _DIGITS.search(text_of(sibling))
                if found:
                    return int(found.group())
    match = _COUNT_IN_PARENS.search(norm("".join(entry.itertext())) + " " + norm(entry.tail))
    if match:
        return int(re.sub(r"\D", "", match.group(1)))
    return None


def _archive_months(page: Page) -> tuple[ArchiveMonth, ...]:
    months: dict[str, ArchiveMonth] = {}
    widgets = page.having("BlogArchive", "archive-list")
    if "ArchiveList" in page.by_id:
        widgets.append(page.by_id["ArchiveList"])
    done: set[Element] = set()
    for widget in widgets:
        if widget in done or any(anc in done for anc in widget.iterancestors()):
            continue
        done.add(widget)
        for entry in (_MONTH_ENTRIES if _NOT_MONTHLY(widget) else _ARCHIVE_ENTRIES)(widget):
            href = entry.get("href") if entry.tag == "a" else entry.get("value")
            if not href:
                continue
            match = _MONTH_HREF.search(href) or _CLASSIC_MONTH_HREF.search(href)
            if not match:
                continue
            year, month = int(match.group(1)), int(match.group(2))
            key = f"{year:04d}-{month:02d}"
            if not 1 <= month <= 12 or key in months:
                continue
            months[key] = ArchiveMonth(month=key, count=_archive_count(entry), url=page.absolute(href))
    return tuple(months.values())


def extract_blog_info(response: TextResponse) -> BlogInfo | None:
    """Blog-level facts shown on any page of the blog; None when it is not a Blogger page."""
    page = page_of(response)
    if page.root is None or not is_blogger_page(response):
        return None
    context = page.context
    url = context.get("canonicalHomepageUrl") or context.get("homepageUrl")
    headers = page.having("Header")
    if not url:
        for href in itertools.chain(
            (a.get("href") for h in headers for a in h.iter("a")), _HOME_LINKS(page.root)
        ):
            absolute = page.absolute(href)
            if absolute and absolute.startswith(("http://", "https://", "file://")):
                url = absolute
                break
    if not url:
        parts = urlsplit(page.url)
        url = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    title = context.get("title") or None
    if not title:
        title = next((norm(v) for v in page.meta(prop="og:site_name") if norm(v)), None)
    if not title:
        for header in headers:
            found = next(iter(_HEADER_TITLE(header)), None)
            if found is not None:
                title = text_of(found) or None
                break
    if not title:
        found = next(iter(_BLOG_TITLE_ID(page.root)), None)  # classic: <h1 id="blog-title">
        title = text_of(found) or None
    if not title:
        match = _NAVBAR_BLOG_NAME.search(page.text)
        if match:
            title = norm(unquote_plus(js_unescape(match.group(1)))) or None
    generator = next((norm(v) for v in page.meta(name="generator") if norm(v)), None)
    atom: list[str] = []
    rss: list[str] = []
    for link in page.links("alternate"):
        kind = (link.get("type") or "").lower()
        href = page.absolute(link.get("href"))
        if not href:
            continue
        if "atom" in kind and href not in atom:
            atom.append(href)
        elif "rss" in kind and href not in rss:
            rss.append(href)
    return BlogInfo(
        url=url,
        title=title,
        blog_id=_page_blog_id(page),
        language=_language(page),
        generator=generator,
        archive_months=_archive_months(page),
        feeds=tuple(atom or rss),
    )


# --------------------------------------------------------------------------------------
# Posts
# --------------------------------------------------------------------------------------


def _bodies(page: Page) -> list[Element]:
    """Post bodies in page order: the outermost ``.post-body`` elements, and ``.entry-content``
    where a theme has no ``.post-body`` in or around it."""
    found = [b for b in page.having("post-body") if not in_foreign_widget(b)]
    kept = set(found)
    bodies = [b for b in found if not any(anc in kept for anc in b.iterancestors())]
    body_set = set(bodies)
    holders = {anc for b in bodies for anc in b.iterancestors()}
    extra = [
        e
        for e in page.having("entry-content")
        if e not in body_set and e not in holders and not in_foreign_widget(e)
        and not any(anc in body_set for anc in e.iterancestors())
    ]
    if not extra:
        return bodies
    extra_set = set(extra)
    extra = [e for e in extra if not any(anc in extra_set for anc in e.iterancestors())]
    chosen = body_set | set(extra)
    return [el for el, _ in page.marked if el in chosen]


def _containers(bodies: list[Element]) -> list[Element]:
    """The element holding each post body with its title, byline and footer: the outermost
    post-like ancestor that holds no other post."""
    shared: dict[Element, int] = {}
    for body in bodies:
        for anc in body.iterancestors():
            shared[anc] = shared.get(anc, 0) + 1
    result = []
    for body in bodies:
        best = None
        highest = body.getparent()
        for anc in body.iterancestors():
            if anc.tag in ("body", "html") or shared.get(anc, 0) > 1:
                break
            tokens = classes(anc)
            if tokens & _STOP_CLASSES or anc.get("id") in ("main", "Blog1"):
                break
            highest = anc
            if tokens & _POST_CLASSES or anc.tag == "article" or anc.get("itemprop") == "blogPost":
                best = anc
        result.append(best if best is not None else (highest if highest is not None else body))
    return result


def _bodiless(page: Page) -> list[Element]:
    """Post containers without a full body (2017+ themes list snippets on index pages)."""
    result: list[Element] = []
    taken: set[Element] = set()
    for el in page.having("post-outer-container", "post-outer", "hentry"):
        tokens = classes(el)
        if not (tokens & {"post-outer-container", "post-outer"} or {"post", "hentry"} <= tokens):
            continue
        if in_foreign_widget(el) or any(anc in taken for anc in el.iterancestors()):
            continue
        if not _TITLE(el):
            continue
        taken.add(el)
        result.append(el)
    return result


def _title(container: Element, body: Element | None) -> tuple[str, Element | None]:
    for el in visible(_TITLE(container), container, body):
        if "date-header" not in classes(el):
            return text_of(el), el
    if body is None:
        return "", None
    # Custom templates: the first heading before the body ("h1", "h2.title").
    for el in visible(_HEADINGS(container), container, body):
        if "date-header" in classes(el) or not text_of(el):
            continue
        if is_before(el, body):
            return text_of(el), el
        break
    return "", None


def _post_id(container: Element, body: Element | None) -> str | None:
    for value in _META_POST_ID(container):
        if str(value).strip().isdigit():
            return str(value).strip()
    for anchor in visible(_NAMED_ANCHORS(container), container, body):
        name = (anchor.get("name") or "").strip()
        if name.isdigit():
            return name
    prev = container.getprevious()  # classic: <a name="ID"></a> just before div.post
    while prev is not None and (prev.tag == "a" or not isinstance(prev.tag, str)):
        if prev.tag == "a" and (prev.get("name") or "").strip().isdigit():
            return prev.get("name").strip()
        prev = prev.getprevious()
    for el in (body, container):
        if el is None:
            continue
        for attr in ("id", "data-id", "data-post-id"):
            match = _ID_ATTR.match((el.get(attr) or "").strip())
            if match:
                return match.group(1)
        match = _ID_CLASS.search(el.get("class") or "")
        if match:
            return match.group(1)
    for el in visible(container.iter(), container, body):
        for attr in ("itemid", "data-id", "data-post-id", "data-url"):
            value = el.get(attr)
            ref = _BLOG_POST_REF.search(value) if value else None
            if ref:
                return ref.group(2)
        href = el.get("href") if el.tag == "a" else None
        if href:
            ref = _BLOG_POST_REF.search(href)
            if ref:
                return ref.group(2)
            match = _POST_ID_HREF.search(href)
            if match:
                return match.group(1)
    return None


def _page_post_id(page: Page) -> str | None:
    """The post id an item page announces outside the post: the blog view's ``postId``, the
    post's comment feed."""
    match = _VIEW_POST_ID.search(page.text)
    if match:
        return match.group(1)
    if page.context.get("postId", "").isdigit():
        return page.context["postId"]
    for link in page.links("alternate"):
        match = _COMMENT_FEED.search(link.get("href") or "")
        if match:
            return match.group(1)
    return None


def _blog_id(container: Element, fallback: str | None) -> str | None:
    for value in _META_BLOG_ID(container):
        if str(value).strip().isdigit():
            return str(value).strip()
    return fallback


def _time_attr(el: Element) -> str | None:
    if el.tag == "abbr":
        value = el.get("title")
    elif el.tag == "time":
        value = el.get("datetime")
    else:
        value = el.get("content") or el.get("datetime") or el.get("title")
    return value.strip() if value and value.strip() else None


def _published(container: Element, body: Element | None) -> tuple[str | None, str | None]:
    attr = next(filter(None, map(_time_attr, first_visible(_PUBLISHED_ATTR, container, body))), None)
    text = next(filter(None, map(text_of, first_visible(_PUBLISHED_TEXT, container, body))), None)
    return attr, text


def _updated(container: Element, body: Element | None) -> str | None:
    return next(filter(None, map(_time_attr, first_visible(_UPDATED_ATTR, container, body))), None)


def _other_date_text(page: Page, container: Element, body: Element | None, title_el: Element | None, url: str, title: str) -> str | None:
    """A date shown by a custom theme: a ``rel=bookmark`` link or a link to the post itself
    that is not the title."""
    title_links = set(title_el.iter("a")) if title_el is not None else set()
    for el in visible(_BOOKMARK_LINKS(container), container, body):
        value = text_of(el)
        if el not in title_links and value and value != title:
            return value
    for el in visible(_LINKS(container), container, body):
        if el in title_links:
            continue
        href = page.absolute(el.get("href"))
        value = text_of(el)
        if href and value and value != title and canonical(strip_query(href)) == url:
            return value
    return None


def _label_only(text: str) -> bool:
    """A byline element holding only its label ("Tłumaczenie:", "Posted by")."""
    return text.endswith(":") or POSTED_BY_RE.sub("", text) == ""


def _byline(page: Page, container: Element, body: Element | None, selectors: tuple) -> tuple[str, str | None, None] | None:
    for el in first_visible(selectors, container, body):
        name_el = next((n for n in first_visible(_AUTHOR_NAME, el) if text_of(n)), None)
        name = text_of(name_el) if name_el is not None else text_of(el)
        if not name or _label_only(name):
            continue
        url = None
        for href in _AUTHOR_URL(el):
            url = page.profile_url(str(href))
            if url:
                break
        if url is None and el.tag == "a":
            url = page.profile_url(el.get("href"))
        return name, url, None
    return None


def _author(page: Page, container: Element, body: Element | None) -> tuple[str | None, str | None, str | None]:
    """The post's author name and link from an explicit byline, and the date a classic footer
    shows ("posted by NAME | Wednesday, June 15, 2005 | 9:37 AM"); None where there is none."""
    found = _byline(page, container, body, _AUTHOR)
    if found is not None:
        return found
    if body is not None:
        for el in _BODY_BYLINE(body):
            if starts_with_byline(text_of(el)):
                return text_of(el), None, None
        for script in body.iter("script"):
            match = _TEMPLATE_BYLINE.search(script.text or "") if "template" in (script.get("type") or "") else None
            if match and starts_with_byline(norm(html.unescape(match.group(1)))):
                return norm(html.unescape(match.group(1))), None, None
    found = _byline(page, container, body, _AUTHOR_LINKS)
    if found is not None:
        return found
    # Classic footer: "posted by NAME @ <a title='permanent link'>7:00 AM</a>".
    for footer in visible(_FOOTER(container), container, body):
        scope = footer.find("em") if footer.find("em") is not None else footer
        pieces: list[str] = [scope.text or ""]
        url = None
        for child in scope:
            if not isinstance(child.tag, str):
                pieces.append(child.tail or "")
                continue
            if child.tag == "a" and (
                "permanent" in (child.get("title") or "").lower()
                or "timestamp-link" in classes(child)
                or "comment-link" in classes(child)
            ):
                break
            if child.tag == "a" and url is None:
                url = page.profile_url(child.get("href"))
            pieces.append("".join(child.itertext()) + (child.tail or ""))
        text = norm("".join(pieces))
        if not starts_with_byline(text):
            continue  # "Labels: ...", "4:09 1 comment", share buttons: not a byline
        name, _, rest = text.partition(" | ")
        date_text = _AUTHOR_SEPARATOR.sub("", rest).strip() or None
        name = _AUTHOR_SEPARATOR.sub("", name)
        if name and not _label_only(name):
            return name, url, date_text
    return None, None, None


def _labels(page: Page, container: Element, body: Element | None) -> tuple[RawLabel, ...]:
    seen: dict[tuple[str, str | None], RawLabel] = {}
    for el in visible(_LABEL_LINKS(container), container, body):
        name = text_of(el)
        if not name:
            continue
        key = (name, page.absolute(el.get("href")))
        if key not in seen:
            seen[key] = RawLabel(name=key[0], url=key[1])
    return tuple(seen.values())


def _count_from(text: str) -> int | None:
    match = _DIGITS.search(text)
    if match:
        return int(match.group())
    if _NO_COMMENTS.match(text):
        return 0
    return None


def _declared_count(page: Page, container: Element, item: bool) -> tuple[str | None, int | None]:
    for el in _COMMENT_LINKS(container):
        if (el.get("id") or "").endswith("backlinks-create-link"):
            continue
        text = text_of(el)
        count = _count_from(text) if text else None
        if count is not None:
            return text, count
    zone = page.by_id.get("comments")
    if item and zone is not None:
        for el in zone.iter("h4", "h3", "h2"):
            if el.get("id") == "comment-post-message":
                continue
            text = text_of(el)
            count = _count_from(text) if text else None
            if count is not None:
                return text, count
        value = (zone.get("data-num-comments") or "").strip()
        if value.isdigit():
            return None, int(value)
        if "no-comments" in classes(zone):
            return None, 0
    return None, None


def _post_url(page: Page, container: Element, body: Element | None, title_el: Element | None, single_item: bool, post_id: str | None) -> str:
    if single_item:
        if page.canonical_links:
            return page.canonical_links[0]
        return canonical(strip_query(page.url))
    candidates: list[str | None] = []
    if title_el is not None:
        candidates.extend(a.get("href") for a in title_el.iter("a"))
    for el in visible(_LINKS(container), container, body):
        if "timestamp-link" in classes(el) or (el.get("title") or "").lower() == "permanent link":
            candidates.append(el.get("href"))
    candidates.extend(el.get("href") for el in visible(_BOOKMARK_LINKS(container), container, body))
    candidates.extend(str(v) for v in _ITEMPROP_URL(container))
    for href in candidates:
        url = page.absolute(href)
        if url and url.startswith(("http://", "https://", "file://")) and "#" not in url:
            return canonical(url)
    base = canonical(page.url)
    return f"{base}#{post_id}" if post_id else base


def _comment_pages(page: Page) -> tuple[str, ...]:
    """Links to the post's other comment pages ("?commentPage=N", "Load more...")."""
    current = comment_page_of(page.url)
    zone = page.by_id.get("comments")
    hrefs = [str(h) for h in _COMMENT_PAGE_HREFS(zone if zone is not None else page.root)]
    for el in page.having("loadmore"):
        hrefs.extend(a.get("href") for a in el.iter("a") if a.get("href"))
    here = strip_query(page.url)
    result: list[str] = []
    for href in hrefs:
        url = page.absolute(str(href))
        if not url or strip_query(url) != here:
            continue  # another post's comment pages (a sidebar link)
        if "commentPage=" not in url or comment_page_of(url) == current:
            continue
        url = canonical(url)
        if url not in result:
            result.append(url)
    return tuple(result)


def _date_headers(page: Page, bodies: list[Element]) -> dict[Element, str]:
    """The date header in effect for each body: the last ``.date-header`` before it."""
    wanted = set(bodies)
    current: str | None = None
    result: dict[Element, str] = {}
    for el, tokens in page.marked:
        if el in wanted:
            if current is not None:
                result[el] = current
        elif "date-header" in tokens and not in_foreign_widget(el):
            current = text_of(el) or current
    for body in bodies:
        if body not in result:  # a custom theme printing the date inside the body, first
            inner = next((el for el in page.by_token.get("date-header", ()) if body in el.iterancestors()), None)
            if inner is not None and text_of(inner):
                result[body] = text_of(inner)
    return result


def _comment_zone_holders(page: Page) -> set[Element]:
    """The ancestors of the page's comments (``#comments`` or the first comment)."""
    zone = page.by_id.get("comments")
    if zone is None:
        nodes = comment_nodes(page)
        zone = nodes[0][1] if nodes else None
    return set(zone.iterancestors()) | {zone} if zone is not None else set()


def _meta_scope(container: Element, body: Element | None, zone_holders: set[Element]) -> Element:
    """Where to look for the post's title, byline and footer: the container, or, when the
    container also holds the comments, the outermost post element inside it that does not
    (``div.post.hentry`` inside ``div.post-outer``). Keeps the searches out of a thread of
    hundreds of comments."""
    if body is None or container not in zone_holders:
        return container
    best = None
    for anc in body.iterancestors():
        if anc is container or anc in zone_holders:
            break
        if classes(anc) & _POST_CLASSES or anc.tag == "article" or anc.get("itemprop") == "blogPost":
            best = anc
    return best if best is not None else container


def _raw_posts(page: Page) -> list[RawPost]:
    if page.root is None:
        return []
    item = page.page_type != "index"
    template = _template(page)
    language = _language(page)
    page_blog_id = _page_blog_id(page)
    bodies = _bodies(page)
    if not bodies:
        posts = sequence_posts(page, template, language, page_blog_id)
        if posts:
            return _with_comments(page, posts, [(None, None)] * len(posts), item and len(posts) == 1)
    pairs: list[tuple[Element, Element | None]] = list(zip(_containers(bodies), bodies))
    if not item:
        # 2017+ themes show snippets on index pages: posts without a body element.
        containers = {c for c, _ in pairs}
        holders = {anc for _, b in pairs if b is not None for anc in b.iterancestors()}
        extra = [
            (el, None)
            for el in _bodiless(page)
            if el not in containers and el not in holders and not any(a in containers for a in el.iterancestors())
        ]
        if extra:
            pairs = sorted(pairs + extra, key=cmp_to_key(lambda x, y: -1 if is_before(x[0], y[0]) else 1))
    headers = _date_headers(page, bodies)
    single_item = item and len(pairs) == 1
    posts: list[RawPost] = []
    zone_holders = _comment_zone_holders(page)
    for outer, body in pairs:
        container = _meta_scope(outer, body, zone_holders)
        title, title_el = _title(container, body)
        post_id = _post_id(container, body)
        if post_id is None and single_item:
            post_id = _page_post_id(page)
        if body is not None:
            body_html = inner_html(body)
        else:
            body_html = inner_html(next(iter(_SNIPPET(container)), None))
        url = _post_url(page, container, body, title_el, single_item, post_id)
        published_attr, published_text = _published(container, body)
        if published_text is None:
            published_text = _other_date_text(page, container, body, title_el, url, title)
        author_name, author_url, footer_date = _author(page, container, body)
        count_text, count = _declared_count(page, container, single_item)
        is_page = (single_item and page.page_type == "static_page") or bool(STATIC_PATH.search(urlsplit(url).path))
        posts.append(
            RawPost(
                url=url,
                title=title,
                body_html=body_html,
                post_id=post_id,
                blog_id=_blog_id(container, page_blog_id),
                kind="page" if is_page else "post",
                date_header=(headers.get(body) if body is not None else None) or footer_date,
                published_attr=published_attr,
                published_text=published_text,
                updated_attr=_updated(container, body),
                author_name=author_name,
                author_url=author_url,
                labels=_labels(page, container, body),
                comment_count_text=count_text,
                comment_count=count,
                template=template,
                language=language,
            )
        )
    return _with_comments(page, posts, pairs, single_item)


def _with_comments(page: Page, posts: list[RawPost], pairs: list[tuple[Element | None, Element | None]],
                   single_item: bool) -> list[RawPost]:
    """The page's comments, attached to the post an item page shows; posts of a listing page
    whose comments live on another service say so."""
    if page.page_type == "index" or not posts:
        elsewhere = comments_elsewhere(page) if posts else None
        if elsewhere is not None:
            posts = [dataclasses.replace(p, comments_elsewhere=elsewhere, comment_count=None, comment_count_text=None)
                     for p in posts]
        return posts
    if posts:
        target = 0
        if len(posts) > 1:
            target = next((i for i, p in enumerate(posts) if p.url in page.canonical_links), 0)
            if pairs[target][0] is not None:
                count_text, count = _declared_count(page, pairs[target][0], True)
                posts[target] = dataclasses.replace(posts[target], comment_count_text=count_text, comment_count=count)
        post = posts[target]
        found = extract_page_comments(page, post.url, comment_page_of(page.url), 0)
        notes = list(found.disagreements)
        elsewhere = comments_elsewhere(page) if not found.comments else None
        count, count_text = post.comment_count, post.comment_count_text
        more_pages = _comment_pages(page)
        if elsewhere is not None:
            count = count_text = None  # the other service's count, not Blogger's
        elif count is not None and count != len(found.comments) and not more_pages and comment_page_of(page.url) == 1:
            notes.append(f"the page declares {count} comment(s) and shows {len(found.comments)}")
        posts[target] = dataclasses.replace(
            post, comments=found.comments, comment_pages=more_pages, comment_count=count,
            comment_count_text=count_text, comments_elsewhere=elsewhere, disagreements="\n".join(notes) or None,
        )
    return posts


def extract_posts(response: TextResponse) -> list[RawPost]:
    """Every post on the page (item page or listing), in page order.

    On an item page (one post or static page) the post carries the comments the page shows
    (``RawComment.page`` from the URL's ``commentPage``, positions from 0: use
    ``extract_comments`` with ``position_offset`` for later comment pages) and the links to
    its other comment pages. Posts on listing pages carry no comments.
    """
    return _raw_posts(page_of(response))


def extract_post(response: TextResponse) -> RawPost:
    """The one post (or static page) of an item page, with its comments.

    Raises ``ExtractionError`` when the page holds no post markup (a theme that renders
    posts with scripts, an error page), so the crawl can record why.
    """
    page = page_of(response)
    if page.root is None:
        raise ExtractionError("not an HTML page")
    posts = _raw_posts(page)
    if not posts:
        logger.debug("no post markup on %s", page.url)
        if not is_blogger_page(response):
            raise ExtractionError("no post markup and no sign of Blogger on the page")
        raise ExtractionError(
            "no post markup (div.post-body / .entry-content): the theme may render posts with scripts"
        )
    if page.page_type != "index":
        for post in posts:
            if post.comments or post.comment_pages:
                return post
    for post in posts:
        if post.url in page.canonical_links:
            return post
    return posts[0]


def extract_comments(
    response: TextResponse, post_url: str, page: int = 1, position_offset: int = 0
) -> list[RawComment]:
    """Every comment the page shows, in page order, whatever the markup family.

    ``post_url`` is stored in each record; ``page`` is the comment page the response shows
    (see ``comment_page_of``); ``position_offset`` is the number of comments on the earlier
    comment pages, so positions continue across pages.
    """
    return list(extract_page_comments(page_of(response), post_url, page, position_offset).comments)
