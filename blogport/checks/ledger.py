"""Check 1: the ledger. Every post and comment found in the source, and where it went in each
export; totals reconciled with what the source itself declares."""

from __future__ import annotations

from collections import Counter
from typing import Any

from blogport.checks.base import (DEGRADED, DELETED, ERROR, FAILED, OK, SKIPPED, WARNING, Finding, LedgerEntry,
                                   Placement)
from blogport.checks.context import Context, WxrItem, comment_key, iso_month, url_month
from kernel.records import RawComment, RawPost

_FILE_LEVEL = "file"


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _were(count: int) -> str:
    return f"{count} {'was' if count == 1 else 'were'}"


def _post_month(raw: RawPost, row: dict[str, Any] | None) -> str | None:
    return (iso_month(row.get("published_local")) if row else None) or url_month(raw.url)


def _find_post_item(ctx: Context, file: str, row: dict[str, Any]) -> WxrItem | None:
    wxr = ctx.wxr(file)
    for key in (row["id"], row["url"]):
        if key and key in wxr.index:
            return wxr.index[key]
    return None


class _Resolver:
    """Finds one normalised item in each export, as its consumer would read it."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _missing_row(self, fmt: str, item_type: str) -> Placement:
        return Placement(fmt, FAILED, reason=f"no export_ledger row for this {item_type} in the {fmt} export")

    def post(self, fmt: str, item_type: str, row: dict[str, Any]) -> tuple[Placement, str]:
        """Returns the placement and the check that owns a failure ("ledger", "exports" or "file")."""
        location = self.ctx.ledger.get((fmt, item_type, row["id"]))
        if location is None:
            return self._missing_row(fmt, item_type), "ledger"
        if fmt == "sqlite":
            return self._sqlite(location, "posts"), "exports"
        if fmt == "wxr":
            wxr = self.ctx.wxr(location)
            if wxr.error:
                return Placement(fmt, FAILED, location, reason=f"{location} {wxr.error}"), _FILE_LEVEL
            item = _find_post_item(self.ctx, location, row)
            if item is None:
                return Placement(fmt, FAILED, location, location,
                                 reason=f"{location} holds no item for this {item_type}"), "exports"
            return Placement(fmt, OK, location, item.link), "exports"
        if fmt == "markdown":
            md = self.ctx.markdown(location)
            if md.error:
                return Placement(fmt, FAILED, location, location, reason=f"{location} {md.error}"), "exports"
            assert md.meta is not None
            # A post whose date is unknown upstream has none to write (the dates check reports it).
            wanted = ["title", "date"] if row.get("published_local") or row.get("published") else ["title"]
            absent = [key for key in wanted if key not in md.meta or md.meta[key] is None]
            if absent:
                return Placement(fmt, FAILED, location, location,
                                 reason=f"{location} front matter has no {' or '.join(absent)}"), "exports"
            return Placement(fmt, OK, location, location), "exports"
        return Placement(fmt, OK, location, location), "exports"

    def comment(self, fmt: str, row: dict[str, Any], post: dict[str, Any]) -> tuple[Placement, str]:
        location = self.ctx.ledger.get((fmt, "comment", row["id"]))
        if location is None:
            return self._missing_row(fmt, "comment"), "ledger"
        if fmt == "sqlite":
            return self._sqlite(location, "comments"), "exports"
        if fmt == "wxr":
            wxr = self.ctx.wxr(location)
            if wxr.error:
                return Placement(fmt, FAILED, location, reason=f"{location} {wxr.error}"), _FILE_LEVEL
            item = _find_post_item(self.ctx, location, post)
            if item is None:
                return Placement(fmt, FAILED, location, location,
                                 reason=f"{location} holds no item for the comment's post"), "exports"
            position = item.comment_position(row["id"], row.get("url"))
            if position is not None:
                comment = item.comments[position]
                return Placement(fmt, OK, location, f"{location}#comment-{comment.comment_id or position}"), "exports"
            siblings = self.ctx.comments_by_post.get(post["id"], [])
            if len(siblings) == len(item.comments):
                # The file names comments by its own numbers only: match by reading order.
                position = next(i for i, c in enumerate(siblings) if c["id"] == row["id"])
                comment = item.comments[position]
                return Placement(fmt, OK, location, f"{location}#comment-{comment.comment_id or position}"), "exports"
            return Placement(fmt, FAILED, location, item.link,
                             reason=f"{location} item {item.post_id} holds no such comment"
                                    f" ({len(item.comments)} of {len(siblings)} comments)"), "exports"
        if fmt == "markdown":
            data = self.ctx.data_file(location)
            if data.error:
                return Placement(fmt, FAILED, location, location, reason=f"{location} {data.error}"), _FILE_LEVEL
            if data.ids is not None and row["id"] not in data.ids:
                return Placement(fmt, FAILED, location, location,
                                 reason=f"{location} does not hold this comment"), "exports"
            return Placement(fmt, OK, location, location), "exports"
        return Placement(fmt, OK, location, location), "exports"

    def _sqlite(self, location: str, table: str) -> Placement:
        """``location`` ("posts/<id>" or "comments/<id>") must name a row of ``table``."""
        name, _, ident = location.partition("/")
        link = f"blog.db#{location}"
        if name != table or not ident:
            return Placement("sqlite", FAILED, location,
                             reason=f"export_ledger location {location!r} names no row of {table}")
        found = self.ctx.posts.get(ident) if table == "posts" else self.ctx.comments.get(ident)
        if found is None:
            return Placement("sqlite", FAILED, location, reason=f"row {location} is not in blog.db")
        return Placement("sqlite", OK, location, link)


def _post_lost(row: dict[str, Any]) -> list[str]:
    lost = []
    if row.get("date_flag") == "unparsed":
        lost.append(f"date unparsed ({row.get('date_raw') or 'no date text'!s})")
    elif row.get("date_flag") == "date-only":
        lost.append("time of day unknown (date only)")
    return lost


def _comment_lost(row: dict[str, Any]) -> list[str]:
    lost = _post_lost(row)
    if row.get("orphan"):
        lost.append(f"orphan reply (parent {row.get('parent_ref') or '?'} not found)")
    return lost


def _entry(item_type: str, key: str, row: dict[str, Any] | None, url: str | None, title: str,
           month: str | None, lost: list[str], placements: list[Placement], deleted: str | None = None) -> LedgerEntry:
    if deleted:
        note = f"deleted from the live blog (noticed {deleted}); kept in blog.db, left out of the exports"
        return LedgerEntry(item_type, key, row["id"] if row else None, url, title, month, DELETED,
                           tuple([note] + lost), tuple(placements))
    failed = row is None or any(p.status == FAILED for p in placements)
    reasons = [p.reason for p in placements if p.status == FAILED and p.reason]
    status = FAILED if failed else (DEGRADED if lost else OK)
    return LedgerEntry(item_type, key, row["id"] if row else None, url, title, month, status,
                       tuple(lost + reasons), tuple(placements))


def _label(item_type: str, title: str) -> str:
    if item_type == "comment":
        return f"comment on “{title or '(untitled)'}”"
    return f"{item_type} “{title or '(untitled)'}”"


def build_ledger(ctx: Context) -> tuple[list[LedgerEntry], list[Finding]]:
    resolver = _Resolver(ctx)
    entries: list[LedgerEntry] = []
    findings: list[Finding] = []

    def place(entry_type: str, resolve: Any, url: str | None, title: str, item_id: str,
              deleted: bool = False) -> list[Placement]:
        placements = []
        for fmt in ctx.formats:
            placement, owner = resolve(fmt)
            if deleted:
                if placement.status == FAILED:
                    placement = Placement(fmt, SKIPPED, placement.location, placement.link,
                                          "deleted from the live blog")
                placements.append(placement)
                continue
            placements.append(placement)
            if placement.status == FAILED and owner != _FILE_LEVEL:
                findings.append(Finding(ERROR, owner, f"{_label(entry_type, title)} missing from the {fmt} export:"
                                        f" {placement.reason}", url, placement.link, entry_type, item_id))
        return placements

    for raw in ctx.raw_posts:
        row = ctx.post_for(raw)
        item_type = "page" if ((row or {}).get("kind") or raw.kind) == "page" else "post"
        if row is None:
            reason = "not transformed yet" if not ctx.has_normalised else "missing from the normalised tables"
            entries.append(_entry(item_type, raw.url, None, raw.url, raw.title, url_month(raw.url), [reason], []))
            if ctx.has_normalised:
                findings.append(Finding(ERROR, "ledger", f"{_label(item_type, raw.title)} was crawled but is"
                                        " missing from the normalised tables", raw.url, None, item_type, raw.post_id))
        else:
            deleted = row.get("deleted_at")
            if deleted:
                findings.append(Finding(WARNING, "ledger", f"{_label(item_type, row['title'])} was deleted from the"
                                        f" live blog (noticed {deleted}): kept in blog.db, left out of the exports"
                                        " with its comments", raw.url, f"blog.db#posts/{row['id']}", item_type,
                                        row["id"]))
            placements = place(item_type, lambda fmt, r=row, t=item_type: resolver.post(fmt, t, r),
                               raw.url, row["title"], row["id"], bool(deleted))
            entries.append(_entry(item_type, raw.url, row, raw.url, row["title"], _post_month(raw, row),
                                  _post_lost(row), placements, deleted))
        for comment in raw.comments:
            entries.append(_comment_entry(ctx, resolver, raw, row, comment, place, findings))

    fetched = {page["url"] for page in ctx.pages} | {issue["url"] for issue in ctx.issues}
    for comment in ctx.orphan_raw_comments:
        key = comment_key(comment)
        if comment.post_url in fetched:
            lost, said = "its post was never stored (the post page failed)", \
                "comment found on a comment page, but its post was never stored"
        else:  # an export or comments feed that does not hold the post
            lost = said = (f"its post {comment.post_url} is not in the source: the comment is kept in blog.db"
                           " (raw_comments), not exported")
        entries.append(_entry("comment", key, None, comment.permalink or comment.post_url, "", url_month(comment.post_url),
                              [lost], []))
        findings.append(Finding(ERROR, "ledger", f"comment by {comment.author_text or 'unknown'}: {said}",
                                comment.permalink or comment.post_url, None, "comment", comment.comment_id))

    if not ctx.raw_posts:
        findings.append(Finding(ERROR, "ledger", "the archive holds no posts: nothing was crawled, or the crawl"
                                " found none (see the crawl issues below)"))
    elif not ctx.has_normalised:
        findings.append(Finding(ERROR, "ledger", f"{len(ctx.raw_posts)} crawled posts were never transformed:"
                                " run `blogport transform` and `blogport export`"))
    elif ctx.has_normalised and not ctx.formats and ctx.raw_posts:
        findings.append(Finding(ERROR, "ledger", "nothing has been exported yet (no export_ledger rows):"
                                " run `blogport export`"))
    return entries, findings


def _comment_entry(ctx: Context, resolver: _Resolver, raw: RawPost, post_row: dict[str, Any] | None,
                   comment: RawComment, place: Any, findings: list[Finding]) -> LedgerEntry:
    key = comment_key(comment)
    url = comment.permalink or raw.url
    title = post_row["title"] if post_row else raw.title
    row = ctx.comment_for(comment, post_row)
    if row is None:
        month = _post_month(raw, post_row)
        if post_row is None:
            return _entry("comment", key, None, url, title, month, ["its post is missing from the normalised tables"], [])
        findings.append(Finding(ERROR, "ledger", f"{_label('comment', title)} by {comment.author_text or 'unknown'}"
                                " was crawled but is missing from the normalised tables", url,
                                None, "comment", comment.comment_id))
        return _entry("comment", key, None, url, title, month, ["missing from the normalised tables"], [])
    month = iso_month(row.get("published_local")) or _post_month(raw, post_row)
    assert post_row is not None
    deleted = post_row.get("deleted_at")
    placements = place("comment", lambda fmt, r=row, p=post_row: resolver.comment(fmt, r, p), url, title, row["id"],
                       bool(deleted))
    return _entry("comment", key, row, url, title, month, _comment_lost(row), placements, deleted)


def reconcile_totals(ctx: Context, link_for: Any = None) -> list[Finding]:
    """Declared comment counts and the archive widget's monthly counts against what was crawled."""
    findings: list[Finding] = []
    for raw in ctx.raw_posts:
        row = ctx.post_for(raw)
        declared = raw.comment_count
        if declared is None and row is not None:
            declared = row.get("comment_count_declared")
        if declared is None:
            continue
        extracted = len(raw.comments)
        link = link_for("page" if raw.kind == "page" else "post", row["id"]) if (row and link_for) else None
        if declared > extracted:
            findings.append(Finding(ERROR, "totals", f"“{raw.title or '(untitled)'}” declares {_n(declared, 'comment')}"
                                    f" but {_were(extracted)} extracted: {declared - extracted} lost",
                                    raw.url, link, "post", row["id"] if row else raw.post_id))
        elif declared < extracted:
            findings.append(Finding(WARNING, "totals", f"“{raw.title or '(untitled)'}” declares {_n(declared, 'comment')}"
                                    f" but {_were(extracted)} extracted", raw.url, link, "post",
                                    row["id"] if row else raw.post_id))
    info = ctx.blog_info
    if ctx.trial_limit:  # the widget counts the whole blog: not compared
        declared = sum(m.count or 0 for m in info.archive_months) if info else 0
        listed = f"; the archive widget lists {_n(declared, 'post')}" if declared else ""
        findings.append(Finding(WARNING, "totals", f"a trial run of the newest {_n(ctx.trial_limit, 'post')} (--limit"
                                f" {ctx.trial_limit}){listed}: crawl again without --limit to bring the whole blog",
                                None, None))
    elif info and info.archive_months:
        crawled: Counter[str] = Counter()
        gone: Counter[str] = Counter()
        """Posts deleted from the blog since: the widget may have been read before or after."""
        for raw in ctx.raw_posts:
            if raw.kind != "post" or raw.status != "published":
                continue
            row = ctx.post_for(raw)
            month = _post_month(raw, row)
            if month:
                (gone if row is not None and row.get("deleted_at") else crawled)[month] += 1
        for entry in info.archive_months:
            if entry.count is None:
                continue
            got = crawled.get(entry.month, 0)
            if got <= entry.count <= got + gone.get(entry.month, 0):
                continue
            if entry.count > got:
                findings.append(Finding(ERROR, "totals", f"the archive widget lists {_n(entry.count, 'post')} in"
                                        f" {entry.month} but {_were(got)} crawled: {entry.count - got} missing",
                                        entry.url, None))
            elif entry.count < got:
                findings.append(Finding(WARNING, "totals", f"the archive widget lists {_n(entry.count, 'post')} in"
                                        f" {entry.month} but {_were(got)} crawled", entry.url, None))
    return findings
