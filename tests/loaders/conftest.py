"""A small but nasty blog in the normalised tables, built with ``transform.store.save``."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from transform.models import Author, Comment, Post, Tag
from transform.store import save

BLOG_URL = "http://nasty.blogspot.com"
CONTROL = "bell\x07 vt\x0b ff\x0c nul\x00 fffe\ufffe end"


def _post(pid: str, path: str, title: str, body: str, published: str | None, local: str | None, **kw) -> Post:
    return Post(
        id=pid, url=BLOG_URL + path, title=title, slug=kw.pop("slug", path.rsplit("/", 1)[-1].removesuffix(".html")),
        body_html=body, body_text=kw.pop("text", re.sub(r"<[^>]+>", "", body)), published=published, published_local=local, **kw,
    )


def nasty_models() -> dict[str, list]:
    owner = Author("blogger:1", "Joan Koerber-Walker", "https://www.blogger.com/profile/1", is_owner=True)
    guest = Author("blogger:2", "李小龍", "https://www.blogger.com/profile/2")
    leo = Author("url:leo.example.com", "Leo", "http://leo.example.com/")
    anon1 = Author("anon:c3", "Anonymous")
    anon2 = Author("anon:c9", "Anonymous")
    authors = [owner, guest, leo, anon1, anon2]
    tags = [Tag("pr", "PR", BLOG_URL + "/search/label/PR"),
            Tag("client-service", "Client Service", BLOG_URL + "/search/label/Client%20Service"),
            Tag("cafe", "Café & Co", None)]
    posts = [
        _post("1001", "/2009/08/client-service-or-client.html", "Client service, or client?",
              "<p>Body with ]]> inside, emoji 🚀 and <b>bold</b>.</p><p><img src=\"http://example.invalid/x.png\"></p>",
              "2009-08-15T16:50:00+00:00", "2009-08-15T09:50:00-07:00", author_id="blogger:1", tags=("pr", "client-service"),
              text="Body with ]]> inside, emoji 🚀 and bold.", updated="2009-08-16T10:00:00+00:00"),
        _post("1002", "/2009/08/etc-passwd.html", "../../etc/passwd", "<p>{{ x }} and {% raw %} and {% endraw %} and {{< shortcode >}}</p>",
              "2009-08-16T12:00:00+00:00", "2009-08-16T05:00:00-07:00", author_id="blogger:1", slug="../../etc/passwd"),
        _post("1003", "/2009/09/yes.html", "Yes", "<p>Yes indeed</p>",
              "2009-09-01T00:00:00+00:00", "2009-08-31T17:00:00-07:00", author_id="blogger:1"),
        _post("1004", "/2009/09/no.html", "no", "<p>no way</p>",
              "2009-09-02T00:00:00+00:00", "2009-09-01T17:00:00-07:00", author_id="blogger:1"),
        _post("1005", "/2009/09/1-title-with-colons.html", "#1: a title: with colons", "<p>colons</p>",
              "2009-09-03T00:00:00+00:00", "2009-09-02T17:00:00-07:00", author_id="blogger:1", tags=("cafe",)),
        _post("1006", "/2010/01/blog-post.html", "你好世界：中文标题", "<p>中文内容</p>",
              "2010-01-05T08:00:00+00:00", "2010-01-05T00:00:00-08:00", author_id="blogger:2", slug=""),
        # two untitled posts on the same second
        _post("1007", "/2010/02/blog-post.html", "", "<p>First untitled words here</p>",
              "2010-02-01T20:00:00+00:00", "2010-02-01T12:00:00-08:00", author_id="blogger:1"),
        _post("1008", "/2010/02/blog-post_01.html", "", "",
              "2010-02-01T20:00:00+00:00", "2010-02-01T12:00:00-08:00", author_id="blogger:1", text=""),
        # duplicate titles (same second too, so WordPress would skip the second)
        _post("1009", "/2010/03/same.html", "Same title", "<p>one</p>",
              "2010-03-01T10:00:00+00:00", "2010-03-01T02:00:00-08:00", author_id="blogger:1"),
        _post("1010", "/2010/03/same_1.html", "Same title", "<p>two</p>",
              "2010-03-01T10:00:00+00:00", "2010-03-01T02:00:00-08:00", author_id="blogger:1", slug="same"),
        _post("1011", "/2010/04/draft.html", "A draft", "<p>not yet</p>",
              "2010-04-01T10:00:00+00:00", "2010-04-01T03:00:00-07:00", author_id="blogger:1", status="draft"),
        _post("1012", "/p/about.html", "About", "<p>About me</p>",
              "2010-05-01T10:00:00+00:00", "2010-05-01T03:00:00-07:00", author_id="blogger:1", kind="page"),
        _post("1013", "/2010/06/control.html", "Control " + CONTROL, "<p>" + CONTROL + "</p>",
              "2010-06-01T10:00:00+00:00", "2010-06-01T03:00:00-07:00", author_id="blogger:1", text=CONTROL),
        _post("1014", "/2010/12/new-year.html", "New year's eve", "<p>late</p>",
              "2011-01-01T04:59:00+00:00", "2010-12-31T23:59:00-05:00", author_id="blogger:1"),
    ]
    comments = [
        Comment("c1", "1001", "<p>Top level 🎉</p>", "Top level 🎉", "2009-08-15T17:00:00+00:00", "2009-08-15T10:00:00-07:00",
                author_id="blogger:2", thread_order=0),
        Comment("c2", "1001", "<p>Reply by owner</p>", "Reply by owner", "2009-08-15T18:00:00+00:00", "2009-08-15T11:00:00-07:00",
                author_id="blogger:1", parent_id="c1", parent_ref="c1", depth=1, thread_order=1),
        Comment("c3", "1001", "<p>Reply to reply, ]]> too</p>", "Reply to reply", "2009-08-15T19:00:00+00:00",
                "2009-08-15T12:00:00-07:00", author_id="anon:c3", parent_id="c2", parent_ref="c2", depth=2, thread_order=2),
        Comment("c4", "1001", "<p>Third level</p>", "Third level", "2009-08-15T20:00:00+00:00", "2009-08-15T13:00:00-07:00",
                author_id="url:leo.example.com", parent_id="c3", parent_ref="c3", depth=3, thread_order=3),
        Comment("c5", "1001", "<p>Second top</p>", "Second top", "2009-08-16T20:00:00+00:00", "2009-08-16T13:00:00-07:00",
                author_id="url:leo.example.com", thread_order=4),
        Comment("c9", "1002", "<p>{{ liquid }} " + CONTROL + "</p>", "liquid", "2009-08-17T20:00:00+00:00",
                "2009-08-17T13:00:00-07:00", author_id="anon:c9", thread_order=0),
        Comment("c10", "1002", "<p>orphan</p>", "orphan", "2009-08-18T20:00:00+00:00", "2009-08-18T13:00:00-07:00",
                author_id=None, parent_ref="gone", orphan=True, thread_order=1),
        Comment("c11", "1012", "<p>On the page</p>", "On the page", "2010-05-02T20:00:00+00:00",
                "2010-05-02T13:00:00-07:00", author_id="blogger:1", thread_order=0),
    ]
    return {"authors": authors, "tags": tags, "posts": posts, "comments": comments}


def build_blog(folder: Path, models: dict[str, list] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(folder / "blog.db"), isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    db = sqlite_utils.Database(conn)
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT OR REPLACE INTO meta VALUES ('blog_info', ?)",
               [json.dumps({"url": BLOG_URL + "/", "title": "Nasty <blog> & \"friends\"", "language": "en"})])
    save(db, **(models or nasty_models()))
    conn.close()
    return folder


@pytest.fixture()
def nasty_dir(tmp_path: Path) -> Path:
    return build_blog(tmp_path / "out")
