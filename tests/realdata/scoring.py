"""Scores: what blogport made of one real file, judged against the facts a person read from it.

Every score is a pair (points, out of). A fact that is null is not judged. Counts
(comments, replies, posts of a listing, items of an export) earn ``expected - |got -
expected|``: finding too many costs as much as finding too few, so a spurious reply on a
page that has none takes a point off the total.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from tests.realdata.pipeline import GotComment, GotPost, Outcome

#: Columns of the score table, in order.
METRICS = ("pages", "posts", "authors", "dates", "comments", "replies", "samples", "listing_posts", "export_items")

#: Export facts judged as items: fact name -> how the pipeline's posts give it.
EXPORT_ITEMS = ("posts", "drafts", "pages", "comments", "replies", "comments_on_pages")


@dataclass(frozen=True)
class Score:
    points: int = 0
    out_of: int = 0

    def __add__(self, other: "Score") -> "Score":
        return Score(self.points + other.points, self.out_of + other.out_of)


@dataclass(frozen=True)
class FileScore:
    rel: str
    kind: str
    scores: dict[str, Score]
    misses: tuple[str, ...] = field(default=())
    """What did not match, one short line each (for the table's detail)."""


def norm(text: str | None) -> str:
    """Text as compared: NFC, case-folded, whitespace collapsed, quotes unified."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip().casefold()


def count_score(got: int, expected: int | None) -> Score:
    if expected is None:
        return Score()
    return Score(expected - abs(got - expected), expected)


def _fact_score(ok: bool, judged: bool) -> Score:
    return Score(int(ok), 1) if judged else Score()


class _Judge:
    """Collects scores and misses for one file."""

    def __init__(self) -> None:
        self.scores: dict[str, Score] = {m: Score() for m in METRICS}
        self.misses: list[str] = []

    def add(self, metric: str, score: Score, miss: str | None = None) -> None:
        self.scores[metric] = self.scores[metric] + score
        if miss and score.points < score.out_of:
            self.misses.append(f"{metric}: {miss}")

    def post_facts(self, facts: dict[str, Any], post: GotPost | None, where: str = "") -> None:
        """Title, author, date and time of one post (a post page or a listing's item)."""
        title, author = facts.get("title"), facts.get("author")
        date, time = facts.get("date_local"), facts.get("time_local")
        if post is None:
            for metric, value in (("posts", title), ("authors", author), ("dates", date), ("dates", time)):
                self.add(metric, _fact_score(False, value is not None))
            if not where:
                self.misses.append("posts: no post came out")
            return
        if title is not None:
            self.add("posts", _fact_score(norm(post.title) == norm(title), True), f"{where}title {post.title!r}")
        if author is not None:
            self.add("authors", _fact_score(norm(post.author) == norm(author), True),
                     f"{where}author {post.author!r}, expected {author!r}")
        local = post.published_local or ""
        if date is not None:
            self.add("dates", _fact_score(local[:10] == date, True), f"{where}date {local or None!r}, expected {date}")
        if time is not None:
            self.add("dates", _fact_score(local[11:16] == time, True), f"{where}time {local[11:16] or None!r}, expected {time}")

    def samples(self, samples: list[dict[str, Any]], comments: list[GotComment]) -> None:
        for sample in samples:
            found = any(
                norm(c.author) == norm(sample.get("author"))
                and norm(c.text).startswith(norm(sample.get("text_start")))
                and norm(c.parent_author) == norm(sample.get("parent_author"))
                for c in comments
            )
            self.add("samples", _fact_score(found, True), f"{sample.get('author')!r}: {sample.get('text_start')!r}")

    def counts(self, metric: str, got: int, expected: int | None, what: str) -> None:
        self.add(metric, count_score(got, expected), f"{what} {got}, expected {expected}")


def _match_post(posts: tuple[GotPost, ...], facts: dict[str, Any]) -> GotPost | None:
    """The post a page's facts describe: same title, else same URL path, else the only one."""
    candidates = [p for p in posts if p.kind == "post"] or list(posts)
    title = norm(facts.get("title"))
    if title:
        for post in candidates:
            if norm(post.title) == title:
                return post
    url = facts.get("url")
    if url:
        tail = url.split("://", 1)[-1].split("/", 1)[-1]
        for post in candidates:
            if post.url.split("://", 1)[-1].split("/", 1)[-1] == tail:
                return post
    return candidates[0] if len(candidates) == 1 else None


def _got_pages(outcome: Outcome, facts: dict[str, Any]) -> bool:
    if outcome.error:
        return False
    if facts["kind"] == "export":
        return bool(outcome.posts) or not (facts.get("posts") or facts.get("pages") or facts.get("drafts"))
    return bool(outcome.posts)


def judge(rel: str, facts: dict[str, Any], outcome: Outcome) -> FileScore:
    """The scores of one file."""
    kind = facts["kind"]
    j = _Judge()
    j.add("pages", _fact_score(_got_pages(outcome, facts), True), outcome.error or "no post came out")
    comments = [c for p in outcome.posts for c in p.comments]
    if kind == "post":
        post = _match_post(outcome.posts, facts)
        j.post_facts(facts, post)
        mine = list(post.comments) if post else []
        j.counts("comments", len(mine), facts.get("comments"), "comments")
        j.counts("replies", sum(c.has_parent for c in mine), facts.get("replies"), "replies")
        j.samples(facts.get("comment_samples") or [], mine)
    elif kind == "listing":
        items = facts.get("post_items") or []
        posts = [p for p in outcome.posts if p.kind == "post"]
        if items:
            for n, item in enumerate(items, 1):
                post = _match_post(tuple(posts), {"title": item.get("title"), "url": item.get("url")}) if posts else None
                if post is not None and item.get("title") and norm(post.title) != norm(item["title"]):
                    post = None
                j.add("listing_posts", _fact_score(post is not None, True), f"item {n} {item.get('title')!r} missing")
                j.post_facts({k: item.get(k) for k in ("author", "date_local", "time_local")}, post, f"item {n} ")
            extra = len(posts) - len(items)
            if facts.get("posts") is not None and extra > 0:
                j.add("listing_posts", Score(-min(extra, len(items)), 0), f"{extra} posts too many")
        else:
            j.counts("listing_posts", len(posts), facts.get("posts"), "posts")
        j.counts("comments", len(comments), facts.get("comments"), "comments")
        j.counts("replies", sum(c.has_parent for c in comments), facts.get("replies"), "replies")
    elif kind == "export":
        posts = [p for p in outcome.posts if p.kind == "post"]
        pages = [p for p in outcome.posts if p.kind == "page"]
        got = {
            "posts": sum(p.status != "draft" for p in posts),
            "drafts": sum(p.status == "draft" for p in posts),
            "pages": len(pages),
            # a comment whose post is not in the file is kept in the archive and reported
            "comments": len(comments) + outcome.orphan_comments,
            "replies": sum(c.has_parent for c in comments),
            "comments_on_pages": sum(len(p.comments) for p in pages),
        }
        for name in EXPORT_ITEMS:
            if name in facts:
                j.counts("export_items", got[name], facts.get(name), name)
        j.samples(facts.get("comment_samples") or [], comments)
    else:
        raise ValueError(f"{rel}: unknown kind {kind!r} in its facts")
    return FileScore(rel, kind, j.scores, tuple(j.misses))


def totals(files: list[FileScore]) -> dict[str, Score]:
    out = {m: Score() for m in METRICS}
    for f in files:
        for m in METRICS:
            out[m] = out[m] + f.scores[m]
    return out


def table(files: list[FileScore], details: bool = True) -> str:
    """The score table: one row per file, then the totals (``points/out of``)."""
    heads = ["file", "kind", *METRICS]
    rows = [[f.rel, f.kind, *(_cell(f.scores[m]) for m in METRICS)] for f in files]
    total = totals(files)
    rows.append(["TOTAL", "", *(_cell(total[m], always=True) for m in METRICS)])
    widths = [max(len(str(r[i])) for r in [heads, *rows]) for i in range(len(heads))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [heads, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, lines[1])
    if details:
        lines.append("")
        for f in files:
            for miss in f.misses:
                lines.append(f"{f.rel}: {miss}")
    return "\n".join(lines)


def _cell(score: Score, always: bool = False) -> str:
    if score.out_of == 0 and score.points == 0 and not always:
        return "."
    return f"{score.points}/{score.out_of}"
