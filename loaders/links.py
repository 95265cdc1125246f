"""Internal links in exported bodies, rewritten to where their pages live on the new site.

A link (``<a href>``, ``<area href>``) to the old blog, in any of its forms (http or https,
a Blogger country domain, ``www.``, ``?m=1``, ``?showComment=...#c123``, ``?commentPage=N``,
a root-relative ``/2009/08/x.html``), is matched with ``crawler.urls.canonicalize`` and
looked up in ``loaders.urls.UrlMap``: the same old -> new mapping as the redirect maps. A
match becomes a site-relative path (``/posts/slug/``, ``/2009/08/15/slug.html``,
``/2009/08/slug/``...); the query string is dropped as the redirect rules drop it, the
fragment (``#c123``, ``#more``) is kept as written. Links to other sites, and to paths of the
old blog the mapping does not know (an image on the blog's own host, a search), stay as they
are. Images (``img src``) are never touched here: downloading them is ``--download-images``.

Bodies that do not mention the blog's host (nor hold a root-relative link) are returned
as they are without being parsed; a body is re-serialised only when a link in it changed.
"""

from __future__ import annotations

import logging
import re
from itertools import chain
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree

from crawler.urls import canonicalize, is_blogspot_host
from loaders.source import ExportSource, xml_safe
from loaders.urls import UrlMap, encode_new

log = logging.getLogger(__name__)

_LINK_TAGS = ("a", "area")
_ROOT_RELATIVE_HREF = r"""href\s*=\s*["']?\s*/(?![/\\])"""
_ROOT_RELATIVE = re.compile(_ROOT_RELATIVE_HREF)
_CASE_ODD = re.compile("[\u0130\u0131\u017f\u212a]")
"""The four characters a case-insensitive pattern of ASCII letters also matches (İ ı ſ K):
a text holding one is searched with the case-insensitive pattern itself."""
_WRAPPER = "div"
_WRAP_OPEN, _WRAP_CLOSE = f"<{_WRAPPER}>", f"</{_WRAPPER}>"


def _netloc(url: str) -> str:
    try:
        return urlsplit(canonicalize(url)).netloc
    except ValueError:
        return ""


class LinkRewriter:
    """Rewrites the old blog's links in HTML bodies to their new, site-relative URLs."""

    def __init__(self, source: ExportSource, urls: UrlMap) -> None:
        self.urls = urls
        self.base = source.meta.url
        hosts: set[str] = set()
        markers: set[str] = set()
        seen: set[str] = set()
        known = chain([source.meta.url], (r[3] for r in source.refs()), (t.url for t in source.tags.values() if t.url))
        for url in known:
            try:
                parts = urlsplit(url)
                hostname = (parts.hostname or "").lower()
            except ValueError:
                continue
            if not hostname or parts.netloc in seen:
                continue
            seen.add(parts.netloc)
            netloc = _netloc(url)
            if netloc:
                hosts.add(netloc)
                hosts.add(netloc[4:] if netloc.startswith("www.") else "www." + netloc)
            name = hostname.removeprefix("www.")
            if is_blogspot_host(name):  # any country domain: x.blogspot.co.uk
                markers.add(name.rsplit(".blogspot.", 1)[0] + ".blogspot.")
            else:
                markers.add(name)
        self.hosts = frozenset(hosts)
        alternatives = sorted(re.escape(m) for m in markers) + [_ROOT_RELATIVE_HREF]
        self._mentions = re.compile("|".join(alternatives), re.IGNORECASE)
        self._plain_markers = tuple(sorted(markers)) if all(m.isascii() for m in markers) else None
        self.rewritten = 0
        """Links rewritten so far."""

    def new_href(self, href: str) -> str | None:
        """The new URL of one link, or None when it is not a known page of the old blog."""
        raw = href.strip()
        if raw.startswith("//"):
            url = "http:" + raw
        elif raw.startswith("/") and not raw.startswith("/\\"):
            url = self.base + raw
        elif raw[:8].lower().startswith(("http://", "https://")):
            url = raw
        else:
            return None
        try:
            parts = urlsplit(canonicalize(url))
            fragment = urlsplit(raw).fragment
        except ValueError:
            return None
        if parts.netloc not in self.hosts:
            return None
        found = self.urls.lookup(unquote(parts.path or "/"))
        if found is None:
            return None
        return encode_new(found[0]) + (f"#{fragment}" if fragment else "")

    def mentions(self, html: str) -> bool:
        """Whether ``html`` names one of the blog's hosts (any case) or holds a root-relative link.

        The same answer as the case-insensitive pattern, found four times faster: the text
        lower-cased and searched for each host as a plain string, and for a root-relative
        ``href`` with a pattern that need not fold case (the hosts and ``href`` are ASCII, and
        lower-casing maps no other character onto an ASCII letter but the four of
        ``_CASE_ODD``, for which the pattern itself is used)."""
        if self._plain_markers is None or _CASE_ODD.search(html):
            return self._mentions.search(html) is not None
        low = html.lower()
        return any(m in low for m in self._plain_markers) or _ROOT_RELATIVE.search(low) is not None

    def rewrite(self, html: str) -> str:
        """``html`` with its links to the old blog pointing at the new site (and, when one
        changed, without the characters XML 1.0 forbids, as every export writes it)."""
        if not html or not self.mentions(html):
            return html
        body = xml_safe(html)
        lead = body[:len(body) - len(body.lstrip())]  # the parser drops leading whitespace
        try:
            root = lxml.html.fragment_fromstring(body[len(lead):], create_parent=_WRAPPER)
        except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
            log.debug("body not parsed for link rewriting, links kept: %s", exc)
            return html
        changed = 0
        for el in root.iter(*_LINK_TAGS):
            href = el.get("href")
            if href is None:
                continue
            new = self.new_href(href)
            if new is not None and new != href:
                el.set("href", new)
                changed += 1
        if not changed:
            return html
        out = lxml.html.tostring(root, encoding="unicode", method="html")
        if not (out.startswith(_WRAP_OPEN) and out.endswith(_WRAP_CLOSE)):  # never expected; keep the body whole
            return html
        self.rewritten += changed
        return lead + out[len(_WRAP_OPEN):-len(_WRAP_CLOSE)]
