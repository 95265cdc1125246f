"""``blogport sync DIR``: bring a migration up to date with the live blog, asking for little.

The first ``migrate`` saved its configuration in ``DIR/blog.db`` (meta key ``config``); sync
repeats that migration incrementally:

1. **Is anything new?** Where the blog serves Blogger feeds, two small conditional requests
   (``/feeds/posts/default`` and ``/feeds/comments/default`` with ``max-results=1``, sent with
   the ETag / Last-Modified of the previous sync) answer ``304 Not Modified`` when nothing was
   published, edited, deleted or commented: an unchanged blog costs two empty responses.
2. **What changed?** Otherwise the feeds are read with ``updated-min=<start of the last
   successful run>`` for new and edited posts and new comments, and only those posts' pages
   (and their comment pages) are fetched, conditionally. ``openSearch:totalResults`` of the
   posts feed dropping below the number of known posts has every other stored post checked
   with ``HEAD``, which finds the ones now answering ``404``/``410``. Every request of steps
   1 and 2 is made by Scrapy in the crawl's child process (``crawler.feed_sync``).
3. Where the blog serves no feeds, sync runs the crawl in incremental mode
   (``crawler.incremental``: the listings first, then the posts they say changed), in the
   same crawl process as step 1; a mirror, an export file or a web archive is read again.
4. When the archive changed, the exports are brought up to date (transform, export,
   validate). The pictures the export needs are fetched by the crawl process of steps 1 to 3,
   kept for them once its crawl has ended (``crawler.run.KeptCrawlProcess``), as ``migrate``
   does: no other Python and Scrapy start for them; it is ended with the export, or once the
   sync knows the exports need nothing, however the sync ends. Every version of every post is
   a row of ``post_versions``: a post whose title or body changed gets its next version
   there, the older ones stay. Posts gone from the blog get ``posts.deleted_at`` (the time
   sync noticed), and are never removed. When nothing changed the exports are left alone,
   byte for byte.

The steps live beside this module: ``blogport.sync_feeds`` (the feeds' side),
``blogport.sync_history`` (SyncState, deletions, post versions), ``blogport.sync_result``
(the summary).

Every run holds the folder's lock (``blogport.lock``) and is recorded in the ``runs`` table.
A migration whose crawl was interrupted (no exports written yet) is resumed first.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import asdict, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from blogport.config import MigrationConfig, load_config
from blogport.lock import hold_lock
from blogport.runs import finish_run, start_run
from blogport.sync_feeds import sync_feeds
from blogport.sync_history import (
    GONE_STATUSES,
    _comment_state,
    _export_key,
    _note_deletions,
    _table_exists,
    apply_deletions,
    record_versions,
    records_fingerprint,
    sync_state,
    update_state,
)
from blogport.sync_result import ItemCounts, SyncResult
from crawler.run import KeptCrawlProcess, LiveBlog, source_of
from crawler.sources import Source
from kernel.archive import ARCHIVE_NAME, Archive, utc_now
from kernel.errors import ArchiveError

log = logging.getLogger(__name__)

__all__ = ["sync", "SyncResult", "ItemCounts", "CURSOR_MARGIN", "GONE_STATUSES", "apply_deletions",
           "record_versions", "records_fingerprint"]

#: Safety margin subtracted from the cursor (clock skew between the blog and this machine).
CURSOR_MARGIN = timedelta(minutes=10)


# -- entry point -------------------------------------------------------------------------
def sync(out_dir: Path) -> SyncResult:
    """Bring ``out_dir`` up to date with its blog. See the module docstring.

    Raises ``ArchiveError`` when ``out_dir`` was not made by ``blogport migrate``,
    ``LockedError`` when another run holds the folder, ``UnreachableError`` when the blog
    cannot be reached at all.
    """
    out_dir = Path(out_dir)
    started_clock = time.monotonic()
    not_migrated = ArchiveError(f"{out_dir} was not made by blogport migrate; run migrate first")
    if not (out_dir / ARCHIVE_NAME).is_file():
        raise not_migrated
    with hold_lock(out_dir):
        try:
            archive = Archive.in_dir(out_dir)
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"{out_dir / ARCHIVE_NAME} is not a blogport archive ({exc})") from None
        with archive:
            config = load_config(archive)
            if config is None:
                raise not_migrated
            result = SyncResult(out_dir=out_dir, source=config.source)
            started = utc_now()
            result.run_id = start_run(archive, "sync", config.source, started=started)
            try:
                _run(archive, config, result, started)
            except BaseException as exc:
                details = {"error": f"{type(exc).__name__}: {exc}"}
                try:
                    finish_run(archive, result.run_id, exit_status=2, failed=result.failed, details=details)
                except sqlite3.Error:  # pragma: no cover - the archive itself is the problem
                    log.exception("could not record the failed run")
                raise
            result.elapsed_s = time.monotonic() - started_clock
            finish_run(
                archive,
                result.run_id,
                exit_status=result.exit_code,
                new=result.new,
                changed=result.changed,
                unchanged=result.unchanged,
                deleted=result.deleted,
                failed=result.failed,
                details={
                    "mode": result.mode,
                    "since": result.since,
                    "posts": asdict(result.posts),
                    "comments": asdict(result.comments),
                    "requests": result.requests,
                    "not_modified": result.not_modified,
                    "page_bytes": result.page_bytes,
                    "feed_bytes": result.feed_bytes,
                    "exports_updated": result.exports_updated,
                    "deleted_urls": list(result.deleted_urls),
                    "failures": result.failures[:100],
                },
            )
    return result


def _run(archive: Archive, config: MigrationConfig, result: SyncResult, started: str) -> None:
    source = source_of(config.source, config.crawl)
    # the pictures the export may fetch: by the crawl's own process, kept for them (an idle
    # process costs nothing; whether the export fetches pictures is asked once it runs, when
    # the later stages are imported), ended with the export, or here, however the sync ends
    kept = KeptCrawlProcess() if isinstance(source, LiveBlog) else None
    try:
        _sync(archive, config, result, started, source, kept)
    finally:
        if kept is not None:
            kept.close()


def _sync(archive: Archive, config: MigrationConfig, result: SyncResult, started: str, source: Source,
          kept: KeptCrawlProcess | None) -> None:
    out_dir = result.out_dir
    result.since = _cursor(archive)
    before = records_fingerprint(archive)
    finished_migration = _exports_written(archive)
    deleted_before = dict(sync_state(archive).deleted)
    if finished_migration:
        record_versions(archive, started)  # the posts as the exports show them, before anything changes
    if finished_migration and sync_state(archive).exported is None:
        # the migration's own exports were written from the archive as it is now; saved
        # before anything is fetched, so a sync killed later still knows the exports are behind
        update_state(archive, exported=_export_key(before, deleted_before))

    if not finished_migration:
        result.mode = "resume"
        _crawl(source, config, out_dir, result, refresh=False, keep=kept)
    elif not source.live:
        result.mode = "source"
        _crawl(source, config, out_dir, result, refresh=True)
    else:
        # The feeds are the cheap way to learn what changed, whichever way the archive was
        # filled (an HTML archive then fetches just the changed pages); where the blog serves
        # none, the incremental HTML crawl takes over, in the same crawl process. A trial
        # run stays one: its own refresh (crawler.trial).
        mode = None if config.crawl.limit else sync_feeds(archive, config, source.location, result, kept)
        result.mode = mode or "html"
        if mode is None:
            _crawl(source, config, out_dir, result, refresh=True, keep=kept)

    noticed = _note_deletions(archive, deleted_before, started)
    result.deleted_urls = tuple(sorted(noticed))
    after = records_fingerprint(archive)
    key_after = _export_key(after, dict(sync_state(archive).deleted))
    exported = sync_state(archive).exported
    if finished_migration and exported == key_after:
        result.exports_updated = False
        result.posts, result.comments = _counts_unchanged(archive)
    else:
        _update_exports(archive, config, result, started, kept)
        update_state(archive, exported=key_after)
    result.exit_code = max(
        [1 if result.failed else 0] + [getattr(s, "exit_code", 0) for s in result.stages.values()]
    )


def _exports_written(archive: Archive) -> bool:
    """Whether the migration got as far as writing its exports (else its crawl is resumed)."""
    try:
        row = archive.conn.execute("SELECT 1 FROM export_ledger LIMIT 1").fetchone()
    except sqlite3.OperationalError:
        return False
    return row is not None


def _cursor(archive: Archive) -> str | None:
    """Start of the last successful sync (less a safety margin), else of the first crawl.

    A sync that finished an interrupted migration does not count: the pages stored before
    the interruption were not fetched again, so changes made to them since are still due.
    """
    stamp = sync_state(archive).last
    if stamp is None:
        row = archive.conn.execute("SELECT min(fetched_at) FROM pages").fetchone()
        stamp = row[0] if row else None
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (when - CURSOR_MARGIN).astimezone(timezone.utc).replace(microsecond=0).isoformat()


# -- steps ---------------------------------------------------------------------------------
def _crawl(source: Source, config: MigrationConfig, out_dir: Path, result: SyncResult, *, refresh: bool,
           keep: KeptCrawlProcess | None = None) -> None:
    """The source's full crawl (an unfinished migration is resumed) or its refresh (only
    what changed since); a live blog's crawl process is kept in ``keep``, when given, for
    the export's pictures."""
    options = replace(config.crawl, progress=False)
    if isinstance(source, LiveBlog) and keep is not None:
        crawled = (source.refresh(out_dir, options, keep=keep) if refresh
                   else source.crawl(out_dir, options, keep=keep))
    else:
        crawled = source.refresh(out_dir, options) if refresh else source.crawl(out_dir, options)
    result.add_crawl(crawled)


def _counts_unchanged(archive: Archive) -> tuple[ItemCounts, ItemCounts]:
    conn = archive.conn
    posts = comments = 0
    if _table_exists(conn, "posts"):
        (posts,) = conn.execute("SELECT count(*) FROM posts WHERE deleted_at IS NULL").fetchone()
    if _table_exists(conn, "comments"):
        (comments,) = conn.execute(
            "SELECT count(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE p.deleted_at IS NULL"
        ).fetchone()
    return ItemCounts(unchanged=posts), ItemCounts(unchanged=comments)



def _update_exports(archive: Archive, config: MigrationConfig, result: SyncResult, started: str,
                    kept: KeptCrawlProcess | None = None) -> None:
    from loaders.images import download_through, downloads_images
    from loaders.run import export
    from transform.run import transform

    if kept is not None and not downloads_images(config.export):
        kept.close()  # no picture to fetch

    out_dir = result.out_dir
    comments_before = _comment_state(archive.conn)
    live_before: set[str] = set()
    ids_before: set[str] = set()
    if _table_exists(archive.conn, "posts"):
        for pid, deleted_at in archive.conn.execute("SELECT id, deleted_at FROM posts"):
            ids_before.add(pid)
            if deleted_at is None:
                live_before.add(pid)
    result.stages["transform"] = transform(out_dir, config.transform)
    changed_ids = record_versions(archive, started)
    new_ids = {pid for (pid,) in archive.conn.execute("SELECT id FROM posts")} - ids_before
    deleted = dict(sync_state(archive).deleted)
    with archive.transaction() as conn:
        apply_deletions(conn, deleted)
    live_after = {pid for (pid,) in archive.conn.execute("SELECT id FROM posts WHERE deleted_at IS NULL")}
    gone_now = live_before - live_after
    comments_after = _comment_state(archive.conn)
    new_comments = set(comments_after) - set(comments_before)
    changed_comments = {c for c in comments_after if c in comments_before and comments_after[c] != comments_before[c]}
    result.posts = ItemCounts(
        new=len(new_ids),
        changed=len(changed_ids - gone_now),
        deleted=len(gone_now),
        unchanged=len((live_after & ids_before) - changed_ids),
    )
    result.comments = ItemCounts(
        new=len(new_comments),
        changed=len(changed_comments),
        unchanged=len(set(comments_after) - new_comments - changed_comments),
    )
    try:
        with download_through(kept):  # its pictures, by the crawl process when one was kept
            result.stages["export"] = export(out_dir, config.export)
    finally:
        if kept is not None:
            kept.close()  # the export is done, however it ended
    from blogport.validate import ValidateOptions, validate

    result.stages["validate"] = validate(out_dir, ValidateOptions())
    result.exports_updated = True

