"""What a page carries in its scripts: the threaded widget's comments (``var items = [...]``)
and, for a template that draws its posts by script (Dynamic Views), the post it names.

Layout templates of 2011-2016 render their threaded comments with a script that reads an
array of JavaScript object literals (single-quoted strings, octal escapes such as ``\\46``
for "&"). The array is a second source for each comment's id, parent, author and time: it
fills in comments a saved page never rendered, and it is compared with the markup.

A Dynamic Views page holds no post markup at all: its ``_WidgetManager._SetDataContext`` data
names the post (title, URL, id), and the post is recorded with what the page does not hold.
"""

from __future__ import annotations

import html
import re
from typing import Any

from lxml import etree

from crawler.extract_markup import Page, canonical, js_unescape, norm
from kernel.records import RawComment, RawPost

_ITEMS = re.compile(r"\bvar\s+items\s*=\s*\[")
_TOKEN = re.compile(
    r"""\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([{}\[\]:,])|(-?\d+(?:\.\d+)?)|(true|false|null)|([A-Za-z_$][\w$]*))""",
    re.DOTALL,
)
_MAX_SCAN = 2_000_000
_SHOW_COMMENT = re.compile(r"[?&]showComment=(\d+)")


class _Unreadable(ValueError):
    pass


def _parse_literal(text: str, pos: int) -> tuple[Any, int]:
    """One JavaScript literal (object, array, string, number) starting at ``pos``."""
    match = _TOKEN.match(text, pos)
    if not match:
        raise _Unreadable(pos)
    single, double, punct, number, word, name = match.groups()
    pos = match.end()
    if single is not None or double is not None:
        return js_unescape(single if single is not None else double, entities=False), pos
    if number is not None:
        return number, pos
    if word is not None:
        return {"true": True, "false": False, "null": None}[word], pos
    if name is not None:
        return name, pos
    if punct == "[":
        items: list[Any] = []
        while True:
            peek = _TOKEN.match(text, pos)
            if peek and peek.group(3) == "]":
                return items, peek.end()
            value, pos = _parse_literal(text, pos)
            items.append(value)
            sep = _TOKEN.match(text, pos)
            if not sep or sep.group(3) not in (",", "]"):
                raise _Unreadable(pos)
            pos = sep.end()
            if sep.group(3) == "]":
                return items, pos
    if punct == "{":
        obj: dict[str, Any] = {}
        while True:
            key_match = _TOKEN.match(text, pos)
            if key_match and key_match.group(3) == "}":
                return obj, key_match.end()
            key, pos = _parse_literal(text, pos)
            colon = _TOKEN.match(text, pos)
            if not colon or colon.group(3) != ":":
                raise _Unreadable(pos)
            value, pos = _parse_literal(text, colon.end())
            obj[str(key)] = value
            sep = _TOKEN.match(text, pos)
            if not sep or sep.group(3) not in (",", "}"):
                raise _Unreadable(pos)
            pos = sep.end()
            if sep.group(3) == "}":
                return obj, pos
    raise _Unreadable(pos)


def script_items(text: str) -> list[dict[str, Any]]:
    """The objects of the page's ``var items = [...]`` comment array; [] when there is none
    or it cannot be read."""
    match = _ITEMS.search(text)
    if not match:
        return []
    segment = text[match.end() - 1 : match.end() - 1 + _MAX_SCAN]
    try:
        items, _ = _parse_literal(segment, 0)
    except (_Unreadable, RecursionError, KeyError):
        return []
    return [item for item in items if isinstance(item, dict) and str(item.get("id", "")).isdigit()]


def script_comments(page: Page, post_url: str, page_number: int, position_offset: int) -> list[RawComment]:
    """The script's comments as records (in the script's order)."""
    if "var items" not in page.text:
        return []
    result = []
    for position, item in enumerate(script_items(page.text), start=position_offset):
        author = item.get("author") if isinstance(item.get("author"), dict) else {}
        permalink = str(item["permalink"]) if item.get("permalink") else None
        stamp = str(item.get("timestamp") or "")
        if not stamp.isdigit() and permalink:
            found = _SHOW_COMMENT.search(permalink)
            stamp = found.group(1) if found else ""
        parent = str(item.get("parentId") or "")
        result.append(
            RawComment(
                post_url=post_url,
                comment_id=str(item["id"]),
                position=position,
                body_html=str(item.get("body") or ""),
                author_text=norm(html.unescape(str(author.get("name") or ""))) or None,
                author_url=page.profile_url(str(author["profileUrl"])) if author.get("profileUrl") else None,
                date_text=norm(html.unescape(str(item.get("displayTime") or ""))) or None,
                timestamp_ms=int(stamp) if stamp.isdigit() else None,
                permalink=page.absolute(permalink) if permalink else None,
                parent_id=parent if parent.isdigit() else None,
                page=page_number,
            )
        )
    return result


# --------------------------------------------------------------------------------------
# Posts drawn by script (Dynamic Views)
# --------------------------------------------------------------------------------------

_DATA_CONTEXT = re.compile(r"_WidgetManager\._SetDataContext\(\s*\[")
BODY_DRAWN_BY_SCRIPT = "body drawn by script"
"""The note a post carries when its page holds no body: the template draws it in the browser."""


def data_context(text: str) -> dict[str, dict[str, Any]]:
    """The page's ``_WidgetManager._SetDataContext([{'name': 'blog', 'data': {...}}, ...])``
    as name -> data (``blog``, ``view``, ``template``...); {} when absent or unreadable."""
    match = _DATA_CONTEXT.search(text)
    if not match:
        return {}
    try:
        entries, _ = _parse_literal(text[match.end() - 1 : match.end() - 1 + _MAX_SCAN], 0)
    except (_Unreadable, RecursionError, KeyError):
        return {}
    if not isinstance(entries, list):
        return {}
    return {
        str(entry["name"]): entry["data"]
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("data"), dict) and entry.get("name")
    }


def _noscript_body(page: Page) -> tuple[str, str]:
    """What the page's ``<noscript>`` elements in its body show (their HTML, their text)."""
    if page.root is None:
        return "", ""
    parts, texts = [], []
    for el in page.root.iter("noscript"):
        if el.getparent() is not None and el.getparent().tag == "head":
            continue
        text = norm(" ".join(el.itertext()))
        if text:
            parts.append((el.text or "") + "".join(etree.tostring(child, encoding="unicode") for child in el))
            texts.append(text)
    return "\n".join(parts), " ".join(texts)


def script_drawn_post(page: Page, template: str, language: str | None) -> RawPost | None:
    """The post of a page whose template draws it by script (Dynamic Views): what the page
    itself carries (the view data's title, URL and post id, ``og:title``, ``<noscript>``
    content). Its ``missing`` says what the page holds and what it does not, with the blog's
    feed, which holds the whole post (even a ``<noscript>`` body may be only a part or a
    notice). None when the page is not one post."""
    context = data_context(page.text)
    view, blog = context.get("view", {}), context.get("blog", {})
    if view.get("isSingleItem") is not True and blog.get("pageType") not in ("item", "static_page"):
        return None
    title = norm(html.unescape(str(view.get("title") or blog.get("pageName") or "")))
    if not title:
        title = next((norm(v) for v in page.meta(prop="og:title") if norm(v)), "")
    url = page.canonical_links[0] if page.canonical_links else canonical(page.absolute(
        str(view.get("url") or blog.get("url") or page.url)) or page.url)
    post_id = str(view.get("postId") or blog.get("postId") or "")
    body, shown = _noscript_body(page)
    feeds = [page.absolute(link.get("href")) for link in page.links("alternate")
             if "atom" in (link.get("type") or "").lower()]
    feed = next((f for f in feeds if f and "/comments/" not in f), None)
    name = str(context.get("template", {}).get("name") or "a script-drawn template")
    held = f"the title and what its <noscript> shows ({len(shown)} characters of text)" if shown else "the title only"
    missing = (f"{BODY_DRAWN_BY_SCRIPT} ({name}): the page holds {held}, no date, author or comments"
               + (f"; the blog's feed {feed} holds the whole post" if feed else ""))
    is_page = view.get("isPage") is True or blog.get("pageType") == "static_page"
    return RawPost(
        url=url,
        title=title,
        body_html=body,
        post_id=post_id if post_id.isdigit() else None,
        blog_id=str(blog["blogId"]) if str(blog.get("blogId", "")).isdigit() else None,
        kind="page" if is_page else "post",
        template=template,
        language=language or (str(blog["locale"]) if blog.get("locale") else None),
        missing=missing,
    )
