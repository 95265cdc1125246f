"""Pelican plugin shipped by blogport: a redirect page at every old Blogger URL.

For each post and page whose metadata names its old address (``Blogger_url``), the built
site gets a small page at the old path (``2009/08/my-post.html``) that sends visitors and
search engines to the new one: ``<meta http-equiv="refresh">``, ``<link rel="canonical">``
and a link. A file the build wrote at that path itself is never replaced. Enabled by the
``PLUGINS`` line of ``pelicanconf.py``.
"""

import html
import logging
import os
from urllib.parse import unquote, urlsplit

from pelican import signals

log = logging.getLogger(__name__)

MARKER = "<!-- blogport redirect -->"
PAGE = (
    "<!DOCTYPE html>\n" + MARKER + "\n"
    '<html><head><meta charset="utf-8">\n'
    "<title>Moved to {text}</title>\n"
    '<link rel="canonical" href="{href}">\n'
    '<meta name="robots" content="noindex">\n'
    '<meta http-equiv="refresh" content="0; url={href}">\n'
    '</head><body><p>This page has moved to <a href="{href}">{text}</a>.</p></body></html>\n'
)
_moves = {}


def _collect(generator):
    site = (generator.settings.get("SITEURL") or "").rstrip("/")
    items = list(getattr(generator, "articles", [])) + list(getattr(generator, "pages", []))
    items += list(getattr(generator, "hidden_pages", []))
    for item in items:
        old = item.metadata.get("blogger_url")
        if not isinstance(old, str) or not old:
            continue
        old_path = unquote(urlsplit(old).path).lstrip("/")
        new = f"{site}/{item.url}"
        if old_path and old_path != item.save_as:
            _moves[old_path] = new


def _write(pelican):
    output = os.path.realpath(pelican.output_path)
    written = 0
    for old_path, new in sorted(_moves.items()):
        target = os.path.realpath(os.path.join(output, old_path))
        if os.path.commonpath([output, target]) != output or target == output:
            continue  # never outside the output folder
        if os.path.isdir(target):
            target = os.path.join(target, "index.html")
        if os.path.exists(target):
            with open(target, encoding="utf-8", errors="replace") as fh:
                if MARKER not in fh.read(200):
                    continue  # a page of the site itself
        os.makedirs(os.path.dirname(target), exist_ok=True)
        href = html.escape(new, quote=True)
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(PAGE.format(href=href, text=href))
        written += 1
    log.info("blogport: %d redirect pages at the old Blogger URLs", written)
    _moves.clear()


def register():
    signals.article_generator_finalized.connect(_collect)
    signals.page_generator_finalized.connect(_collect)
    signals.finalized.connect(_write)
