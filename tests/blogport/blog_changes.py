"""One night's changes on a live fixture blog: a new post, a reply to an old comment, an edited
post and a deleted one, all stamped now (as on a real blog, so feeds' updated-min finds them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from fixtures.blogger import (
    FixtureBlog,
    FixtureComment,
    FixturePost,
    add_post,
    add_reply,
    delete_post,
    edit_post,
)


@dataclass(frozen=True)
class NightlyChanges:
    blog: FixtureBlog
    """The blog after the changes."""
    commented: FixturePost
    """The old post that got the reply."""
    parent: FixtureComment
    """The old comment replied to."""
    reply: FixtureComment
    edited: FixturePost
    deleted: FixturePost


def nightly_changes(blog: FixtureBlog, *, title: str, reply_text: str, edit_text: str) -> NightlyChanges:
    posts = [p for p in blog.published_posts if not p.is_seed]
    commented = next(p for p in reversed(posts) if any(c.parent_id is None for c in p.comments))
    parent = next(c for c in commented.comments if c.parent_id is None)
    others = [p for p in posts if p.post_id != commented.post_id]
    edited, deleted = others[1], others[3]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    changed = add_post(blog, title=title, published=now)
    changed = add_reply(changed, commented.post_id, parent.comment_id, author_name="Ana", body_text=reply_text,
                        published=now)
    reply = changed.post(commented.post_id).comments[-1]
    changed = edit_post(changed, edited.post_id, edit_text, updated=now)
    changed = delete_post(changed, deleted.post_id)
    return NightlyChanges(changed, commented, parent, reply, edited, deleted)
