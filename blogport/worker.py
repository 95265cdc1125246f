"""The ``blogport worker`` command (registered by ``blogport.cli``): one fetching process of a
distributed batch, on any machine that reaches the Redis and the blogs (``crawler.redis_worker``)."""

from __future__ import annotations

import json
import logging
from typing import Any

import click

from blogport.cli_options import common_options, is_quiet


def _log_level() -> str:
    level = logging.getLogger().getEffectiveLevel()
    return "DEBUG" if level <= logging.DEBUG else "INFO" if level <= logging.INFO else "WARNING"


@click.command()
@click.option("--redis", "redis_url", required=True, metavar="redis://HOST:PORT/DB",
              help="The Redis that `blogport batch --redis` uses.")
@click.option("--idle-exit", type=click.FloatRange(0), default=0.0, metavar="SECONDS",
              help="Stop when the queue stayed empty this long (default: run until Ctrl-C or SIGTERM).")
@click.option("--concurrency", "in_flight", type=click.IntRange(1, 256), default=16, show_default=True,
              help="Requests this worker takes on at once, all blogs together (each blog's own limit is the batch's"
                   " --concurrency, shared by all workers).")
@click.option("--redis-wait", type=click.FloatRange(0), default=30.0, show_default=True, metavar="SECONDS",
              help="How long to wait for a Redis that stopped answering before giving up (exit 2).")
@click.option("--id", "worker_id", default="", metavar="NAME", help="Name of this worker (default: a random one).")
@common_options
@click.pass_context
def worker(ctx: click.Context, redis_url: str, idle_exit: float, in_flight: int, redis_wait: float,
           worker_id: str, as_json: bool, **kw: Any) -> None:
    """Fetch pages for the batches in a Redis: walks their blogs with scrapy-redis's scheduler
    and duplicate filter and pushes every page to Redis for the batch's archives."""
    from crawler.redis_worker import run_worker

    summary = run_worker(redis_url, idle_exit=idle_exit, worker_id=worker_id, log_level=_log_level(),
                         in_flight=in_flight, redis_wait=redis_wait)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), sort_keys=True))
    elif not is_quiet(ctx):
        for line in summary.summary_lines():
            click.echo(line)
