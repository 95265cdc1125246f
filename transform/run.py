"""The transform stage's entry point: ``DIR/blog.db`` raw records -> normalised tables.

Reads every raw post with its comments from the archive, runs the pure core
(:func:`transform.core.transform_post`) on each, merges author identities across the blog,
and upserts the models in batches, all in one transaction with the run's summary
(``meta.last_transform``): rows are keyed on the source's ids, so a re-run updates in place;
the full-text indexes are made once at the end, :func:`transform.store.search_index_rebuilt_after`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernel.archive import open_archive, utc_now
from kernel.forked import ForkedCall
from kernel.records import RawPost
from kernel.wording import counted
from transform.authors import merge_authors
from transform.core import BlogContext, TransformedPost, build_context, transform_post
from transform.dates import ReaderLearnt, check_language, parse_timezone
from transform.models import Tag
from transform.options import TransformOptions
from transform.store import search_index_rebuilt_after

log = logging.getLogger(__name__)

__all__ = ["TransformSummary", "transform", "transform_post", "build_context", "BlogContext", "TransformedPost"]

BATCH_POSTS = 250


@dataclass(frozen=True)
class TransformSummary:
    posts: int = 0
    comments: int = 0
    authors: int = 0
    tags: int = 0
    unparsed_dates: int = 0
    orphans: int = 0
    """Replies whose parent is missing: kept top-level, flagged."""
    cycles: int = 0
    cruft_removed: dict[str, int] = field(default_factory=dict)
    """Rule name -> how many times it fired."""
    elapsed_s: float = 0.0
    comments_per_s: float = 0.0
    timezone: str = "UTC"
    timezone_source: str = "assumed"
    language: str | None = None
    date_only: int = 0
    dateparser_calls: int = 0
    dateparser_s: float = 0.0
    comments_without_post: int = 0
    """Raw comments whose post page was never stored: not transformed, counted."""
    duplicate_posts: int = 0
    failures: tuple[tuple[str, str], ...] = ()
    """(post URL, reason) for posts that could not be transformed."""

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0

    def summary_lines(self) -> list[str]:
        lines = [
            f"transformed {counted(self.posts, 'post')}, {counted(self.comments, 'comment')},"
            f" {counted(self.authors, 'author')}, {counted(self.tags, 'tag')} in {self.elapsed_s:.2f} s"
            f" ({self.comments_per_s:,.0f} comments/s)",
            f"dates: {self.unparsed_dates} unparsed, {self.date_only} with the day only;"
            f" time zone {self.timezone} ({_TZ_SOURCES.get(self.timezone_source, self.timezone_source)});"
            f" language {self.language or 'unknown'}",
            f"threads: {self.orphans} orphan replies kept, {self.cycles} cycles broken",
        ]
        if self.cruft_removed:
            parts = ", ".join(f"{k} {v}" for k, v in sorted(self.cruft_removed.items()))
            lines.append(f"cruft removed: {parts}")
        else:
            lines.append("cruft removed: none")
        if self.comments_without_post:
            lines.append(f"{self.comments_without_post} comments not normalised: their post is not in the archive"
                         " (kept in raw_comments, listed by the report)")
        if self.duplicate_posts:
            lines.append(f"{self.duplicate_posts} posts skipped: same post id as another URL")
        for url, reason in self.failures:
            lines.append(f"failed: {url}: {reason}")
        return lines

    def as_dict(self) -> dict[str, Any]:
        # the fields one level deep: only the dict and the failures are containers
        # (dataclasses.asdict copies every value recursively, ten times slower)
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["cruft_removed"] = dict(self.cruft_removed)
        data["failures"] = [{"url": u, "reason": r} for u, r in self.failures]
        data["exit_code"] = self.exit_code
        return data


@dataclass(frozen=True)
class Failure:
    """A post ``transform_post`` raised on: why (one bad post must not stop the blog; it is
    recorded and the exit code is 1)."""

    reason: str


PARALLEL_FROM_CHARS = 2_000_000
"""From this much raw HTML (posts' and comments' bodies, a constant for each record: about 450
posts of the bench's fixture blog with their comments) the second half of the work is
transformed in a forked child (``kernel.forked``) while this process transforms the first.
``transform()`` of crawled archives, forked against one process, CPU of both processes
counted: 200 posts (1.0 M) wall 0.29 -> 0.27 s for CPU 0.29 -> 0.36-0.45 s; 500 posts (2.2 M)
0.66 -> 0.56 s for 0.63 -> 0.69 s; 1,000 posts (4.4 M) 1.22 -> 0.87 s for the same 1.17 s. The
fork's own cost (copying pages the child touches, pickling its results back) is about fixed, so
a small blog pays more CPU than it saves time; the wall-clock gain needs the second core free."""


def _cost(raw: RawPost) -> int:
    """A post's share of the transform's work: its HTML and its comments' (with a constant for
    each record)."""
    return len(raw.body_html) + 400 + sum(len(c.body_html) + 400 for c in raw.comments)


def _transform_each(raw_posts: list[RawPost], ctx: BlogContext,
                    progress: Callable[[int], None] | None = None) -> list[TransformedPost | Failure]:
    out: list[TransformedPost | Failure] = []
    step = max(1, len(raw_posts) // 100)
    for done, raw in enumerate(raw_posts):
        if progress is not None and done % step == 0:
            progress(done)
        try:
            out.append(transform_post(raw, ctx))
        except Exception as exc:  # noqa: BLE001 - one bad post must not stop the blog
            log.exception("could not transform %s", raw.url)
            out.append(Failure(f"{type(exc).__name__}: {exc}"))
    return out


def _child_part(raw_posts: list[RawPost], ctx: BlogContext) -> tuple[list[TransformedPost | Failure], ReaderLearnt]:
    """The forked child's part: its posts' results and what its date reader learnt."""
    return _transform_each(raw_posts, ctx), ctx.dates.learnt()


def transform_posts(raw_posts: list[RawPost], ctx: BlogContext,
                    progress: Callable[[int, int], None] | None = None) -> list[TransformedPost | Failure]:
    """``transform_post`` of every raw post, in order (a ``Failure`` for a post it raised on).

    From ``PARALLEL_FROM_CHARS`` of HTML the posts after the middle of the work go to a forked
    child; this process transforms those before it, then takes in the child's results and what
    its date reader learnt (``DateReader.absorb``: the same cache and dateparser count as one
    process reading them all). The results are those of one process, post for post; a child
    that fails has its part done here."""
    total = len(raw_posts)
    costs = [_cost(raw) for raw in raw_posts]
    whole = sum(costs)
    split = total
    child = None
    if whole >= PARALLEL_FROM_CHARS and total >= 2 and ForkedCall.possible():
        running, split = 0, 0
        while split < total - 1 and running + costs[split] <= whole // 2:
            running += costs[split]
            split += 1
        split = max(1, split)
        seconds_before = ctx.dates.stats.dateparser_seconds
        child = ForkedCall(_child_part, raw_posts[split:], ctx)
    report = None
    if progress is not None:
        share = max(1, split)
        report = lambda done: progress(done * total // share, total)  # noqa: E731
    try:
        results = _transform_each(raw_posts[:split], ctx, report)
        rest = child.join() if child is not None else None
    except BaseException:
        if child is not None:
            child.stop()
        raise
    if split < total:
        if rest is None:
            results.extend(_transform_each(raw_posts[split:], ctx))
        else:
            part, learnt = rest
            ctx.dates.absorb(learnt, seconds_before=seconds_before)
            results.extend(part)
    if progress is not None:
        progress(total, total)
    return results


_TZ_SOURCES = {
    "option": "from --timezone",
    "source": "as the source says",
    "timestamps": "from the blog's own timestamps",
    "assumed": "assumed: no offset found, use --timezone",
}


def transform(out_dir: Path, options: TransformOptions,
              progress: Callable[[int, int], None] | None = None) -> TransformSummary:
    """Transform every raw post in ``DIR/blog.db`` and save the normalised tables.

    ``progress(done, total)`` is called as posts are transformed (for a live display)."""
    started = time.perf_counter()
    # a bad option is the user's mistake: say so before touching the archive
    if options.timezone:
        parse_timezone(options.timezone)
    if options.language:
        check_language(options.language)
    with open_archive(out_dir) as archive:
        raw_posts = list(archive.raw_posts())
        info = archive.blog_info()
        without_post = len(archive.orphan_raw_comments())
        ctx = build_context(raw_posts, info, options)

        results: list[TransformedPost] = []
        failures: list[tuple[str, str]] = []
        seen_ids: set[str] = set()
        duplicates = 0
        for raw, result in zip(raw_posts, transform_posts(raw_posts, ctx, progress)):
            if isinstance(result, Failure):
                failures.append((raw.url, result.reason))
                continue
            if result.post.id in seen_ids:
                log.warning("post id %s at %s already seen at another URL: skipped", result.post.id, raw.url)
                duplicates += 1
                continue
            seen_ids.add(result.post.id)
            results.append(result)

        authors = merge_authors(a for r in results for a in r.authors)
        tags: dict[str, Tag] = {}
        for r in results:
            for t in r.tags:
                tags.setdefault(t.id, t)

        # one transaction: the tables, their rows, the full-text indexes and the summary of
        # the run that made them are committed together (one commit to pay for, not three)
        with archive.transaction():
            with search_index_rebuilt_after(archive) as save:
                save(authors=authors, tags=tags.values())
                for i in range(0, len(results), BATCH_POSTS):
                    batch = results[i : i + BATCH_POSTS]
                    save(
                        posts=[r.post for r in batch],
                        comments=[c for r in batch for c in r.comments],
                        cruft_hits=[h for r in batch for h in r.cruft_hits],
                    )
            comments = [c for r in results for c in r.comments]
            cruft: Counter[str] = Counter()
            for r in results:
                for h in r.cruft_hits:
                    cruft[h.rule] += h.count
            elapsed = time.perf_counter() - started
            stats = ctx.dates.stats
            summary = TransformSummary(
                posts=len(results),
                comments=len(comments),
                authors=len(authors),
                tags=len(tags),
                unparsed_dates=sum(1 for r in results if r.post.date_flag == "unparsed")
                + sum(1 for c in comments if c.date_flag == "unparsed"),
                orphans=sum(1 for c in comments if c.orphan),
                cycles=sum(1 for c in comments if c.cycle),
                cruft_removed=dict(sorted(cruft.items())),
                elapsed_s=round(elapsed, 3),
                comments_per_s=round(len(comments) / elapsed, 1) if elapsed > 0 else 0.0,
                timezone=ctx.tz_name,
                timezone_source=ctx.tz_source,
                language=ctx.language,
                date_only=sum(1 for r in results if r.post.date_flag == "date-only")
                + sum(1 for c in comments if c.date_flag == "date-only"),
                dateparser_calls=stats.dateparser_calls,
                dateparser_s=round(stats.dateparser_seconds, 3),
                comments_without_post=without_post,
                duplicate_posts=duplicates,
                failures=tuple(failures),
            )
            archive.set_meta("last_transform", {"at": utc_now(), **summary.as_dict()})
    for line in summary.summary_lines():
        log.info("%s", line)
    return summary
