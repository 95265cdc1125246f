"""Pictures in a post body: which move, their full-size URL, and rewriting their links.

Which pictures move (``ImageHosts``): those on the blog's own hosts and on Blogger's image
hosts (``BLOGGER_IMAGE_HOSTS``, ``BLOGGER_IMAGE_DOMAINS``: ``*.bp.blogspot.com``,
``blogger.googleusercontent.com``, ``lh*.googleusercontent.com``...). Pictures elsewhere
(Flickr, a friend's site) stay linked: no request leaves the blog's hosts and Blogger's. A
blog served from this machine (``127.0.0.1``, ``localhost``) keeps every request on this
machine: only its own hosts.

Full size (``full_size_url``): Blogger serves thumbnails (``/s320/``, ``/w400-h300/`` in the
path, ``=s320`` or ``=w400-h300-c`` at the end); the original is ``/s1600/`` or ``=s0``.
A picture wrapped in a link to a picture on an allowed host (``<a href=big><img src=small>``)
is taken from the link's target, and both the ``src`` and the ``href`` are rewritten.
Pure functions: nothing here reads or fetches anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

BLOGGER_IMAGE_HOSTS = ("blogger.googleusercontent.com", "photos1.blogger.com", "photos2.blogger.com",
                       "img1.blogger.com", "img2.blogger.com", "img.blogblog.com")
BLOGGER_IMAGE_DOMAINS = ("bp.blogspot.com", "googleusercontent.com", "ggpht.com")
#: Hosts of a blog on this machine: its images are fetched from it only.
LOCAL_HOSTS = ("localhost", "::1")
#: Thumbnail size markers Blogger puts in an image URL, and what asks for the original.
THUMBNAIL_RULES = (
    (re.compile(r"/(?:s\d+|w\d+-h\d+|h\d+|w\d+)(?:-[a-z0-9]+)*/(?=[^/]+$)", re.IGNORECASE), "/s1600/"),
    (re.compile(r"=(?:s\d+|w\d+|h\d+)(?:-[a-z0-9]+)*$", re.IGNORECASE), "=s0"),
)
#: Blogger's numbered image hosts (1.bp ... 4.bp.blogspot.com) serve every picture alike: one
#: name for a picture, so it is fetched once and gets one WXR attachment.
SHARDED_HOST = (re.compile(r"^(https?://)\d+\.bp\.blogspot\.com/", re.IGNORECASE), r"\g<1>1.bp.blogspot.com/")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg", ".avif", ".tif", ".tiff", ".heic")
_TAG = re.compile(r"<(/?)(a|img)\b([^>]*)>", re.IGNORECASE | re.DOTALL)
_ATTR = {name: re.compile(rf"""(\b{name}\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL) for name in ("src", "href")}


def is_blogger_image_host(host: str) -> bool:
    host = host.lower()
    return host in BLOGGER_IMAGE_HOSTS or any(host.endswith("." + d) for d in BLOGGER_IMAGE_DOMAINS)


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _is_local(host: str) -> bool:
    return host in LOCAL_HOSTS or host.startswith("127.")


@dataclass(frozen=True)
class ImageHosts:
    """The hosts images may be fetched from."""

    blog_hosts: frozenset[str]
    blogger: bool = True
    """Blogger's image hosts too (not for a blog served from this machine)."""

    @classmethod
    def for_blog(cls, urls: Iterable[str]) -> "ImageHosts":
        """From the blog's URL and its posts' URLs (with and without ``www.``)."""
        hosts: set[str] = set()
        for url in urls:
            host = host_of(url)
            if host:
                hosts.add(host)
                hosts.add(host[4:] if host.startswith("www.") else "www." + host)
        local = bool(hosts) and all(_is_local(h) for h in hosts if not h.startswith("www."))
        return cls(frozenset(hosts), blogger=not local)

    def allows(self, url: str) -> bool:
        host = host_of(url)
        return bool(host) and (host in self.blog_hosts or (self.blogger and is_blogger_image_host(host)))

    def job_fields(self) -> dict[str, list[str]]:
        suffixes = list(BLOGGER_IMAGE_DOMAINS) if self.blogger else []
        hosts = sorted(self.blog_hosts | (set(BLOGGER_IMAGE_HOSTS) if self.blogger else set()))
        return {"hosts": hosts, "host_suffixes": suffixes}


def full_size_url(url: str) -> str:
    """The original of a Blogger thumbnail URL; any other URL unchanged."""
    if not is_blogger_image_host(host_of(url)):
        return url
    url = SHARDED_HOST[0].sub(SHARDED_HOST[1], url, count=1)
    for pattern, replacement in THUMBNAIL_RULES:
        url = pattern.sub(replacement, url, count=1)
    return url


def looks_like_image(url: str) -> bool:
    """A link to a picture: an image file name, or any URL on Blogger's image hosts."""
    path = urlsplit(url).path.lower()
    if is_blogger_image_host(host_of(url)):
        return "/s1600-h/" not in path  # old Blogger "-h" links open an HTML page
    return path.endswith(IMAGE_SUFFIXES)


def _absolute(value: str) -> str | None:
    url = value.strip().replace("&amp;", "&")
    if url.startswith("//"):
        url = "https:" + url
    return url if url.lower().startswith(("http://", "https://")) else None


@dataclass(frozen=True)
class ImageRef:
    """One picture in a body: where it is written, and the full-size URL that moves it."""

    url: str
    """Full-size URL to fetch."""
    src: str | None
    """The ``img src`` as written (None for a bare link to a picture)."""
    href: str | None
    """The wrapping link's target, when it is the same picture."""


def _scan(html: str, hosts: ImageHosts) -> list[tuple[ImageRef, list[tuple[int, int]]]]:
    """Each movable picture with the spans of the attribute values that name it."""
    found: list[tuple[ImageRef, list[tuple[int, int]]]] = []
    anchor: tuple[str, tuple[int, int], bool] | None = None  # (url, value span, used by an img)
    for match in _TAG.finditer(html):
        closing, tag, attrs = match.group(1), match.group(2).lower(), match.group(3)
        if tag == "a":
            if anchor is not None and not anchor[2]:
                _bare_link(found, anchor)
            anchor = None
            if closing:
                continue
            attr = _ATTR["href"].search(attrs)
            if attr:
                url = _absolute(attr.group(3))
                if url and hosts.allows(url) and looks_like_image(url):
                    start = match.start(3) + attr.start(3)
                    anchor = (url, (start, start + len(attr.group(3))), False)
            continue
        if closing:
            continue
        attr = _ATTR["src"].search(attrs)
        if not attr:
            continue
        src = _absolute(attr.group(3))
        if src is None:
            continue
        start = match.start(3) + attr.start(3)
        spans = [(start, start + len(attr.group(3)))]
        href = None
        if anchor is not None and not anchor[2]:
            href = anchor[0]
            spans.append(anchor[1])
            anchor = (anchor[0], anchor[1], True)
        if href is None and not hosts.allows(src):
            continue
        found.append((ImageRef(full_size_url(href or src), src, href), spans))
    if anchor is not None and not anchor[2]:
        _bare_link(found, anchor)
    return found


def _bare_link(found: list[tuple[ImageRef, list[tuple[int, int]]]], anchor: tuple[str, tuple[int, int], bool]) -> None:
    found.append((ImageRef(full_size_url(anchor[0]), None, anchor[0]), [anchor[1]]))


def find_images(html: str, hosts: ImageHosts) -> list[ImageRef]:
    """The movable pictures of a body, in order (a picture used twice is listed twice)."""
    return [ref for ref, _spans in _scan(html, hosts)]


def rewrite_images(html: str, hosts: ImageHosts, target: "dict[str, str] | None" = None) -> str:
    """``html`` with each movable picture's ``src`` and ``href`` pointing at ``target[url]``
    (its local copy), or, without ``target``, at its full-size URL. Pictures missing from
    ``target`` keep their links."""
    edits: list[tuple[int, int, str]] = []
    for ref, spans in _scan(html, hosts):
        new = ref.url if target is None else target.get(ref.url)
        if new is None:
            continue
        new = new.replace("&", "&amp;")
        edits.extend((start, end, new) for start, end in spans)
    if not edits:
        return html
    parts: list[str] = []
    last = 0
    for start, end, new in sorted(edits):
        parts.append(html[last:start])
        parts.append(new)
        last = end
    parts.append(html[last:])
    return "".join(parts)
