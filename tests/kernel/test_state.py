"""``kernel.state``: the one SyncState record, saved with the data it describes or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blogport.runs import finish_run, start_run
from kernel.archive import Archive
from kernel.records import RawPost
from kernel.state import SyncState, load_sync_state, save_sync_state


def test_a_new_archive_has_an_empty_state(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        assert load_sync_state(archive.conn) == SyncState()


def test_state_round_trips_through_the_archive(tmp_path: Path) -> None:
    state = SyncState(initial="2026-01-01T00:00:00+00:00", start="2026-01-02T00:00:00+00:00",
                      last="2026-01-03T00:00:00+00:00", end="2026-01-03T00:00:00+00:00",
                      validators={"https://b.example/robots.txt": {"etag": '"r1"', "body": "User-agent: *"}},
                      deleted={"https://b.example/2010/01/x.html": "2026-01-03T00:00:00+00:00"},
                      exported="abc")
    with Archive.in_dir(tmp_path) as archive:
        with archive.transaction() as conn:
            save_sync_state(conn, state)
    with Archive.in_dir(tmp_path) as archive:
        loaded = load_sync_state(archive.conn)
    assert loaded.to_json() == state.to_json()
    assert loaded.validators["https://b.example/robots.txt"]["etag"] == '"r1"'
    with pytest.raises(TypeError):
        loaded.deleted["https://b.example/other.html"] = "now"  # type: ignore[index]


def test_state_is_never_saved_outside_a_transaction(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        with pytest.raises(RuntimeError, match="transaction"):
            save_sync_state(archive.conn, SyncState(last="x"))
        assert load_sync_state(archive.conn) == SyncState()


def test_state_and_its_data_commit_together_or_not_at_all(tmp_path: Path) -> None:
    post = RawPost(url="https://b.example/2010/01/x.html", title="X", body_html="<p>x</p>")
    with Archive.in_dir(tmp_path) as archive:
        with pytest.raises(OSError):
            with archive.transaction() as conn:
                archive.store_page(post.url, status=200, body="<html/>", kind="post", posts=[post])
                save_sync_state(conn, SyncState(last="2026-01-05T00:00:00+00:00"))
                raise OSError("killed half-way")
        assert archive.conn.execute("SELECT count(*) FROM raw_posts").fetchone() == (0,)
        assert load_sync_state(archive.conn) == SyncState()
        with archive.transaction() as conn:
            archive.store_page(post.url, status=200, body="<html/>", kind="post", posts=[post])
            save_sync_state(conn, SyncState(last="2026-01-05T00:00:00+00:00"))
        assert archive.conn.execute("SELECT count(*) FROM raw_posts").fetchone() == (1,)
        assert load_sync_state(archive.conn).last == "2026-01-05T00:00:00+00:00"


def test_the_cursor_moves_in_the_transaction_that_records_the_successful_run(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        archive.store_page("https://b.example/", status=200, body="<html/>", kind="home",
                           fetched_at="2026-01-01T00:00:00+00:00")
        run = start_run(archive, "sync", "https://b.example/", started="2026-01-04T00:00:00+00:00")
        with pytest.raises(OSError):
            with archive.transaction():
                finish_run(archive, run, exit_status=0, details={"mode": "html"})
                raise OSError("killed before the commit")
        assert load_sync_state(archive.conn) == SyncState()
        assert archive.conn.execute("SELECT ended FROM runs WHERE id=?", (run,)).fetchone() == (None,)
        finish_run(archive, run, exit_status=0, details={"mode": "html"})
        state = load_sync_state(archive.conn)
    assert (state.initial, state.start, state.last, state.end) == (
        "2026-01-01T00:00:00+00:00", None, "2026-01-04T00:00:00+00:00", "2026-01-04T00:00:00+00:00")


def test_an_older_archives_meta_keys_are_read(tmp_path: Path) -> None:
    with Archive.in_dir(tmp_path) as archive:
        archive.set_meta("deleted_posts", {"https://b.example/2010/01/x.html": "2026-01-03T00:00:00+00:00"})
        archive.set_meta("sync_exported", "f00")
        state = load_sync_state(archive.conn)
    assert dict(state.deleted) == {"https://b.example/2010/01/x.html": "2026-01-03T00:00:00+00:00"}
    assert state.exported == "f00" and json.loads(state.to_json())["validators"] == {}
