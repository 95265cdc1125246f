from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from loaders.options import ExportOptions
from loaders.run import export
from loaders.sqlite import VIEWS, ensure_db_shape
from tests.loaders.conftest import nasty_models


def test_views_foreign_keys_and_search(nasty_dir: Path) -> None:
    export(nasty_dir, ExportOptions(formats=("sqlite",)))
    export(nasty_dir, ExportOptions(formats=("sqlite",)))  # safe to repeat
    db = sqlite_utils.Database(nasty_dir / "blog.db")
    assert set(VIEWS) <= set(db.view_names())
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    counts = {r["id"]: r["comment_count"] for r in db["posts_with_comment_counts"].rows}
    assert counts["1001"] == 5 and counts["1002"] == 2 and counts["1003"] == 0
    thread = [r for r in db["comment_threads"].rows if r["post_id"] == "1001"]
    assert [(r["id"], r["depth"]) for r in thread] == [("c1", 0), ("c2", 1), ("c3", 2), ("c4", 3), ("c5", 0)]
    assert thread[0]["post_title"] == "Client service, or client?" and thread[0]["author_name"] == "李小龍"
    authors = {r["id"]: r for r in db["authors_with_counts"].rows}
    assert authors["blogger:1"]["post_count"] == 13 and authors["blogger:1"]["comment_count"] == 2
    months = {r["month"]: r["posts"] for r in db["posts_by_month"].rows}
    assert months["2009-08"] == 3 and months["2009-09"] == 2 and months["2010-12"] == 1 and "2010-05" not in months  # local months; the page is not a post
    tags = {r["id"]: r["post_count"] for r in db["tags_with_counts"].rows}
    assert tags == {"pr": 1, "client-service": 1, "cafe": 1}
    hits = list(db["posts"].search("emoji"))
    assert [h["id"] for h in hits] == ["1001"]
    assert [h["id"] for h in db["comments"].search("level")] and len(list(db["comments"].search("third"))) == 1
    ledger = db.execute("SELECT item_type, count(*) FROM export_ledger WHERE format='sqlite' GROUP BY item_type").fetchall()
    assert dict(ledger) == {"post": 13, "page": 1, "comment": len(nasty_models()["comments"])}
    assert db.execute("SELECT location FROM export_ledger WHERE item_id='c1'").fetchone()[0] == "comments/c1"


def test_ensure_db_shape_on_a_fresh_database(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    db = sqlite_utils.Database(conn)
    ensure_db_shape(db)
    ensure_db_shape(db)
    assert {"posts_fts", "comments_fts"} <= set(db.table_names())
    assert db["comment_threads"].count == 0
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
