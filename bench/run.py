"""`make bench`: every stage's benchmark, each in its own process, in one session.

These machines are noisy: each benchmark runs its reference tool in the same run and
prints the ratio, so figures are compared within one run, never across runs.
"""

from __future__ import annotations

import subprocess
import sys
import time

BENCHES = [
    ("crawl", "bench.crawl", "blogport crawl vs wget --mirror, pages/s"),
    ("transform", "bench.transform", "transform of the 2,000-post blog, comments/s"),
    ("export", "bench.export", "export to all formats, seconds and peak memory"),
    ("sync", "bench.sync", "unchanged sync after a full crawl: bytes and time share"),
    ("convert", "bench.convert", "Blogger export conversion vs pelican-import"),
]


def main(argv: list[str]) -> int:
    wanted = set(argv) or {name for name, _, _ in BENCHES}
    failed = []
    for name, module, what in BENCHES:
        if name not in wanted:
            continue
        print(f"\n=== bench {name}: {what}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", module])
        print(f"=== bench {name}: exit {code}, {time.perf_counter() - start:.1f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nbenchmarks that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
