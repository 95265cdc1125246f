"""Transform benchmark: ``python -m bench.transform [--posts 2000] [--out bench-output/transform]``.

Builds an archive of the fixture blog (rendered with ``fixtures.site``, extracted with
``crawler.extract``, stored with ``Archive.store_page``: no network), then times
``transform()`` alone (single-threaded; its CPU time is one core's work, reported beside
the wall time, which on a shared machine includes waiting for the CPU): a first run that inserts every row and a re-run that
updates them in place. Prints comments/s (target: at least 2,000/s) and the share of time
spent in dateparser.

Reference in the same run: reading every displayed date of the blog with dateparser alone
(what a transform without the learned fast path would spend), measured on a sample and
scaled to the blog's number of date strings.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.http import HtmlResponse

from bench.cpu import cpu_seconds
from kernel.archive import Archive
from crawler.extract import extract_comments, extract_post
from fixtures.blogger import generate_blog
from fixtures.site import render_site
from transform.options import TransformOptions
from transform.run import transform

BASE = "http://bench-fixture.blogspot.com"


def build_archive(folder: Path, posts: int, family: str, language: str) -> tuple[int, float]:
    """Render, extract and store the fixture blog; returns (pages stored, seconds)."""
    started = time.perf_counter()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    blog = generate_blog(seed=1, posts=posts, family=family, language=language, with_seeds=True)
    site = render_site(blog, BASE)
    stored = 0
    with Archive.in_dir(folder) as archive:
        for post in blog.posts:
            page = site.get(post.path)
            if page is None:  # drafts and scheduled posts are not served
                continue
            raw = extract_post(HtmlResponse(url=BASE + post.path, body=page.body, encoding="utf-8"))
            archive.store_page(raw.url, status=200, body=page.body, kind="post", posts=[raw])
            stored += 1
            for link in raw.comment_pages:
                parts = urlsplit(link)
                key = parts.path + (f"?{parts.query}" if parts.query else "")
                more = site.get(key)
                if more is None:
                    continue
                n = int(dict(q.split("=", 1) for q in parts.query.split("&") if "=" in q).get("commentPage", "1"))
                comments = extract_comments(HtmlResponse(url=link, body=more.body, encoding="utf-8"), raw.url, page=n)
                archive.store_page(link, status=200, body=more.body, kind="comments", comments=comments)
                stored += 1
    return stored, time.perf_counter() - started


def dateparser_reference(folder: Path, language: str, sample: int = 300) -> tuple[int, float]:
    """(number of displayed date strings in the archive, seconds dateparser alone would take)."""
    import dateparser

    from transform.dates import base_language

    strings: list[str] = []
    with Archive.in_dir(folder) as archive:
        for post in archive.raw_posts():
            strings += [s for s in (post.date_header, post.published_text) if s]
            strings += [c.date_text or c.header_text for c in post.comments if c.date_text or c.header_text]
    if not strings:
        return 0, 0.0
    rng = random.Random(3)
    picked = [rng.choice(strings) for _ in range(min(sample, len(strings)))]
    settings = {"PARSERS": ["absolute-time"], "REQUIRE_PARTS": ["day", "month", "year"]}
    lang = base_language(language)
    dateparser.parse("August 15, 2009", languages=[lang], settings=settings)  # load the language once
    started = time.perf_counter()
    for s in picked:
        dateparser.parse(s, languages=[lang], settings=settings)
    per = (time.perf_counter() - started) / len(picked)
    return len(strings), per * len(strings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.transform", description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--family", default="layout-threaded")
    parser.add_argument("--language", default="en")
    parser.add_argument("--out", type=Path, default=Path("bench-output/transform"))
    parser.add_argument("--keep", action="store_true", help="reuse an archive built by an earlier run")
    args = parser.parse_args(argv)

    db = args.out / "blog.db"
    if args.keep and db.exists():
        print(f"archive: reusing {db}")
    else:
        pages, secs = build_archive(args.out, args.posts, args.family, args.language)
        print(f"archive: {pages} pages of the {args.posts}-post fixture blog ({args.family}, {args.language})"
              f" rendered, extracted and stored in {secs:.1f} s")

    cpu0 = cpu_seconds()  # the forked child's CPU too (bench.cpu)
    first = transform(args.out, TransformOptions())
    cpu1 = cpu_seconds()
    again = transform(args.out, TransformOptions())
    cpu2 = cpu_seconds()
    first_cpu, again_cpu = cpu1 - cpu0, cpu2 - cpu1
    for line in first.summary_lines():
        print(f"  {line}")
    share = first.dateparser_s / first.elapsed_s if first.elapsed_s else 0.0
    cpu_rate = first.comments / first_cpu if first_cpu else 0.0
    print(f"transform (first run):  {first.posts} posts, {first.comments} comments in {first.elapsed_s:.2f} s wall"
          f" = {first.comments_per_s:,.0f} comments/s; {first_cpu:.2f} s CPU = {cpu_rate:,.0f} comments/s"
          " on one core (target >= 2,000/s)")
    print(f"transform (re-run):     {again.elapsed_s:.2f} s wall = {again.comments_per_s:,.0f} comments/s;"
          f" {again_cpu:.2f} s CPU = {again.comments / again_cpu if again_cpu else 0:,.0f} comments/s")
    try:
        load = os.getloadavg()[0]
        print(f"machine load average {load:.1f} on {os.cpu_count()} cores: wall figures include waiting for the CPU")
    except OSError:
        pass
    print(f"dateparser: {first.dateparser_calls} calls, {first.dateparser_s:.3f} s = {share:.1%} of the transform")
    count, ref = dateparser_reference(args.out, args.language)
    if count:
        print(f"reference: dateparser alone on the blog's {count} displayed dates would take {ref:.1f} s"
              f" ({ref / first.elapsed_s:.1f}x this whole transform)")
    ok = cpu_rate >= 2000 and first.exit_code == 0
    print("result:", "ok" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
