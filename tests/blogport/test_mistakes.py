"""A person's mistakes, on the real ``blogport`` command: an output folder that holds another
blog's archive or someone else's files is refused (exit 2, the reason, ``--force``), one that
cannot be created is one line; ``--json`` on every command; shell completion works as
documented."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from blogport.migrate import stored_source
from fixtures.blogger import generate_blog
from fixtures.export import render_blogger_export
from tests.blogport.cli_process import blogport


def one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(lines) == 1 and lines[0].startswith("blogport: error: "), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def backups(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two different blogs as Blogger backup files."""
    folder = tmp_path_factory.mktemp("backups")
    first, second = folder / "first.xml", folder / "second.xml"
    first.write_bytes(render_blogger_export(generate_blog(seed=4, posts=6)))
    second.write_bytes(render_blogger_export(generate_blog(seed=5, posts=6)))
    return first, second


def test_migrate_into_another_blogs_archive_is_refused_unless_forced(backups: tuple[Path, Path],
                                                                     tmp_path: Path) -> None:
    first, second = backups
    out = tmp_path / "site"
    done = blogport("migrate", str(first), "-o", str(out), "--to", "sqlite")
    assert done.returncode == 0, done.stdout + done.stderr

    again = blogport("migrate", str(first), "-o", str(out), "--to", "sqlite")
    assert again.returncode == 0, again.stderr  # the same blog: a re-run, not a mistake

    refused = blogport("migrate", str(second), "-o", str(out), "--to", "sqlite")
    line = one_error_line(refused)
    assert "holds the archive of another blog" in line and str(first.resolve()) in line and "--force" in line
    assert refused.stdout == ""
    assert stored_source(out) == str(first), "the refused run changed the archive"
    crawl_refused = blogport("crawl", str(second), "-o", str(out))
    assert "holds the archive of another blog" in one_error_line(crawl_refused)

    forced = blogport("migrate", str(second), "-o", str(out), "--to", "sqlite", "--force")
    assert forced.returncode == 0, forced.stderr
    assert stored_source(out) == str(second)
    assert "set aside as blog.db.old" in forced.stderr
    old = sqlite3.connect(out / "blog.db.old")
    try:  # the other blog's archive is kept whole, beside the new one
        assert old.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert json.loads(old.execute("SELECT value FROM meta WHERE key='config'").fetchone()[0])["source"] == str(first)
    finally:
        old.close()


def test_migrate_into_a_folder_that_is_not_blogports_is_refused_unless_forced(backups: tuple[Path, Path],
                                                                             tmp_path: Path) -> None:
    out = tmp_path / "my-documents"
    out.mkdir()
    (out / "wordpress.xml").write_text("my own file", encoding="utf-8")
    (out / "notes.txt").write_text("keep me", encoding="utf-8")

    refused = blogport("migrate", str(backups[0]), "-o", str(out))
    line = one_error_line(refused)
    assert "is not empty and holds no blogport archive" in line and "notes.txt" in line and "--force" in line
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "wordpress.xml"]
    assert (out / "wordpress.xml").read_text(encoding="utf-8") == "my own file"

    forced = blogport("migrate", str(backups[0]), "-o", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (out / "wordpress.xml").read_text(encoding="utf-8") != "my own file"
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("command", ["migrate", "crawl"])
def test_an_output_folder_that_cannot_be_created_is_one_line(backups: tuple[Path, Path], command: str,
                                                             tmp_path: Path) -> None:
    line = one_error_line(blogport(command, str(backups[0]), "-o", "/proc/blogport-cannot-be-here"))
    assert "cannot create the output folder /proc/blogport-cannot-be-here" in line
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    usage = blogport(command, str(backups[0]), "-o", str(a_file))  # click's own usage error
    assert usage.returncode == 2 and "is a file" in usage.stderr and "Traceback" not in usage.stderr


def test_every_command_prints_json(backups: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "site"
    runs = [
        ("crawl", [str(backups[0]), "-o", str(out)]),
        ("transform", [str(out)]),
        ("export", [str(out)]),
        ("validate", [str(out)]),
        ("migrate", [str(backups[0]), "-o", str(tmp_path / "other")]),
    ]
    for name, args in runs:
        result = blogport(name, *args, "--json")
        assert result.returncode == 0, f"{name}: {result.stderr}"
        data = json.loads(result.stdout)  # the whole of stdout is one JSON object
        assert data["exit_code"] == 0, name
    assert json.loads(blogport("validate", str(out), "--json").stdout)["totals"]["posts"]["source"] > 0


def test_quiet_prints_nothing_when_all_is_well(backups: tuple[Path, Path], tmp_path: Path) -> None:
    result = blogport("migrate", str(backups[0]), "-o", str(tmp_path / "site"), "-q")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_shell_completion_as_documented_in_the_help() -> None:
    help_text = blogport("--help").stdout
    assert "_BLOGPORT_COMPLETE=bash_source blogport" in help_text
    script = blogport(env={**os.environ, "_BLOGPORT_COMPLETE": "bash_source"})
    assert script.returncode == 0
    assert "complete -o nosort -F _blogport_completion blogport" in script.stdout
    words = blogport(env={**os.environ, "_BLOGPORT_COMPLETE": "bash_complete", "COMP_WORDS": "blogport mi",
                          "COMP_CWORD": "1"})
    assert "migrate" in words.stdout
