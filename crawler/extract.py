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

The families, the comment shapes and the comment services are tables in ``crawler.families``;
classic templates that print a post as a run of siblings are ``crawler.extract_listing``'s
layouts; the fields of one post are read by ``crawler.extract_fields``.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import re
from functools import cmp_to_key
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from kernel.errors import SourceError
from crawler.extract_fields import (
    DIGITS,
    META_BLOG_ID,
    TITLE,
    comment_page_of,
    read_author,
    read_blog_id,
    read_comment_pages,
    read_date_headers,
    read_declared_count,
    read_labels,
    read_other_date_text,
    read_page_post_id,
    read_post_id,
    read_post_url,
    read_published,
    read_title,
    read_updated,
)
from crawler.extract_listing import layout_of, sequence_posts
from crawler.families import (
    comment_nodes,
    comments_elsewhere,
    extract_page_comments,
    script_drawn_posts,
    template_of,
)
from crawler.extract_markup import (
    STATIC_PATH,
    Element,
    Page,
    canonical,
    classes,
    has_class,
    in_foreign_widget,
    inner_html,
    is_before,
    js_unescape,
    norm,
    page_of,
    text_of,
    xpath,
)
from kernel.records import ArchiveMonth, BlogInfo, RawComment, RawPost

if TYPE_CHECKING:  # only a type here: importing crawler.extract does not start Scrapy
    from scrapy.http import TextResponse

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

_SNIPPET = xpath(
    f".//*[{has_class('post-snippet')} or {has_class('snippet-item')} or {has_class('post-summary')}"
    f" or {has_class('entry-summary')}]"
)
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
_BLOG_TITLE_ID = xpath("//*[@id='blog-title']")
_HEADER_TITLE = xpath(".//*[self::h1 or self::h2 or self::h3 or self::a][normalize-space()]")
_BLOG_ID_HREF = re.compile(r"blogID=(\d+)", re.IGNORECASE)
_MONTH_HREF = re.compile(r"/(\d{4})/(\d{1,2})/?(?:[?#].*)?$")
_CLASSIC_MONTH_HREF = re.compile(r"(\d{4})_(\d{2})_01_archive\.html(?:[?#].*)?$")
_COUNT_IN_PARENS = re.compile(r"\((\d[\d.,\s]*)\)\s*$")
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


class ExtractionError(SourceError, ValueError):
    """A page that should hold a post has no post markup; ``reason`` says what was missing.
    The crawl records it against the page (``ValueError`` stays a base for older callers)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason



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
        for value in META_BLOG_ID(page.root):
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
            found = DIGITS.search(text_of(el))
            if found:
                return int(found.group())
    parent = entry.getparent()
    if parent is not None:
        for sibling in parent:
            if sibling is not entry and isinstance(sibling.tag, str) and classes(sibling) & {"post-count", "archive-count"}:
                found = DIGITS.search(text_of(sibling))
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
        if not TITLE(el):
            continue
        taken.add(el)
        result.append(el)
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
        posts = sequence_posts(page, template, language, page_blog_id) or script_drawn_posts(page, template, language)
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
    headers = read_date_headers(page, bodies)
    single_item = item and len(pairs) == 1
    posts: list[RawPost] = []
    zone_holders = _comment_zone_holders(page)
    for outer, body in pairs:
        container = _meta_scope(outer, body, zone_holders)
        title, title_el = read_title(container, body)
        post_id = read_post_id(container, body)
        if post_id is None and single_item:
            post_id = read_page_post_id(page)
        if body is not None:
            body_html = inner_html(body)
        else:
            body_html = inner_html(next(iter(_SNIPPET(container)), None))
        url = read_post_url(page, container, body, title_el, single_item, post_id)
        published_attr, published_text = read_published(container, body)
        if published_text is None:
            published_text = read_other_date_text(page, container, body, title_el, url, title)
        author_name, author_url, footer_date = read_author(page, container, body)
        count_text, count = read_declared_count(page, container, single_item)
        is_page = (single_item and page.page_type == "static_page") or bool(STATIC_PATH.search(urlsplit(url).path))
        posts.append(
            RawPost(
                url=url,
                title=title,
                body_html=body_html,
                post_id=post_id,
                blog_id=read_blog_id(container, page_blog_id),
                kind="page" if is_page else "post",
                date_header=(headers.get(body) if body is not None else None) or footer_date,
                published_attr=published_attr,
                published_text=published_text,
                updated_attr=read_updated(container, body),
                author_name=author_name,
                author_url=author_url,
                labels=read_labels(page, container, body),
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
                count_text, count = read_declared_count(page, pairs[target][0], True)
                posts[target] = dataclasses.replace(posts[target], comment_count_text=count_text, comment_count=count)
        post = posts[target]
        found = extract_page_comments(page, post.url, comment_page_of(page.url), 0)
        notes = list(found.disagreements)
        elsewhere = comments_elsewhere(page) if not found.comments else None
        count, count_text = post.comment_count, post.comment_count_text
        more_pages = read_comment_pages(page)
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
