"""The content check in a forked child: the same ledger, findings and picture counts as in this
process, a failed child leaves the check here, and an error here ends the child."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

import blogport.validate as validate_module
from blogport.checks.base import Finding, Placement
from blogport.checks.context import load_context, load_front_matter, parse_markdown
from blogport.validate import ValidateOptions, run_checks, validate
from tests.blogport.test_validate import BASE, _all_models, build_migration, sql, write_wxr


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """A migration whose content check finds errors and warnings in every export."""
    out = build_migration(tmp_path / "out")
    path = out / "markdown/content/posts/follow-the-leader.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nRecent blog:=- Client Service\n", encoding="utf-8")
    sql(out, "UPDATE posts SET title='' WHERE id='1003'")
    sql(out, "UPDATE posts SET body_html=body_html || ? WHERE id='1001'",
        f'<a href="{BASE}/2009/08/follow-the-leader.html">see</a><img src="https://1.bp.blogspot.com/-x/s1600/a.jpg">')
    posts, comments = _all_models()
    posts[0] = replace(posts[0], body_html=posts[0].body_html + f'<a href="{BASE}/2009/08/follow-the-leader.html">'
                       'see</a><img src="https://1.bp.blogspot.com/-x/s1600/a.jpg">')
    comments["1001"][0] = replace(comments["1001"][0], body_html="<p>Great post</p><p>BlogThis!</p>")
    write_wxr(out / "wordpress.xml", posts, comments)
    return out


def _checks(out: Path, fork: bool) -> tuple:
    ctx, archive = load_context(out)
    try:
        entries, findings = run_checks(ctx, fork=fork)
        return entries, findings, ctx.image_counts
    finally:
        archive.close()


def _in_child_recording(pids: Path, delay: float = 0.0):
    real = validate_module._content_in_child

    def content_in_child(ctx):
        pids.write_text(str(os.getpid()))
        time.sleep(delay)
        return real(ctx)

    return content_in_child


@pytest.mark.single_thread  # it forks: in a process with no other thread
def test_forked_content_check_reports_exactly_as_in_process(damaged: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    here = _checks(damaged, fork=False)
    pids = tmp_path / "child.pid"
    monkeypatch.setattr(validate_module, "_content_in_child", _in_child_recording(pids))
    forked = _checks(damaged, fork=True)
    assert int(pids.read_text()) != os.getpid()  # the check did run in a child
    content = [f for f in forked[1] if f.check == "content"]
    assert {f.severity for f in content} == {"error", "warning"}
    assert any(f.item_link == "markdown/content/posts/follow-the-leader.md" for f in content)
    assert any(f.item_link == "wordpress.xml#comment-1" for f in content)
    assert forked == here  # links resolved by this process, the order of the findings kept
    assert any("hot-linked" in f.message and f.item_link == "markdown/content/posts/client-service-or-client.md"
               for f in content)  # a link the picture tally holds, resolved too


@pytest.mark.single_thread  # it forks: in a process with no other thread
def test_report_files_are_the_same_with_and_without_the_child(damaged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def report(items: int) -> tuple[str, str, int]:
        monkeypatch.setattr(validate_module, "_PARALLEL_ITEMS", items)
        result = validate(damaged, ValidateOptions())
        stamp = result.generated_at
        return ((damaged / "report.json").read_text().replace(stamp, ""),
                (damaged / "report.html").read_text().replace(stamp, ""), result.exit_code)

    serial, forked = report(10**9), report(1)
    assert forked == serial and serial[2] == 1


@pytest.mark.single_thread  # it forks: in a process with no other thread
def test_a_child_that_fails_leaves_the_check_to_this_process(damaged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = _checks(damaged, fork=False)

    def broken(ctx):
        raise RuntimeError("the child fails")

    monkeypatch.setattr(validate_module, "_content_in_child", broken)
    assert _checks(damaged, fork=True) == here


@pytest.mark.single_thread  # it forks: in a process with no other thread
def test_an_error_here_ends_the_child(damaged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pids = tmp_path / "child.pid"
    monkeypatch.setattr(validate_module, "_content_in_child", _in_child_recording(pids, delay=30))

    def ledger_fails(ctx):
        deadline = time.monotonic() + 10
        while not pids.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        raise KeyboardInterrupt

    monkeypatch.setattr(validate_module, "build_ledger", ledger_fails)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _checks(damaged, fork=True)
    assert time.monotonic() - started < 20  # not waited for: ended
    with pytest.raises(ProcessLookupError):  # ended and reaped: no child left behind
        os.kill(int(pids.read_text()), 0)


@pytest.mark.parametrize("text", [
    "---\ntitle: \"A\"\ndate: 2009-08-15T09:50:00-07:00\n---\n\nBody *here*.\n",
    "+++\ntitle = \"A\"\n+++\nBody\n",
    "Title: A\nDate: 2009-08-15\n\nBody\n",
    "no front matter at all\n",
    "---\ntitle: [unclosed\n---\nBody kept\n",
    "---\n- a list\n---\nBody\n",
])
def test_body_only_read_gives_the_body_the_full_read_gives(tmp_path: Path, text: str) -> None:
    path = tmp_path / "post.md"
    path.write_text(text, encoding="utf-8")
    full, body_only = parse_markdown(path, "post.md"), parse_markdown(path, "post.md", front_matter=False)
    assert (body_only.exists, body_only.body) == (full.exists, full.body) and full.body
    loaded = load_front_matter(body_only)  # the front matter loaded afterwards: the full read, every field
    assert dataclasses.astuple(loaded) == dataclasses.astuple(full) and load_front_matter(full) is full
    missing = parse_markdown(tmp_path / "gone.md", "gone.md", front_matter=False)
    assert not missing.exists and missing.body == ""


def test_files_read_before_the_fork_are_not_read_again(damaged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After ``read_shared_files`` (what runs before the fork) no check reads a Markdown file
    again, and the findings are those of a context that read none beforehand."""
    expected = _checks(damaged, fork=False)
    ctx, archive = load_context(damaged)
    try:
        ctx.read_shared_files()
        reads: list[Path] = []
        read_text = Path.read_text

        def counted(path: Path, *args, **kwargs) -> str:
            reads.append(path)
            return read_text(path, *args, **kwargs)

        monkeypatch.setattr(Path, "read_text", counted)
        entries, findings = run_checks(ctx, fork=False)
        assert [path for path in reads if path.suffix == ".md"] == []
        assert (entries, findings, ctx.image_counts) == expected
    finally:
        archive.close()


def test_findings_and_placements_as_dicts_carry_every_field() -> None:
    finding = Finding("error", "content", "m", "u", "l", "post", "1")
    placement = Placement("wxr", "ok", "wordpress.xml", "wordpress.xml#post-1", None)
    for value in (finding, placement):
        assert value.as_dict() == {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        assert list(value.as_dict()) == [f.name for f in dataclasses.fields(value)]


def test_report_facts_with_the_ledger_made_already_are_the_same(damaged: Path) -> None:
    report = validate(damaged, ValidateOptions())
    assert report.as_dict([entry.as_dict() for entry in report.ledger]) == report.as_dict()
    assert json.loads(report.json_path.read_text(encoding="utf-8")) == report.as_dict()
