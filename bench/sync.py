"""Benchmark of ``blogport sync`` on an unchanged blog: ``python -m bench.sync``.

Serves the 2,000-post bench blog (``python -m fixtures.server --posts 2000``, its own
process), migrates it in full, then syncs the unchanged blog twice (the first sync after a
migrate has no feed validators yet; the second is a usual quiet night). Prints the bytes of
page bodies each sync downloaded (target 0) and each sync's wall time as a share of the full
crawl's (target at most 10%).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def _blogport(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "blogport.cli", *args], capture_output=True, text=True,
                          cwd=PROJECT)
    return proc, time.perf_counter() - started


def _meta(db: Path, key: str) -> object:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: a temporary one)")
    args = parser.parse_args(argv)

    server = subprocess.Popen([sys.executable, "-m", "fixtures.server", "--posts", str(args.posts)],
                              stdout=subprocess.PIPE, text=True, cwd=PROJECT)
    temp = None
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        if not base_url.startswith("http"):
            print(f"the fixture server did not start (said {base_url!r})", file=sys.stderr)
            return 2
        if args.out is None:
            temp = Path(tempfile.mkdtemp(prefix="blogport-bench-sync-"))
            out = temp / "site"
        else:
            out = args.out
            shutil.rmtree(out, ignore_errors=True)
        print(f"blog: {base_url}/ ({args.posts} posts), output: {out}")

        migrated, migrate_s = _blogport("migrate", base_url + "/", "-o", str(out), "--via", "html", "--no-throttle",
                                        "--no-progress")
        if migrated.returncode not in (0, 1):
            print(migrated.stderr, file=sys.stderr)
            return 2
        crawl = _meta(out / "blog.db", "last_crawl") or {}
        crawl_s = float(crawl.get("elapsed_s") or migrate_s)
        print(f"full migrate: {migrate_s:.1f} s wall (crawl {crawl_s:.1f} s: {crawl.get('pages_fetched')} pages,"
              f" {crawl.get('bytes_downloaded', 0) / 1e6:.1f} MB of page bodies), exit {migrated.returncode}")

        worst = 0.0
        for label in ("first sync after migrate", "second sync (quiet night)"):
            proc, wall = _blogport("sync", str(out), "--json")
            if proc.returncode not in (0, 1):
                print(proc.stderr, file=sys.stderr)
                return 2
            data = json.loads(proc.stdout)
            share = wall / crawl_s
            worst = max(worst, share)
            print(f"{label}: mode {data['mode']}, {data['requests']} requests ({data['not_modified']} not modified),"
                  f" page bodies downloaded: {data['page_bytes']} bytes (target 0),"
                  f" feed bodies: {data['feed_bytes']} bytes;"
                  f" wall {wall:.2f} s (in-process {data['elapsed_s']:.2f} s) = {share:.1%} of the crawl"
                  f" (target <= 10%), {share * crawl_s / migrate_s:.1%} of the migrate;"
                  f" exports {'rewritten' if data['exports_updated'] else 'untouched'}, exit {data['exit_code']}")
        print(f"result: sync at most {worst:.1%} of the full crawl's wall time")
        return 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
