"""``crawl()``: the crawl stage's entry point, called by ``blogport crawl`` and ``migrate``.

The source decides how the archive is filled; the table ``SOURCES`` (rows: classes of the
``crawler.sources.Source`` protocol) is tried in order:

* ``http(s)://...`` (or a bare host such as ``myblog.blogspot.com``): the blog is crawled
  live by a Scrapy spider in a child process (``crawler.process``): the Atom feeds where the
  blog serves them (``via="auto"``, see ``choose_via``) or always (``via="feeds"``), the HTML
  pages otherwise or always (``via="html"``);
* an existing folder: a saved mirror (wget, HTTrack), ``crawler.sources.MirrorFolder``;
* an existing ``.xml`` / ``.atom`` file: a Blogger "Back up content" file,
  ``crawler.sources.BackupFile``.

A live crawl runs in its own process because Scrapy's reactor cannot be restarted: ``crawl``
can be called any number of times in one program (tests, sync). Ctrl-C stops the child
gracefully, everything fetched so far stays in the archive, and the summary says the run was
interrupted; running the same command again resumes (pages already stored are not fetched
again).

``migrate`` and ``sync``, whose export will fetch the posts' pictures, pass ``keep`` (a
``KeptCrawlProcess``): the crawl process then stays once its crawl has ended, and the export
has it fetch the pictures in its own reactor (``crawler.process``, ``images_after``) instead
of starting another Python and Scrapy for them. The child's stdout and stderr are read by the
thread that waits for it (``ChildPipes``), never by a thread of their own: while a kept process
waits, this one runs no other thread, so the export and validation may fork (``kernel.forked``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from kernel.archive import ARCHIVE_NAME, Archive, utc_now
from kernel.errors import DiskFullError, SourceError, UnreachableError
from crawler.options import CrawlOptions
from crawler.child_pipes import STDERR_END_S, ChildPipes
from crawler.early import close_ahead, end_unused, start_crawl_process, still_waiting, take_ahead
from crawler.process import MESSAGE_PREFIX
from crawler.progress import make_progress
from crawler.sources import BackupFile, MirrorFolder, Source, source_for
from crawler.summary import CrawlSummary
from crawler.urls import blog_hosts
from crawler.warc import WarcFile

log = logging.getLogger(__name__)

#: Seconds to wait for the child to finish its graceful shutdown after Ctrl-C.
SHUTDOWN_GRACE_S = 30.0
_HOST_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?::\d+)?(?:/.*)?$", re.IGNORECASE)


# -- dispatch ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LiveBlog:
    """A Blogger blog on the web, read over HTTP by the Scrapy spiders (feeds or HTML)."""

    location: str
    name: ClassVar[str] = "blog"
    live: ClassVar[bool] = True

    @classmethod
    def detect(cls, text: str) -> "LiveBlog | None":
        text = text.strip()
        if text.lower().startswith(("http://", "https://")):
            return cls(text)
        if "://" not in text and _HOST_RE.match(text) and not Path(text).expanduser().exists():
            return cls(f"https://{text}")
        return None

    def crawl(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None, *,
              keep: "KeptCrawlProcess | None" = None, on_started: Callable[[], None] | None = None,
              early: "EarlyCrawlProcess | None" = None) -> CrawlSummary:
        return _crawl_site(self.location, Path(out_dir), options, settings, keep, on_started, early)

    def refresh(self, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None = None, *,
                keep: "KeptCrawlProcess | None" = None) -> CrawlSummary:
        """The listings first, then only the pages they say changed (``crawler.incremental``).
        A trial run (``--limit``) stays one: the newest posts again, stored pages asked for
        conditionally (``crawler.trial``). ``keep``: as ``crawl``'s."""
        if options.limit > 0:
            return self.crawl(out_dir, options, {**(settings or {}), "BLOGPORT_INCREMENTAL": True}, keep=keep)
        return self.crawl(out_dir, replace(options, incremental=True, via="html"), settings, keep=keep)

    def hosts(self) -> frozenset[str]:
        return blog_hosts([self.location])


#: Every kind of source, in the order they are tried (see ``crawler.sources``).
SOURCES: tuple[type[Source], ...] = (WarcFile, LiveBlog, MirrorFolder, BackupFile)


def crawl(
    source: str,
    out_dir: Path,
    options: CrawlOptions,
    *,
    settings: dict[str, Any] | None = None,
    keep: "KeptCrawlProcess | None" = None,
    on_started: Callable[[], None] | None = None,
    early: "EarlyCrawlProcess | None" = None,
) -> CrawlSummary:
    """Fill ``out_dir/blog.db`` from ``source`` (blog URL, saved mirror folder or export file).

    ``settings`` are extra Scrapy settings for a live crawl (tests, benchmarks). With ``keep``,
    the process of a live crawl that ended normally is kept there, for the export's pictures.
    ``on_started`` is called once the process of a live crawl has its job (this process then
    only waits for it: the caller may prepare the later stages meanwhile). ``early`` holds a
    crawl process started ahead, which a live crawl takes.
    Raises ``SourceError`` for a source blogport cannot read (including a site that is not a
    Blogger blog) and ``UnreachableError`` when the blog's host cannot be reached.
    """
    found = source_of(source, options)
    if not isinstance(found, LiveBlog):
        close_ahead()  # the console script guessed a live crawl from the command line: none comes
    if (keep is not None or on_started is not None or early is not None) and isinstance(found, LiveBlog):
        summary = found.crawl(Path(out_dir), options, settings, keep=keep, on_started=on_started, early=early)
    else:
        summary = found.crawl(Path(out_dir), options, settings)
    note_trial(Path(out_dir), options.limit)
    return summary


def note_trial(out_dir: Path, limit: int) -> None:
    """Record in the archive (meta ``trial``) whether it holds a trial run's newest ``limit``
    posts (``crawler.trial``) or the whole blog (0): validation reads it."""
    if (out_dir / ARCHIVE_NAME).exists():
        with Archive.in_dir(out_dir) as archive:
            archive.set_meta("trial", {"limit": limit})


def source_of(source: str, options: CrawlOptions) -> Source:
    """The source ``source`` names; with ``--wayback``, the blog's captures on that server."""
    if options.wayback:
        from crawler.wayback import WaybackArchive  # its spider imports Scrapy: only for a Wayback server

        return WaybackArchive(source, options.wayback, options.cdx)
    return source_for(source, SOURCES)


# -- live crawl in a child process ------------------------------------------------------
def _log_level_name() -> str:
    level = logging.getLogger().getEffectiveLevel()
    if level <= logging.DEBUG:
        return "DEBUG"
    if level <= logging.INFO:
        return "INFO"
    return "WARNING"


@dataclass
class ChildResult:
    done: dict[str, Any] | None
    last_progress: dict[str, Any]
    returncode: int
    interrupted: bool
    stderr_tail: list[str]
    elapsed_s: float


def _log_line(line: str) -> None:
    """Where a crawl process's log lines go once its display is closed: this one's stderr."""
    sys.stderr.write(line if line.endswith("\n") else line + "\n")
    sys.stderr.flush()


class KeptCrawlProcess:
    """The process of a live crawl, kept once its crawl ended normally, to fetch the export's
    pictures in its own reactor: one job of ``crawler.images``, sent by ``fetch``. ``close``
    ends it (a process that was not asked anything exits as soon as its stdin closes); it
    never outlives this program (``crawler.process.die_with_parent``). While it waits, no
    thread of this process reads its pipes (so the export and validation may fork): what it
    writes meanwhile is read, and its log lines passed on, by ``fetch`` or ``close``."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.pipes: ChildPipes | None = None
        self.log_line: Callable[[str], None] = _log_line

    def keep(self, proc: subprocess.Popen[str], pipes: ChildPipes, log_line: Callable[[str], None]) -> None:
        self.close()  # one kept at a time: an earlier one has nothing more to do
        self.proc, self.pipes, self.log_line = proc, pipes, log_line

    @property
    def ready(self) -> bool:
        """Whether the process waits for its one image job."""
        return self.proc is not None and self.proc.poll() is None

    def fetch(self, job: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        """Send ``job`` (``crawler.images``' protocol); its image messages, and whether the
        download ran to its end. Interrupted (Ctrl-C), the process is ended at once, as an
        image download's child is: pictures are written to a temporary name first."""
        proc, self.proc = self.proc, None
        pipes, self.pipes = self.pipes, None
        if proc is None or pipes is None:
            return [], False
        assert proc.stdin is not None
        messages: list[dict[str, Any]] = []
        complete = False
        try:
            try:
                proc.stdin.write(json.dumps(job) + "\n")
                proc.stdin.flush()
            except OSError:  # it is gone
                return messages, False
            while (item := pipes.next_line()) is not None:
                is_err, line = item
                if is_err or not line.startswith(MESSAGE_PREFIX):
                    self.log_line(line)
                    continue
                message = json.loads(line[len(MESSAGE_PREFIX):])
                if message.get("type") == "done":
                    complete = True
                    break
                if message.get("type") == "image":
                    messages.append(message)
        finally:
            _end(proc, pipes, self.log_line, grace=SHUTDOWN_GRACE_S if complete else 0.0)
        return messages, complete

    def close(self) -> None:
        """End the process if it still waits (nothing more to fetch)."""
        proc, self.proc = self.proc, None
        pipes, self.pipes = self.pipes, None
        if proc is not None:
            _end(proc, pipes, self.log_line, grace=SHUTDOWN_GRACE_S)


def _end(proc: subprocess.Popen[str], pipes: ChildPipes | None, log_line: Callable[[str], None] | None = None, *,
         grace: float) -> None:
    """Close the child's stdin (it then stops), wait up to ``grace`` seconds for it, reading
    what it still writes (its log lines go to ``log_line``), then kill it; its pipes are
    closed once they have been read to the end."""
    def pass_on(is_err: bool, line: str) -> None:
        if log_line is not None and (is_err or not line.startswith(MESSAGE_PREFIX)):
            log_line(line)

    try:
        if proc.stdin is not None:
            proc.stdin.close()
    except OSError:
        pass
    try:
        if grace > 0:
            deadline = time.monotonic() + grace
            while pipes is not None and (item := pipes.next_line(deadline)) is not None:
                pass_on(*item)
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        pass
    finally:
        if proc.poll() is None:
            if grace > 0:
                log.warning("the crawl process did not stop within %g s of its end: ended", grace)
            proc.kill()
            proc.wait()
        try:
            if pipes is not None:
                for item in pipes.drain(time.monotonic() + STDERR_END_S):
                    pass_on(*item)
        finally:
            if pipes is not None:
                pipes.close()
            for stream in (proc.stdout, proc.stderr):
                try:
                    if stream is not None:
                        stream.close()
                except OSError:
                    pass


class EarlyCrawlProcess:
    """A crawl process started before its job is known (``start``), so that its start-up
    (Python, then ``crawler.process.PRELOADED``) runs while this process prepares the run;
    the next live crawl given it takes it. ``close`` ends one that was not taken."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> "EarlyCrawlProcess":
        if self.proc is None:
            self.proc = take_ahead() or start_crawl_process()
        return self

    def take(self) -> subprocess.Popen[str] | None:
        """The process, when it still waits for its job (else None: start another)."""
        proc, self.proc = self.proc, None
        return still_waiting(proc)

    def close(self) -> None:
        """End the process if no crawl took it: it has no job, nothing to keep."""
        proc, self.proc = self.proc, None
        if proc is not None:
            end_unused(proc)


def run_child(job: dict[str, Any], source_label: str, progress_enabled: bool,
              keep: KeptCrawlProcess | None = None, on_started: Callable[[], None] | None = None,
              early: EarlyCrawlProcess | None = None) -> ChildResult:
    """Run ``python -m crawler.process`` with ``job`` (in ``early``'s process, when it has
    one waiting); show its progress; forward Ctrl-C.
    With ``keep`` (and ``images_after`` in the job), a process that says it waits for
    pictures is handed to ``keep`` instead of waited for. ``on_started`` is called once the
    process has its job."""
    started = time.monotonic()
    proc = (early.take() if early is not None else None) or take_ahead() or start_crawl_process()
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(json.dumps(job) + "\n")
    proc.stdin.flush()
    if on_started is not None:
        on_started()
    done: dict[str, Any] | None = None
    last: dict[str, Any] = {}
    tail: deque[str] = deque(maxlen=40)
    interrupted = False
    display = make_progress(source_label, progress_enabled)
    pipes = ChildPipes(proc)

    def log_line(line: str) -> None:
        tail.append(line.rstrip("\n"))
        display.log(line)

    signals_sent = 0
    kept = False
    try:
        with display:
            while True:
                try:
                    while (item := pipes.next_line()) is not None:
                        is_err, line = item
                        if is_err:
                            log_line(line)
                            continue
                        if not line.startswith(MESSAGE_PREFIX):
                            display.log(line)
                            continue
                        message = json.loads(line[len(MESSAGE_PREFIX):])
                        if message.get("type") == "progress":
                            last = message
                            display.update(message)
                        elif message.get("type") == "done":
                            done = message
                            display.update(message.get("counts", {}))
                            if keep is not None and message.get("images") == "waiting":
                                break  # the process stays for the export's pictures
                    break
                except KeyboardInterrupt:
                    interrupted = True
                    signals_sent += 1
                    if proc.poll() is None:
                        if signals_sent <= 2:
                            proc.send_signal(signal.SIGINT)
                        else:
                            proc.kill()
            if keep is not None and done is not None and done.get("images") == "waiting" and not interrupted:
                for line in pipes.errors_now():  # what it logged up to its done message
                    log_line(line)
                keep.keep(proc, pipes, display.log)
                kept = True
                return ChildResult(done, last, 0, interrupted, list(tail), time.monotonic() - started)
    finally:
        if not kept:
            _end(proc, pipes, log_line, grace=SHUTDOWN_GRACE_S)
    return ChildResult(done, last, proc.returncode, interrupted, list(tail), time.monotonic() - started)


def choose_via(url: str, archive_path: Path, options: CrawlOptions) -> str:
    """"html", "feeds", or "auto" (the crawl process then asks the blog, see ``crawler.probe``).

    ``--via auto`` reads the Atom feeds where the blog serves them with full post content
    (exact timestamps with their offset, commenters' profile links, reply links) and walks
    the HTML pages where it does not. An archive keeps the way it was first filled, so a
    resumed crawl or a sync never mixes the two.
    """
    if options.via in ("html", "feeds"):
        return options.via
    if archive_path.exists():
        with Archive(archive_path) as archive:
            stored = archive.get_meta("source") or {}
        if stored.get("source") == url and stored.get("via") in ("html", "feeds"):
            return str(stored["via"])
    return "auto"  # the crawl process asks the blog first (``crawler.probe``), through Scrapy


def child_job(
    url: str, archive_path: Path, options: CrawlOptions, via: str, settings: dict[str, Any] | None, **extra: Any
) -> dict[str, Any]:
    """The job ``crawler.process`` runs: crawl ``url`` into ``archive_path`` the way ``via`` says."""
    job: dict[str, Any] = {
        "source": url,
        "archive": str(archive_path),
        "options": asdict(options),
        "via": via,
        "log_level": _log_level_name(),
        "settings": settings or {},
        **extra,
    }
    reactor = (settings or {}).get("TWISTED_REACTOR") or os.environ.get("BLOGPORT_REACTOR")
    if reactor:
        job["reactor"] = reactor
    return job


def _crawl_site(url: str, out_dir: Path, options: CrawlOptions, settings: dict[str, Any] | None,
                keep: KeptCrawlProcess | None = None, on_started: Callable[[], None] | None = None,
                early: EarlyCrawlProcess | None = None) -> CrawlSummary:
    out_dir.mkdir(parents=True, exist_ok=True)
    archive_path = out_dir / ARCHIVE_NAME
    via = choose_via(url, archive_path, options)
    extra = {"images_after": True} if keep is not None else {}
    result = run_child(child_job(url, archive_path, options, via, settings, **extra), url, options.progress, keep,
                       on_started, early)
    done = result.done
    if done is not None and done.get("via") in ("html", "feeds"):
        via = str(done["via"])  # what the probe of --via auto chose
    if done is None:
        if result.interrupted:
            return _summary_from(url, out_dir, via, result.last_progress, result, interrupted=True)
        tail = "\n".join(result.stderr_tail[-15:])
        raise RuntimeError(f"the crawl process stopped unexpectedly (exit code {result.returncode}):\n{tail}")
    return crawl_summary(url, out_dir, via, done, result)


def crawl_summary(url: str, out_dir: Path, via: str, done: dict[str, Any], result: ChildResult) -> CrawlSummary:
    """The summary of a live crawl from its "done" message (a feed sync's HTML fallback too),
    recorded in the archive with how it was filled. Raises as ``crawl`` does."""
    archive_path = out_dir / ARCHIVE_NAME
    if done.get("worker_failed"):
        tail = "\n".join(result.stderr_tail[-15:])
        raise RuntimeError(f"the extraction process of the crawl failed (exit code {done['worker_failed']}):\n{tail}")
    fatal = done.get("fatal")
    if fatal:
        message = fatal.get("message") or f"cannot crawl {url}"
        if fatal.get("kind") == "unreachable":
            raise UnreachableError(message)
        if fatal.get("kind") == "disk_full":
            raise DiskFullError(fatal.get("path") or archive_path)
        raise SourceError(message)
    if via == "feeds" and done.get("feeds_unavailable"):
        raise SourceError(f"{url} serves no usable Atom feeds ({done['feeds_unavailable']}); try --via html")
    interrupted = result.interrupted or done.get("finish_reason") == "shutdown"
    summary = _summary_from(url, out_dir, via, done.get("counts", {}), result, interrupted=interrupted)
    if archive_path.exists():
        with Archive(archive_path) as archive:
            archive.set_meta("source", {"source": url, "via": via, "at": utc_now()})
            archive.set_meta("last_crawl", summary.as_dict())
    return summary


def _summary_from(
    url: str, out_dir: Path, via: str, counts: dict[str, Any], result: ChildResult, *, interrupted: bool
) -> CrawlSummary:
    pages = int(counts.get("pages_fetched", 0))
    elapsed = result.elapsed_s
    return CrawlSummary(
        source=url,
        out_dir=str(out_dir),
        via=via,
        pages_fetched=pages,
        posts_found=int(counts.get("posts", 0)),
        comments_found=int(counts.get("comments", 0)),
        errors=int(counts.get("errors", 0)),
        not_modified=int(counts.get("not_modified", 0)),
        bytes_downloaded=int(counts.get("bytes", 0)),
        elapsed_s=round(elapsed, 3),
        pages_per_s=round(pages / elapsed, 1) if elapsed > 0 else 0.0,
        interrupted=interrupted,
        gone=int(counts.get("gone", 0)),
        reused=int(counts.get("reused", 0)),
        robots_refused=int(counts.get("robots", 0)),
        issues=int(counts.get("issues", 0)),
    )
