"""Check 4: comment threads. Orphan replies, cycles, parents that do not resolve, and WXR
parents that the WordPress importer cannot remap (not written before the reply)."""

from __future__ import annotations

from collections.abc import Callable

from blogport.checks.base import ERROR, WARNING, Finding
from blogport.checks.context import Context


def check_threads(ctx: Context, link_for: Callable[[str, str], str | None]) -> list[Finding]:
    findings: list[Finding] = []
    for post_id, rows in ctx.comments_by_post.items():
        if ctx.is_deleted(post_id):
            continue
        post = ctx.posts.get(post_id, {})
        title = post.get("title") or "(untitled)"
        ids = {row["id"] for row in rows}
        parents = {row["id"]: row.get("parent_id") for row in rows}
        for row in rows:
            url = row.get("url") or post.get("url")
            link = link_for("comment", row["id"])
            if row.get("orphan"):
                findings.append(Finding(WARNING, "threads", f"comment {row['id']} on “{title}” replies to"
                                        f" {row.get('parent_ref') or 'a comment'} that is not among the post's"
                                        " comments: kept as a top-level comment", url, link, "comment", row["id"]))
            parent = row.get("parent_id")
            if parent and parent not in ids:
                findings.append(Finding(ERROR, "threads", f"comment {row['id']} on “{title}” names parent {parent},"
                                        " which is not a comment of the same post", url, link, "comment", row["id"]))
        reported: set[str] = set()
        for start in parents:
            seen: list[str] = []
            node: str | None = start
            while node is not None and node in parents and node not in seen:
                seen.append(node)
                node = parents[node]
            if node is not None and node in seen:
                cycle = seen[seen.index(node):]
                if not reported.intersection(cycle):
                    reported.update(cycle)
                    findings.append(Finding(ERROR, "threads", f"comments on “{title}” form a reply cycle:"
                                            f" {' -> '.join(cycle + [node])}", post.get("url"),
                                            link_for("comment", node), "comment", node))
    for wxr in ctx.wxr_files():
        if wxr.error:
            continue
        for item in wxr.items:
            written: set[str] = set()
            for comment in item.comments:
                if comment.parent not in ("", "0") and comment.parent not in written:
                    findings.append(Finding(ERROR, "threads", f"{wxr.name} item {item.post_id} (“{item.title}”):"
                                            f" comment {comment.comment_id} names parent {comment.parent}, which is"
                                            " not written before it: WordPress leaves the reply dangling",
                                            None, f"{wxr.name}#comment-{comment.comment_id}", "comment",
                                            comment.comment_id))
                written.add(comment.comment_id)
    return findings
