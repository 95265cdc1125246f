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


# -- conventions: help, -h, -v/-q anywhere, --json, SIZE ---------------------------------
def test_every_command_and_option_has_help_text() -> None:
    import click

    runner = CliRunner()
    assert runner.invoke(main, ["-h"]).exit_code == 0
    for name, command in main.commands.items():
        short = runner.invoke(main, [name, "-h"])
        assert short.exit_code == 0 and "Usage: " in short.output, f"{name} -h: {short.output}"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help and param.help.strip(), f"{name} {param.opts[0]} has no help text"
        names = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for wanted in ("--json", "-v", "-q"):
            assert wanted in names, f"{name} has no {wanted}"


def test_sizes_show_as_size_in_help() -> None:
    for name, option in (("crawl", "--max-page-size"), ("migrate", "--max-page-size"), ("export", "--max-size"),
                         ("migrate", "--max-size")):
        output = CliRunner().invoke(main, [name, "--help"], terminal_width=200).output
        line = next(line for line in output.splitlines() if line.strip().startswith(option))
        assert f"{option} SIZE" in line, line


def test_migrate_takes_the_validation_thresholds_and_sync_the_crawl_options() -> None:
    migrate = {opt for p in main.commands["migrate"].params for opt in p.opts}
    assert {"--max-errors", "--max-warnings", "--force", "--delay"} <= migrate
    sync = {opt for p in main.commands["sync"].params for opt in p.opts}
    assert {"--via", "--ignore-robots", "--concurrency", "--delay", "--no-throttle", "--max-page-size"} <= sync


@pytest.mark.parametrize("flags", [["-v"], ["-q"], ["-vv"], ["-q", "-v"]])
def test_verbosity_is_accepted_after_the_command(tmp_path: Path, flags: list[str]) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nowhere"), *flags])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("blogport: error: no archive at"), result.output


def test_a_missing_archive_is_worded_the_same_by_every_command(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    messages = {CliRunner().invoke(main, [name, str(missing)]).output.strip() for name in ("transform", "export",
                                                                                          "validate")}
    assert len(messages) == 1, messages
    message = messages.pop()
    assert message == f"blogport: error: no archive at {missing / 'blog.db'}: run `blogport crawl SOURCE -o {missing}`" \
                      " (or `blogport migrate`) first"
    assert not missing.exists(), "a command on a missing archive created its folder"


def test_delay_reaches_scrapy_as_a_fixed_download_delay(tmp_path: Path) -> None:
    from blogport.cli_options import build_crawl_options
    from crawler.settings import build_settings

    ctx = main.commands["crawl"].make_context("crawl", ["SRC", "-o", str(tmp_path), "--delay", "1.5"])
    settings = build_settings(build_crawl_options(ctx.params), tmp_path / "blog.db")
    assert settings["DOWNLOAD_DELAY"] == 1.5
    assert settings["DOWNLOAD_DELAY_JITTER"] == 0
