"""Export benchmark: ``python -m bench.export [--sizes 2000,20000] [--out bench-output/export]``.

Builds normalised tables for synthetic blogs (about 4 comments per post, threads 3 deep)
with ``transform.store.save``, times the export to all formats for the first size, and
measures each export's peak memory in a child process (its own ``ru_maxrss``): the export
streams, so the peak should stay nearly flat as the blog grows.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlite_utils

from transform.models import Author, Comment, Post, Tag
from transform.store import save

WORDS = ("client service blog post migration archive label comment thread reply owner legacy "
         "template widget feed sitemap markdown hugo jekyll wordpress export import").split()


def build(folder: Path, posts: int, seed: int = 7) -> Path:
    """A synthetic blog of ``posts`` posts in ``folder/blog.db`` (replaced if present)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    authors = [Author("blogger:owner", "Blog Owner", is_owner=True)] + [
        Author(f"name:reader{i}", f"Reader {i}") for i in range(50)
    ]
    tags = [Tag(f"label-{i}", f"Label {i}", f"http://bench.example.com/search/label/Label%20{i}") for i in range(30)]
    start = datetime(2006, 1, 1, tzinfo=timezone.utc)
    local = timezone(timedelta(hours=-7))
    conn = sqlite3.connect(str(folder / "blog.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    db = sqlite_utils.Database(conn)
    batch = 2000
    for first in range(0, posts, batch):
        post_models, comment_models = [], []
        for i in range(first, min(first + batch, posts)):
            when = start + timedelta(hours=6 * i, minutes=rng.randrange(60))
            paragraphs = ["<p>" + " ".join(rng.choice(WORDS) for _ in range(60)) + "</p>" for _ in range(5)]
            body = "".join(paragraphs) + f'<p><a href="http://example.com/{i}">link</a> <b>bold</b> {{{{ x }}}}</p>'
            pid = str(1_000_000 + i)
            post_models.append(Post(
                id=pid, url=f"http://bench.example.com/{when:%Y/%m}/post-{i}.html", title=f"Post number {i}: a test",
                slug=f"post-{i}", body_html=body, body_text=body, published=when.isoformat(),
                published_local=when.astimezone(local).isoformat(), author_id="blogger:owner",
                tags=tuple(sorted({f"label-{rng.randrange(30)}" for _ in range(2)})),
            ))
            parent: str | None = None
            for k in range(4):
                cwhen = when + timedelta(hours=k + 1)
                cid = f"{pid}{k}"
                depth = k if k < 3 else 0
                comment_models.append(Comment(
                    id=cid, post_id=pid, body_html=f"<p>comment {k} on {i}</p>", body_text=f"comment {k} on {i}",
                    published=cwhen.isoformat(), published_local=cwhen.astimezone(local).isoformat(),
                    author_id=f"name:reader{rng.randrange(50)}", parent_id=parent if k < 3 else None,
                    parent_ref=parent if k < 3 else None, depth=depth, thread_order=k,
                ))
                parent = cid if k < 2 else None
        save(db, authors=authors, tags=tags, posts=post_models, comments=comment_models)
    conn.close()
    return folder


CHILD = """
import json, resource, sys, time
from pathlib import Path
from loaders.options import ExportOptions
from loaders.run import export
t = time.perf_counter()
s = export(Path(sys.argv[1]), ExportOptions())
ru = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the forked WXR writer's, once reaped
print(json.dumps({"elapsed_s": time.perf_counter() - t, "maxrss_kb": max(ru.ru_maxrss, kids.ru_maxrss),
                  "cpu_s": ru.ru_utime + ru.ru_stime + kids.ru_utime + kids.ru_stime, "counts": s.counts}))
"""
"""One export in a child process: its wall time, CPU (its forked child's included) and peak RSS
(this process's or its forked child's, whichever is higher)."""


def run_child(folder: Path) -> dict:
    from bench.crawl import _env, bench_cwd

    out = subprocess.run([sys.executable, "-c", CHILD, str(folder)], check=True, capture_output=True, text=True,
                         env=_env(), cwd=bench_cwd())
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--out", default="bench-output/export")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for n in sizes:
        t = time.perf_counter()
        folder = build(Path(args.out) / f"posts-{n}", n)
        built = time.perf_counter() - t
        r = run_child(folder)
        results.append((n, built, r))
        c = r["counts"]
        print(f"{n:>6} posts, {c['wxr']['comments']} comments: tables built in {built:.1f}s; export (sqlite+wxr+markdown"
              f"+redirects) {r['elapsed_s']:.1f}s wall = {n / r['elapsed_s']:.0f} posts/s ({r['cpu_s']:.1f}s CPU); peak RSS {r['maxrss_kb'] / 1024:.1f} MB")
    if len(results) > 1:
        (n0, _, r0), (n1, _, r1) = results[0], results[-1]
        print(f"peak memory {n1} vs {n0} posts: {r1['maxrss_kb'] / r0['maxrss_kb']:.2f}x for {n1 / n0:.0f}x the posts")


if __name__ == "__main__":
    main()
