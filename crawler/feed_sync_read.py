"""Reading what a blog's Atom feeds say, for ``sync``: the two probes and the feed pages.

Pure functions of a response's status, headers and body (no requests, no archive):

* ``read_probe`` judges the answer to a probe (``max-results=1`` of the posts or comments
  feed, sent with the validators of the previous sync): unchanged (``304``, or the same
  bytes), changed, not usable as a feed (the caller falls back to the HTML pages), or failed
  for a passing reason (``429``/``5xx`` after the retries, a feed cut short: recorded, the
  HTML pages are asked instead, and the next sync asks the feed again);
* ``read_entries`` turns one page of a feed read with ``updated-min`` into the posts or
  comments it names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crawler.feed_spider import unavailable_reason
from crawler.feeds import (
    FeedContext,
    entry_kind,
    entry_to_comment,
    entry_to_post,
    next_start_index,
    parse_feed,
)
from kernel.errors import BlogportError
from kernel.records import RawComment, RawPost

#: Statuses that say "not now" rather than "no feed": the run fails and the next one asks again.
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 522, 524})
#: What a probe found: nothing new, something new, no usable feed, a passing failure.
UNCHANGED, CHANGED, UNUSABLE, FAILED = "unchanged", "changed", "unusable", "failed"


@dataclass(frozen=True)
class ProbeAnswer:
    verdict: str
    """``UNCHANGED``, ``CHANGED``, ``UNUSABLE`` or ``FAILED``."""
    total: int | None = None
    """``openSearch:totalResults``: how many entries the feed has (now, or as last seen)."""
    reason: str | None = None
    """Why the feed is not usable, or why the probe failed."""
    validators: Mapping[str, Any] = field(default_factory=dict)
    """What to remember once everything the probe announced is stored (empty after a 304)."""

    @property
    def usable(self) -> bool:
        return self.verdict in (UNCHANGED, CHANGED)


def read_probe(
    known: Mapping[str, Any],
    status: int,
    body: bytes,
    *,
    content_type: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    name: str = "the feed",
) -> ProbeAnswer:
    """Judge one probe's answer; ``known`` holds the validators the previous sync remembered
    (``etag``, ``last_modified``, ``sha256``, ``total``)."""
    if status == 304 and known:
        return ProbeAnswer(UNCHANGED, known.get("total"))
    if status in TRANSIENT_STATUSES:
        return ProbeAnswer(FAILED, reason=f"HTTP {status}")
    reason = unavailable_reason(status, content_type, body)
    if reason:
        return ProbeAnswer(UNUSABLE, reason=reason)
    try:
        page = parse_feed(body, name)
    except BlogportError as exc:  # an Atom feed cut short or garbled on the way
        return ProbeAnswer(FAILED, reason=str(exc))
    digest = hashlib.sha256(body).hexdigest()
    total = page.header.total_results
    validators = {"etag": etag, "last_modified": last_modified, "total": total, "sha256": digest}
    verdict = UNCHANGED if known and known.get("sha256") == digest else CHANGED
    return ProbeAnswer(verdict, total, validators=validators)


@dataclass(frozen=True)
class FeedEntries:
    """What one feed page names."""

    posts: tuple[RawPost, ...] = ()
    """Published posts and static pages."""
    comments: tuple[RawComment, ...] = ()
    errors: tuple[str, ...] = ()
    """Entries that could not be read, and why."""
    next_start: int | None = None
    """``start-index`` of the following page, None after the last one."""


def read_entries(kind: str, body: bytes, url: str, ctx: FeedContext, start: int) -> FeedEntries:
    """The posts (``kind`` "posts") or comments (``kind`` "comments") of one feed page.
    Raises ``BlogportError`` for a page that is not a whole Atom feed (cut short, not XML)."""
    page = parse_feed(body, url)
    posts: list[RawPost] = []
    comments: list[RawComment] = []
    errors: list[str] = []
    for entry in page.entries:
        try:
            if kind == "posts":
                entry_as = entry_kind(entry, "post")
                if entry_as in ("post", "page"):
                    post = entry_to_post(entry, ctx, entry_as)
                    if post.status == "published":
                        posts.append(post)
            elif entry_kind(entry, "comment") == "comment":
                comments.append(entry_to_comment(entry, ctx))
        except ValueError as exc:
            errors.append(str(exc))
    return FeedEntries(tuple(posts), tuple(comments), tuple(errors), next_start_index(page, start))
