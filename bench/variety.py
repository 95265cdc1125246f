"""``python -m bench.variety``: every stage on blogs of several families, against wget, in one run.

    python -m bench.variety [--posts 1000] [--blogs threaded-en,classic-de-dense,...] [--json]

For each blog of ``bench.blogs.VARIANTS``, served on 127.0.0.1 by ``bench.serve`` in its own
process, one after the other against that same server (one untimed ``wget`` pass first, so
both tools meet a server that has rendered every page once):

* ``blogport crawl URL --via html --no-throttle`` (a subprocess, as a user runs it), its wall
  time and the CPU seconds of its processes (the command, the crawl process, the extraction
  worker): on a machine of two cores, CPU seconds near twice the wall time mean the crawl is
  bound by the CPU, not by the blog;
* the Scrapy floor (``bench.floor``): a bare Scrapy spider with the crawl's Scrapy settings
  and none of blogport's code, fetching exactly the URLs that crawl fetched, in a process of
  its own (Python and Scrapy start-up included): what any Scrapy crawl of the blog costs;
* ``wget --mirror --reject-regex '\\?'`` (recursive, query links rejected);
* ``blogport migrate URL --via html --no-throttle`` into a fresh folder: crawl, transform,
  every export and the validation report, the whole run a user waits for;
* in a child process, ``transform()`` on the crawled archive: its CPU seconds are one core's
  work, so comments per CPU second is the per-core rate (the wall time on a shared machine
  also holds waiting for the CPU);
* in a child process, ``validate()`` of the migrated folder, beside the export's own time.

Prints one row per blog and a WORST line (the worst of every column over the blogs), and
the targets: crawl at least as fast as wget, migrate within 2x wget, transform at least
2,000 comments/s per core, validation no slower than the export. Figures are ratios within
this run; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.blogs import BY_NAME, VARIANTS, BlogVariant
from bench.crawl import PROJECT, _env, bench_cwd, blogport_command, run_floor, run_wget

TRANSFORM_CHILD = """
import json, sys, time
from pathlib import Path
from bench.cpu import cpu_seconds
from transform.options import TransformOptions
from transform.run import transform
cpu, wall, comments, posts = cpu_seconds(), time.perf_counter(), 0, 0
for folder in sys.argv[1:]:
    s = transform(Path(folder), TransformOptions())
    comments, posts = comments + s.comments, posts + s.posts
print(json.dumps({"cpu_s": cpu_seconds() - cpu, "wall_s": time.perf_counter() - wall,
                  "comments": comments, "posts": posts}))
"""
"""Transforms each archive named (one after the other, in one process); its CPU seconds
include the forked child's of a big blog (``bench.cpu``)."""
VALIDATE_CHILD = """
import json, sys, time
from pathlib import Path
from bench.cpu import cpu_seconds
from blogport.validate import ValidateOptions, validate
cpu, wall = cpu_seconds(), time.perf_counter()
r = validate(Path(sys.argv[1]), ValidateOptions())
print(json.dumps({"cpu_s": cpu_seconds() - cpu, "wall_s": time.perf_counter() - wall,
                  "errors": r.exit_code}))
"""


@dataclass(frozen=True)
class Row:
    blog: str
    posts: int
    comments: int
    crawl_s: float
    crawl_cpu_s: float
    floor_s: float
    wget_s: float
    migrate_s: float
    transform_cpu_s: float
    comments_per_core_s: float
    export_s: float
    validate_s: float
    migrate_exit: int

    @property
    def crawl_vs_wget(self) -> float:
        """wget seconds / crawl seconds: 1.0 or more is as fast as wget."""
        return self.wget_s / self.crawl_s if self.crawl_s else 0.0

    @property
    def crawl_vs_floor(self) -> float:
        """crawl seconds / Scrapy floor seconds: what blogport adds to Scrapy (1.0: nothing)."""
        return self.crawl_s / self.floor_s if self.floor_s else 0.0

    @property
    def floor_vs_wget(self) -> float:
        """wget seconds / floor seconds: the best speed against wget any Scrapy crawl reaches."""
        return self.wget_s / self.floor_s if self.floor_s else 0.0

    @property
    def migrate_vs_wget(self) -> float:
        """migrate seconds / wget seconds: the target is at most 2.0."""
        return self.migrate_s / self.wget_s if self.wget_s else 0.0

    @property
    def validate_vs_export(self) -> float:
        return self.validate_s / self.export_s if self.export_s else 0.0


def child_json(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=_env(),
                         cwd=bench_cwd())
    if out.returncode:
        raise SystemExit(f"bench child failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_server(variant: BlogVariant, posts: int, seed: int) -> tuple[subprocess.Popen[str], str]:
    """``bench.serve`` in its own process; it stops when this process closes its stdin."""
    proc = subprocess.Popen([sys.executable, "-m", "bench.serve", "--blog", variant.name, "--posts", str(posts),
                             "--seed", str(seed)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=_env(tree=False), cwd=PROJECT)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("http"):
        proc.kill()
        raise SystemExit(f"bench server did not start: {line!r}")
    return proc, line.rstrip("/") + "/"


def stop_server(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.wait(timeout=10)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_blogport(*args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    elapsed, _cpu, proc = timed_blogport_cpu(*args)
    return elapsed, proc


def timed_blogport_cpu(*args: str) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall seconds, CPU seconds of every process it ran (waited for), and the result."""
    started, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run([*blogport_command(), *args], capture_output=True, text=True, env=_env(), cwd=bench_cwd())
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if proc.returncode not in (0, 1):
        raise SystemExit(f"blogport {args[0]} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed, cpu, proc


def migrate_stages(stdout: str) -> dict:
    """The stages of ``migrate --json``'s object ({} when the output holds none)."""
    for text in (stdout, *reversed(stdout.splitlines())):
        try:
            return dict(json.loads(text).get("stages") or {})
        except (ValueError, AttributeError):
            continue
    return {}


def bench_blog(variant: BlogVariant, posts: int, seed: int, tmp: Path) -> Row:
    server, url = start_server(variant, posts, seed)
    try:
        run_wget(url, tmp / "warm-up")
        crawled = tmp / "crawl"
        crawl_s, crawl_cpu_s, _ = timed_blogport_cpu("crawl", url, "-o", str(crawled), "--via", "html",
                                                     "--no-throttle", "--no-progress")
        floor_s = run_floor(crawled / "blog.db", tmp)["seconds"]
        wget_s = run_wget(url, tmp / "wget")["seconds"]
        migrated = tmp / "migrate"
        migrate_s, proc = timed_blogport("migrate", url, "-o", str(migrated), "--via", "html", "--no-throttle",
                                         "--no-progress", "--json")
    finally:
        stop_server(server)
    stages = migrate_stages(proc.stdout)
    done = child_json(TRANSFORM_CHILD, str(crawled))
    checked = child_json(VALIDATE_CHILD, str(migrated))
    return Row(
        blog=variant.name, posts=done["posts"], comments=done["comments"], crawl_s=crawl_s, crawl_cpu_s=crawl_cpu_s,
        floor_s=floor_s, wget_s=wget_s,
        migrate_s=migrate_s, transform_cpu_s=done["cpu_s"],
        comments_per_core_s=done["comments"] / done["cpu_s"] if done["cpu_s"] else 0.0,
        export_s=float(stages.get("export", {}).get("elapsed_s", 0.0)), validate_s=checked["wall_s"],
        migrate_exit=proc.returncode,
    )


HEADER = (f"{'blog':<18} {'posts':>5} {'comments':>8} {'crawl s':>7} {'cpu s':>5} {'scrapy floor s':>14}"
          f" {'crawl/floor':>11} {'wget s':>6} {'wget/crawl':>10}"
          f" {'migrate s':>9} {'migrate/wget':>12} {'comments/s/core':>15} {'export s':>8} {'validate s':>10}")


def format_row(r: Row) -> str:
    return (f"{r.blog:<18} {r.posts:>5} {r.comments:>8} {r.crawl_s:>7.2f} {r.crawl_cpu_s:>5.1f} {r.floor_s:>14.2f}"
            f" {r.crawl_vs_floor:>11.2f} {r.wget_s:>6.2f}"
            f" {r.crawl_vs_wget:>10.2f}"
            f" {r.migrate_s:>9.2f} {r.migrate_vs_wget:>12.2f} {r.comments_per_core_s:>15,.0f} {r.export_s:>8.2f}"
            f" {r.validate_s:>10.2f}")


def worst_line(rows: list[Row]) -> str:
    def low(attr: str) -> Row:
        return min(rows, key=lambda r: getattr(r, attr))

    def high(attr: str) -> Row:
        return max(rows, key=lambda r: getattr(r, attr))

    c, m, t, v = low("crawl_vs_wget"), high("migrate_vs_wget"), low("comments_per_core_s"), high("validate_vs_export")
    f, fw = high("crawl_vs_floor"), low("floor_vs_wget")
    return (f"WORST: crawl {c.crawl_vs_wget:.2f}x wget's speed ({c.blog}; target >= 1.00);"
            f" crawl {f.crawl_vs_floor:.2f}x the Scrapy floor's time ({f.blog}), a floor itself"
            f" {fw.floor_vs_wget:.2f}x wget's speed ({fw.blog});"
            f" migrate {m.migrate_vs_wget:.2f}x wget's time ({m.blog}; target <= 2.00);"
            f" transform {t.comments_per_core_s:,.0f} comments/s per core ({t.blog}; target >= 2,000);"
            f" validate {v.validate_vs_export:.2f}x the export's time ({v.blog}; target <= 1.00)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.variety", description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--blogs", default=",".join(v.name for v in VARIANTS),
                        help=f"comma-separated, of: {', '.join(BY_NAME)}")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = parser.parse_args(argv)
    if shutil.which("wget") is None:
        raise SystemExit("wget is not installed")
    variants = [BY_NAME[name] for name in args.blogs.split(",") if name]
    for v in variants:
        print(f"  {v.name}: {v.describe()}")
    print(HEADER, flush=True)
    rows: list[Row] = []
    for variant in variants:
        tmp = Path(tempfile.mkdtemp(prefix=f"blogport-bench-{variant.name}-"))
        try:
            rows.append(bench_blog(variant, args.posts, args.seed, tmp))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(format_row(rows[-1]), flush=True)
    if rows:
        print(worst_line(rows))
    if args.json:
        print(json.dumps([asdict(r) for r in rows], sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
