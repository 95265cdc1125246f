"""Cleaning: repair mojibake, make links absolute, sanitise, and derive plain text.

Order matters: mojibake is repaired on the raw HTML (``ftfy`` with only its encoding fixes,
so curly quotes, ligatures and widths are left as the author typed them), the body is
parsed once for cruft stripping and link rewriting (:func:`prepare`), then ``nh3`` keeps a
safe set of tags and attributes (:func:`sanitize`), and :func:`html_to_text` gives the plain
text with paragraph breaks as blank lines.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from urllib.parse import urljoin, urlsplit

import nh3
from lxml import etree
from lxml.etree import _Element

from crawler.extract_markup import inner_html
from transform.cruft import (
    RULES,
    CruftRule,
    append_text_before,
    parse_fragment,
    remove_keeping_tail,
    strip_cruft,
)

_FTFY_CONFIG = dict(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=True,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)
"""ftfy's settings: its encoding fixes only. ftfy is imported at the first text that looks like
mojibake (its import costs a fifth of a second; most blogs never need it)."""

_MOJIBAKE_HINT = re.compile("[ÂÃâÐÑ][\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]|\ufffd|[\x80-\x9f]")


_MOJIBAKE_LEADS = "ÂÃâÐÑ\ufffd"
"""The characters that start a telltale sequence of ``_MOJIBAKE_HINT`` besides C1 controls."""
_C1_CONTROL = re.compile("[\x80-\x9f]")


def _may_be_mojibake(text: str) -> bool:
    """``_MOJIBAKE_HINT.search(text)``, answered without the regex for most text (ten times
    faster on a long body): ASCII text has none of its characters, and a text without any
    lead character can only match on a C1 control."""
    if text.isascii():
        return False
    if any(ch in text for ch in _MOJIBAKE_LEADS):
        return _MOJIBAKE_HINT.search(text) is not None
    return _C1_CONTROL.search(text) is not None


def fix_mojibake(text: str) -> str:
    """"Iâ€™ve" -> "I’ve". Text without the telltale sequences is returned unchanged (fast)."""
    if not text or not _may_be_mojibake(text):
        return text
    import ftfy  # the first suspect text pays for the import (see _FTFY_CONFIG)

    return ftfy.fix_text(text, ftfy.TextFixerConfig(**_FTFY_CONFIG))


VIDEO_HOSTS = (
    "youtube.com", "www.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com",
    "player.vimeo.com", "vimeo.com", "www.dailymotion.com", "dailymotion.com",
    "www.blogger.com", "blogger.com", "video.google.com",
)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp",
    "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul", "var", "center", "font", "iframe", "video", "source", "audio",
}
ALLOWED_ATTRIBUTES = {
    "*": {"title", "lang", "dir"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "iframe": {"src", "width", "height", "allowfullscreen", "frameborder"},
    "video": {"src", "width", "height", "controls", "poster"},
    "audio": {"src", "controls"},
    "source": {"src", "type"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign", "scope"},
    "table": {"border", "cellpadding", "cellspacing", "align"},
    "col": {"span"},
    "ol": {"start", "type"},
    "li": {"value"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "font": {"color"},
    "span": {"style"},
    "div": {"style"},
    "p": {"style"},
}
SAFE_STYLE_PROPERTIES = {
    "color", "background-color", "font-weight", "font-style", "text-decoration", "text-align",
    "font-size", "font-family",
}
URL_SCHEMES = {"http", "https", "mailto", "ftp"}


def _is_video_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in VIDEO_HOSTS)


@dataclass(frozen=True)
class VideoRule:
    """A legacy video player URL (Flash ``<object>``/``<embed>``, an old iframe) and the
    working embed it becomes."""

    name: str
    pattern: re.Pattern[str]
    """Matches the player URL; group 1 is the video id."""
    embed: str
    """The iframe URL, with ``{id}``."""


VIDEO_RULES: tuple[VideoRule, ...] = (
    VideoRule("youtube", re.compile(r"^(?:https?:)?//(?:www\.|m\.)?youtube(?:-nocookie)?\.com/(?:v|embed|e)/([\w-]{6,})", re.I),
              "https://www.youtube.com/embed/{id}"),
    VideoRule("youtube", re.compile(r"^(?:https?:)?//(?:www\.)?youtube\.com/watch\?(?:.*&)?v=([\w-]{6,})", re.I),
              "https://www.youtube.com/embed/{id}"),
    VideoRule("vimeo", re.compile(r"^(?:https?:)?//(?:www\.)?vimeo\.com/moogaloop\.swf\?(?:.*&)?clip_id=(\d+)", re.I),
              "https://player.vimeo.com/video/{id}"),
    VideoRule("dailymotion", re.compile(r"^(?:https?:)?//(?:www\.)?dailymotion\.com/swf/(?:video/)?(\w+)", re.I),
              "https://www.dailymotion.com/embed/video/{id}"),
)
_BLOGGER_VIDEO_NOTE = "[Video uploaded to Blogger: it plays only on the old blog and was not carried over]"


def _player_url(el: _Element) -> str:
    if el.tag == "object":
        for child in el.iter("param", "embed"):
            value = child.get("value") if child.tag == "param" and (child.get("name") or "").lower() in ("movie", "src") else child.get("src")
            if value and any(rule.pattern.match(value.strip()) for rule in VIDEO_RULES):
                return value.strip()
        return (el.get("data") or "").strip()
    return (el.get("src") or "").strip()


def convert_videos(root: _Element) -> Counter[str]:
    """Legacy video embeds in place: a Flash ``<object>``/``<embed>`` or an old player iframe
    of a known host becomes that host's iframe embed; a video uploaded to Blogger itself
    (``BLOG_video_class``, whose file lived on Blogger's servers) becomes a visible note.
    Returns how many of each were converted."""
    done: Counter[str] = Counter()
    for el in list(root.iter("object", "embed", "iframe")):
        if el.getparent() is None or (el.tag == "embed" and any(a.tag == "object" for a in el.iterancestors())):
            continue
        url = _player_url(el)
        rule = next((r for r in VIDEO_RULES if r.pattern.match(url)), None)
        if rule is not None:
            if el.tag == "iframe" and url.startswith("https://") and rule.embed.format(id="") in url:
                continue  # already a working embed
            iframe = el.makeelement("iframe", {"src": rule.embed.format(id=rule.pattern.match(url).group(1))})
            for attr in ("width", "height"):
                if el.get(attr):
                    iframe.set(attr, el.get(attr))
            iframe.set("frameborder", "0")
            iframe.set("allowfullscreen", "allowfullscreen")
            iframe.tail = el.tail
            el.getparent().replace(el, iframe)
            done[f"video-embed:{rule.name}"] += 1
        elif "BLOG_video_class" in (el.get("class") or "") and el.tag == "object":
            note = el.makeelement("em", {})
            note.text = _BLOGGER_VIDEO_NOTE
            note.tail = el.tail
            el.getparent().replace(el, note)
            done["video-embed:blogger-upload"] += 1
    return done


def prepare(body_html: str, base_url: str, item_type: str,
            rules: tuple[CruftRule, ...] = RULES, keep_video_iframes: bool = True,
            *, repaired: str | None = None) -> tuple[_Element, Counter[str]]:
    """Parse a raw body: repair encoding, strip cruft, make links absolute, drop foreign iframes.

    ``repaired``: ``fix_mojibake(body_html)`` when the caller has it already."""
    fixed = repaired if repaired is not None else fix_mojibake(body_html or "")
    root = parse_fragment(fixed)
    if "<script" in fixed:
        _unwrap_templates(root)
        fixed = None  # templates may bring markup the hints did not see
    videos = convert_videos(root) if ("<object" in body_html or "<embed" in body_html or "<iframe" in body_html) else None
    fired = strip_cruft(root, item_type, rules, raw_html=fixed)
    if videos:
        fired.update(videos)
    for el in root.iter("a", "img", "iframe", "source", "video", "audio"):
        for attr in ("href", "src"):
            value = el.get(attr)
            if value is None:
                continue
            value = value.strip()
            if not value or value.startswith(("#", "mailto:", "data:", "javascript:")):
                continue  # same-page anchors stay relative; other schemes are nh3's business
            try:
                el.set(attr, absolute_url(base_url, value) if base_url else value)
            except ValueError:
                pass
    for iframe in list(root.iter("iframe")):
        src = iframe.get("src") or ""
        if not (keep_video_iframes and src and _is_video_host(src)):
            remove_keeping_tail(iframe)
    return root, fired


_AS_IS_URL = re.compile(r"https?://(?![/?#])[!-:<-Z\\^-~]+")
"""An http(s) URL of printable ASCII without ``;``, ``[`` or ``]`` and with a host: one that
``urljoin`` gives back unchanged against an http(s) base (unless, in the base's own scheme,
it ends in an empty query or fragment)."""


def absolute_url(base_url: str, value: str) -> str:
    """``urljoin(base_url, value)``, without parsing either for the links most bodies hold:
    absolute http(s) URLs, which it returns unchanged (``urljoin`` cost a tenth of the
    cleaning of a post)."""
    scheme = "https://" if base_url.startswith("https://") else "http://" if base_url.startswith("http://") else None
    if scheme is not None and _AS_IS_URL.fullmatch(value):
        if not value.startswith(scheme):
            return value  # the other scheme: urljoin keeps a URL of another scheme as it is
        query, fragment = value.find("?"), value.find("#")
        if fragment != len(value) - 1 and not (query != -1 and (fragment == -1 or query < fragment)
                                                and query + 1 == (len(value) if fragment == -1 else fragment)):
            return value
    return urljoin(base_url, value)


_TEMPLATE_TYPES = ("text/template", "text/html", "text/x-template")


def _unwrap_templates(root: _Element) -> None:
    """Some themes (e.g. Google's own blogs) put the post inside ``<script type="text/template">``
    and render it with JavaScript: that markup is the writing, so it replaces the script."""
    for script in list(root.iter("script")):
        if (script.get("type") or "").strip().lower() not in _TEMPLATE_TYPES or not (script.text or "").strip():
            continue
        parent = script.getparent()
        if parent is None:
            continue
        holder = parse_fragment(script.text)
        append_text_before(script, holder.text)
        for child in list(holder):
            script.addprevious(child)  # the template's elements, in order, where the script was
        remove_keeping_tail(script)


def root_inner_html(root: _Element) -> str:
    """``inner_html(root)`` of a parsed body's ``div`` root (:func:`transform.cruft.parse_fragment`),
    serialised by lxml in one call rather than one call per child, then unwrapped."""
    whole = etree.tostring(root, encoding="unicode", method="html")
    if root.tag == "div" and not root.attrib and whole.startswith("<div>") and whole.endswith("</div>"):
        return whole[5:-6]
    return inner_html(root)


def sanitize(html: str) -> str:
    """Keep a safe set of tags and attributes: no scripts, handlers or style injection."""
    return _sanitizer().clean(html).strip()


@lru_cache(maxsize=1)
def _sanitizer() -> nh3.Cleaner:
    """nh3's cleaner of these settings, made once: ``nh3.clean`` converts every setting to
    its own on each call, which cost a fifth of the sanitising of a post."""
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        filter_style_properties=SAFE_STYLE_PROPERTIES,
    )


_BLOCK = {
    "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p",
    "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul", "caption",
}
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "noscript", "object", "embed", "textarea", "select"})
"""Elements dropped with what they hold: code, fallbacks and form controls' values. A ``form``
is not among them: its tag and controls go (they cannot work on the new site), the author's
words around the controls stay (a real page wrote its survey's questions and a note inside one)."""
_SKIP = _DROPPED_WITH_CONTENT | {"template", "iframe"}


def html_to_text(html: str) -> str:
    """Plain text: one line per line break, a blank line between paragraphs, spaces collapsed."""
    if not html or not html.strip():
        return ""
    return element_text(parse_fragment(html))


# sentinels while text is assembled: whitespace is squashed once, then these become breaks
_BR, _PARA, _TAB, _PRE_SPACE = "\x00", "\x01", "\x02", "\x03"
_PRE_MAP = str.maketrans({"\n": _BR, " ": _PRE_SPACE, "\t": _TAB})
_LINE_ENDS = re.compile(r"[ \t]*\n[ \t]*")
_MANY_SPACES = re.compile(r" {2,}")
_MANY_BREAKS = re.compile(r"\n{3,}")
_BREAK_RUNS = re.compile("\n\n\n+")
"""``_MANY_BREAKS`` spelt with a literal start, which the regex engine skips to: over the
texts of real posts, three times faster than ``_MANY_BREAKS`` and four times faster than
halving the runs with ``str.replace`` until none is left."""
_WS = re.compile(r"[ \t\r\n\f\v\xa0]+")


_ITEMS = ("li", "tr", "dt", "dd")
_OPENING = {**{tag: _BR if tag in _ITEMS else _PARA for tag in _BLOCK}, "br": _BR, "td": _TAB, "th": _TAB}
"""What an element's start adds to the text: a paragraph break before a block (a line break
before a list item, row or definition), a line break for ``br``, a tab before a cell."""
_CLOSING = {tag: _PARA for tag in _BLOCK if tag not in _ITEMS}
"""What an element's end adds: a paragraph break after a block other than those items."""


def element_text(root: _Element) -> str:
    """Plain text of a parsed body: line breaks, blank lines between blocks, spaces collapsed."""
    out: list[str] = []
    append = out.append
    opening, closing = _OPENING.get, _CLOSING.get

    def walk(el: _Element, pre: bool) -> None:
        tag = el.tag
        if tag.__class__ is not str or tag in _SKIP:
            return  # a comment or processing instruction adds nothing but its tail
        pre = pre or tag == "pre"
        mark = opening(tag)
        if mark is not None:
            append(mark)
        text = el.text
        if text:
            append(text.translate(_PRE_MAP) if pre else text)
        for child in el:
            walk(child, pre)
            tail = child.tail
            if tail:
                append(tail.translate(_PRE_MAP) if pre else tail)
        mark = closing(tag)
        if mark is not None:
            append(mark)

    walk(root, False)
    return _finish_text("".join(out))


_SPLIT_ONLY_SPACE = re.compile("[\x1c-\x1f\x85\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
"""What ``str.split()`` takes for whitespace besides ``_WS``'s characters (and which stays)."""


def _squash_spaces(raw: str) -> str:
    """``_WS.sub(" ", raw)`` but for the ends of the text (stripped in the end anyway): a
    regex substitution per word costs more than the rest of the text's making, and
    ``str.split`` does the same where the text holds none of the other spaces it splits on."""
    if _SPLIT_ONLY_SPACE.search(raw) is None:
        return " ".join(raw.split())
    return _WS.sub(" ", raw)


def _finish_text(raw: str) -> str:
    text = _squash_spaces(raw)
    text = text.replace(_PRE_SPACE, " ").replace(_PARA, "\n\n").replace(_BR, "\n").replace(_TAB, "\t")
    # what _LINE_ENDS and _MANY_SPACES substitute, with string methods (those regexes try
    # their patterns at every character); the text's own ends are stripped anyway
    if " \n" in text or "\n " in text or "\t\n" in text or "\n\t" in text:
        text = "\n".join([line.strip(" \t") for line in text.split("\n")])
    while "  " in text:
        text = text.replace("  ", " ")
    if "\n\n\n" in text:  # nested blocks leave runs of breaks: one pass, not one per halving of a run
        text = _BREAK_RUNS.sub("\n\n", text)
    return text.strip()


_TEXT = r"(?:[^<&]|&(?:amp|lt|gt|quot|apos|#39|nbsp);|<br\s*/?>)*"
_PLAIN_BODY = re.compile(_TEXT, re.IGNORECASE)
_PARAGRAPHS_BODY = re.compile(rf"{_TEXT}(?:<p>{_TEXT}</p>{_TEXT})+", re.IGNORECASE)
"""Text, line breaks and bare paragraphs, never nested (classic templates' comments). These
two shapes are what ``_plain_body`` reads without a parser; it tells them by tokens, not by
these character-by-character patterns (which the tests hold it to)."""
_BR_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
_P_TAG = re.compile(r"(</?p>)", re.IGNORECASE)
_OTHER_MARKUP = re.compile(r"<(?!br\s*/?>|/?p>)|&(?!(?:amp|lt|gt|quot|apos|#39|nbsp);)", re.IGNORECASE)
"""A ``<`` or ``&`` that starts none of the tokens ``_TEXT`` and ``_PARAGRAPHS_BODY`` allow."""
def _escape_text(text: str) -> str:
    """Text as nh3 serialises it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\xa0", "&nbsp;")


@lru_cache(maxsize=16)
def _hints(rules: tuple[CruftRule, ...], text_rules_only: bool) -> tuple[str, ...] | None:
    """Every hint of the rules (text rules only, or all), in one tuple; None when one of
    them has no hints (it can fire on any body)."""
    chosen = [rule for rule in rules if rule.text or not text_rules_only]
    if any(not rule.hints for rule in chosen):
        return None
    return tuple(dict.fromkeys(h for rule in chosen for h in rule.hints))


def _may_fire(body_html: str, hints: tuple[str, ...] | None) -> bool:
    if hints is None:
        return True
    lowered = body_html.lower()
    return any(h in lowered for h in hints)


def _plain_body(body_html: str, rules: tuple[CruftRule, ...]) -> tuple[str, str] | None:
    """(html, text) of a body that is only text and line breaks (most comments), without a
    parser; None when the body has markup or could hold a text-rule's cruft."""
    if _OTHER_MARKUP.search(body_html):
        return None  # a tag or entity neither shape allows (the first ``<div`` of most posts)
    # only text, line breaks, bare paragraphs and the entities are left: the body is plain
    # without paragraphs, and _PARAGRAPHS_BODY's shape when they open and close in turn
    paragraphs = [tag.lower() for tag in _P_TAG.findall(body_html)]
    if not paragraphs:
        if _may_fire(body_html, _hints(rules, text_rules_only=True)):
            return None
        parts = [unescape(p) for p in _BR_TAG.split(body_html)]
        safe = "<br>".join(_escape_text(p) for p in parts).strip()
        return safe, _finish_text(_BR.join(parts))
    if len(paragraphs) % 2 or paragraphs != ["<p>", "</p>"] * (len(paragraphs) // 2):
        return None  # not _PARAGRAPHS_BODY's shape
    if _may_fire(body_html, _hints(rules, text_rules_only=False)):  # an element rule could match a paragraph's text too
        return None
    html_out: list[str] = []
    text_out: list[str] = []
    for piece in _P_TAG.split(body_html):
        if piece.lower() in ("<p>", "</p>"):
            html_out.append(piece.lower())
            text_out.append(_PARA)
            continue
        parts = [unescape(p) for p in _BR_TAG.split(piece)]
        html_out.append("<br>".join(_escape_text(p) for p in parts))
        text_out.append(_BR.join(parts))
    return "".join(html_out).strip(), _finish_text("".join(text_out))


def clean_body(body_html: str, base_url: str, item_type: str,
               rules: tuple[CruftRule, ...] = RULES) -> tuple[str, str, Counter[str]]:
    """Raw body -> (sanitised HTML, plain text, cruft rules fired)."""
    repaired = fix_mojibake(body_html or "")
    plain = _plain_body(repaired, rules)
    if plain is not None:
        return plain[0], plain[1], Counter()
    root, fired = prepare(body_html, base_url, item_type, rules, repaired=repaired)
    safe = sanitize(root_inner_html(root))
    # the text comes from the same tree: nh3 drops the tags in _SKIP with their content and
    # keeps the text of every other tag, which is what element_text reads
    return safe, element_text(root), fired
