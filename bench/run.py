"""`make bench`: every stage's benchmark, each in its own process, in one session.

    python -m bench.run [--big] [NAME ...]

These machines are noisy: each benchmark runs its reference tool in the same run and
prints the ratio, so figures are compared within one run, never across runs.

The default run (about eight minutes on a quiet two-core machine) benches four generated blogs
of different families, languages, comment and cruft densities at 200 posts each (crawl and
migrate against ``wget --mirror``, transform comments/s per core, validate against export),
the real pages and export of ``../shared/realdata``, Blogger export files of 200 and 2,000
posts against ``pelican-import`` (which converts one file per post and comment with pandoc:
about three minutes for 2,000 posts), the export's peak memory at 2,000 and 20,000 posts
(under a minute), and ``blogport batch``. ``--big`` runs the blogs at 2,000 posts and the sync
benchmark as well. Names pick benchmarks: ``variety realpages convert export sync batch crawl
transform``.
"""

from __future__ import annotations

import subprocess
import sys
import time

BENCHES = [
    ("variety", "bench.variety", "blogs of four families: crawl and migrate vs wget, comments/s per core, validate"),
    ("realpages", "bench.realpages", "the real Blogger pages and export of ../shared/realdata"),
    ("convert", "bench.convert", "Blogger export files: blogport migrate vs pelican-import"),
    ("export", "bench.export", "export to all formats, seconds and peak memory for 10x the posts"),
    ("sync", "bench.sync", "unchanged sync after a full crawl: bytes and time share"),
    ("batch", "bench.batch", "ten 200-post blogs: batch here and over Redis with 1, 2, 4 workers vs migrate one after another"),
    ("crawl", "bench.crawl", "blogport crawl vs wget --mirror on one 2,000-post blog"),
    ("transform", "bench.transform", "transform of one 2,000-post blog against dateparser"),
]
DEFAULT = ("variety", "realpages", "convert", "export", "batch")
BIG = ("variety", "realpages", "convert", "export", "sync", "batch")
ARGS = {
    False: {"variety": ["--posts", "200"], "convert": ["--sizes", "200,2000"], "export": ["--sizes", "2000,20000"]},
    True: {"variety": ["--posts", "2000"], "convert": ["--sizes", "200,2000"], "export": ["--sizes", "2000,20000"]},
}


def main(argv: list[str]) -> int:
    big = "--big" in argv
    names = [a for a in argv if a != "--big"]
    wanted = names or list(BIG if big else DEFAULT)
    unknown = sorted(set(wanted) - {name for name, _, _ in BENCHES})
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(n for n, _, _ in BENCHES)}")
        return 2
    failed = []
    started_all = time.perf_counter()
    for name, module, what in BENCHES:
        if name not in wanted:
            continue
        print(f"\n=== bench {name}: {what}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", module, *ARGS[big].get(name, [])])
        print(f"=== bench {name}: exit {code}, {time.perf_counter() - start:.1f} s", flush=True)
        if code:
            failed.append(name)
    print(f"\n=== all benchmarks: {time.perf_counter() - started_all:.0f} s")
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
