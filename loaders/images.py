"""Images that move with the blog: found in the bodies, fetched at full size, linked locally.

Which images move (``ImageHosts``): those on the blog's own hosts and on Blogger's image
hosts (``BLOGGER_IMAGE_HOSTS``: ``*.bp.blogspot.com``, ``blogger.googleusercontent.com``,
``lh*.googleusercontent.com``...). Images elsewhere (Flickr, a friend's site) stay linked:
no request leaves the blog's hosts and Blogger's. A blog served from this machine
(``127.0.0.1``, ``localhost``) keeps every request on this machine: only its own hosts.

Full size (``full_size_url``): Blogger serves thumbnails (``/s320/``, ``/w400-h300/`` in the
path, ``=s320`` or ``=w400-h300-c`` at the end); the original is ``/s1600/`` or ``=s0``.
An image wrapped in a link to a picture on an allowed host (``<a href=big><img src=small>``)
is fetched from the link's target, and both the ``src`` and the ``href`` are rewritten.

Download (``ImageFetcher``) goes through Scrapy's ``FilesPipeline`` in a child process
(``crawler.images``): retries, a size limit, checksums. Each image is fetched once into
``DIR/images/`` (named by the first 16 hex digits of its SHA-256, so the same picture is kept
once) and recorded in ``DIR/images/images.json``; every later export, whichever flavour,
copies it from there and fetches nothing again. A failure that may pass (5xx after the
retries, a network error) is tried again by the next export; a 404, an image over the size
limit or a response that is not an image is not. A failed image keeps its original link.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import crawler
from crawler.images import PERMANENT_CAUSES
from crawler.options import DEFAULT_USER_AGENT
from crawler.process import MESSAGE_PREFIX
from kernel.errors import DiskFullError
from loaders.atomic import write_if_changed
from loaders.source import ExportSource

log = logging.getLogger(__name__)

#: Blogger's image hosts: exact names and parent domains whose subdomains serve images.
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
STORE_DIR = "images"
MANIFEST = "images.json"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

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


def source_hosts(source: ExportSource) -> ImageHosts:
    """The hosts images of this archive's blog may be fetched from."""
    return ImageHosts.for_blog([source.meta.url, *(row[3] for row in source.refs())])


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


@dataclass(frozen=True)
class ImageResult:
    url: str
    local_name: str | None
    sha256: str | None = None
    size: int = 0
    error: str | None = None
    cause: str | None = None


def read_manifest(store: Path) -> dict[str, ImageResult]:
    """What earlier exports fetched into ``store`` (``DIR/images``)."""
    try:
        data = json.loads((store / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    results: dict[str, ImageResult] = {}
    for url, entry in (data.get("images") or {}).items():
        if isinstance(entry, dict):
            results[url] = ImageResult(url, entry.get("name"), entry.get("sha256"), int(entry.get("size") or 0),
                                       entry.get("error"), entry.get("cause"))
    return results


def _write_manifest(store: Path, results: dict[str, ImageResult], max_bytes: int) -> None:
    images = {}
    for url in sorted(results):
        r = results[url]
        entry: dict[str, object] = {"name": r.local_name, "sha256": r.sha256, "size": r.size}
        if not r.local_name:
            entry = {"error": r.error, "cause": r.cause, "size": r.size}
        images[url] = entry
    data = {"max_bytes": max_bytes, "images": images}
    write_if_changed(store / MANIFEST, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8"))


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(crawler.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def download(urls: list[str], store: Path, hosts: ImageHosts, *, max_bytes: int = DEFAULT_MAX_BYTES,
             user_agent: str = DEFAULT_USER_AGENT, settings: dict | None = None) -> dict[str, ImageResult]:
    """Fetch ``urls`` into ``store`` with Scrapy in a child process; one result per URL."""
    job = {"urls": urls, "store": str(store), "max_bytes": max_bytes, "user_agent": user_agent,
           "log_level": "DEBUG" if log.isEnabledFor(logging.DEBUG) else "WARNING", "settings": settings or {},
           **hosts.job_fields()}
    results: dict[str, ImageResult] = {}
    proc = subprocess.Popen([sys.executable, "-m", "crawler.images"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace", env=_child_env())
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(json.dumps(job) + "\n")
        proc.stdin.flush()
        for line in proc.stdout:
            if not line.startswith(MESSAGE_PREFIX):
                continue
            message = json.loads(line[len(MESSAGE_PREFIX):])
            if message.get("type") != "image":
                continue
            url = message["url"]
            if message.get("ok"):
                results[url] = ImageResult(url, message["name"], message.get("sha256"), int(message.get("size") or 0))
            else:
                cause = message.get("cause")
                results[url] = ImageResult(url, None, size=max_bytes if cause == "too-large" else 0,
                                           error=message.get("error"), cause=cause)
        proc.stdin.close()
        stderr = proc.stderr.read() if proc.stderr is not None else ""
        proc.wait()
    finally:
        if proc.poll() is None:  # interrupted: the child never outlives the export
            proc.kill()
            proc.wait()
    full = [r for r in results.values() if r.cause == "disk-full"]
    if full:
        raise DiskFullError(full[0].error or store)
    if proc.returncode != 0:
        log.warning("image download stopped (exit code %s): %s", proc.returncode, stderr.strip()[-500:])
    for url in urls:
        results.setdefault(url, ImageResult(url, None, error="not fetched (the download stopped)", cause="network"))
    return results


@dataclass
class ImageFetcher:
    """Images of the posts, fetched once into ``DIR/images`` and copied into ``dest_dir``.

    ``prepare(bodies)`` fetches what is missing (one Scrapy run for all of them);
    ``localize(html)`` then rewrites a body's pictures to ``url_prefix/<name>``."""

    dest_dir: Path
    url_prefix: str
    """Public URL folder of ``dest_dir``, e.g. "/images" (Hugo static) or "/assets/images"."""
    max_bytes: int = DEFAULT_MAX_BYTES
    store_dir: Path | None = None
    """Where images are kept between exports (``DIR/images``); None: ``dest_dir`` itself."""
    hosts: ImageHosts = field(default_factory=lambda: ImageHosts(frozenset()))
    settings: dict | None = None
    """Extra Scrapy settings for the download (tests)."""
    results: dict[str, ImageResult] = field(default_factory=dict)
    found: int = 0
    """Distinct pictures on the allowed hosts."""
    fetched: int = 0
    """Downloaded by this export (the others were already in the store)."""

    @classmethod
    def for_export(cls, source: ExportSource, out_dir: Path, dest_dir: Path, url_prefix: str, *,
                   max_bytes: int = DEFAULT_MAX_BYTES, settings: dict | None = None) -> "ImageFetcher":
        """A fetcher for the posts of ``source``, with every image fetched already (the store
        is ``out_dir/images``)."""
        fetcher = cls(dest_dir, url_prefix, max_bytes=max_bytes, store_dir=Path(out_dir) / STORE_DIR,
                      hosts=source_hosts(source), settings=settings)
        fetcher.prepare(post.body_html for post in source.posts())
        return fetcher

    @property
    def store(self) -> Path:
        return self.store_dir if self.store_dir is not None else self.dest_dir

    def prepare(self, bodies: Iterable[str]) -> None:
        wanted: list[str] = []
        seen: set[str] = set()
        for html in bodies:
            for ref in find_images(html, self.hosts):
                if ref.url not in seen:
                    seen.add(ref.url)
                    wanted.append(ref.url)
        self.found = len(wanted)
        known = read_manifest(self.store)
        missing = [u for u in wanted if not self._usable(known.get(u))]
        if missing:
            log.info("downloading %d images", len(missing))
            fresh = download(missing, self.store, self.hosts, max_bytes=self.max_bytes, settings=self.settings)
            self.fetched = sum(1 for r in fresh.values() if r.local_name)
            known.update(fresh)
            _write_manifest(self.store, known, self.max_bytes)
        self.results = {u: known[u] for u in wanted if u in known}
        for result in self.results.values():
            if result.local_name:
                self._place(result.local_name)
            else:
                log.warning("image not downloaded, link kept: %s (%s)", result.url, result.error)

    def _usable(self, result: ImageResult | None) -> bool:
        if result is None:
            return False
        if result.local_name:
            return (self.store / result.local_name).is_file()
        if result.cause == "too-large" and result.size < self.max_bytes:
            return False  # refused under a smaller limit than this export's
        return result.cause in PERMANENT_CAUSES

    def _place(self, name: str) -> None:
        if self.store == self.dest_dir:
            return
        source, target = self.store / name, self.dest_dir / name
        if target.is_file() and target.stat().st_size == source.stat().st_size:
            return
        self.dest_dir.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)

    def localize(self, html: str) -> str:
        """``html`` with every downloaded picture (``src`` and linked ``href``) local."""
        if not self.results:
            return html
        target = {u: f"{self.url_prefix}/{r.local_name}" for u, r in self.results.items() if r.local_name}
        return rewrite_images(html, self.hosts, target)

    @property
    def downloaded(self) -> int:
        return sum(1 for r in self.results.values() if r.local_name)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results.values() if r.error)

    def failures_by_cause(self) -> dict[str, int]:
        causes: dict[str, int] = {}
        for r in self.results.values():
            if r.error:
                causes[r.cause or "network"] = causes.get(r.cause or "network", 0) + 1
        return causes
