"""Blogger markup families as data: template families, comment shapes, comment services.

Extraction reads these tables instead of branching on markup in code, in the spirit of a
layout switch: each template family is a detector and a name; each comment shape is a
detector of one comment element (run on the page's one walk, ``Page.marked``) and the
parser that turns that element into a ``RawComment``; each comment service is a sign on the
page that the comments are not Blogger's (they live on Disqus, Facebook...), so a count the
page shows is not a Blogger count. Adding a family is one entry here plus its test pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from crawler.extract_comments import block_comment_id, classic_li, flat, inline_classic, threaded
from crawler.extract_markup import COMMENT_ID_PREFIX, Element, Page
from crawler.extract_script import script_comments, script_drawn_post
from kernel.records import RawComment, RawPost

_COMMENT_ID = re.compile(rf"^{COMMENT_ID_PREFIX}(\d+)$")

Parser = Callable[[Page, Element, dict[str, object]], "RawComment | None"]


@dataclass(frozen=True)
class CommentShape:
    """One way Blogger wrote a comment: which element is a comment, and how to read it."""

    name: str
    detect: Callable[[Element, frozenset[str]], bool]
    """Whether a marked element (its tag, its wanted class tokens) is one comment of this shape."""
    parse: Parser
    threaded: bool = False
    """Replies nest inside their parent (the template family is "layout-threaded")."""
    example: str = ""
    """A real page that shows the shape (../shared/realdata)."""


def _threaded_li(el: Element, tokens: frozenset[str]) -> bool:
    """``li.comment#c123`` (server-rendered) or ``li#bc_0_0B.comment > div#c123.comment-block``
    (rendered by the page's script and saved from a browser)."""
    if el.tag != "li" or "comment" not in tokens:
        return False
    return _COMMENT_ID.match(el.get("id") or "") is not None or block_comment_id(el) is not None


def _flat_dt(el: Element, tokens: frozenset[str]) -> bool:
    return el.tag == "dt" and not tokens.isdisjoint(("comment-author", "comment-poster", "comment-data"))


def _classic_li(el: Element, tokens: frozenset[str]) -> bool:
    """Class-less ``ul > li#c123`` holding ``div.comment-body`` and ``p.comment-data``."""
    return el.tag == "li" and not tokens and _COMMENT_ID.match(el.get("id") or "") is not None


def _inline_div(el: Element, tokens: frozenset[str]) -> bool:
    return el.tag == "div" and "blogComment" in tokens


COMMENT_SHAPES: tuple[CommentShape, ...] = (
    CommentShape("threaded", _threaded_li, threaded, threaded=True,
                 example="wcxb/dev__4456.html, goose3/test_issue129.html"),
    CommentShape("flat", _flat_dt, flat,
                 example="haul/blogspot.html, trafilatura-pr185-cleaneval/en-original__57.html"),
    CommentShape("classic-list", _classic_li, classic_li,
                 example="trafilatura-pr185-cleaneval/finalrun-input__72.html"),
    CommentShape("inline", _inline_div, inline_classic, example="e-gineer-blog/*.md"),
)


@dataclass(frozen=True)
class CommentService:
    """Comments hosted by another service: none of them are in the page's HTML."""

    name: str
    needles: tuple[str, ...]
    """Plain strings one of which every page of the service holds (cheap tests before the pattern)."""
    pattern: re.Pattern[str]
    """Searched in the page's HTML source."""


COMMENT_SERVICES: tuple[CommentService, ...] = (
    CommentService("Disqus", ("disqus",), re.compile(r"disqus\.com/(?:blogger_item|embed)\.js|id=['\"]disqus_thread['\"]")),
    CommentService("Facebook", ("fb-comments", "plugins/comments"), re.compile(r"class=['\"][^'\"]*\bfb-comments\b|facebook\.com/plugins/comments")),
    CommentService("Google+", ("cmt_iframe_holder",), re.compile(r"class=['\"]cmt_iframe_holder['\"]")),
    CommentService("HaloScan", ("aloScan",), re.compile(r"javascript:HaloScan\(|haloscan\.com/load/", re.IGNORECASE)),
    CommentService("BlogKomm", ("blogkommlink",), re.compile(r"class=['\"]blogkommlink['\"]")),
    CommentService("IntenseDebate", ("intensedebate",), re.compile(r"intensedebate\.com/(?:js|idc)/")),
    CommentService("Echo", ("js-kit.com",), re.compile(r"js-kit\.com/(?:comments|for/)")),
)


def comments_elsewhere(page: Page) -> str | None:
    """The service the page's comments live on, when they are not Blogger's."""
    text = page.text
    for service in COMMENT_SERVICES:
        if any(needle in text for needle in service.needles) and service.pattern.search(text):
            return service.name
    return None


def comment_nodes(page: Page) -> list[tuple[CommentShape, Element]]:
    """Every comment element of the page in document order, with its shape."""
    cached = page.memo.get("comment_nodes")
    if cached is not None:
        return cached  # type: ignore[return-value]
    nodes: list[tuple[CommentShape, Element]] = []
    page.memo["comment_nodes"] = nodes
    for el, tokens in page.marked:
        for shape in COMMENT_SHAPES:
            if shape.detect(el, tokens):
                nodes.append((shape, el))
                break
    return nodes


@dataclass(frozen=True)
class PageComments:
    comments: tuple[RawComment, ...]
    disagreements: tuple[str, ...] = ()
    """Where the page's two sources of comments (markup, the comment script's items) differ."""


def extract_page_comments(page: Page, post_url: str, page_number: int, position_offset: int) -> PageComments:
    """The comments the page shows: the markup's, checked against the script's items (the
    script's alone when the markup has none, as on a page whose comments were never rendered)."""
    result: list[RawComment] = []
    position = position_offset
    for shape, node in comment_nodes(page):
        common: dict[str, object] = {"post_url": post_url, "position": position, "page": page_number}
        comment = shape.parse(page, node, common)
        if comment is None:
            continue
        result.append(comment)
        position += 1
    scripted = script_comments(page, post_url, page_number, position_offset)
    if not scripted:
        return PageComments(tuple(result))
    if not result:
        return PageComments(tuple(scripted))
    return PageComments(tuple(result), tuple(_compare(result, scripted)))


def _compare(markup: list[RawComment], scripted: list[RawComment]) -> list[str]:
    found: list[str] = []
    shown = {c.comment_id: c for c in markup if c.comment_id}
    listed = {c.comment_id: c for c in scripted if c.comment_id}
    missing = [cid for cid in listed if cid not in shown]
    extra = [cid for cid in shown if cid not in listed]
    if missing:
        found.append(f"the comment script lists {len(missing)} comment(s) the markup does not show: "
                     + ", ".join(f"c{cid}" for cid in missing[:5]))
    if extra:
        found.append(f"the markup shows {len(extra)} comment(s) the comment script does not list: "
                     + ", ".join(f"c{cid}" for cid in extra[:5]))
    parents = [cid for cid, c in listed.items() if cid in shown and (c.parent_id or None) != (shown[cid].parent_id or None)]
    if parents:
        found.append(f"the markup and the comment script name different parents for: "
                     + ", ".join(f"c{cid}" for cid in parents[:5]))
    return found


# --------------------------------------------------------------------------------------
# Template families
# --------------------------------------------------------------------------------------


def _modern(page: Page) -> bool:
    tokens = page.by_token
    ids = page.by_id
    return (
        any(el.tag == "article" for el in tokens.get("post-outer-container", ()))
        or "post-body-container" in tokens
        or "byline" in tokens
        or any(el.tag == "time" for el in tokens.get("published", ()))
        or ("comments" in ids and ids["comments"].tag == "section")
    )


def _layout(page: Page) -> bool:
    tokens = page.by_token
    return "widget-Blog" in tokens or "post-outer" in tokens or "date-outer" in tokens


def _layout_threaded(page: Page) -> bool:
    if not _layout(page):
        return False
    if "comment-holder" in page.by_id or any(shape.threaded for shape, _ in comment_nodes(page)):
        return True
    if "comments-block" in page.by_id or comment_nodes(page):
        return False
    # A listing page shows no comments; the threaded template's stylesheet gives it away.
    return "comment-thread" in page.text


def _classic(page: Page) -> bool:
    tokens = page.by_token
    return bool(comment_nodes(page)) or "post-footer" in tokens or "post-body" in tokens or "entry-content" in tokens


def _dynamic_views(page: Page) -> bool:
    """Dynamic Views (2011-2019): the page is a shell the template's script fills in (every
    Blogger page names ``dynamicViewsScriptSrc``; only these say ``blogger-template`` dynamic)."""
    return "dynamic" in page.meta(name="blogger-template")


@dataclass(frozen=True)
class TemplateFamily:
    name: str
    detect: Callable[[Page], bool]
    example: str = ""
    script_post: Callable[[Page, str, "str | None"], "RawPost | None"] | None = None
    """For a family whose pages hold no post markup: the post read from what the page
    carries in its scripts and meta tags (page, family name, language)."""


TEMPLATE_FAMILIES: tuple[TemplateFamily, ...] = (
    TemplateFamily("dynamic-views", _dynamic_views, "htmldate/eval__juliasleseblog.blogspot.com.irland.html",
                   script_post=script_drawn_post),
    TemplateFamily("modern", _modern, "graby/content__bjori.blogspot.com_2015_04_next-gen-mongodb-driver.html"),
    TemplateFamily("layout-threaded", _layout_threaded, "wcxb/dev__4456.html"),
    TemplateFamily("layout-flat", _layout, "haul/blogspot.html"),
    TemplateFamily("classic", _classic, "trafilatura-pr185-cleaneval/finalrun-input__72.html"),
)
_BY_NAME = {family.name: family for family in TEMPLATE_FAMILIES}


def template_of(page: Page) -> str:
    """The first template family whose detector accepts the page, or "unknown"."""
    if page.root is None:
        return "unknown"
    for family in TEMPLATE_FAMILIES:
        if family.detect(page):
            return family.name
    return "unknown"


def script_drawn_posts(page: Page, template: str, language: str | None) -> list[RawPost]:
    """The posts of a page without post markup whose family draws its posts by script."""
    family = _BY_NAME.get(template)
    if family is None or family.script_post is None:
        return []
    post = family.script_post(page, template, language)
    return [post] if post is not None else []
