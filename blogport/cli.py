"""The ``blogport`` command line. It only parses options; the stages do the work.

Exit codes: 0 all well, 1 finished with item failures (or validation errors over the
threshold), 2 could not run (bad input, unreachable source, locked folder).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from blogport import __version__
from blogport.config import MigrationConfig
from kernel.errors import BlogportError
from crawler.options import DEFAULT_USER_AGENT, CrawlOptions
from loaders.options import ALL_FORMATS, ExportOptions
from transform.options import TransformOptions

SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2, "G": 1024**3, "GB": 1024**3}


def parse_size(text: str) -> int:
    """'10MB' -> 10485760; '512K' -> 524288; '2000' -> 2000."""
    raw = text.strip().upper()
    number = raw.rstrip("KMGB")
    unit = raw[len(number):]
    try:
        value = float(number)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a size (try 10MB, 512K or a number of bytes)")
    if unit not in SIZE_UNITS or value <= 0:
        raise click.BadParameter(f"{text!r} is not a size (try 10MB, 512K or a number of bytes)")
    return int(value * SIZE_UNITS[unit])


def _formats(text: str) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in wanted if f not in ALL_FORMATS]
    if unknown or not wanted:
        named = ", ".join(unknown) if unknown else repr(text)
        raise click.BadParameter(f"unknown format {named}; choose from {', '.join(ALL_FORMATS)}")
    return wanted


def crawl_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for decorator in reversed(
        [
            click.option("--via", type=click.Choice(["auto", "html", "feeds"]), default="auto", show_default=True,
                         help="Walk the HTML pages, read the Atom feeds, or use feeds where the blog serves them."),
            click.option("--ignore-robots", is_flag=True, help="Do not obey robots.txt (only for your own blog)."),
            click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
                         help="Requests in flight at once."),
            click.option("--no-throttle", is_flag=True,
                         help="Turn AutoThrottle off (for a blog served on your own machine)."),
            click.option("--max-page-size", default="10MB", show_default=True, help="Skip pages larger than this."),
            click.option("--user-agent", default=DEFAULT_USER_AGENT, help="User-Agent header to send."),
            click.option("--no-progress", is_flag=True, help="No live progress display."),
        ]
    ):
        func = decorator(func)
    return func


def transform_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--timezone", default=None,
                        help="Blog time zone (IANA name such as Europe/Berlin, or +02:00); default: from the blog.")(func)
    func = click.option("--language", default=None,
                        help="Language of displayed dates (en, es, de...); default: from the pages.")(func)
    return func


def export_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for decorator in reversed(
        [
            click.option("--to", "formats", default=",".join(ALL_FORMATS), show_default=True,
                         help="Comma-separated exports: sqlite, wxr, markdown."),
            click.option("--flavor", type=click.Choice(["hugo", "jekyll", "pelican"]), default="hugo", show_default=True,
                         help="Markdown layout and front matter (Pelican: its own Key: value metadata)."),
            click.option("--tags-as", type=click.Choice(["tags", "categories"]), default="tags", show_default=True,
                         help="Blogger labels become WordPress tags or categories."),
            click.option("--max-size", default=None, help="Split the WXR into files of at most this size (e.g. 8MB)."),
            click.option("--download-images", is_flag=True, help="Fetch images into the Markdown output."),
            click.option("--keep-old-links", is_flag=True,
                         help="Leave links between posts pointing at the old blog (default: rewrite to the new URLs)."),
        ]
    ):
        func = decorator(func)
    return func


def build_crawl_options(kw: dict[str, Any]) -> CrawlOptions:
    return CrawlOptions(
        via=kw["via"],
        obey_robots=not kw["ignore_robots"],
        concurrency=kw["concurrency"],
        autothrottle=not kw["no_throttle"],
        max_page_bytes=parse_size(kw["max_page_size"]),
        user_agent=kw["user_agent"],
        progress=not kw["no_progress"] and sys.stderr.isatty(),
    )


def build_transform_options(kw: dict[str, Any]) -> TransformOptions:
    return TransformOptions(language=kw["language"], timezone=kw["timezone"])


def build_export_options(kw: dict[str, Any]) -> ExportOptions:
    return ExportOptions(
        formats=_formats(kw["formats"]),
        flavor=kw["flavor"],
        tags_as=kw["tags_as"],
        max_size=parse_size(kw["max_size"]) if kw["max_size"] else None,
        download_images=kw["download_images"],
        rewrite_links=not kw["keep_old_links"],
    )


def _echo_summary(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


class BlogportGroup(click.Group):
    """Turns a user's mistake (``BlogportError``) into one line and exit 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BlogportError as exc:
            click.echo(f"blogport: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("blogport: interrupted; everything stored so far is kept.", err=True)
            ctx.exit(130)


@click.group(cls=BlogportGroup)
@click.version_option(__version__, prog_name="blogport")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """Move a legacy blog, complete and clean, to a new home.

    crawl -> transform -> export -> validate; `migrate` runs them all.
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(levelname)s %(name)s: %(message)s")
    from loaders.markdown import allow_process_pool

    allow_process_pool()  # this entry point is safe for pool workers to import


@main.command()
@click.argument("source")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder; the archive is OUT/blog.db.")
@crawl_options
def crawl(source: str, out_dir: Path, **kw: Any) -> None:
    """Crawl SOURCE (blog URL, saved mirror folder, Blogger export file) into OUT/blog.db."""
    options = build_crawl_options(kw)
    from blogport.lock import hold_lock
    from crawler.run import crawl as run_crawl

    with hold_lock(out_dir):
        summary = run_crawl(source, out_dir, options)
    _echo_summary(summary.summary_lines())
    sys.exit(summary.exit_code)


@main.command()
@click.argument("out_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@transform_options
def transform(out_dir: Path, **kw: Any) -> None:
    """Normalise the archive in DIR/blog.db into posts, comments, authors and tags."""
    from transform.run import transform as run_transform

    summary = run_transform(out_dir, build_transform_options(kw))
    _echo_summary(summary.summary_lines())


@main.command()
@click.argument("out_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@export_options
def export(out_dir: Path, **kw: Any) -> None:
    """Write DIR's normalised tables to SQLite, WordPress WXR and Markdown, with redirect maps."""
    options = build_export_options(kw)
    from loaders.run import export as run_export

    summary = run_export(out_dir, options)
    _echo_summary(summary.summary_lines())


@main.command()
@click.argument("out_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--max-errors", type=click.IntRange(0), default=0, show_default=True,
              help="Exit 1 when more errors than this are found.")
@click.option("--max-warnings", type=click.IntRange(0), default=None, help="Exit 1 when more warnings than this.")
def validate(out_dir: Path, max_errors: int, max_warnings: int | None) -> None:
    """Check that nothing was lost: writes DIR/report.html and DIR/report.json."""
    from blogport.validate import ValidateOptions, validate as run_validate

    report = run_validate(out_dir, ValidateOptions(max_errors=max_errors, max_warnings=max_warnings))
    _echo_summary(report.summary_lines())
    sys.exit(report.exit_code)


@main.command()
@click.argument("source")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder for the archive, the exports and the report.")
@crawl_options
@transform_options
@export_options
@click.option("--no-validate", is_flag=True, help="Skip the validation report.")
def migrate(source: str, out_dir: Path, no_validate: bool, **kw: Any) -> None:
    """Crawl, transform, export and validate in one go."""
    config = MigrationConfig(
        source=source,
        crawl=build_crawl_options(kw),
        transform=build_transform_options(kw),
        export=build_export_options(kw),
    )
    from blogport.migrate import migrate as run_migrate

    result = run_migrate(config, out_dir, validate=not no_validate)
    _echo_summary(result.summary_lines())
    sys.exit(result.exit_code)


@main.command()
@click.argument("out_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def sync(out_dir: Path, as_json: bool) -> None:
    """Bring DIR up to date with the live blog (for cron): only what changed is fetched."""
    from blogport.sync import sync as run_sync

    result = run_sync(out_dir)
    if as_json:
        click.echo(json.dumps(result.as_dict(), sort_keys=True))
    else:
        _echo_summary(result.summary_lines())
    sys.exit(result.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
