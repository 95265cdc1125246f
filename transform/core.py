"""The pure core of the transform stage: one raw post (with its comments) in, models out.

:func:`build_context` looks at the whole blog once (its language, its time zone, the order
of its numeric dates); :func:`transform_post` then needs nothing but a :class:`RawPost` and
that context, does no I/O, and can be tested on records built by hand.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, tzinfo
from urllib.parse import unquote, urlsplit

from slugify import slugify

from crawler.extract_markup import COMMENT_ID_PREFIX
from kernel.records import BlogInfo, RawComment, RawPost
from transform.authors import (
    clean_name,
    fold_name,
    make_author,
    merge_authors,
    profile_id,
    split_glued,
)
from transform.clean import clean_body, fix_mojibake
from transform.cruft import RULES, CruftRule
from transform.dates import (
    UTC,
    DateReader,
    DateResult,
    DisplayDate,
    TimezoneError,
    ZoneChoice,
    base_language,
    check_language,
    clock_offset_observation,
    from_aware,
    infer_timezone,
    iso_offset_observation,
    learn_numeric_order,
    localize,
    parse_iso,
    parse_timezone,
    unparsed,
)
from transform.models import Author, Comment, CruftHit, Post, Tag
from transform.options import TransformOptions
from transform.threads import ThreadInput, build_threads

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BlogContext:
    """What transform_post needs to know about the whole blog."""

    language: str | None = None
    tz: tzinfo = UTC
    tz_name: str = "UTC"
    tz_source: str = "assumed"
    """"option", "source" (the export/blog info said), "timestamps" (inferred), "assumed"."""
    dates: DateReader = field(default_factory=DateReader, compare=False)
    rules: tuple[CruftRule, ...] = RULES

    @classmethod
    def simple(cls, language: str | None = "en", timezone: str = "UTC", numeric_order: str | None = None) -> "BlogContext":
        """A context from explicit settings (tests, records built by hand)."""
        lang = base_language(language)
        return cls(
            language=lang,
            tz=parse_timezone(timezone),
            tz_name=timezone,
            tz_source="option",
            dates=DateReader(lang, numeric_order or learn_numeric_order((), language)),
        )


@dataclass(frozen=True)
class TransformedPost:
    post: Post
    comments: tuple[Comment, ...]
    """In thread order: parents before children."""
    authors: tuple[Author, ...]
    tags: tuple[Tag, ...]
    cruft_hits: tuple[CruftHit, ...]


# --------------------------------------------------------------------------------------
# The blog as a whole


def _display_strings(posts: Sequence[RawPost]) -> Iterable[str]:
    for p in posts:
        for s in (p.date_header, p.published_text):
            if s:
                yield s
        for c in p.comments:
            for s in (c.date_text, c.header_text):
                if s:
                    yield s


_ENOUGH_ISO_OBSERVATIONS = 20
_CLOCK_SAMPLE = 400


def build_context(posts: Sequence[RawPost], info: BlogInfo | None, options: TransformOptions) -> BlogContext:
    """Language, time zone and numeric date order for a blog, from options and its records."""
    language = check_language(options.language) if options.language else None
    if language is None and info is not None and info.language:
        language = base_language(info.language)
    if language is None:
        seen = Counter(base_language(p.language) for p in posts if p.language)
        language = seen.most_common(1)[0][0] if seen else None
    order = learn_numeric_order(_display_strings(posts), language)
    reader = DateReader(language, order)

    choice: ZoneChoice | None = None
    if options.timezone:
        choice = ZoneChoice(parse_timezone(options.timezone), options.timezone, "option")
    elif info is not None and info.timezone:
        try:
            choice = ZoneChoice(parse_timezone(info.timezone), info.timezone, "source")
        except TimezoneError:  # a source's odd zone name is not the user's mistake
            log.warning("ignoring the source's unknown time zone %r", info.timezone)
    if choice is None:
        observations = []
        clock_candidates: list[RawComment] = []
        for p in posts:
            for attr in (p.published_attr, p.updated_attr):
                obs = iso_offset_observation(attr)
                if obs:
                    observations.append(obs)
            for c in p.comments:
                obs = iso_offset_observation(c.datetime_attr)
                if obs:
                    observations.append(obs)
                elif c.timestamp_ms is not None:
                    clock_candidates.append(c)
        if len(observations) < _ENOUGH_ISO_OBSERVATIONS and clock_candidates:
            # the blog shows few ISO timestamps: compare permalinks' UTC instants with the
            # times displayed beside them (a sample spread over the blog is enough)
            step = max(1, len(clock_candidates) // _CLOCK_SAMPLE)
            for c in clock_candidates[::step]:
                text = c.date_text or (c.header_text and _split_header(c.header_text, reader)[1])
                display = reader.read(text) if text else None
                if display is not None and c.timestamp_ms is not None:
                    obs = clock_offset_observation(c.timestamp_ms, display)
                    if obs:
                        observations.append(obs)
        choice = infer_timezone(observations)
    if choice is None:
        choice = ZoneChoice(UTC, "UTC", "assumed")
        if any(p.published_attr is None for p in posts):
            log.warning("no time zone known for this blog: displayed times are read as UTC (use --timezone)")
    return BlogContext(language=language, tz=choice.tz, tz_name=choice.name, tz_source=choice.source, dates=reader)


# --------------------------------------------------------------------------------------
# Ids, slugs, tags


_ID_RE = re.compile(rf"^(?:{COMMENT_ID_PREFIX}|.*\.post-)?(\d+)$")


def normalise_source_id(value: str | None) -> str | None:
    """"c1234", "comment-1234", "tag:blogger.com,1999:blog-1.post-1234" -> "1234"."""
    if value is None:
        return None
    v = str(value).strip()
    if not v:
        return None
    m = _ID_RE.match(v)
    return m.group(1) if m else v


def short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def post_id_for(raw: RawPost) -> str:
    return normalise_source_id(raw.post_id) or "u" + short_hash(raw.url)


def slug_from_url(url: str, fallback: str = "") -> str:
    """"/2009/08/client-service-or-client.html" -> "client-service-or-client"."""
    path = unquote(urlsplit(url).path) if "://" in url or url.startswith("/") else ""
    segment = path.rstrip("/").rsplit("/", 1)[-1] if path else ""
    segment = re.sub(r"\.(?:html?|php|aspx?)$", "", segment, flags=re.IGNORECASE)
    if segment and not re.fullmatch(r"\d{4}|\d{2}|index", segment):
        return segment
    return slugify(fallback) or ""


@lru_cache(maxsize=4096)
def tag_id(name: str) -> str:
    return slugify(name) or "t" + short_hash(name)


# --------------------------------------------------------------------------------------
# Dates of posts and comments


_TIME_IN_TEXT = re.compile(r"\d{1,2}(?::|h)\d{2}(?::\d{2})?(?:\s*[ap]\.?\s?m\.?)?", re.IGNORECASE)


def _read_loose(reader: DateReader, text: str | None) -> DisplayDate | None:
    """Read a displayed string; if it has other words around a time ("posted by X @ 7:00 AM"),
    read the time alone."""
    if not text or not text.strip():
        return None
    found = reader.read(text)
    if found is not None:
        return found
    m = _TIME_IN_TEXT.search(text)
    if m:
        clock_only = reader.read(m.group(0))
        if clock_only is not None and clock_only.day is None:
            return clock_only
    return None


def _aware(dt: datetime, tz: tzinfo) -> datetime:
    return dt if dt.tzinfo is not None else localize(dt, tz)


def post_date(raw: RawPost, ctx: BlogContext) -> DateResult:
    """Machine-readable ``published_attr`` first, then the date header and the displayed time."""
    if raw.published_attr:
        dt = parse_iso(raw.published_attr)
        if dt is not None:
            return from_aware(_aware(dt, ctx.tz), raw.published_attr)
    texts = [t.strip() for t in (raw.date_header, raw.published_text) if t and t.strip()]
    raw_text = " | ".join(texts) or raw.published_attr
    header = _read_loose(ctx.dates, raw.date_header)
    shown = _read_loose(ctx.dates, raw.published_text)
    if shown is not None and shown.day is not None:
        day, clock = shown.day, shown.clock or (header.clock if header else None)
    elif header is not None and header.day is not None:
        day, clock = header.day, (shown.clock if shown else None) or header.clock
    else:
        return unparsed(raw_text)
    h, m, s = clock or (0, 0, 0)
    naive = datetime(day.year, day.month, day.day, h, m, s)
    return from_aware(localize(naive, ctx.tz), raw_text, None if clock else "date-only")


def _split_header(header: str, reader: DateReader) -> tuple[str, str | None]:
    return split_glued(header, lambda s: reader.read(s) is not None)


def comment_date(rc: RawComment, date_text: str | None, ctx: BlogContext, post: DateResult) -> DateResult:
    """``datetime_attr``, then the permalink's epoch ms, then the displayed string."""
    if rc.datetime_attr:
        dt = parse_iso(rc.datetime_attr)
        if dt is not None:
            return from_aware(_aware(dt, ctx.tz), rc.datetime_attr)
    if rc.timestamp_ms is not None and rc.timestamp_ms > 0:
        utc = datetime.fromtimestamp(rc.timestamp_ms / 1000, UTC)
        return from_aware(utc, date_text or str(rc.timestamp_ms), local_tz=ctx.tz)
    display = _read_loose(ctx.dates, date_text)
    if display is None:
        return unparsed(date_text)
    h, m, s = display.clock or (0, 0, 0)
    if display.day is not None:
        naive = datetime(display.day.year, display.day.month, display.day.day, h, m, s)
        return from_aware(localize(naive, ctx.tz), date_text, None if display.clock else "date-only")
    if post.local is not None:
        d = post.local.date()
        naive = datetime(d.year, d.month, d.day, h, m, s)
        return from_aware(localize(naive, ctx.tz), date_text, "day-from-post")
    return unparsed(date_text)


# --------------------------------------------------------------------------------------
# The post


def _clean_title(title: str) -> str:
    return " ".join(fix_mojibake(title or "").split())


def transform_post(raw: RawPost, ctx: BlogContext) -> TransformedPost:
    """Normalise one raw post and its comments. Pure: no I/O, same input, same output."""
    post_id = post_id_for(raw)
    hits: list[CruftHit] = []
    authors: list[Author] = []

    owner = make_author(raw.author_name, raw.author_url, anonymous_key=f"post-{post_id}", is_owner=True)
    if owner is not None:
        authors.append(owner)

    pdate = post_date(raw, ctx)
    updated = None
    if raw.updated_attr:
        udt = parse_iso(raw.updated_attr)
        if udt is not None:
            updated = _aware(udt, ctx.tz).astimezone(UTC).isoformat()

    body_html, body_text, fired = clean_body(raw.body_html, raw.url, "post", ctx.rules)
    hits.extend(CruftHit("post", post_id, rule, n) for rule, n in sorted(fired.items()))

    tags: dict[str, Tag] = {}
    for label in raw.labels:
        name = " ".join((label.name or "").split())
        if name:
            tid = tag_id(name)
            tags.setdefault(tid, Tag(id=tid, name=name, url=label.url))

    title = _clean_title(raw.title)
    post = Post(
        id=post_id,
        url=raw.url,
        title=title,
        slug=slug_from_url(raw.url, title or post_id) or post_id,
        body_html=body_html,
        body_text=body_text,
        published=pdate.published,
        published_local=pdate.published_local,
        updated=updated,
        author_id=owner.id if owner else None,
        kind=raw.kind,
        status=raw.status,
        date_raw=pdate.date_raw,
        date_flag=pdate.date_flag,
        comment_count_declared=raw.comment_count,
        language=base_language(raw.language) or ctx.language,
        source=raw.source,
        tags=tuple(tags),
    )

    # comments: dates, authors and bodies first, then their places in the threads
    prepared: dict[str, dict] = {}
    inputs: list[ThreadInput] = []
    for rc in raw.comments:
        cid = normalise_source_id(rc.comment_id) or f"{post_id}-{rc.position}"
        if cid in prepared:
            log.debug("duplicate comment %s on %s ignored", cid, raw.url)
            continue
        name_text, date_text = rc.author_text, rc.date_text
        if rc.header_text and (not name_text or not date_text):
            split_name, split_date = _split_header(rc.header_text, ctx.dates)
            name_text = name_text or split_name
            date_text = date_text or split_date
        cdate = comment_date(rc, date_text, ctx, pdate)
        author = None
        if name_text or rc.author_url:
            author = make_author(name_text, rc.author_url, anonymous_key=cid, is_owner=rc.is_blog_author)
        if author is not None and owner is not None and rc.is_blog_author and not profile_id(rc.author_url):
            # the owner answering without a profile link: same person as the post's author
            if fold_name(author.name) == fold_name(owner.name) or not clean_name(name_text):
                author = Author(id=owner.id, name=owner.name, url=owner.url, is_owner=True)
        if author is not None:
            authors.append(author)
        if rc.deleted:
            # Blogger's "This comment has been removed..." is its own notice, not the writing
            c_html, c_text, c_fired = "", "", Counter()
        else:
            c_html, c_text, c_fired = clean_body(rc.body_html, raw.url, "comment", ctx.rules)
        hits.extend(CruftHit("comment", cid, rule, n) for rule, n in sorted(c_fired.items()))
        prepared[cid] = dict(rc=rc, date=cdate, author=author, html=c_html, text=c_text)
        inputs.append(ThreadInput(id=cid, parent_ref=normalise_source_id(rc.parent_id),
                                  position=rc.position + 100000 * (rc.page - 1), sort_time=cdate.published))
    comments = []
    for place in build_threads(inputs):
        item = prepared[place.id]
        rc = item["rc"]
        cdate = item["date"]
        comments.append(Comment(
            id=place.id,
            post_id=post_id,
            body_html=item["html"],
            body_text=item["text"],
            published=cdate.published,
            published_local=cdate.published_local,
            author_id=item["author"].id if item["author"] else None,
            parent_id=place.parent_id,
            parent_ref=place.parent_ref,
            depth=place.depth,
            thread_order=place.thread_order,
            url=rc.permalink,
            date_raw=cdate.date_raw,
            date_flag=cdate.date_flag,
            orphan=place.orphan,
            deleted=rc.deleted,
            cycle=place.cycle,
        ))
    return TransformedPost(
        post=post,
        comments=tuple(comments),
        authors=tuple(merge_authors(authors)),
        tags=tuple(tags.values()),
        cruft_hits=tuple(hits),
    )
