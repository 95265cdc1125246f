"""The ``blogport`` command line. It only parses options; the stages do the work.

Exit codes: 0 all well, 1 finished with item failures (or validation errors over the
threshold), 2 could not run (bad input, unreachable source, locked folder, full disk),
130 interrupted (Ctrl-C): what was stored is kept, and the same command resumes.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from blogport import __version__
from blogport.cli_options import (
    CRAWL_PARAMS,
    QUIET,
    VERBOSE,
    apply_log_level,
    build_crawl_options,
    build_export_options,
    build_transform_options,
    common_options,
    crawl_options,
    export_options,
    force_option,
    given,
    is_quiet,
    parse_size,
    threshold_options,
    transform_options,
)
from blogport.config import MigrationConfig
from blogport.stages import SilentDisplay, disk_full_guard, make_display
from crawler.early import close_ahead
from kernel.archive import ARCHIVE_NAME
from kernel.errors import ArchiveError, BlogportError, DiskFullError, InterruptedRun, is_disk_full, no_archive_message

__all__ = ["main", "parse_size"]

OUT_DIR = click.Path(file_okay=False, path_type=Path)


class BlogportGroup(click.Group):
    """Turns a user's mistake (``BlogportError``) into one line and exit 2, never a traceback;
    Ctrl-C into "interrupted" and exit 130. Run from the command line, the process exits
    as soon as the command's work is flushed and closed (``exit_now``)."""

    def main(self, args: Any = None, *rest: Any, **kw: Any) -> Any:
        if args is not None or not kw.get("standalone_mode", True):
            return super().main(args, *rest, **kw)  # called by a program, which goes on after it
        try:
            super().main(args, *rest, **kw)
            code: Any = 0
        except SystemExit as exc:
            code = exc.code
        finally:
            close_ahead()  # a crawl process started for a crawl that did not run (blogport.entry)
        exit_now(code)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            try:
                return super().invoke(ctx)
            except (OSError, sqlite3.Error) as exc:
                if not is_disk_full(exc):
                    raise
                raise DiskFullError(getattr(exc, "filename", None) or ARCHIVE_NAME) from exc
        except InterruptedRun as exc:
            click.echo(f"blogport: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BlogportError as exc:
            click.echo(f"blogport: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo(f"blogport: {InterruptedRun()}", err=True)
            ctx.exit(InterruptedRun.exit_code)


def exit_now(code: Any) -> None:
    """Exit with ``code`` (as ``sys.exit`` takes it) without the interpreter's teardown of
    every module the stages loaded (a tenth of a second after a migrate): the command's files
    and archive are closed by now; its other threads are waited for, the exit handlers run
    and the output is flushed first, as at a normal exit."""
    from kernel.forked import exit_now as exit_process

    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    exit_process(code, join_threads=True)


def _display(ctx: click.Context, as_json: bool, no_progress: bool = False) -> SilentDisplay:
    return make_display(quiet=is_quiet(ctx), machine=as_json, live=not no_progress)


def _finish(as_json: bool, result: Any, exit_code: int) -> None:
    """Print the JSON object (with ``--json``; the display printed everything else) and exit."""
    if as_json:
        click.echo(json.dumps(result.as_dict(), sort_keys=True, default=str))
    sys.exit(exit_code)


def _require_archive(out_dir: Path) -> None:
    """The one wording every command uses when DIR holds no archive (before touching DIR)."""
    if not (out_dir / ARCHIVE_NAME).is_file():
        raise ArchiveError(no_archive_message(out_dir / ARCHIVE_NAME, out_dir))


@click.group(cls=BlogportGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="blogport")
@VERBOSE
@QUIET
@click.pass_context
def main(ctx: click.Context) -> None:
    """Move a legacy blog, complete and clean, to a new home.

    crawl -> transform -> export -> validate; `migrate` runs them all, `sync` keeps a
    migration up to date. Ctrl-C stops a run (exit 130); the same command resumes it.

    Shell completion (bash; zsh and fish likewise): eval "$(_BLOGPORT_COMPLETE=bash_source blogport)"
    """
    apply_log_level(ctx)
    from loaders.process_pool import allow_process_pool

    allow_process_pool()  # this entry point is safe for pool workers to import


@main.command()
@click.argument("source")
@click.option("-o", "--out", "out_dir", required=True, type=OUT_DIR, help="Output folder; the archive is OUT/blog.db.")
@crawl_options
@click.option("--force", is_flag=True, help="Set aside (as blog.db.old) an archive of another blog in OUT.")
@common_options
@click.pass_context
def crawl(ctx: click.Context, source: str, out_dir: Path, force: bool, as_json: bool, **kw: Any) -> None:
    """Crawl SOURCE (blog URL, saved mirror folder, Blogger export file) into OUT/blog.db."""
    from blogport.lock import hold_lock
    from blogport.migrate import check_out_dir, other_blog, prepare_out_dir, run_stage, set_archive_aside
    from crawler.run import crawl as run_crawl

    display = _display(ctx, as_json, kw["no_progress"])
    options = build_crawl_options(kw, live=display.crawl_live)
    check_out_dir(source, out_dir, force=force, require_empty=False)
    prepare_out_dir(out_dir)
    with hold_lock(out_dir):
        stored = other_blog(source, out_dir) if force else None
        if stored is not None:
            set_archive_aside(out_dir, stored)
        summary = run_stage("crawl", display, out_dir, lambda: run_crawl(source, out_dir, options),
                            what=source, live=False)
    if summary.interrupted:
        if as_json:
            click.echo(json.dumps({**summary.as_dict(), "exit_code": InterruptedRun.exit_code}, sort_keys=True))
        raise InterruptedRun("crawl")
    _finish(as_json, summary, summary.exit_code)


@main.command()
@click.argument("out_dir", metavar="DIR", type=OUT_DIR)
@transform_options
@common_options
@click.pass_context
def transform(ctx: click.Context, out_dir: Path, as_json: bool, **kw: Any) -> None:
    """Normalise the archive in DIR/blog.db into posts, comments, authors and tags."""
    from blogport.lock import hold_lock
    from blogport.migrate import run_stage
    from transform.run import transform as run_transform

    display = _display(ctx, as_json)
    options = build_transform_options(kw)
    _require_archive(out_dir)
    with hold_lock(out_dir):
        summary = run_stage("transform", display, out_dir,
                            lambda: run_transform(out_dir, options, progress=display.progress))
    _finish(as_json, summary, summary.exit_code)


@main.command()
@click.argument("out_dir", metavar="DIR", type=OUT_DIR)
@export_options
@common_options
@click.pass_context
def export(ctx: click.Context, out_dir: Path, as_json: bool, **kw: Any) -> None:
    """Write DIR's normalised tables to SQLite, WordPress WXR and Markdown, with redirect maps."""
    from blogport.lock import hold_lock
    from blogport.migrate import run_stage
    from loaders.atomic import remove_stale_temps
    from loaders.run import export as run_export

    display = _display(ctx, as_json)
    options = build_export_options(kw)
    _require_archive(out_dir)
    with hold_lock(out_dir):
        remove_stale_temps(out_dir)
        summary = run_stage("export", display, out_dir, lambda: run_export(out_dir, options, progress=display.progress),
                            what=", ".join(options.formats))
    _finish(as_json, summary, summary.exit_code)


@main.command()
@click.argument("out_dir", metavar="DIR", type=OUT_DIR)
@threshold_options
@common_options
@click.pass_context
def validate(ctx: click.Context, out_dir: Path, max_errors: int, max_warnings: int | None, as_json: bool) -> None:
    """Check that nothing was lost: writes DIR/report.html and DIR/report.json."""
    from blogport.lock import hold_lock
    from blogport.migrate import run_stage
    from blogport.validate import ValidateOptions, validate as run_validate
    from loaders.atomic import remove_stale_temps

    display = _display(ctx, as_json)
    _require_archive(out_dir)
    options = ValidateOptions(max_errors=max_errors, max_warnings=max_warnings)
    with hold_lock(out_dir):
        remove_stale_temps(out_dir)
        report = run_stage("validate", display, out_dir,
                           lambda: run_validate(out_dir, options, progress=display.progress))
    display.result(f"Report: {report.html_path.resolve()} (data: {report.json_path.name})")
    _finish(as_json, report, report.exit_code)


@main.command()
@click.argument("source")
@click.option("-o", "--out", "out_dir", required=True, type=OUT_DIR,
              help="Output folder for the archive, the exports and the report.")
@crawl_options
@transform_options
@export_options
@click.option("--no-validate", is_flag=True, help="Skip the validation report.")
@threshold_options
@force_option
@common_options
@click.pass_context
def migrate(ctx: click.Context, source: str, out_dir: Path, no_validate: bool, max_errors: int,
            max_warnings: int | None, force: bool, as_json: bool, **kw: Any) -> None:
    """Crawl, transform, export and validate in one go."""
    from blogport.migrate import migrate as run_migrate
    from blogport.validate_options import ValidateOptions

    display = _display(ctx, as_json, kw["no_progress"])
    config = MigrationConfig(
        source=source,
        crawl=build_crawl_options(kw, live=display.crawl_live),
        transform=build_transform_options(kw),
        export=build_export_options(kw),
    )
    result = run_migrate(config, out_dir, validate=not no_validate, force=force, display=display,
                         validate_options=ValidateOptions(max_errors=max_errors, max_warnings=max_warnings))
    _finish(as_json, result, result.exit_code)


@main.command()
@click.argument("out_dir", metavar="DIR", type=OUT_DIR)
@crawl_options
@common_options
@click.pass_context
def sync(ctx: click.Context, out_dir: Path, as_json: bool, **kw: Any) -> None:
    """Bring DIR up to date with the live blog (for cron): only what changed is fetched.

    Crawl options given here replace the ones the migration saved, for this and later runs.
    """
    from blogport.sync import sync as run_sync

    changed = given(ctx, CRAWL_PARAMS)
    if changed:
        _update_crawl_config(out_dir, build_crawl_options(kw, live=False), changed)
    with disk_full_guard(out_dir):
        result = run_sync(out_dir)
    if as_json:
        click.echo(json.dumps(result.as_dict(), sort_keys=True))
    elif not is_quiet(ctx):
        for line in result.summary_lines():
            click.echo(line)
    sys.exit(result.exit_code)


_CRAWL_FIELDS = {"via": "via", "ignore_robots": "obey_robots", "concurrency": "concurrency", "delay": "delay",
                 "no_throttle": "autothrottle", "max_page_size": "max_page_bytes", "user_agent": "user_agent",
                 "limit": "limit"}


def _update_crawl_config(out_dir: Path, options: Any, changed: list[str]) -> None:
    """Save the crawl options given to ``sync`` into DIR's saved migration."""
    from blogport.config import load_config, save_config
    from blogport.lock import hold_lock
    from kernel.archive import Archive

    _require_archive(out_dir)
    with hold_lock(out_dir), Archive.in_dir(out_dir) as archive:
        config = load_config(archive)
        if config is None:
            return  # sync says why it cannot run
        fields = {_CRAWL_FIELDS[name]: getattr(options, _CRAWL_FIELDS[name]) for name in changed}
        save_config(archive, dataclasses.replace(config, crawl=dataclasses.replace(config.crawl, **fields)))


def _register_batch_commands() -> None:
    from blogport.batch_command import batch
    from blogport.worker import worker

    main.add_command(batch)
    main.add_command(worker)


_register_batch_commands()


if __name__ == "__main__":  # pragma: no cover
    main(prog_name="blogport")
