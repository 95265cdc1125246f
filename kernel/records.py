"""Raw records: what the crawl stage extracts from a source, before any normalisation.

Every source (live blog, saved mirror, Blogger export file, Atom feeds) yields these same
records, and they are stored in the archive (``DIR/blog.db``) beside the pages they came
from. Fields keep text *as found*: dates are the displayed strings or the machine-readable
attributes, author names may still carry "said..." or be glued to a date. The transform
stage owns every interpretation.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

_PLAIN = (str, int, float, bool, type(None))


def _field_dict(obj: Any, names: tuple[str, ...]) -> dict[str, Any] | None:
    """``dataclasses.asdict(obj)`` for a record whose named fields all hold plain values
    (str, int, float, bool, None; the same JSON, without asdict's deep copies); None when
    a field holds anything else."""
    values = obj.__dict__
    data = {name: values[name] for name in names}
    for value in data.values():
        if not isinstance(value, _PLAIN):
            return None
    return data


@dataclass(frozen=True)
class RawComment:
    """One comment as found on a post page, a comment page, a feed or an export."""

    post_url: str
    """Canonical URL of the post the comment belongs to."""
    comment_id: str | None
    """The source's own id (Blogger: the digits of ``c1234`` / ``comment-1234``); None if absent."""
    position: int
    """0-based order in which the comment appeared in its source (across comment pages)."""
    body_html: str
    """Inner HTML of the comment body, raw (cruft included)."""
    author_text: str | None = None
    """Text of the author element as found, e.g. "Joan Koerber-Walker" or "Leo said..."."""
    author_url: str | None = None
    """Profile or website link attached to the author name."""
    header_text: str | None = None
    """Whole visible header text, e.g. "Joan Koerber-WalkerAugust 15, 2009 at 9:50 AM"; used
    when the author and date are not in separate elements."""
    date_text: str | None = None
    """Displayed date/time string, e.g. "August 15, 2009 at 9:50 AM", "21:00", "8/15/2009 9:50 AM"."""
    datetime_attr: str | None = None
    """Machine-readable timestamp if the source has one (ISO 8601, Atom ``published``)."""
    timestamp_ms: int | None = None
    """Epoch milliseconds (UTC) from a ``?showComment=`` permalink."""
    permalink: str | None = None
    parent_id: str | None = None
    """Parent comment id from nesting (``div.comment-replies``) or ``link rel='related'``."""
    is_blog_author: bool = False
    """Markup says the blog's owner wrote it (``blog-author`` class, owner icon)."""
    page: int = 1
    """Comment page number (``?commentPage=N``), 1-based."""
    deleted: bool = False
    """Blogger shows "This comment has been removed by the author." for deleted comments."""

    def to_json(self) -> str:
        data = _field_dict(self, _COMMENT_FIELDS)
        if data is None:
            data = dataclasses.asdict(self)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "RawComment":
        return cls(**json.loads(text))


@dataclass(frozen=True)
class RawLabel:
    name: str
    url: str | None = None


@dataclass(frozen=True)
class RawPost:
    """One post (or static page) as found."""

    url: str
    """Canonical URL (see ``crawler.urls.canonicalize``)."""
    title: str
    """Title text as found; "" for untitled posts."""
    body_html: str
    """Inner HTML of the post body, raw (cruft included)."""
    post_id: str | None = None
    """Blogger post id (``div.post[itemprop=blogPost] meta[itemprop=postId]``, ``a[name]``,
    export ``tag:blogger.com,1999:blog-B.post-P``); None if the page does not say."""
    blog_id: str | None = None
    kind: str = "post"
    """"post" or "page"."""
    status: str = "published"
    """"published", "draft" or "scheduled" (exports mark drafts with ``app:control``)."""
    date_header: str | None = None
    """Text of the date header in effect for this post (``h2.date-header``), e.g.
    "Saturday, August 15, 2009"; shared by every post under it until the next header."""
    published_attr: str | None = None
    """Machine-readable publish time: ``abbr.published[title]``, ``time[datetime]``, Atom ``published``."""
    published_text: str | None = None
    """Displayed time/date next to the post, e.g. "9:50 AM", "7:00 AM"."""
    updated_attr: str | None = None
    author_name: str | None = None
    """Post author as found (may carry "Posted by"/"posted by" prefixes)."""
    author_url: str | None = None
    labels: tuple[RawLabel, ...] = ()
    comment_count_text: str | None = None
    """As displayed, e.g. "5 comments", "5 Kommentare"."""
    comment_count: int | None = None
    """Number parsed from the page's declared count, when the page declares one."""
    comments: tuple[RawComment, ...] = ()
    """Comments found on this page (further comment pages add theirs in ``raw_comments``)."""
    comment_pages: tuple[str, ...] = ()
    """URLs of further comment pages ("?commentPage=2", "Load more...")."""
    template: str = "unknown"
    """Markup family: "layout-threaded", "layout-flat", "classic", "modern", "feed", "export", "unknown"."""
    language: str | None = None
    """``html[lang]`` or the blog locale, as found."""
    source: str = "html"
    """"html", "mirror", "feed" or "export"."""
    comments_elsewhere: str | None = None
    """The service the post's comments live on when they are not Blogger's ("Disqus",
    "Facebook", "Google+", "HaloScan"...): none are in the page, and a count it shows is theirs."""
    disagreements: str | None = None
    """Where two sources on the page disagree (the comment markup and the comment script, the
    declared count and the comments found), one finding a line; None when they agree."""
    missing: str | None = None
    """What of the post the page does not hold, and why (a template that draws the body by
    script); None when the page holds the whole post."""

    def to_json(self) -> str:
        # comments are stored as their own rows
        data = _field_dict(self, _POST_PLAIN_FIELDS)
        labels = self.labels
        pages = self.comment_pages
        if (
            data is None
            or type(labels) is not tuple
            or type(pages) is not tuple
            or not all(type(label) is RawLabel and isinstance(label.name, _PLAIN) and isinstance(label.url, _PLAIN)
                       for label in labels)
            or not all(isinstance(page, _PLAIN) for page in pages)
        ):
            data = dataclasses.asdict(self)
            data.pop("comments")
        else:
            data["labels"] = [{"name": label.name, "url": label.url} for label in labels]
            data["comment_pages"] = pages
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, comments: tuple[RawComment, ...] = ()) -> "RawPost":
        data: dict[str, Any] = json.loads(text)
        data["labels"] = tuple(RawLabel(**lab) for lab in data.get("labels", ()))
        data["comment_pages"] = tuple(data.get("comment_pages", ()))
        data["comments"] = comments
        return cls(**data)


_COMMENT_FIELDS = tuple(f.name for f in dataclasses.fields(RawComment))
_POST_PLAIN_FIELDS = tuple(
    f.name for f in dataclasses.fields(RawPost) if f.name not in ("comments", "labels", "comment_pages")
)


@dataclass(frozen=True)
class ArchiveMonth:
    """One entry of the archive widget: "August 2009 (12)"."""

    month: str
    """"YYYY-MM"."""
    count: int | None
    url: str | None = None


@dataclass(frozen=True)
class BlogInfo:
    """Blog-level facts found on a page (home page, export settings, feed header)."""

    url: str
    title: str | None = None
    blog_id: str | None = None
    language: str | None = None
    """``html[lang]`` / export locale, e.g. "en", "de-DE"."""
    timezone: str | None = None
    """IANA name or "+HH:MM" offset, when the source says (exports do)."""
    generator: str | None = None
    archive_months: tuple[ArchiveMonth, ...] = field(default_factory=tuple)
    feeds: tuple[str, ...] = ()
    """Feed URLs announced by the page (``link[rel=alternate][type*=atom]``)."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "BlogInfo":
        data = json.loads(text)
        data["archive_months"] = tuple(ArchiveMonth(**m) for m in data.get("archive_months", ()))
        data["feeds"] = tuple(data.get("feeds", ()))
        return cls(**data)
