"""Comment parsers, one per comment shape (the table that picks them is ``crawler.families``).

- Threaded (layout templates about 2011 on, and 2017+ themes): ``li.comment#cID`` >
  ``div.comment-block`` > ``div.comment-header`` > ``cite.user`` + ``span.datetime``; replies
  nest in ``div.comment-replies`` inside the parent's ``li``. Rendered by the page's script
  (saved from a browser): ``li#bc_0_0B.comment > div#cID.comment-block``, and the same
  comments in the script's ``var items = [...]`` (``script_comments``).
- Flat (older layout templates): ``dl#comments-block`` > ``dt.comment-author#cID`` ("NAME
  said...") + ``dd.comment-body`` + ``dd.comment-footer`` > ``span.comment-timestamp``.
- Classic (pre-2007 templates): ``dt.comment-poster`` + ``dd.comment-body`` +
  ``dd.comment-timestamp``; ``dt.comment-data`` "At <a>DATE</a>, NAME said..." +
  ``dd.comment-body``; class-less ``ul > li#cID`` > ``div.comment-body`` + ``p.comment-data``
  "By <a>NAME</a>, at <a>TIME</a>"; the inline form ``div.blogComment`` >
  ``div.blogCommentByline`` ("Comment by NAME on <a>DATE</a>") + ``div.blogCommentBody``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.extract_markup import COMMENT_ID_PREFIX, Element, Page, classes, inner_html, js_unescape, norm, text_of
from kernel.records import RawComment

_COMMENT_ID = re.compile(rf"^{COMMENT_ID_PREFIX}(\d+)$")
_SHOW_COMMENT = re.compile(r"[?&]showComment=(\d+)")
_PERMALINK_ID = re.compile(rf"#{COMMENT_ID_PREFIX}(\d+)$")
_REMOVED = re.compile(
    r"this comment has been removed|this post has been removed|kommentar wurde vo[mn]|"
    r"comentario (?:ha sido|fue) eliminado|commentaire a été supprimé|commento è stato (?:eliminato|rimosso)|"
    r"comentário (?:foi removido|foi excluído)|reactie is verwijderd",
    re.IGNORECASE,
)
_THREAD_ROOTS = frozenset({"top-ra", "comment-holder", "comments"})
"""Ids where the walk up from a threaded comment to its parent reply stops."""
_CONTENT_TOKENS = frozenset({"comment-content", "comment-body"})
_REPLY_TOKENS = frozenset({"comment-replies", "comment-thread"})


def comment_id_of(el: Element) -> str | None:
    """Digits of ``id="c123"`` / ``id="comment-123"`` or of an ``a[name="c123"]`` inside."""
    match = _COMMENT_ID.match(el.get("id") or "")
    if match:
        return match.group(1)
    for anchor in el.iter("a"):
        match = _COMMENT_ID.match(anchor.get("name") or "")
        if match:
            return match.group(1)
    return None


def block_comment_id(li: Element) -> str | None:
    """Digits of the ``div#c123.comment-block`` child of a script-rendered ``li#bc_0_0B``."""
    for child in li:
        if child.tag == "div" and "comment-block" in classes(child):
            match = _COMMENT_ID.match(child.get("id") or "")
            return match.group(1) if match else None
    return None


def threaded_id(li: Element) -> str | None:
    match = _COMMENT_ID.match(li.get("id") or "")
    if match:
        return match.group(1)
    return block_comment_id(li) or comment_id_of(li)


def is_comment_li(el: Element) -> bool:
    if el.tag != "li":
        return False
    return _COMMENT_ID.match(el.get("id") or "") is not None or (
        "comment" in classes(el) and block_comment_id(el) is not None
    )



def _scan(scope: Element) -> dict[str, Element]:
    """First element (document order) for each class token under ``scope``; does not descend
    into comment text (``comment-content``) or nested replies."""
    found: dict[str, Element] = {}
    stack = list(reversed(scope))
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str):
            continue
        value = el.get("class")
        if value:
            tokens = value.split()
            if (el.tag == "li" and "comment" in tokens) or not _REPLY_TOKENS.isdisjoint(tokens):
                continue  # a nested reply: its own record
            for token in tokens:
                found.setdefault(token, el)
            if not _CONTENT_TOKENS.isdisjoint(tokens):
                continue
        if el.tag == "time" and el.get("datetime"):
            found.setdefault("<time>", el)
        stack.extend(reversed(el))
    return found


def _either(found: dict[str, Element], *keys: str) -> Element | None:
    for key in keys:
        el = found.get(key)
        if el is not None:
            return el
    return None


def _is_deleted(body: Element | None) -> bool:
    """Blogger's "This comment has been removed by the author." (``span.deleted-comment``)."""
    if body is None:
        return False
    for el in body.iter():
        value = el.get("class") if isinstance(el.tag, str) else None
        if value and "deleted-comment" in value.split():
            return True
    text = text_of(body)
    return len(text) < 120 and bool(_REMOVED.search(text))


def _first_link(el: Element | None) -> Element | None:
    if el is None:
        return None
    if el.tag == "a":
        return el
    return next(iter(el.iter("a")), None)


def _timestamp(permalink: str | None) -> int | None:
    match = _SHOW_COMMENT.search(permalink or "")
    return int(match.group(1)) if match else None


def threaded(page: Page, li: Element, common: dict[str, object]) -> RawComment | None:
    comment_id = threaded_id(li)
    if comment_id is None:
        return None
    found = _scan(li)
    header = found.get("comment-header")
    user = next(iter((header if header is not None else li).iter("cite")), None)
    if user is None:
        user = found.get("user")
        user = user if user is not None and "icon" not in classes(user) else None
    date_el = _either(found, "datetime", "<time>")
    author_link = _first_link(user)
    date_link = _first_link(date_el)
    permalink = page.absolute(date_link.get("href")) if date_link is not None else None
    datetime_attr = None
    if date_el is not None:
        time_el = date_el if date_el.tag == "time" else next(iter(date_el.iter("time")), None)
        if time_el is not None:
            datetime_attr = time_el.get("datetime")
    body = _either(found, "comment-content", "comment-body")
    parent_id = None
    for anc in li.iterancestors():
        if anc.tag == "li" and is_comment_li(anc):
            parent_id = threaded_id(anc)
            break
        if anc.get("id") in _THREAD_ROOTS:
            break
    is_owner = "blog-author" in classes(li) or "blog-author" in found
    return RawComment(
        comment_id=comment_id,
        body_html=inner_html(body),
        author_text=text_of(user) or None,
        author_url=page.profile_url(author_link.get("href")) if author_link is not None else None,
        header_text=text_of(header) or None,
        date_text=text_of(date_el) or None,
        datetime_attr=datetime_attr,
        timestamp_ms=_timestamp(permalink),
        permalink=permalink,
        parent_id=parent_id,
        is_blog_author=is_owner,
        deleted=_is_deleted(body),
        **common,  # type: ignore[arg-type]
    )


def _inside_avatar(link: Element, stop: Element) -> bool:
    for anc in link.iterancestors():
        if anc is stop:
            return False
        if "avatar-image-container" in classes(anc):
            return True
    return False


def flat(page: Page, dt: Element, common: dict[str, object]) -> RawComment:
    """``dt.comment-author`` / ``dt.comment-poster`` and the ``dd`` elements after it."""
    body = footer = None
    for sib in dt.itersiblings():
        if sib.tag == "dt":
            break
        if sib.tag != "dd":
            continue
        tokens = classes(sib)
        if "comment-body" in tokens and body is None:
            body = sib
        elif tokens & {"comment-footer", "comment-timestamp"} and footer is None:
            footer = sib
        elif body is None and not tokens:
            body = sib
    # Classic "At <a title='comment permalink'>DATE</a>, NAME said..." keeps the date in the dt.
    stamp_in_dt = next((a for a in dt.iter("a") if _is_permalink(a)), None) if "comment-data" in classes(dt) else None
    author_url = None
    for link in dt.iter("a"):
        if not link.get("href") or "avatar-hovercard" in classes(link) or link is stamp_in_dt:
            continue
        if _inside_avatar(link, dt):
            continue
        author_url = page.profile_url(link.get("href"))
    date_text = permalink = None
    header = text_of(dt) or None
    author_text = header
    if stamp_in_dt is not None:
        date_text = text_of(stamp_in_dt) or None
        permalink = page.absolute(stamp_in_dt.get("href"))
        after = [stamp_in_dt.tail or ""]
        after.extend("".join(sib.itertext()) + (sib.tail or "") for sib in stamp_in_dt.itersiblings())
        author_text = norm("".join(after)).lstrip(",;: ") or None
    if footer is not None and stamp_in_dt is None:
        stamp = footer
        for el in footer.iter():
            if el is not footer and isinstance(el.tag, str) and "comment-timestamp" in classes(el):
                stamp = el
                break
        link = _first_link(stamp)
        if link is not None and text_of(link):
            date_text = text_of(link)
            permalink = page.absolute(link.get("href"))
        else:
            date_text = text_of(stamp) or None
    return RawComment(
        comment_id=comment_id_of(dt),
        body_html=inner_html(body),
        author_text=author_text,
        author_url=author_url,
        header_text=header,
        date_text=date_text,
        timestamp_ms=_timestamp(permalink),
        permalink=permalink,
        is_blog_author="blog-author" in classes(dt),
        deleted=_is_deleted(body),
        **common,  # type: ignore[arg-type]
    )


def _is_permalink(link: Element) -> bool:
    href = link.get("href") or ""
    return "permalink" in (link.get("title") or "").lower() or bool(_PERMALINK_ID.search(href)) or "showComment=" in href


@dataclass(frozen=True)
class BylineComment:
    """A comment element holding a body child and a byline child that reads "By <a>NAME</a>,
    at <a>TIME</a>" / "Comment by NAME on <a>DATE</a>": one parser for every such shape, the
    shape's row saying which children are which (``CLASSIC_LI``, ``INLINE_CLASSIC``).

    The author is the byline's text before the date link, the first link before it their
    profile; the date link is the one marked as the comment's permalink (else the last link,
    where ``last_link_is_date``); the id is the element's own (``id="c123"``, ``a[name]``), else
    the permalink's ``#c123``, else an ``a[name="c123"]`` just before the element."""

    body: str
    """Class token of the body child."""
    byline: str
    """Class token of the byline child."""
    last_link_is_date: bool = False

    def __call__(self, page: Page, el: Element, common: dict[str, object]) -> RawComment:
        body = byline = None
        for child in el:
            tokens = classes(child) if isinstance(child.tag, str) else set()
            if self.body in tokens and body is None:
                body = child
            elif self.byline in tokens and byline is None:
                byline = child
        author_text = author_url = date_text = permalink = None
        stamp = None
        if byline is not None:
            links = [a for a in byline.iter("a") if a.get("href")]
            stamp = next((a for a in links if _is_permalink(a)), links[-1] if links and self.last_link_is_date else None)
            pieces = [byline.text or ""]
            for child in byline:
                if child is stamp:
                    break
                if not isinstance(child.tag, str):  # an HTML comment: only its tail shows
                    pieces.append(child.tail or "")
                    continue
                if child.tag == "a" and author_url is None and child.get("href"):
                    author_url = page.profile_url(child.get("href"))
                pieces.append("".join(child.itertext()) + (child.tail or ""))
            author_text = norm("".join(pieces)) or None
            if stamp is not None:
                date_text = text_of(stamp) or None
                permalink = page.absolute(stamp.get("href"))
        return RawComment(
            comment_id=comment_id_of(el) or _stamp_id(stamp) or _anchor_before(el),
            body_html=inner_html(body),
            author_text=author_text,
            author_url=author_url,
            header_text=text_of(byline) or None,
            date_text=date_text,
            timestamp_ms=_timestamp(permalink),
            permalink=permalink,
            deleted=_is_deleted(body),
            **common,  # type: ignore[arg-type]
        )


def _stamp_id(stamp: Element | None) -> str | None:
    match = _PERMALINK_ID.search(stamp.get("href") or "") if stamp is not None else None
    return match.group(1) if match else None


def _anchor_before(el: Element) -> str | None:
    """The id of an ``a[name="c123"]`` among the anchors right before ``el``."""
    prev = el.getprevious()
    while prev is not None and prev.tag == "a":
        match = _COMMENT_ID.match(prev.get("name") or "")
        if match:
            return match.group(1)
        prev = prev.getprevious()
    return None


classic_li = BylineComment(body="comment-body", byline="comment-data")
"""Class-less ``li#c123`` > ``div.comment-body`` + ``p.comment-data`` "By <a>NAME</a>, at
<a title='comment permalink'>TIME</a>"."""
inline_classic = BylineComment(body="blogCommentBody", byline="blogCommentByline", last_link_is_date=True)
"""``div.blogComment`` > ``div.blogCommentByline`` "Comment by NAME on <a>DATE</a>" + ``div.blogCommentBody``."""
