"""The fields of one post on a Blogger page: title, ids, dates, byline, labels, declared
comment count, permalink, other comment pages, date headers (used through ``crawler.extract``).

Each function reads one post container (the element holding the post's title, byline and
footer) and its body with compiled selectors, in priority order where several markups say
the same thing; text is kept as found.
"""

from __future__ import annotations

import html
import re

from crawler.bylines import POSTED_BY_RE, starts_with_byline
from crawler.extract_markup import (
    Element,
    Page,
    canonical,
    classes,
    first_visible,
    has_class,
    in_foreign_widget,
    is_before,
    norm,
    strip_query,
    text_of,
    visible,
    xpath,
)
from crawler.urls import comment_page_number
from kernel.records import RawLabel

# --------------------------------------------------------------------------------------
# Selectors relative to one post container (priority order where a tuple)
# --------------------------------------------------------------------------------------

TITLE = xpath(f".//*[{has_class('post-title')} or {has_class('entry-title')}]")
_HEADINGS = xpath(".//*[self::h1 or self::h2 or self::h3]")
_META_POST_ID = xpath(".//meta[@itemprop='postId']/@content")
META_BLOG_ID = xpath(".//meta[@itemprop='blogId']/@content")
_NAMED_ANCHORS = xpath(".//a[@name]")
_LINKS = xpath(".//a[@href]")
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
_COMMENT_PAGE_HREFS = xpath(".//a[contains(@href, 'commentPage=')]/@href")

DIGITS = re.compile(r"\d+")
_ID_CLASS = re.compile(r"(?:^|\s)post-(\d{5,})(?:\s|$)")
_ID_ATTR = re.compile(r"^(?:post-body-|post-|post)?(\d{5,})$")
_VIEW_POST_ID = re.compile(r"_BlogView'.{0,400}?'postId'\s*:\s*'(\d+)'", re.DOTALL)
_COMMENT_FEED = re.compile(r"/feeds/(\d+)/comments/")
_BLOG_POST_REF = re.compile(r"blog-(\d+)\.post-(\d+)")
_POST_ID_HREF = re.compile(r"(?:^|/)(?:share-post|post-edit|comment-iframe|comment)\.g\?[^\"'#]*?postID=(\d+)")
_NO_COMMENTS = re.compile(
    r"^\s*(?:no\b|keine\b|kein\b|sin\b|aucun|nessun|sem\b|geen\b|brak\b|ingen\b|ei\b)", re.IGNORECASE
)
_AUTHOR_SEPARATOR = re.compile(
    r"\s*(?:@|\bat|\bum|\bà|\ba las|\balle|\bàs|\bom|,|-|\|)\s*$", re.IGNORECASE
)


def comment_page_of(url: str) -> int:
    """The comment page a URL shows: N of ``?commentPage=N``, 1 when absent."""
    return comment_page_number(url)


def read_title(container: Element, body: Element | None) -> tuple[str, Element | None]:
    for el in visible(TITLE(container), container, body):
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


def read_post_id(container: Element, body: Element | None) -> str | None:
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


def read_page_post_id(page: Page) -> str | None:
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


def read_blog_id(container: Element, fallback: str | None) -> str | None:
    for value in META_BLOG_ID(container):
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


def read_published(container: Element, body: Element | None) -> tuple[str | None, str | None]:
    attr = next(filter(None, map(_time_attr, first_visible(_PUBLISHED_ATTR, container, body))), None)
    text = next(filter(None, map(text_of, first_visible(_PUBLISHED_TEXT, container, body))), None)
    return attr, text


def read_updated(container: Element, body: Element | None) -> str | None:
    return next(filter(None, map(_time_attr, first_visible(_UPDATED_ATTR, container, body))), None)


def read_other_date_text(page: Page, container: Element, body: Element | None, title_el: Element | None, url: str, title: str) -> str | None:
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


def read_author(page: Page, container: Element, body: Element | None) -> tuple[str | None, str | None, str | None]:
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


def read_labels(page: Page, container: Element, body: Element | None) -> tuple[RawLabel, ...]:
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
    match = DIGITS.search(text)
    if match:
        return int(match.group())
    if _NO_COMMENTS.match(text):
        return 0
    return None


def read_declared_count(page: Page, container: Element, item: bool) -> tuple[str | None, int | None]:
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


def read_post_url(page: Page, container: Element, body: Element | None, title_el: Element | None, single_item: bool, post_id: str | None) -> str:
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


def read_comment_pages(page: Page) -> tuple[str, ...]:
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


def read_date_headers(page: Page, bodies: list[Element]) -> dict[Element, str]:
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


