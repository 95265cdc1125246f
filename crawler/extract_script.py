"""The comments a threaded-widget page carries in its script: ``var items = [{'id': ...}]``.

Layout templates of 2011-2016 render their threaded comments with a script that reads an
array of JavaScript object literals (single-quoted strings, octal escapes such as ``\\46``
for "&"). The array is a second source for each comment's id, parent, author and time: it
fills in comments a saved page never rendered, and it is compared with the markup.
"""

from __future__ import annotations

import html
import re
from typing import Any

from crawler.extract_markup import Page, js_unescape, norm
from kernel.records import RawComment

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
