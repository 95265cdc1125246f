"""Normalised, frozen models: what the transform stage produces and every loader reads.

Timestamps are ISO 8601 strings: ``published`` in UTC (``2009-08-15T16:50:00+00:00``),
``published_local`` with the blog's original offset (``2009-08-15T09:50:00-07:00``).
A date that could not be parsed leaves both None, keeps the text in ``date_raw`` and
sets ``date_flag`` to "unparsed": it never becomes "now" or epoch zero.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Author:
    id: str
    """Stable identity: ``blogger:<profile id>`` for a Blogger profile, ``url:<host/path>`` for a
    website, ``name:<folded name>`` otherwise; anonymous commenters get one id per comment."""
    name: str
    url: str | None = None
    """Profile or website URL."""
    is_owner: bool = False


@dataclass(frozen=True)
class Tag:
    id: str
    """Slug of the label, unique per blog."""
    name: str
    url: str | None = None
    """The old label page URL."""


@dataclass(frozen=True)
class Post:
    id: str
    """Blogger post id, or ``u`` + a hash of the URL when the source has none."""
    url: str
    title: str
    slug: str
    """From the old URL (``client-service-or-client.html`` -> ``client-service-or-client``)."""
    body_html: str
    """Cleaned and sanitised HTML."""
    body_text: str
    """Plain text of ``body_html`` (for search and validation)."""
    published: str | None
    published_local: str | None
    updated: str | None = None
    author_id: str | None = None
    kind: str = "post"
    """"post" or "page"."""
    status: str = "published"
    """"published", "draft" or "scheduled"."""
    date_raw: str | None = None
    date_flag: str | None = None
    """None when the date is sure; "unparsed" when it could not be read; "date-only" when only
    the day was known."""
    comment_count_declared: int | None = None
    language: str | None = None
    source: str = "html"
    tags: tuple[str, ...] = ()
    """Tag ids."""


@dataclass(frozen=True)
class Comment:
    id: str
    """The source's comment id, or ``<post id>-<position>`` when the source has none."""
    post_id: str
    body_html: str
    body_text: str
    published: str | None
    published_local: str | None
    author_id: str | None = None
    parent_id: str | None = None
    """Resolved parent comment id; None for a top-level comment or an orphan."""
    parent_ref: str | None = None
    """The parent id the source named, kept even when it does not resolve (orphans)."""
    depth: int = 0
    thread_order: int = 0
    """Position in reading order within the post: parents before children, siblings by time."""
    url: str | None = None
    date_raw: str | None = None
    date_flag: str | None = None
    """As for posts, plus "day-from-post": only a time was shown ("21:00") and no permalink
    timestamp, so the day is the post's."""
    orphan: bool = False
    """The source named a parent that is not among the post's comments: kept, flagged."""
    deleted: bool = False
    cycle: bool = False
    """The source's parent links formed a cycle, broken here: this comment was made top-level."""


@dataclass(frozen=True)
class CruftHit:
    """One stripping rule that fired on one item: the validation report counts these."""

    item_type: str
    """"post" or "comment"."""
    item_id: str
    rule: str
    count: int
