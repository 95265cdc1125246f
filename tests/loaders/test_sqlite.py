from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path

import pytest
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


def _datasette_get(folder: Path, *paths: str) -> list[dict]:
    """JSON answers of a real Datasette (its in-process client) serving blog.db with our metadata."""
    datasette_app = pytest.importorskip("datasette.app", reason="datasette is not installed (pip install -e '.[test]')")
    metadata = json.loads((folder / "datasette-metadata.json").read_text(encoding="utf-8"))
    ds = datasette_app.Datasette([str(folder / "blog.db")], metadata=metadata)

    async def fetch() -> list[dict]:
        out = []
        for path in paths:
            response = await ds.client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            out.append(response.json())
        return out

    return asyncio.run(fetch())


def test_datasette_metadata_as_datasette_reads_it(nasty_dir: Path) -> None:
    if os.environ.get("CI") == "true":
        import datasette  # noqa: F401  (CI must have it: a missing consumer fails there)
    export(nasty_dir, ExportOptions(formats=("sqlite",)))
    database, posts, search, view = _datasette_get(
        nasty_dir, "/blog.json", "/blog/posts.json?_shape=objects&_size=100",
        "/blog/posts.json?_search=emoji&_shape=objects", "/blog/posts_by_date.json?_shape=objects")
    tables = {t["name"]: t for t in database["tables"]}
    for internal in ("pages", "raw_posts", "raw_comments", "meta", "export_ledger", "cruft_hits"):
        if internal in tables:
            assert tables[internal]["hidden"], internal
    assert "export_ledger" in tables and tables["export_ledger"]["hidden"]
    for shown in ("posts", "comments", "authors", "tags"):
        assert not tables[shown]["hidden"], shown
    # newest first, with the facets people filter by
    dates = [row["published"] for row in posts["rows"]]
    assert dates == sorted(dates, reverse=True)
    assert {"kind", "status", "author_id"} <= set(posts["facet_results"])
    assert posts["facet_results"]["kind"]["results"]
    assert [row["id"] for row in search["rows"]] == ["1001"]  # full-text search kept
    # the list view shows text, not HTML
    row = next(r for r in view["rows"] if r["id"] == "1001")
    assert row["excerpt"].startswith("Body with ]]> inside") and "<p>" not in row["excerpt"]
    assert set(row) >= {"date", "title", "author_name", "comments"} and row["comments"] == 5
