"""``python -m bench.floor URLS``: the floor Scrapy sets under ``blogport crawl``.

A bare Scrapy spider that requests every URL of the file ``URLS`` (one a line) and does
nothing with the answers: no link discovery, no decoding, no extraction, no archive, none
of blogport's middlewares, pipelines or extensions. Everything else is the crawl's own
configuration (``crawler.settings.build_settings`` for ``--no-throttle``): the same Scrapy,
the same reactor, the same concurrency (overall and per domain), the same Scrapy components
left in and out, DNS cache, timeouts and headers. robots.txt is not obeyed but fetched as one
URL of the list, as the crawl fetches it once.

The spider knows every URL from the start, so the figure is a lower bound of any Scrapy
crawl of that URL set: a crawl also has to discover its URLs page by page.

``bench.crawl`` and ``bench.variety`` run it in a child process right after a crawl, on the
URLs that crawl fetched (``fetched_urls``), and time the whole process (Python and Scrapy
start-up included, as for ``blogport crawl``). It prints one JSON line: ``pages`` answered,
``crawl_s`` (the reactor's crawl, first request to last answer).
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: The settings ``blogport crawl`` adds for its own code, left out of the floor.
OURS = ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS", "ITEM_PIPELINES")


def fetched_urls(archive: Path) -> list[str]:
    """The URLs a crawl into ``archive`` (``blog.db``) fetched: every page it stored and
    each host's robots.txt."""
    conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    try:
        pages = [row[0] for row in conn.execute("SELECT url FROM pages ORDER BY rowid")]
    finally:
        conn.close()
    robots = sorted({f"{s.scheme}://{s.netloc}/robots.txt" for s in map(urlsplit, pages)})
    return [*robots, *pages]


def floor_settings(reactor: str | None = None, concurrency: int | None = None) -> dict[str, Any]:
    """The crawl's settings for ``--no-throttle`` (and ``--concurrency``) without blogport's
    components."""
    from crawler.options import CrawlOptions
    from crawler.settings import build_settings

    options = CrawlOptions(autothrottle=False, obey_robots=False)
    if concurrency:
        options = CrawlOptions(autothrottle=False, obey_robots=False, concurrency=concurrency)
    settings = build_settings(options, Path("unused.db"), reactor=reactor)
    for key in OURS:
        settings[key] = {}
    settings["LOG_INSTALL_ROOT_HANDLER"] = True  # as the crawl process
    return {key: value for key, value in settings.items() if not key.startswith("BLOGPORT_")}


def run(urls: list[str], reactor: str | None = None, concurrency: int | None = None) -> dict[str, float]:
    from scrapy.utils.reactor import install_reactor

    settings = floor_settings(reactor, concurrency)
    install_reactor(settings["TWISTED_REACTOR"])
    import scrapy
    from scrapy.crawler import CrawlerProcess

    times: dict[str, float] = {}
    answered = [0]

    class FloorSpider(scrapy.Spider):
        name = "floor"

        async def start(self) -> Any:
            times["first"] = time.perf_counter()
            for url in urls:
                yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True)

        def parse(self, response: Any) -> None:
            answered[0] += 1
            times["last"] = time.perf_counter()

        def failed(self, failure: Any) -> None:
            times["last"] = time.perf_counter()

    process = CrawlerProcess(settings)
    # as the crawl process: Scrapy's per-page debug records are not even made, and the
    # once-per-crawl warning about the Referer header (no Referer middleware) is not shown
    logging.getLogger("scrapy").setLevel(settings["LOG_LEVEL"])
    logging.getLogger("scrapy.downloadermiddlewares.redirect").setLevel(logging.ERROR)
    process.crawl(FloorSpider)
    process.start()
    first = times.get("first", 0.0)
    return {"pages": answered[0], "crawl_s": times.get("last", first) - first}


def run_floor(archive: Path, work: Path, env: dict[str, str], cwd: Path, reactor: str | None = None,
              concurrency: int | None = None) -> dict[str, float]:
    """Run the floor in a child process on the URLs the crawl into ``archive`` fetched;
    its figures with ``seconds``, the whole process's wall time."""
    import subprocess

    listing = work / "floor-urls.txt"
    urls = fetched_urls(archive)
    listing.write_text("\n".join(urls) + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "bench.floor", str(listing)]
    if reactor:
        cmd += ["--reactor", reactor]
    if concurrency:
        cmd += ["--concurrency", str(concurrency)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    elapsed = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"the Scrapy floor failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**figures, "urls": len(urls), "seconds": elapsed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", type=Path, help="a file of URLs, one a line")
    parser.add_argument("--reactor", default=None, help="Twisted reactor (default: the crawl's)")
    parser.add_argument("--concurrency", type=int, default=None, help="as blogport crawl --concurrency")
    args = parser.parse_args(argv)
    urls = [line.strip() for line in args.urls.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(json.dumps(run(urls, args.reactor, args.concurrency)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
