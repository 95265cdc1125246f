"""The command line: help for every command, and one clear line for a user's mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from blogport.cli import main, parse_size

PROJECT = Path(__file__).resolve().parents[2]


def test_every_command_has_help_and_is_documented_in_the_readme() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    runner = CliRunner()
    assert main.commands, "the CLI has no commands"
    for name, command in main.commands.items():
        assert command.help and command.help.strip(), f"command {name} has no help text"
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert f"blogport {name}" in readme, f"README does not document `blogport {name}`"


@pytest.mark.parametrize(
    "text, expected", [("10MB", 10 * 1024**2), ("512K", 512 * 1024), ("2000", 2000), ("1.5G", int(1.5 * 1024**3))]
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("args", [["transform"], ["export"], ["validate"], ["sync"]])
def test_missing_archive_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, str(tmp_path / "nowhere")])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("blogport: error:"), result.output
    assert "Traceback" not in result.output


def test_unknown_source_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["crawl", "not-a-url-or-file", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert result.output.strip().startswith("blogport: error:")
    assert "Traceback" not in result.output


def test_bad_export_format_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", str(tmp_path), "--to", "sqlite,pdf"])
    assert result.exit_code == 2
    assert "unknown format pdf" in result.output
