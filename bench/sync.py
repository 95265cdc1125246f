"""Benchmark of ``blogport sync``: ``python -m bench.sync [--posts N] [--mode html|feeds]``.

For the 2,000-post fixture blog with its feeds turned off (``html``: sync asks the listings),
and again with them on (``feeds``: sync asks the feeds), served on 127.0.0.1 by this process:

1. a full ``migrate --via html`` (timed);
2. two syncs of the unchanged blog: the first right after the migrate, the second a usual
   quiet night. For each: requests the blog answered, body bytes it sent for pages (target 0)
   and for feeds/robots.txt, and the sync's wall time as a share of the migrate's (target at
   most 10%);
3. one night's changes (one new post with a picture no other post has, one new comment on
   an old post, one edited post), then a sync: the post pages whose bodies were downloaded,
   against the three expected, and the pictures (the new one only, fetched by the sync's
   crawl process, kept for the export's pictures).

Figures are printed, never asserted: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fixtures.blogger import FixtureBlog, add_post, add_reply, edit_post, generate_blog
from fixtures.server import FixtureServer

PROJECT = Path(__file__).resolve().parent.parent
AUX = ("/feeds/", "/robots.txt")
PICTURES = "/images/"
NIGHT_PICTURE = "/images/13.png"
"""The night's new picture: the fixture's posts show /images/1.png to /images/12.png."""


def _blogport(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "blogport.cli", *args], capture_output=True, text=True,
                          cwd=PROJECT, timeout=3600)
    return proc, time.perf_counter() - started


@dataclass(frozen=True)
class Traffic:
    requests: int
    not_modified: int
    page_bytes: int
    aux_bytes: int
    pages_downloaded: frozenset[str]
    pictures: tuple[str, ...]


def _traffic(server: FixtureServer) -> Traffic:
    log = server.requests
    pages = [r for r in log if not r.path.startswith((*AUX, PICTURES))]
    return Traffic(
        requests=len(log),
        not_modified=sum(1 for r in log if r.status == 304),
        page_bytes=sum(r.bytes_sent for r in pages),
        aux_bytes=sum(r.bytes_sent for r in log if r.path.startswith(AUX)),
        pages_downloaded=frozenset(r.path.split("?")[0] for r in pages if r.bytes_sent and r.status == 200),
        pictures=tuple(sorted(r.path for r in log if r.path.startswith(PICTURES))),
    )


def _sync(out: Path, server: FixtureServer) -> tuple[dict[str, Any], Traffic, float]:
    server.clear_log()
    proc, wall = _blogport("sync", str(out), "--json")
    if proc.returncode not in (0, 1):
        raise SystemExit(f"sync failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout), _traffic(server), wall


def _night(blog: FixtureBlog) -> tuple[FixtureBlog, set[str]]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    posts = [p for p in blog.published_posts if p.kind == "post" and not p.is_seed]
    commented = next(p for p in posts[len(posts) // 2:] if any(c.parent_id is None for c in p.comments))
    parent = next(c for c in commented.comments if c.parent_id is None)
    edited = next(p for p in posts[len(posts) // 3:] if p.post_id != commented.post_id)
    changed = add_post(blog, title="Bench Night Post", published=now)
    post = changed.posts[-1]
    figure = (f'<div class="separator"><a href="{blog.public_url}{NIGHT_PICTURE}"><img border="0"'
              f' src="{blog.public_url}{NIGHT_PICTURE}" /></a></div>')
    post = replace(post, body_html=figure + post.body_html, images=(NIGHT_PICTURE,))
    changed = replace(changed, posts=changed.posts[:-1] + (post,))
    changed = add_reply(changed, commented.post_id, parent.comment_id, author_name="Bench",
                        body_text="A reply for the bench.", published=now)
    changed = edit_post(changed, edited.post_id, "Edited for the bench.", updated=now)
    return changed, {changed.posts[-1].path, commented.path, edited.path}


def run_mode(posts: int, feeds: bool, root: Path) -> float:
    mode = "feeds on" if feeds else "feeds off"
    blog = generate_blog(seed=1, posts=posts, feeds=feeds)
    out = root / ("feeds" if feeds else "html")
    with FixtureServer(blog) as server:
        migrated, migrate_s = _blogport("migrate", server.base_url + "/", "-o", str(out), "--via", "html",
                                        "--no-throttle", "--no-progress")
        if migrated.returncode not in (0, 1):
            raise SystemExit(f"migrate failed: {migrated.stderr.strip()[-2000:]}")
        full = _traffic(server)
        print(f"[{mode}] full migrate: {migrate_s:.1f} s, {full.requests} requests,"
              f" {full.page_bytes / 1e6:.1f} MB of page bodies, exit {migrated.returncode}")
        worst = 0.0
        for label in ("first sync after migrate", "second sync (quiet night)"):
            data, seen, wall = _sync(out, server)
            share = wall / migrate_s
            worst = max(worst, share)
            print(f"[{mode}] {label}: mode {data['mode']}, {seen.requests} requests ({seen.not_modified} not"
                  f" modified), page bodies {seen.page_bytes} bytes (target 0), feeds/robots.txt"
                  f" {seen.aux_bytes} bytes; {wall:.2f} s = {share:.1%} of the migrate (target <= 10%);"
                  f" exports {'rewritten' if data['exports_updated'] else 'untouched'}, exit {data['exit_code']}")
        changed, expected = _night(blog)
        server.publish(changed)
        data, seen, wall = _sync(out, server)
        extra = sorted(seen.pages_downloaded - expected)
        missing = sorted(expected - seen.pages_downloaded)
        post_pages = {p for p in seen.pages_downloaded if p.endswith(".html")}
        print(f"[{mode}] sync after 1 new post, 1 new comment, 1 edit: mode {data['mode']}, {seen.requests}"
              f" requests ({seen.not_modified} not modified), {seen.page_bytes / 1e3:.0f} KB of page bodies,"
              f" post pages downloaded {len(post_pages)} (expected 3, missing {missing or 'none'}),"
              f" other pages downloaded {len(extra) - len(post_pages - expected)}"
              f" {extra[:8]}{' ...' if len(extra) > 8 else ''};"
              f" pictures requested {list(seen.pictures)} (expected [{NIGHT_PICTURE!r}]);"
              f" posts {data['posts']}, comments new {data['comments']['new']}; {wall:.2f} s, exit {data['exit_code']}")
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--mode", choices=("html", "feeds", "both"), default="both")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: a temporary one)")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="blogport-bench-sync-")) if args.out is None else args.out
    if args.out is not None:
        shutil.rmtree(root, ignore_errors=True)
    try:
        modes = {"html": (False,), "feeds": (True,), "both": (False, True)}[args.mode]
        for feeds in modes:
            worst = run_mode(args.posts, feeds, root)
            print(f"result ({'feeds on' if feeds else 'feeds off'}): an unchanged sync takes at most"
                  f" {worst:.1%} of the migrate's wall time")
        return 0
    finally:
        if args.out is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
