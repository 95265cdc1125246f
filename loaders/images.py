"""Images that move with the blog: fetched at full size, kept once, linked locally.

Which pictures and their full-size URLs: ``loaders.image_urls``.

Download (``ImageFetcher``) goes through Scrapy's ``FilesPipeline`` (``crawler.images``):
retries, a size limit, checksums; in a child process, or, in a ``migrate`` or ``sync`` of a
live blog, in the crawl's own process, kept for it (``download_through``), so no other Python
and Scrapy start for the pictures. Each image is fetched once into
``DIR/images/`` (named by the first 16 hex digits of its SHA-256, so the same picture is kept
once) and recorded in ``DIR/images/images.json``; every later export, whichever flavour,
copies it from there and fetches nothing again. A failure that may pass (5xx after the
retries, a network error) is tried again by the next export; a 404, an image over the size
limit or a response that is not an image is not. A failed image keeps its original link.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import crawler
from crawler.child_pipes import STDERR_END_S, ChildPipes
from crawler.images import PERMANENT_CAUSES
from crawler.options import DEFAULT_USER_AGENT
from crawler.process import MESSAGE_PREFIX
from kernel.errors import DiskFullError
from loaders.atomic import write_if_changed
from loaders.image_urls import ImageHosts, find_images, rewrite_images
from loaders.source import ExportSource

if TYPE_CHECKING:
    from crawler.run import KeptCrawlProcess

log = logging.getLogger(__name__)

STORE_DIR = "images"
MANIFEST = "images.json"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
#: The export formats that fetch pictures, when ``ExportOptions.download_images`` says so.
DOWNLOADING_FORMATS = frozenset({"markdown"})
_KEPT: "ContextVar[KeptCrawlProcess | None]" = ContextVar("kept_crawl_process", default=None)


def downloads_images(options: Any) -> bool:
    """Whether an export with ``options`` (``ExportOptions``) fetches pictures."""
    return bool(options.download_images) and bool(DOWNLOADING_FORMATS & set(options.formats))


@contextmanager
def download_through(kept: "KeptCrawlProcess | None") -> Iterator[None]:
    """Within: the first download goes through ``kept`` (the crawl process of this run,
    still waiting), when it waits; any other, or without it, through a child process."""
    token = _KEPT.set(kept)
    try:
        yield
    finally:
        _KEPT.reset(token)


def source_hosts(source: ExportSource) -> ImageHosts:
    """The hosts images of this archive's blog may be fetched from."""
    return ImageHosts.for_blog([source.meta.url, *(row[3] for row in source.refs())])


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
    kept = _KEPT.get()
    if kept is not None and kept.ready:
        messages, complete = kept.fetch(job)
        log.info("%d images fetched by the crawl process", len(messages))
        _take(results, messages, max_bytes, store)
        if complete:
            return _with_missing(results, urls)
        rest = [u for u in urls if u not in results]  # it stopped early: a child fetches the rest
        job["urls"] = rest
        log.warning("the crawl process stopped before every image was fetched; fetching %d in another", len(rest))
    proc = subprocess.Popen([sys.executable, "-m", "crawler.images"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace", env=_child_env())
    assert proc.stdin is not None and proc.stdout is not None
    pipes = ChildPipes(proc)  # stdout and stderr read as they come: a loud child (-vv) never blocks
    messages = []
    errors: list[str] = []
    try:
        proc.stdin.write(json.dumps(job) + "\n")
        proc.stdin.flush()
        while (item := pipes.next_line()) is not None:
            is_err, line = item
            if is_err:
                errors.append(line)
            elif line.startswith(MESSAGE_PREFIX):
                message = json.loads(line[len(MESSAGE_PREFIX):])
                if message.get("type") == "image":
                    messages.append(message)
        proc.stdin.close()
        errors.extend(line for is_err, line in pipes.drain(time.monotonic() + STDERR_END_S) if is_err)
        proc.wait()
    finally:
        if proc.poll() is None:  # interrupted: the child never outlives the export
            proc.kill()
            proc.wait()
        pipes.close()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    stderr = "".join(errors)
    _take(results, messages, max_bytes, store)
    if proc.returncode != 0:
        log.warning("image download stopped (exit code %s): %s", proc.returncode, stderr.strip()[-500:])
    return _with_missing(results, urls)


def _take(results: dict[str, ImageResult], messages: list[dict[str, Any]], max_bytes: int, store: Path) -> None:
    """Add the results the image messages tell; a full disk raises ``DiskFullError``."""
    for message in messages:
        url = message["url"]
        if message.get("ok"):
            results[url] = ImageResult(url, message["name"], message.get("sha256"), int(message.get("size") or 0))
        else:
            cause = message.get("cause")
            results[url] = ImageResult(url, None, size=max_bytes if cause == "too-large" else 0,
                                       error=message.get("error"), cause=cause)
    full = [r for r in results.values() if r.cause == "disk-full"]
    if full:
        raise DiskFullError(full[0].error or store)


def _with_missing(results: dict[str, ImageResult], urls: list[str]) -> dict[str, ImageResult]:
    for url in urls:
        results.setdefault(url, ImageResult(url, None, error="not fetched (the download stopped)", cause="network"))
    return results


@dataclass
class ImageFetcher:
    """Images of the posts and comments, fetched once into ``DIR/images`` and copied into ``dest_dir``.

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
        """A fetcher for the posts of ``source`` and their comments, with every image fetched
        already (the store is ``out_dir/images``)."""
        fetcher = cls(dest_dir, url_prefix, max_bytes=max_bytes, store_dir=Path(out_dir) / STORE_DIR,
                      hosts=source_hosts(source), settings=settings)
        fetcher.prepare(itertools.chain(source.post_bodies(), source.comment_bodies()))
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
