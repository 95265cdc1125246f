"""``redirects/blogger-theme.xml``: redirects for a blog that stays on ``*.blogspot.com``,
where no server rule can be written.

The owner uploads the file in Blogger's Theme > Restore (after backing up the old theme).
Every page Blogger then serves sends the visitor on: each old post, page, label, month and
year URL gets its own ``rel=canonical`` and ``meta refresh`` (a ``b:if`` on the page's URL,
http and https), and a script with the whole map sends any URL to its new home, or to the
new home page when the old URL is not in the map. Feeds are not pages of the theme: Blogger's
Settings > Other > "Post feed redirect URL" sends them to the new feed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from loaders.atomic import AtomicFile
from loaders.urls import UrlMove
from loaders.wxr_xml import escape, quoteattr

THEME_FILE = "blogger-theme.xml"
PAGE_KINDS = frozenset({"post", "page", "label", "month", "year", "home"})
"""The moves that are pages of the theme (feeds are Blogger's own)."""

_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE html>
<html b:version='2' class='v2' xmlns='http://www.w3.org/1999/xhtml' xmlns:b='http://www.google.com/2005/gml/b' xmlns:data='http://www.google.com/2005/gml/data' xmlns:expr='http://www.google.com/2005/gml/expr'>
<head>
<meta content='text/html; charset=UTF-8' http-equiv='Content-Type'/>
<meta content='noindex' name='robots'/>
<title>{title}</title>
<b:skin><![CDATA[/* Written by blogport: this blog has moved to {home}. */
body {{ font: 18px/1.5 Georgia, serif; margin: 3em auto; max-width: 36em; }}
]]></b:skin>
"""


def is_blogspot(host: str) -> bool:
    """A blog on Blogger's own domain (``x.blogspot.com`` and its country variants)."""
    return ".blogspot." in "." + host.lower()


def _cond(urls: list[str]) -> str:
    return " or ".join(f'data:blog.canonicalUrl == "{u}"' for u in urls)


def blogger_theme(title: str, old_base: str, moves: Iterable[UrlMove], absolute: Callable[[str], str],
                  new_home: str) -> tuple[str, int]:
    """The theme's text and how many old URLs it covers. ``absolute``: new path -> new URL."""
    host = old_base.split("://", 1)[-1].rstrip("/")
    bases = [f"http://{host}", f"https://{host}"]
    rules: list[str] = []
    script_map: dict[str, str] = {}
    for move in moves:
        if move.kind not in PAGE_KINDS or move.old_path in script_map:
            continue
        target = absolute(move.new)
        script_map[move.old_path] = target
        href = quoteattr(target)
        rules.append(f"<b:if cond={quoteattr(_cond([b + move.old_path for b in bases]))}>"
                     f"<link rel='canonical' href={href}/>"
                     f"<meta http-equiv='refresh' content={quoteattr('0; url=' + target)}/></b:if>")
    data = json.dumps(script_map, ensure_ascii=True, sort_keys=True).replace("</", "<\\/")
    script = (
        "<script type='text/javascript'>//<![CDATA[\n"
        f"(function () {{ var map = {data};\n"
        f"  var home = {json.dumps(new_home)};\n"
        "  var path = location.pathname, to = map[path];\n"
        "  if (!to) { try { to = map[encodeURI(decodeURIComponent(path))]; } catch (e) {} }\n"
        "  location.replace((to || home) + location.hash);\n"
        "})();\n//]]></script>\n"
    )
    home_link = escape(new_home)
    text = (_HEAD.format(title=escape(title or host), home=escape(new_home).replace("]]>", ""))
            + "\n".join(rules) + "\n" + script
            + "</head>\n<body>\n"
            f"<p>This blog has moved to <a href={quoteattr(new_home)}>{home_link}</a>.</p>\n"
            "<b:section class='main' id='main' showaddelement='no'/>\n"
            "</body>\n</html>\n")
    return text, len(script_map)


def write_blogger_theme(folder: Path, title: str, old_base: str, moves: Iterable[UrlMove],
                        absolute: Callable[[str], str], new_home: str) -> tuple[Path, int]:
    handle = AtomicFile(Path(folder) / THEME_FILE)
    try:
        text, covered = blogger_theme(title, old_base, moves, absolute, new_home)
        handle.write(text)
        return handle.commit(), covered
    except BaseException:
        handle.discard()
        raise
