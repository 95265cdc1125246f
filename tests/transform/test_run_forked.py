"""The transform stage with its second half of the posts in a forked child: the same tables and
the same summary as one process transforming them all."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

import transform.run as run_module
from kernel.archive import Archive
from kernel.records import RawComment, RawPost
from transform.dates import DateReader
from transform.options import TransformOptions
from transform.run import transform

BLOG = "http://leo.blogspot.com"
TABLES = ("authors", "tags", "posts", "post_tags", "comments", "cruft_hits")
# dates the fast path does not read, so that dateparser is asked: one string in both halves
# of the blog (a forked child asks again for it), the others in one half only
SHARED = "15 августа 2009 г."
OWN = ("3 сентября 2009 г.", "4 сентября 2009 г.", "21 октября 2010 г.", "20 октября 2010 г.")


def _archive(folder: Path, posts: int = 24) -> Path:
    records = []
    for n in range(posts):
        url = f"{BLOG}/2009/08/post-{n:02d}.html"  # the archive gives them in this order
        # the first and the last posts' strings are apart, however the work is split
        header = OWN[0] if n < 4 else OWN[1] if n < 8 else OWN[2] if n >= 20 else OWN[3] if n >= 16 else SHARED
        comments = tuple(
            RawComment(post_url=url, comment_id=f"{n}{k}", position=k, author_text=f"Reader {k}",
                       date_text=SHARED if k == 2 else header, body_html=f"<p>Comment {k} on {n}</p>"
                       + ("<br><br>Recent blog: <a href='http://j.example/x'>X</a>" if k == 1 else ""),
                       parent_id=f"{n}0" if k == 2 else None)
            for k in range(3)
        )
        records.append(RawPost(url=url, title=f"Post {n}", post_id=str(1000 + n), date_header=header,
                               body_html=f"<p>Words of post {n}.</p>" * (1 + n % 5), author_name="Leo",
                               comments=comments, template="layout-threaded", language="ru"))
    with Archive.in_dir(folder) as archive:
        archive.store_records(f"{BLOG}/", records)
    return folder


def _transformed(raw: Path, out: Path, parallel_from: int, monkeypatch: pytest.MonkeyPatch):
    shutil.copytree(raw, out)
    monkeypatch.setattr(run_module, "PARALLEL_FROM_CHARS", parallel_from)
    summary = transform(out, TransformOptions())
    with sqlite3.connect(out / "blog.db") as conn:
        tables = {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}
    data = summary.as_dict()
    for timing in ("elapsed_s", "comments_per_s", "dateparser_s"):
        data.pop(timing)
    return data, tables


def _child_pid_recorded(pid_file: Path):
    part = run_module._child_part

    def recording(raw_posts, ctx):
        pid_file.write_text(str(os.getpid()))
        return part(raw_posts, ctx)

    return recording


@pytest.mark.single_thread  # it forks: in a process with no other thread
def test_forked_transform_gives_the_tables_and_summary_of_one_process(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _archive(tmp_path / "raw")
    serial = _transformed(raw, tmp_path / "serial", 10**12, monkeypatch)
    pid_file = tmp_path / "child.pid"
    monkeypatch.setattr(run_module, "_child_part", _child_pid_recorded(pid_file))
    forked = _transformed(raw, tmp_path / "forked", 1, monkeypatch)
    assert int(pid_file.read_text()) != os.getpid()  # the second half did go to a child
    assert serial[0]["dateparser_calls"] == 1 + len(OWN)  # each string once, in both runs
    assert serial[0]["posts"] == 24 and serial[0]["comments"] == 72 and serial[0]["unparsed_dates"] == 0
    assert forked == serial


@pytest.mark.single_thread  # it forks: in a process with no other thread
def test_a_child_that_fails_leaves_its_posts_to_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _archive(tmp_path / "raw")
    serial = _transformed(raw, tmp_path / "serial", 10**12, monkeypatch)

    def broken(raw_posts, ctx):
        raise RuntimeError("the child fails")

    monkeypatch.setattr(run_module, "_child_part", broken)
    assert _transformed(raw, tmp_path / "forked", 1, monkeypatch) == serial


def test_absorbed_reader_counts_each_string_given_to_dateparser_once() -> None:
    one = DateReader("ru")
    for text in (SHARED, *OWN):
        one.read(text)
    first, second = DateReader("ru"), DateReader("ru")
    for text in (SHARED, *OWN[:2]):
        first.read(text)
    for text in (SHARED, *OWN[2:]):
        second.read(text)
    first.absorb(second.learnt())
    assert one.stats.dateparser_calls == first.stats.dateparser_calls == 1 + len(OWN)
    calls = first.stats.dateparser_calls
    assert first.read(OWN[3]) == one.read(OWN[3]) and first.stats.dateparser_calls == calls  # from the cache
