"""Undo a Wayback server's rewriting of an archived page: the banner out, the original URLs back.

Where a replay server has only its rewritten form of a capture (the page as a browser sees it
at ``/web/20150101000000/http://blog...``), or a WARC holds pages saved through a Wayback-style
proxy, the HTML carries the archive's additions: a banner or toolbar, inserted scripts
(pywb's ``wombat.js`` and its ``wbinfo``, the Internet Archive's ``__wm`` playback bundle),
every link and image rewritten to a replay URL (``/web/20150101000000im_/http://...``,
``http://HOST/COLL/20150101000000mp_/http://...``), inline scripts wrapped in wombat's
prelude. ``unrewrite`` removes the additions and restores each URL to the original, so the
page reads, and extracts, as the blog served it.

The rules are data (``INSERTED_BLOCKS``, ``SCRIPT_WRAPPERS``, ``JS_REWRITES``) applied as
text substitutions: the page is not re-serialised, so nothing else in it changes. A replay URL
is only recognised where a URL starts (after a quote, ``(``, ``=``, a comma or a space), so a
link the blogger wrote to an archived page, itself rewritten, loses only the archive's layer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Blocks the archive inserts into the page (pywb's head insert and banner, the Internet
#: Archive's playback scripts, toolbar and trailing comments), removed whole.
INSERTED_BLOCKS: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.S | re.I) for p in (
    r"<!-- WB Insert -->.*?<!-- End WB Insert -->\n?",
    r"<!-- BEGIN WAYBACK TOOLBAR INSERT -->.*?<!-- END WAYBACK TOOLBAR INSERT -->\n?",
    r"<script[^>]*src=[\"'][^\"']*(?:/_static/js/|archive\.org/includes/)[^>]*>.*?"
    r"<!-- End Wayback Rewrite JS Include -->\n?",
    r"<!--\s*FILE ARCHIVED ON .*?-->\n?",
    r"<!--\s*playback timings \(ms\):.*?-->\n?",
    r"<script[^>]*src=[\"'][^\"']*/static/(?:wombat|wb_frame|vue/vueui|default_banner)\.js[\"'][^>]*>\s*</script>\n?",
))
#: What wombat wraps around an inline script's text: (before it, after it).
SCRIPT_WRAPPERS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"\A\nvar _____WB\$wombat\$assign\$function_____ = .*?\nlet arguments;\n\n\{", re.S),
     re.compile(r"\n\n\}\}\Z")),
    (re.compile(r"\A\s*var _____WB\$wombat\$assign\$function_____ = .*?let arguments;\s*\{", re.S),
     re.compile(r"\s*\}\}\s*\Z")),
)
#: Rewrites of JavaScript expressions (pywb's and the Internet Archive's), undone in scripts
#: and in event attributes.
JS_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"_____WB\$wombat\$check\$this\$function_____\(this\)"), "this"),
    (re.compile(r"\.__WB_pmw\(self(?:\.window)?\)"), ""),
    (re.compile(r"\bWB_wombat_(?=(?:self_)?location\b|top\b|opener\b|document\b)"), ""),
    # a link's target="_blank" (or _top, _parent) in pywb's framed replay; _blank is Blogger's
    (re.compile(r"(?<=target=[\"'])___wb_replay_top_frame(?=[\"'])"), "_blank"),
)
#: Markers that a page went through a rewriting replay (``needs_unrewrite``).
MARKERS = ("<!-- WB Insert -->", "_____WB$wombat", "wbinfo.", "WB_wombat_", "__wm.init(",
           "<!-- BEGIN WAYBACK TOOLBAR INSERT -->", "<!-- End Wayback Rewrite JS Include -->")
#: pywb's framed replay: the top frame holds no page, the capture is in ``TSmp_/URL``.
FRAME_MARKERS = ('id="replay_iframe"', "wb_frame.js")

_START = r"(?<=[\"'(=,\s])"
_TS = r"\d{4,14}(?:[a-z]{2}_)?"
_ORIGINAL = r"(?=(?:https?:)?//|https?%3A%2F%2F)"
#: A replay URL of any Wayback server: ``[scheme://host]/[path/]TIMESTAMP[mod_]/`` before the
#: original URL; the timestamp has 14 digits here, where the prefix is not known.
_ANY_REPLAY = re.compile(
    _START + r"(?:(?:https?:)?//[A-Za-z0-9.:\[\]-]+)?/(?:[A-Za-z0-9_.~-]+/){0,3}\d{14}(?:[a-z]{2}_)?/" + _ORIGINAL
)
_SCRIPT = re.compile(r"(<script\b[^>]*>)(.*?)(</script>)", re.S | re.I)


@dataclass(frozen=True)
class Unrewritten:
    """A page with the archive's rewriting undone."""

    html: str
    changed: bool
    """Whether anything was removed or restored."""
    framed: bool
    """The page is a framed replay's top frame (no capture in it)."""


def needs_unrewrite(html: str) -> bool:
    """Whether the page carries a replay server's rewriting."""
    return any(marker in html for marker in MARKERS)


def is_frame_wrapper(html: str) -> bool:
    """A framed replay's top page (pywb's default): the capture itself is in an iframe."""
    return all(marker in html for marker in FRAME_MARKERS) and "<!-- WB Insert -->" not in html


def _prefix_pattern(prefix: str) -> re.Pattern[str]:
    """Replay URLs under a known ``prefix`` (``http://host:port/coll``, ``https://web.archive.org/web``):
    absolute, scheme-relative and host-relative."""
    parts = urlsplit(prefix.rstrip("/"))
    host = re.escape(parts.netloc)
    path = re.escape(parts.path)
    return re.compile(_START + rf"(?:(?:https?:)?//{host})?{path}/{_TS}/" + _ORIGINAL)


def _unwrap_script(match: re.Match[str]) -> str:
    opening, text, closing = match.groups()
    for before, after in SCRIPT_WRAPPERS:
        if before.search(text) and after.search(text):
            text = after.sub("", before.sub("", text, count=1), count=1)
            break
    return opening + text + closing


def unrewrite(html: str, prefix: str | None = None) -> Unrewritten:
    """The page as the blog served it (see the module docstring). ``prefix``: the replay
    server's prefix, when known; else any replay URL with a 14-digit timestamp is restored."""
    if is_frame_wrapper(html):
        return Unrewritten(html, False, True)
    out = html
    for block in INSERTED_BLOCKS:
        out = block.sub("", out)
    out = _SCRIPT.sub(_unwrap_script, out)
    for pattern, replacement in JS_REWRITES:
        out = pattern.sub(replacement, out)
    if prefix:
        out = _prefix_pattern(prefix).sub("", out)
    out = _ANY_REPLAY.sub("", out)
    return Unrewritten(out, out != html, False)


def unrewrite_body(body: bytes, encoding: str | None = None, prefix: str | None = None) -> bytes:
    """``unrewrite`` for a page's bytes, in the page's encoding (UTF-8 when unknown)."""
    codec = encoding or "utf-8"
    try:
        text = body.decode(codec)
    except (LookupError, UnicodeDecodeError):
        codec = "utf-8"
        text = body.decode(codec, errors="surrogateescape")
    if not needs_unrewrite(text) and not prefix:
        return body
    return unrewrite(text, prefix).html.encode(codec, errors="surrogateescape")


_REPLAY_URL = re.compile(r"\A(https?://[^/]+(?:/[A-Za-z0-9_.~-]+){0,3})/(\d{14})(?:[a-z]{2}_)?/((?:https?:)?//.+)\Z")


def replay_original(url: str) -> tuple[str, str, str] | None:
    """``(original URL, 14-digit timestamp, replay prefix)`` of a Wayback replay URL
    (``https://web.archive.org/web/20150101000000/http://blog...``), or None for any other URL."""
    match = _REPLAY_URL.match(url)
    if match is None:
        return None
    prefix, timestamp, original = match.groups()
    if original.startswith("//"):
        original = "http:" + original
    return original, timestamp, prefix
