"""Crawl benchmark: ``blogport crawl`` against ``wget --mirror`` on the same local blog.

    python -m bench.crawl [--posts 2000] [--seed 7] [--runs 1] [--reactor asyncio|epoll]
                          [--concurrency N] [--keep]

Starts ``python -m fixtures.server --posts N`` in its own process, then times, one after the
other against that same server:

* ``blogport crawl URL -o TMP --no-throttle --no-progress`` (a subprocess, the options a
  user would pass for a blog served on their own machine);
* the Scrapy floor (``bench.floor``): a bare Scrapy spider with the crawl's Scrapy settings
  and none of blogport's code, fetching exactly the URLs that crawl fetched;
* ``wget --mirror --reject-regex '\\?' -q -P TMP2 URL``.

One untimed wget pass first warms the server (it renders pages on first request). wget's
"pages" are every document it saved (HTML pages, per-post comment feeds, images); the
HTML-only rate is printed beside it.

Prints pages fetched, seconds and pages/s for blogport and wget, the ratio of the rates
(blogport pages/s / wget pages/s) and the ratio of the times to complete
(wget seconds / blogport seconds), and the floor's seconds with blogport's time over it
(blogport seconds / floor seconds: what blogport's own code and processes add to Scrapy).
Speed is measured here only, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
REACTORS = {
    "asyncio": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "epoll": "twisted.internet.epollreactor.EPollReactor",
}


TREE_ENV = "BLOGPORT_BENCH_TREE"
"""A checkout of another blogport version to measure instead of this one (before/after in
one run); the fixture blogs and servers always come from this one."""


def bench_cwd() -> Path:
    """Where blogport's processes start: ``python -m``/``-c`` put their folder first on the
    path, so the tree measured is the folder they start in."""
    tree = os.environ.get(TREE_ENV)
    return Path(tree) if tree else PROJECT


def _env(tree: bool = True) -> dict[str, str]:
    """The environment of blogport's processes: this project (or ``$BLOGPORT_BENCH_TREE``)
    first on the path, and bytecode written as an installed package has it (a
    ``PYTHONDONTWRITEBYTECODE`` of the shell would make every run compile every module)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    first = [env[TREE_ENV]] if tree and env.get(TREE_ENV) else []
    rest = [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []
    env["PYTHONPATH"] = os.pathsep.join([*first, str(PROJECT), *rest])
    return env


def start_server(posts: int, seed: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fixtures.server", "--posts", str(posts), "--seed", str(seed)],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(tree=False),
        cwd=PROJECT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("http"):
        proc.kill()
        raise SystemExit(f"fixture server did not start: {line!r}")
    return proc, line.rstrip("/") + "/"


def blogport_command() -> list[str]:
    exe = Path(sys.executable).with_name("blogport")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "blogport.cli"]


def run_floor(archive: Path, work: Path, reactor: str | None = None, concurrency: int | None = None) -> dict[str, float]:
    """The Scrapy floor (``bench.floor``, always this tree's) on the URLs a crawl into
    ``archive`` fetched."""
    from bench.floor import run_floor as floor

    return floor(archive, work, _env(tree=False), PROJECT, REACTORS[reactor] if reactor else None, concurrency)


def run_blogport(url: str, out: Path, concurrency: int | None, reactor: str | None) -> dict[str, float]:
    cmd = [*blogport_command(), "crawl", url, "-o", str(out), "--via", "html", "--no-throttle", "--no-progress"]
    if concurrency:
        cmd += ["--concurrency", str(concurrency)]
    env = _env()
    if reactor:
        env["BLOGPORT_REACTOR"] = REACTORS[reactor]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=PROJECT)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"blogport crawl failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    match = re.search(r"pages fetched: (\d+)", proc.stdout)
    pages = int(match.group(1)) if match else 0
    conn = sqlite3.connect(out / "blog.db")
    try:
        posts = conn.execute("SELECT count(*) FROM raw_posts").fetchone()[0]
        comments = conn.execute("SELECT count(*) FROM raw_comments").fetchone()[0]
    finally:
        conn.close()
    return {"pages": pages, "seconds": elapsed, "posts": posts, "comments": comments, "exit": proc.returncode}


def run_wget(url: str, out: Path) -> dict[str, float]:
    cmd = ["wget", "--mirror", "--reject-regex", r"\?", "-q", "-P", str(out), url]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    files = [p for p in out.rglob("*") if p.is_file() and p.name != "robots.txt"]
    html = [p for p in files if p.name.endswith(".html") or ".html?" in p.name]
    return {"pages": len(files), "html": len(html), "seconds": elapsed, "exit": proc.returncode}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crawl", description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=1, help="repeat both and keep the best of each")
    parser.add_argument("--reactor", choices=sorted(REACTORS), default=None, help="Twisted reactor for the crawl")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--skip-wget", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    if not args.skip_wget and shutil.which("wget") is None:
        raise SystemExit("wget is not installed; use --skip-wget")

    server, url = start_server(args.posts, args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="blogport-bench-"))
    best_b: dict[str, float] | None = None
    best_w: dict[str, float] | None = None
    best_f: dict[str, float] | None = None
    try:
        if not args.skip_wget:
            # one untimed pass, so both tools meet a server that has rendered every page once
            run_wget(url, tmp / "warm-up")
        for run in range(args.runs):
            out = tmp / f"blogport-{run}"
            result = run_blogport(url, out, args.concurrency, args.reactor)
            if best_b is None or result["seconds"] < best_b["seconds"]:
                best_b = result
            fres = run_floor(out / "blog.db", tmp, args.reactor, args.concurrency)
            if best_f is None or fres["seconds"] < best_f["seconds"]:
                best_f = fres
            if not args.skip_wget:
                wout = tmp / f"wget-{run}"
                wres = run_wget(url, wout)
                if best_w is None or wres["seconds"] < best_w["seconds"]:
                    best_w = wres
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)

    assert best_b is not None
    b_rate = best_b["pages"] / best_b["seconds"]
    print(f"blog: {url} ({args.posts} posts, seed {args.seed})")
    print(
        f"blogport crawl --no-throttle: {best_b['pages']:.0f} pages in {best_b['seconds']:.2f} s"
        f" = {b_rate:.0f} pages/s ({best_b['posts']:.0f} posts, {best_b['comments']:.0f} comments archived)"
    )
    figures: dict[str, float] = {"blogport_pages": best_b["pages"], "blogport_s": best_b["seconds"], "blogport_rate": b_rate}
    if best_w is not None:
        w_rate = best_w["pages"] / best_w["seconds"]
        print(f"wget --mirror:                {best_w['pages']:.0f} pages in {best_w['seconds']:.2f} s = {w_rate:.0f} pages/s"
              f" ({best_w['html']:.0f} of them HTML pages, the rest per-post comment feeds and images:"
              f" {best_w['html'] / best_w['seconds']:.0f} HTML pages/s)")
        print(f"ratio (blogport pages/s / wget pages/s): {b_rate / w_rate:.2f}")
        print(f"time-to-complete ratio (wget s / blogport s): {best_w['seconds'] / best_b['seconds']:.2f}")
        figures.update(wget_pages=best_w["pages"], wget_s=best_w["seconds"], wget_rate=w_rate,
                       ratio=b_rate / w_rate, time_ratio=best_w["seconds"] / best_b["seconds"])
    if best_f is not None:
        print(f"scrapy floor (bench.floor):   {best_f['pages']:.0f} pages in {best_f['seconds']:.2f} s"
              f" ({best_f['crawl_s']:.2f} s of them fetching, the rest Python and Scrapy start-up)")
        print(f"blogport over the floor (blogport s / floor s): {best_b['seconds'] / best_f['seconds']:.2f}")
        figures.update(floor_pages=best_f["pages"], floor_s=best_f["seconds"], floor_crawl_s=best_f["crawl_s"],
                       over_floor=best_b["seconds"] / best_f["seconds"])
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
