"""What a feed sync writes when it closes, after the pipeline has stored every page.

``write_close`` is one transaction: the records of the feed entries (for an archive filled
from the feeds: the entries are the records), the posts noticed gone that have no page of
their own (``SyncState.deleted``), and the probes' validators (only when nothing failed, so a
run with failures is asked again next time). Written after the pages, never before: a run
killed in between asks the blog again.

``issues_since`` reads the failures the pipeline recorded during the run (pages cut short,
pages that could not be read), for the summary.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from crawler.feeds import assign_positions
from kernel.archive import Archive, comment_key
from kernel.records import RawComment, RawPost
from kernel.state import load_sync_state, save_sync_state

log = logging.getLogger(__name__)

#: Kinds of the failures the archive pipeline records itself.
PIPELINE_FAILURES = ("parse", "incomplete")


def records_page(base: str, kind: str) -> str:
    """The ``page_url`` of records read from a feed during sync: the feed's own address, which
    is never stored as a page (fetched feed pages carry a query), so storing a feed page again
    never takes records away."""
    return f"{base.rstrip('/')}/feeds/{kind}/default"


def number_comments(comments: Iterable[RawComment], stored: Mapping[str, int], last: Mapping[str, int]) -> list[RawComment]:
    """Positions for comments read from the comments feed: a comment the archive holds keeps its
    position (``stored``: comment key -> position); new ones follow the post's last stored
    position (``last``: post URL -> highest position), by time."""
    comments = list(comments)
    kept = [replace(c, position=stored[comment_key(c)]) for c in comments if comment_key(c) in stored]
    fresh = [c for c in comments if comment_key(c) not in stored]
    numbered = [replace(c, position=last.get(c.post_url, -1) + 1 + c.position) for c in assign_positions(fresh)]
    return kept + numbered


def write_close(
    archive_path: Path,
    *,
    base: str,
    posts: list[RawPost],
    comments: list[RawComment],
    gone: Mapping[str, str],
    validators: Mapping[str, Mapping[str, Any]],
) -> None:
    """See the module docstring."""
    if not (posts or comments or gone or validators):
        return
    with Archive(archive_path) as archive, archive.transaction() as conn:
        if posts:
            archive.store_records(records_page(base, "posts"), posts=posts)
        if comments:
            stored: dict[str, int] = {}
            last: dict[str, int] = {}
            for key, post_url, position in conn.execute("SELECT key, post_url, position FROM raw_comments"):
                stored[key] = position
                last[post_url] = max(last.get(post_url, -1), position)
            archive.store_records(records_page(base, "comments"), comments=number_comments(comments, stored, last))
        state = load_sync_state(conn)
        deleted = {**gone, **state.deleted}
        probes = {**state.validators, **{url: dict(v) for url, v in validators.items()}}
        if deleted != dict(state.deleted) or probes != {k: dict(v) for k, v in state.validators.items()}:
            save_sync_state(conn, replace(state, deleted=deleted, validators=probes))


def issues_since(archive_path: Path, after_id: int) -> list[str]:
    """"URL: reason" of the pipeline's failures recorded after issue ``after_id``."""
    with Archive(archive_path) as archive:
        marks = ",".join("?" for _ in PIPELINE_FAILURES)
        rows = archive.conn.execute(
            f"SELECT url, reason FROM crawl_issues WHERE id > ? AND kind IN ({marks}) ORDER BY id",
            (after_id, *PIPELINE_FAILURES),
        ).fetchall()
    return [f"{url}: {reason}" for url, reason in rows]
