"""The ``blogport batch`` command (registered by ``blogport.cli``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from blogport.cli_options import (
    build_crawl_options,
    build_export_options,
    build_transform_options,
    common_options,
    crawl_options,
    export_options,
    is_quiet,
    threshold_options,
    transform_options,
)


@click.command()
@click.argument("blog_list", metavar="LIST", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", "root", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Root folder: each blog goes to ROOT/<its host> (':' as '_'), a normal blogport folder.")
@click.option("--redis", "redis_url", default=None, metavar="redis://HOST:PORT/DB",
              help="Spread the crawls over `blogport worker` processes sharing this Redis; the archives stay here.")
@click.option("--jobs", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Blogs migrated at once on this machine (with --redis: blogs transformed and exported at once).")
@crawl_options
@transform_options
@export_options
@threshold_options
@common_options
@click.pass_context
def batch(ctx: click.Context, blog_list: Path, root: Path, redis_url: str | None, jobs: int,
          max_errors: int, max_warnings: int | None, as_json: bool, **kw: Any) -> None:
    """Migrate every blog in LIST (one blog URL, mirror folder or export file a line; # comments).

    Several blogs run at once, with one progress display and a summary table. Exit 0 all well,
    1 some blog had item failures, 2 some blog could not run.
    """
    from blogport.batch import read_list, run_local
    from blogport.batch_board import Board
    from blogport.config import MigrationConfig
    from blogport.migrate import prepare_out_dir
    from blogport.validate_options import ValidateOptions

    entries = read_list(blog_list)
    template = MigrationConfig(
        source="",
        crawl=build_crawl_options(kw, live=False),
        transform=build_transform_options(kw),
        export=build_export_options(kw),
    )
    validate_options = ValidateOptions(max_errors=max_errors, max_warnings=max_warnings)
    quiet = is_quiet(ctx) or as_json
    board = Board([e.name for e in entries], live=not quiet and not kw["no_progress"] and sys.stderr.isatty(),
                  plain=not quiet)
    if redis_url:
        from blogport.batch_redis import run_redis

        result = run_redis(entries, root, template, redis_url, jobs=jobs, board=board,
                           validate_options=validate_options)
    else:
        prepare_out_dir(root)
        result = run_local(entries, root, template, jobs=jobs, board=board, validate_options=validate_options)
    if as_json:
        click.echo(json.dumps(result.as_dict(), sort_keys=True))
    elif not is_quiet(ctx):
        for line in result.summary_lines():
            click.echo(line)
    sys.exit(result.exit_code)
