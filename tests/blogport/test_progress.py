"""What a person sees: on a terminal every stage prints its header when it starts, a live line
while it runs (with a total and a percentage where one is known) and its summary when it
ends; piped output gets plain lines, stage by stage, with no live line and no escape codes.

The terminal is a real pseudo-terminal; ``blogport`` runs in a child process."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.blogger import generate_blog
from fixtures.export import render_blogger_export
from tests.blogport.cli_process import PROJECT, blogport

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backup") / "blog.xml"
    path.write_bytes(render_blogger_export(generate_blog(seed=8, posts=30)))
    return path


def run_on_a_terminal(*args: str) -> tuple[int, str]:
    """``blogport ARGS`` with stdout and stderr on a pseudo-terminal; (exit code, what it drew)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "160", "LINES": "50", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "blogport.cli", *args], cwd=PROJECT, env=env,
                            stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    chunks: list[bytes] = []
    try:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        code = proc.wait(timeout=240)
    return code, ANSI.sub("", b"".join(chunks).decode("utf-8", errors="replace")).replace("\r", "\n")


def test_on_a_terminal_each_stage_shows_header_live_line_with_percentage_and_summary(backup: Path,
                                                                                   tmp_path: Path) -> None:
    code, screen = run_on_a_terminal("migrate", str(backup), "-o", str(tmp_path / "site"))
    assert code == 0, screen[-3000:]
    posts = int(re.search(r"transformed (\d+) posts", screen).group(1))
    expected = [
        "[crawl] " + str(backup), "read a Blogger backup file",
        "[transform]", f"transforming", f"100% {posts}/{posts}", "transformed ",
        "[export] sqlite, wxr, markdown", "exporting", "1/4 wxr", "2/4 markdown", "100% 4/4", "WordPress WXR: ",
        "[validate]", "validating", "100% 7/7", "Errors: 0",
        "Everything is in ",
    ]
    position = 0
    for text in expected:
        found = screen.find(text, position)
        assert found >= 0, f"{text!r} missing or out of order after: {screen[position:position + 400]!r}"
        position = found + len(text)


def test_piped_output_is_plain_lines_stage_by_stage(backup: Path, tmp_path: Path) -> None:
    result = blogport("migrate", str(backup), "-o", str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout + result.stderr
    assert "transforming" not in result.stdout + result.stderr and "%" not in result.stdout
    headers = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("[")]
    assert headers == ["[crawl]", "[transform]", "[export]", "[validate]"]
    results = [line for line in result.stdout.splitlines() if line.startswith(("Everything is in", "Report:"))]
    assert len(results) == 1 and result.stdout.rstrip().endswith(results[0])


@pytest.mark.parametrize("command", ["transform", "export", "validate"])
def test_every_stage_command_shows_its_own_stage(backup: Path, tmp_path: Path, command: str) -> None:
    out = tmp_path / "site"
    assert blogport("migrate", str(backup), "-o", str(out), "-q").returncode == 0
    code, screen = run_on_a_terminal(command, str(out))
    assert code == 0, screen[-2000:]
    title = {"transform": "transforming", "export": "exporting", "validate": "validating"}[command]
    assert screen.lstrip().startswith(f"[{command}]")
    assert title in screen and "100%" in screen
