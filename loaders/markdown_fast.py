"""The Markdown of simple post bodies without BeautifulSoup: the same text markdownify writes.

Most Blogger bodies are paragraphs, line breaks, links, pictures and bold or italic words.
For a body made only of those, well formed, ``simple_markdown`` builds the tree
BeautifulSoup's ``html.parser`` builder would build and converts it the way
``loaders.html_markdown`` (markdownify 1.2.3 with its options) does, rule for rule; it
returns None for anything else (another tag, a comment, an unclosed or stray tag, a bare
``&`` or ``<``, an entity outside a small table, a repeated attribute), which goes to
markdownify. Not importing BeautifulSoup and markdownify saves a quarter of a second of
start-up, and the conversion itself is several times faster.
"""

from __future__ import annotations

import html as html_lib
import re

_TOKEN = re.compile(
    r"""<(?P<tag>[a-zA-Z][a-zA-Z0-9]*)(?P<attrs>(?:\s+[a-zA-Z_][-a-zA-Z0-9_.]*(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*)\s*(?P<slash>/?)>"""
    r"""|</(?P<end>[a-zA-Z][a-zA-Z0-9]*)\s*>"""
    r"""|(?P<text>[^<&]+)"""
    r"""|&(?P<ent>#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);"""
)
_ATTR = re.compile(r"""\s+([a-zA-Z_][-a-zA-Z0-9_.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'))?""")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "nbsp": "\xa0"}
"""Named entities taken here (BeautifulSoup's table gives these characters)."""

BLOCKS = frozenset({"p", "div"})
"""Tags whose inner and outer whitespace markdownify drops (``should_remove_whitespace_*``)."""
VOID = frozenset({"br", "img"})
INLINE = {"b": "**", "strong": "**", "i": "*", "em": "*"}
"""Tags markdownify wraps in a marker (``abstract_inline_conversion``)."""
PLAIN = frozenset({"span", "u", "font"})
"""Tags markdownify has no conversion for: their text as it is."""
KNOWN = BLOCKS | VOID | PLAIN | frozenset(INLINE) | {"a"}
_ASCII_SPACES = frozenset("\x20\x0a\x09\x0c\x0d")

_NEWLINE_WHITESPACE = re.compile(r"[\t \r\n]*[\r\n][\t \r\n]*")
_WHITESPACE = re.compile(r"[\t ]+")
_EXTRACT_NEWLINES = re.compile(r"^(\n*)((?:.*[^\n])?)(\n*)$", flags=re.DOTALL)
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_BLANK_LINES = re.compile(r"\n{3,}")


class _Node:
    __slots__ = ("name", "attrs", "children")

    def __init__(self, name: str, attrs: dict[str, str]) -> None:
        self.name = name
        self.attrs = attrs
        self.children: list[_Node | str] = []


def _charref(ref: str) -> str | None:
    if ref[0] != "#":
        return _NAMED.get(ref)
    n = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
    if 0x20 <= n < 0x7F or 0xA0 <= n < 0xD800 or 0xE000 <= n < 0xFDD0:
        return chr(n)
    return None


def _attrs(text: str) -> dict[str, str] | None:
    attrs: dict[str, str] = {}
    for m in _ATTR.finditer(text):
        name = m.group(1).lower()
        if name in attrs:
            return None
        value = m.group(2) if m.group(2) is not None else m.group(3)
        attrs[name] = "" if value is None else html_lib.unescape(value)
    return attrs


def _flush(data: list[str], into: list[_Node | str]) -> None:
    """BeautifulSoup's ``endData``: one string of the run, all-ASCII-space runs as one space or newline."""
    text = "".join(data)
    data.clear()
    if not text:
        return
    if all(c in _ASCII_SPACES for c in text):
        text = "\n" if "\n" in text else " "
    into.append(text)


def parse(html: str) -> _Node | None:
    """The tree of ``html`` as BeautifulSoup's html.parser builder makes it, or None when the
    body is not one this module converts."""
    root = _Node("[document]", {})
    stack = [root]
    data: list[str] = []
    pos, end = 0, len(html)
    match = _TOKEN.match
    while pos < end:
        m = match(html, pos)
        if m is None:
            return None
        pos = m.end()
        kind = m.lastgroup
        if kind == "text":
            data.append(m.group("text"))
        elif kind == "ent":
            char = _charref(m.group("ent"))
            if char is None:
                return None
            data.append(char)
        elif kind == "end":
            name = m.group("end").lower()
            if name in VOID or stack[-1].name != name:
                return None
            _flush(data, stack[-1].children)
            stack.pop()
        else:
            name = m.group("tag").lower()
            if name not in KNOWN or (m.group("slash") and name not in VOID):
                return None
            attrs = _attrs(m.group("attrs")) if m.group("attrs") else {}
            if attrs is None:
                return None
            _flush(data, stack[-1].children)
            node = _Node(name, attrs)
            stack[-1].children.append(node)
            if name not in VOID:
                stack.append(node)
    if len(stack) != 1:
        return None
    _flush(data, root.children)
    return root


def _outside(el: _Node | str | None) -> bool:
    return isinstance(el, _Node) and el.name in BLOCKS


def _escape(text: str) -> str:
    if not text:
        return ""
    if "&" in text:
        text = _ENTITY_LIKE.sub("&amp;", text)
    return text.replace("<", "&lt;").replace("*", r"\*").replace("_", r"\_")


def _text(text: str, prev: _Node | str | None, nxt: _Node | str | None, parent_block: bool) -> str:
    if "\n" in text or "\r" in text:
        text = _NEWLINE_WHITESPACE.sub("\n", text)
    if "\t" in text or "  " in text:
        text = _WHITESPACE.sub(" ", text)
    text = _escape(text)
    if _outside(prev) or (parent_block and prev is None):
        text = text.lstrip(" \t\r\n")
    if _outside(nxt) or (parent_block and nxt is None):
        text = text.rstrip()
    return text


def _chomp(text: str) -> tuple[str, str, str]:
    prefix = " " if text and text[0] == " " else ""
    suffix = " " if text and text[-1] == " " else ""
    return prefix, suffix, text.strip()


def _convert(node: _Node) -> str:
    block = node.name in BLOCKS
    children = node.children
    last = len(children) - 1
    strings: list[str] = []
    for i, el in enumerate(children):
        prev = children[i - 1] if i > 0 else None
        nxt = children[i + 1] if i < last else None
        if isinstance(el, str):
            if el.strip() == "" and ((block and (prev is None or nxt is None)) or _outside(prev) or _outside(nxt)):
                continue
            s = _text(el, prev, nxt, block)
        else:
            s = _convert(el)
        if s:
            strings.append(s)
    collapsed = [""]
    for s in strings:
        leading, content, trailing = _EXTRACT_NEWLINES.match(s).groups()  # type: ignore[union-attr]
        if collapsed[-1] and leading:
            prev_trailing = collapsed.pop()
            leading = "\n" * min(2, max(len(prev_trailing), len(leading)))
        collapsed += (leading, content, trailing)
    text = "".join(collapsed)
    return _finish(node, text)


def _finish(node: _Node, text: str) -> str:
    name = node.name
    if name == "p":
        text = text.strip(" \t\r\n")
        return f"\n\n{text}\n\n" if text else ""
    if name == "div":
        text = text.strip()
        return f"\n\n{text}\n\n" if text else ""
    if name == "br":
        return "  \n" + text
    marker = INLINE.get(name)
    if marker is not None:
        prefix, suffix, text = _chomp(text)
        return f"{prefix}{marker}{text}{marker}{suffix}" if text else ""
    if name == "a":
        prefix, suffix, text = _chomp(text)
        if not text:
            return ""
        href = node.attrs.get("href")
        title = node.attrs.get("title")
        if text.replace(r"\_", "_") == href and not title:
            return f"<{href}>"
        title_part = ' "%s"' % title.replace('"', r"\"") if title else ""
        return f"{prefix}[{text}]({href}{title_part}){suffix}" if href else text
    if name == "img":
        alt = node.attrs.get("alt") or ""
        if alt:
            alt = _ENTITY_LIKE.sub("&amp;", alt).replace("<", "&lt;")
        src = node.attrs.get("src") or ""
        title = node.attrs.get("title") or ""
        title_part = ' "%s"' % title.replace('"', r"\"") if title else ""
        return f"![{alt}]({src}{title_part})"
    if name == "[document]":
        return text.strip("\n")
    return text  # PLAIN


def simple_markdown(html: str) -> str | None:
    """``loaders.html_markdown.html_to_markdown(html)`` for a simple body, else None."""
    tree = parse(html)
    if tree is None:
        return None
    return _BLANK_LINES.sub("\n\n", _convert(tree)).strip()
