"""The options the ``blogport`` commands share, and how they become each stage's options.

Every command takes ``-v``/``-q`` (before or after its name), ``--json`` and ``-h``; the crawl,
transform, export and validation options are declared once here and added to each command
that runs that stage (``migrate`` and ``sync`` included).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import click

from crawler.options import DEFAULT_USER_AGENT, CrawlOptions
from kernel.errors import SourceError
from loaders.options import ALL_FORMATS, ExportOptions
from loaders.site_flavors import FLAVORS, TARGETS
from transform.options import TransformOptions

SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2, "G": 1024**3, "GB": 1024**3}
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def parse_size(text: str, option: str | None = None) -> int:
    """'10MB' -> 10485760; '512K' -> 524288; '2000' -> 2000. ``option`` names the option in
    the error."""
    raw = text.strip().upper()
    number = raw.rstrip("KMGB")
    unit = raw[len(number):]
    try:
        value = float(number)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a size (try 10MB, 512K or a number of bytes)", param_hint=option)
    if unit not in SIZE_UNITS or value <= 0:
        raise click.BadParameter(f"{text!r} is not a size (try 10MB, 512K or a number of bytes)", param_hint=option)
    return int(value * SIZE_UNITS[unit])


def _formats(text: str) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in wanted if f not in ALL_FORMATS]
    if unknown or not wanted:
        named = ", ".join(unknown) if unknown else repr(text)
        raise click.BadParameter(f"unknown format {named}; choose from {', '.join(ALL_FORMATS)}")
    return wanted


def _apply(options: list[Callable[[Any], Any]], func: Callable[..., Any]) -> Callable[..., Any]:
    for decorator in reversed(options):
        func = decorator(func)
    return func


# -- verbosity: -v / -q anywhere on the line ----------------------------------------------
def _verbosity(ctx: click.Context, param: click.Parameter, value: int) -> None:
    if not value or ctx.resilient_parsing:
        return
    meta = ctx.find_root().meta
    key = "blogport.verbose" if param.name == "verbose" else "blogport.quiet"
    meta[key] = meta.get(key, 0) + value
    apply_log_level(ctx)


def apply_log_level(ctx: click.Context) -> None:
    meta = ctx.find_root().meta
    verbose, quiet = meta.get("blogport.verbose", 0), meta.get("blogport.quiet", 0)
    level = logging.ERROR if quiet and not verbose else max(logging.WARNING - 10 * verbose, logging.DEBUG)
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format=LOG_FORMAT)
    root.setLevel(level)


def is_quiet(ctx: click.Context) -> bool:
    meta = ctx.find_root().meta
    return bool(meta.get("blogport.quiet")) and not meta.get("blogport.verbose")


VERBOSE = click.option("-v", "--verbose", count=True, expose_value=False, callback=_verbosity,
                       help="More log output (-vv for debug).")
QUIET = click.option("-q", "--quiet", count=True, expose_value=False, callback=_verbosity,
                     help="Errors only: no progress, no summary.")


def common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``-v``, ``-q`` and ``--json``, on every command."""
    return _apply([
        VERBOSE,
        QUIET,
        click.option("--json", "as_json", is_flag=True,
                     help="Print one JSON object with the results instead of the summary."),
    ], func)


# -- the stages' options ------------------------------------------------------------------
def crawl_options(func: Callable[..., Any]) -> Callable[..., Any]:
    return _apply([
        click.option("--via", type=click.Choice(["auto", "html", "feeds"]), default="auto", show_default=True,
                     help="Walk the HTML pages, read the Atom feeds, or use feeds where the blog serves them."),
        click.option("--ignore-robots", is_flag=True, help="Do not obey robots.txt (only for your own blog)."),
        click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
                     help="Requests in flight at once."),
        click.option("--delay", type=click.FloatRange(0, 3600), default=0.0, metavar="SECONDS",
                     help="Wait this long between requests to the blog (like wget --wait)."),
        click.option("--wayback", default="", metavar="REPLAY_PREFIX",
                     help="Read the blog's captures from this Wayback server (https://web.archive.org/web,"
                          " http://HOST:PORT/COLL for pywb); the blog itself is not contacted."),
        click.option("--cdx", default="", metavar="CDX_URL",
                     help="The CDX server of --wayback (default: the one of that host, or PREFIX/cdx)."),
        click.option("--at", default="", metavar="YYYYMMDD",
                     help="Web-archive sources (.warc, .warc.gz, .wacz): the newest capture on or before this day."),
        click.option("--no-throttle", is_flag=True,
                     help="Turn AutoThrottle off (for a blog served on your own machine)."),
        click.option("--max-page-size", default="10MB", show_default=True, metavar="SIZE",
                     help="Skip pages larger than this (10MB, 512K or bytes)."),
        click.option("--user-agent", default=DEFAULT_USER_AGENT, help="User-Agent header to send."),
        click.option("--no-progress", is_flag=True, help="No live progress display."),
        click.option("--limit", type=click.IntRange(0), default=0, metavar="N",
                     help="A trial run: only the newest N posts and their comments (0: every post)."
                          " Kept for sync."),
    ], func)


CRAWL_PARAMS = ("via", "ignore_robots", "concurrency", "delay", "no_throttle", "max_page_size", "user_agent",
                "limit")
"""The crawl options that ``sync`` may change in a saved migration."""


def transform_options(func: Callable[..., Any]) -> Callable[..., Any]:
    return _apply([
        click.option("--language", default=None,
                     help="Language of displayed dates (en, es, de...); default: from the pages."),
        click.option("--timezone", default=None,
                     help="Blog time zone (IANA name such as Europe/Berlin, or +02:00); default: from the blog."),
    ], func)


def export_options(func: Callable[..., Any]) -> Callable[..., Any]:
    return _apply([
        click.option("--to", "formats", default=",".join(ALL_FORMATS), show_default=True,
                     help="Comma-separated exports: sqlite, wxr, markdown."),
        click.option("--flavor", type=click.Choice(FLAVORS), default="hugo", show_default=True,
                     help="Markdown site: Hugo, Jekyll or Pelican (config, layouts and comment threads included)."),
        click.option("--new-site-url", default=None, metavar="URL",
                     help="Address of the new site (https://example.org/): redirect rules become absolute, site"
                          " configs get it as base URL, a *.blogspot.com blog gets redirects/blogger-theme.xml."),
        click.option("--redirects-for", type=click.Choice(TARGETS), default=None,
                     help="The site the redirect maps point at (default: the Markdown flavour, or WordPress"
                          " when no Markdown is written)."),
        click.option("--new-url-pattern", default=None, metavar="PATTERN",
                     help="New post URLs, e.g. /{year}/{month}/{slug}/ ({year} {month} {day} {slug});"
                          " default: the new site's own permalinks."),
        click.option("--tags-as", type=click.Choice(["tags", "categories"]), default="tags", show_default=True,
                     help="Blogger labels become WordPress tags or categories."),
        click.option("--max-size", default=None, metavar="SIZE",
                     help="Split the WXR into files of at most this size (8MB, 512K or bytes)."),
        click.option("--download-images/--no-download-images", default=True, show_default=True,
                     help="Fetch the posts' images (full size, from the blog's and Blogger's image hosts) into the"
                          " Markdown output and link them there; --no-download-images keeps the links."),
        click.option("--max-image-size", default="20MB", show_default=True, metavar="SIZE",
                     help="Images larger than this keep their original link (20MB, 512K or bytes)."),
        click.option("--keep-old-links", is_flag=True,
                     help="Leave links between posts pointing at the old blog (default: rewrite to the new URLs)."),
    ], func)


def threshold_options(func: Callable[..., Any]) -> Callable[..., Any]:
    return _apply([
        click.option("--max-errors", type=click.IntRange(0), default=0, show_default=True,
                     help="Exit 1 when validation finds more errors than this."),
        click.option("--max-warnings", type=click.IntRange(0), default=None,
                     help="Exit 1 when validation finds more warnings than this (default: warnings never fail)."),
    ], func)


def force_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--force", is_flag=True,
                        help="Write into a folder that is not empty; set aside (as blog.db.old) another blog's archive.")(func)


def build_crawl_options(kw: dict[str, Any], *, live: bool = True) -> CrawlOptions:
    return CrawlOptions(
        via=kw["via"],
        obey_robots=not kw["ignore_robots"],
        concurrency=kw["concurrency"],
        autothrottle=not kw["no_throttle"],
        max_page_bytes=parse_size(kw["max_page_size"]),
        user_agent=kw["user_agent"],
        progress=live and not kw["no_progress"] and sys.stderr.isatty(),
        delay=kw["delay"],
        at=_capture_day(kw.get("at") or ""),
        wayback=kw.get("wayback") or "",
        cdx=kw.get("cdx") or "",
        limit=kw.get("limit") or 0,
    )


def _capture_day(text: str) -> str:
    if text and not (len(text) == 8 and text.isdigit()):
        raise SourceError(f"--at {text}: not a day written YYYYMMDD")
    return text


def build_transform_options(kw: dict[str, Any]) -> TransformOptions:
    return TransformOptions(language=kw["language"], timezone=kw["timezone"])


def build_export_options(kw: dict[str, Any]) -> ExportOptions:
    return ExportOptions(
        formats=_formats(kw["formats"]),
        flavor=kw["flavor"],
        tags_as=kw["tags_as"],
        max_size=parse_size(kw["max_size"]) if kw["max_size"] else None,
        download_images=kw["download_images"],
        image_max_bytes=parse_size(kw.get("max_image_size") or "20MB", "--max-image-size"),
        rewrite_links=not kw["keep_old_links"],
        new_site_url=kw["new_site_url"],
        redirects_for=kw["redirects_for"],
        new_url_pattern=kw["new_url_pattern"],
    )


def given(ctx: click.Context, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` the person typed on the command line (not defaults)."""
    return [n for n in names if ctx.get_parameter_source(n) == click.core.ParameterSource.COMMANDLINE]
