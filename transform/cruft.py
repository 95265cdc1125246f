"""Widget cruft: a table of named rules, applied to post and comment bodies.

A rule is data: a name, how it finds its target (an XPath over the body, or a regex over its
text) and what it removes: the ``element`` found (its tail text, which is the author's
writing, stays), or the ``trailer`` (the matched text to the end of its text node, the link
that follows it and the line breaks before it). A new widget to strip is a new line in
:data:`RULES`. Every firing is counted per item, for the validation report.

Never removed: sentences, images, links and credits that belong to the writing ("*Image
from Flickr" stays).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree
from lxml import html as lxml_html
from lxml.etree import _Element


@dataclass(frozen=True)
class CruftRule:
    name: str
    xpath: str | None = None
    """Elements to remove (with their content; their tail text stays)."""
    text: str | None = None
    """A regex over text nodes; what matches is removed as ``remove`` says."""
    remove: str = "element"
    """"element": the element found; "text": only the matched text; "trailer": the matched
    text to the end of its text node, the link right after it and the line breaks before it."""
    applies_to: tuple[str, ...] = ("post", "comment")
    hints: tuple[str, ...] = ()
    """Lower-case substrings of the raw HTML without which the rule cannot fire: a body that
    contains none of them is not searched (most comments are plain text)."""


_PIXEL_HOSTS = (
    "contains(@src,'blogger.com') or contains(@src,'blogspot.com') or contains(@src,'tracker')"
    " or contains(@src,'feedburner') or contains(@src,'googleusercontent.com/tracker')"
)
_ONE_BY_ONE = (
    "((@width='1' or @width='0') and (@height='1' or @height='0'))"
    " or contains(translate(@style,' ',''),'width:1px;height:1px')"
    " or contains(translate(@style,' ',''),'height:1px;width:1px')"
)
_SHARE_TEXTS = ("Email This", "BlogThis!", "Share to Twitter", "Share to Facebook", "Share to Pinterest",
                "Share to X", "Share to LinkedIn")
_share_text_test = " or ".join(f"normalize-space(.)='{t}' or @title='{t}'" for t in _SHARE_TEXTS)

RULES: tuple[CruftRule, ...] = (
    CruftRule(
        "linkwithin",
        xpath=(
            "//script[contains(@src,'linkwithin') or contains(.,'linkwithin')]"
            " | //a[contains(@href,'linkwithin.com')]"
            " | //div[contains(@class,'linkwithin')]"
            " | //img[contains(@src,'linkwithin.com')]"
        ),
        hints=("linkwithin",),
    ),
    CruftRule("linkwithin-text", text=r"Blog Widget by LinkWithin", remove="text", hints=("linkwithin",)),
    CruftRule("commentluv", text=r"Recent (?:blog|undefined|post|[A-Za-z]+)\s*:\s*=\s*-", remove="trailer",
              hints=("recent",)),
    CruftRule(
        "share-buttons",
        xpath=(
            "//div[contains(concat(' ',normalize-space(@class),' '),' post-share-buttons ')]"
            " | //*[contains(concat(' ',normalize-space(@class),' '),' share-button ')]"
            " | //a[contains(@href,'blogger.com/share-post.g')]"
            f" | //a[{_share_text_test}]"
        ),
        hints=("share", "email this", "blogthis"),
    ),
    CruftRule("tracking-pixel", xpath=f"//img[({_ONE_BY_ONE}) and ({_PIXEL_HOSTS})]"
              " | //img[contains(@src,'/tracker/') or contains(@src,'feedburner.com/~r/')"
              " or contains(@src,'feeds.feedburner.com/~ff/') or contains(@src,'/b/post-stats')]",
              hints=("<img",)),
    CruftRule(
        "navbar",
        xpath="//iframe[@id='navbar-iframe'] | //div[@id='navbar'] | //div[@id='navbar-iframe-container']",
        hints=("navbar",),
    ),
    CruftRule("feedflare", xpath="//div[contains(concat(' ',normalize-space(@class),' '),' feedflare ')]",
              hints=("feedflare",)),
    CruftRule("feed-footer", xpath="//div[contains(concat(' ',normalize-space(@class),' '),' blogger-post-footer ')]",
              hints=("blogger-post-footer",)),
    CruftRule(
        "clear-float",
        xpath=(
            "//div[starts-with(translate(translate(@style,' ;',''),'CLEARBOTH','clearboth'),'clear:both')"
            " and string-length(translate(translate(@style,' ;',''),'CLEARBOTH','clearboth'))=10"
            " and not(normalize-space()) and not(.//img|.//iframe|.//video|.//object|.//embed|.//table)]"
        ),
        hints=("clear",),
    ),
    CruftRule("jump-link", xpath="//a[@name='more' and not(normalize-space()) and not(*)]"
              " | //div[contains(concat(' ',normalize-space(@class),' '),' jump-link ')]",
              hints=("more", "jump-link")),
)


@lru_cache(maxsize=256)
def _xpath(expr: str) -> etree.XPath:
    return etree.XPath(expr)


@lru_cache(maxsize=256)
def _regex(expr: str) -> re.Pattern[str]:
    return re.compile(expr)


def may_hold_cruft(body_html: str, item_type: str, rules: tuple[CruftRule, ...] = RULES) -> bool:
    """False when no rule can fire on ``body_html`` (none of any applicable rule's ``hints``
    is in it): such a body need not be parsed to strip or look for cruft."""
    hints = _item_hints(rules, item_type)
    if hints is None:
        return True
    lowered = body_html.lower()
    return any(h in lowered for h in hints)


@lru_cache(maxsize=32)
def _item_hints(rules: tuple[CruftRule, ...], item_type: str) -> tuple[str, ...] | None:
    """Every hint of the rules that apply to ``item_type``; None when one of them has none
    (or when none applies, an empty tuple: nothing can fire)."""
    chosen = [rule for rule in rules if item_type in rule.applies_to]
    if any(not rule.hints for rule in chosen):
        return None
    return tuple(dict.fromkeys(h for rule in chosen for h in rule.hints))


def strip_cruft(root: _Element, item_type: str, rules: tuple[CruftRule, ...] = RULES,
                raw_html: str | None = None) -> Counter[str]:
    """Remove cruft from a parsed body in place; returns how often each rule fired.

    ``raw_html`` (the body as parsed) lets rules with ``hints`` skip bodies that cannot match."""
    fired: Counter[str] = Counter()
    lowered = raw_html.lower() if raw_html is not None else None
    for rule in rules:
        if item_type not in rule.applies_to:
            continue
        if lowered is not None and rule.hints and not any(h in lowered for h in rule.hints):
            continue
        if rule.xpath:
            found = _xpath(rule.xpath)(root)
            # outermost first; skip elements already removed with an ancestor
            for el in found:
                if el is root or not _attached(el, root):
                    continue
                _drop(el)
                fired[rule.name] += 1
        if rule.text:
            pattern = _regex(rule.text)
            fired[rule.name] += _strip_text(root, pattern, rule.remove)
    return +fired


def _attached(el: _Element, root: _Element) -> bool:
    node = el
    while node is not None:
        if node is root:
            return True
        node = node.getparent()
    return False


_BLOCK_TAGS = frozenset({"div", "p", "table", "ul", "ol", "dl", "blockquote", "h1", "h2", "h3",
                         "h4", "h5", "h6", "pre", "hr", "center", "section"})


def _drop(el: _Element) -> None:
    """Remove an element, keeping its tail text (the writing that follows it).

    A block element between two runs of text separated them; a ``br`` takes its place so the
    sentences before and after do not run together."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if isinstance(el.tag, str) and el.tag in _BLOCK_TAGS:
        prev = el.getprevious()
        before = (prev is not None and (prev.tag not in _BLOCK_TAGS or (prev.tail or "").strip())) or bool(
            prev is None and (parent.text or "").strip()
        )
        after = bool((tail or "").strip()) or (el.getnext() is not None and el.getnext().tag not in _BLOCK_TAGS
                                                and el.getnext().tag != "br")
        if before and after:
            br = el.makeelement("br", {})
            br.tail = tail
            parent.replace(el, br)
            return
    remove_keeping_tail(el)


def append_text_before(el: _Element, text: str | None) -> None:
    """Add ``text`` where it reads just before ``el``: the previous sibling's tail, or the
    parent's text when ``el`` comes first."""
    parent = el.getparent()
    if not text or parent is None:
        return
    prev = el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def remove_keeping_tail(el: _Element) -> None:
    """Remove ``el`` with its content; its tail text (the writing after it) stays in place."""
    parent = el.getparent()
    if parent is None:
        return
    append_text_before(el, el.tail)
    parent.remove(el)


def _text_slots(root: _Element) -> Iterator[tuple[_Element, str]]:
    """(element, "text"|"tail") for every text node under root, in document order."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            if el is not root and el.tail:
                yield el, "tail"
            continue
        if el.tag in ("script", "style"):
            if el is not root and el.tail:
                yield el, "tail"
            continue
        if el.text:
            yield el, "text"
        if el is not root and el.tail:
            yield el, "tail"


def _strip_text(root: _Element, pattern: re.Pattern[str], remove: str) -> int:
    if not pattern.search("".join(root.itertext())):
        return 0  # a match inside one text node is a match in all the text (no rule is anchored)
    count = 0
    for el, slot in list(_text_slots(root)):
        value = getattr(el, slot)
        if not value or not pattern.search(value):
            continue
        if remove == "text":
            new, n = pattern.subn("", value)
            setattr(el, slot, new)
            count += n
            continue
        # trailer: cut from the match to the end of this text node, then the link after it
        m = pattern.search(value)
        assert m is not None
        setattr(el, slot, value[: m.start()].rstrip() or None)
        count += 1
        nxt = el[0] if slot == "text" and len(el) else (el.getnext() if slot == "tail" else None)
        if nxt is not None and isinstance(nxt.tag, str) and nxt.tag == "a":
            if not (nxt.tail or "").strip():
                _drop(nxt)
        # line breaks left before the trailer
        container = el if slot == "text" else el.getparent()
        _trim_trailing_breaks(container)
    return count


def _trim_trailing_breaks(container: _Element | None) -> None:
    if container is None:
        return
    while len(container):
        last = container[-1]
        if isinstance(last.tag, str) and last.tag == "br" and not (last.tail or "").strip():
            container.remove(last)
            prev = container[-1] if len(container) else None
            if prev is not None and prev.tail:
                prev.tail = prev.tail.rstrip() or None
        else:
            break


_PARSER = etree.HTMLParser()
"""libxml2's HTML parser as ``lxml.html`` configures it, without its element classes: each
element ``lxml.html`` hands to Python asks a Python class lookup for its class first, which
cost a third of the cleaning of a post."""
_FULL_DOCUMENT = re.compile(r"^\s*<(?:html|!doctype)", re.I)


def parse_fragment(body_html: str) -> _Element:
    """A body's inner HTML as one ``div`` root (text outside any element kept): the tree
    ``lxml.html.fragment_fromstring(body_html, create_parent="div")`` builds, of plain
    ``lxml.etree`` elements."""
    html = body_html or ""
    if _FULL_DOCUMENT.match(html):
        return lxml_html.fragment_fromstring(html, create_parent="div")  # rare: its own rules
    doc = etree.fromstring(f"<html><body>{html}</body></html>", _PARSER)
    bodies = [el for el in doc if el.tag == "body"] if doc is not None and doc.tag == "html" else []
    if len(bodies) != 1:
        return lxml_html.fragment_fromstring(html, create_parent="div")  # its errors, its way
    body = bodies[0]
    root = etree.Element("div")  # a document of its own: the rules' "//" paths start at it
    if body.text and body.text.strip():
        root.text = body.text
    root.extend(body)
    return root
