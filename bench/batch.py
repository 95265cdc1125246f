"""Batch benchmark: many blogs at once, locally and spread over Redis workers.

    python -m bench.batch [--blogs 10] [--posts 200] [--workers 1,2,4] [--jobs 2]

Serves ``--blogs`` generated fixture blogs of ``--posts`` posts (one server process, one port
per blog), then times, one after the other against those same servers:

* ``blogport migrate`` of each blog, one after another (the reference);
* ``blogport batch LIST`` on this machine (``--jobs`` blogs at once);
* ``blogport batch LIST --redis`` with 1, 2 and 4 ``blogport worker`` processes on this
  machine, against a redis-server started for each run (no persistence).

Every run uses ``--via html --no-throttle --no-download-images --no-progress``. Prints, per
run, the total time, the pages fetched, pages/s and the ratio of the times to complete
(sequential migrate seconds / this run's seconds: above 1 is faster). Speed is measured here
only, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
FLAGS = ["--via", "html", "--no-throttle", "--no-download-images", "--no-progress"]


def _blogport(*args: str) -> list[str]:
    return [sys.executable, "-m", "blogport.cli", *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def serve(blogs: int, posts: int) -> int:
    """The server process: one port per blog, the URLs on stdout, until stdin closes."""
    from fixtures.blogger import generate_blog
    from fixtures.server import FixtureServer

    servers = [FixtureServer(generate_blog(seed=100 + i, posts=posts)).start() for i in range(blogs)]
    for server in servers:
        print(server.base_url + "/", flush=True)
    print("ready", flush=True)
    sys.stdin.read()
    for server in servers:
        server.stop()
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder), "--loglevel", "warning"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("redis-server did not start")


def _run(argv: list[str]) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=PROJECT, env=_env(), capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv[3:6])} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, json.loads(done.stdout)


def sequential(urls: list[str], tmp: Path) -> tuple[float, int]:
    total, pages = 0.0, 0
    for i, url in enumerate(urls):
        elapsed, result = _run(_blogport("migrate", url, "-o", str(tmp / f"seq-{i}"), *FLAGS, "--json"))
        total += elapsed
        pages += int(result["stages"]["crawl"]["pages_fetched"])
    return total, pages


def batch_local(listing: Path, tmp: Path, jobs: int) -> tuple[float, int]:
    elapsed, result = _run(_blogport("batch", str(listing), "-o", str(tmp / "local"), "--jobs", str(jobs), *FLAGS,
                                     "--json"))
    return elapsed, int(result["pages"])


def batch_redis(listing: Path, tmp: Path, workers: int, jobs: int) -> tuple[float, int]:
    folder = tmp / f"redis-{workers}"
    folder.mkdir()
    server, url = _redis(folder)
    procs: list[subprocess.Popen[str]] = []
    try:
        procs = [subprocess.Popen(_blogport("worker", "--redis", url, "--idle-exit", "600"), cwd=PROJECT, env=_env(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
                 for _ in range(workers)]
        elapsed, result = _run(_blogport("batch", str(listing), "-o", str(folder / "root"), "--redis", url,
                                         "--jobs", str(jobs), *FLAGS, "--json"))
        return elapsed, int(result["pages"])
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        server.terminate()
        server.wait()


def _stop_on_sigterm(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
    sys.exit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blogs", type=int, default=10)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.blogs, args.posts)
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    # A SIGTERM (a timeout, a Ctrl-C of `make bench`) unwinds through the ``finally`` blocks, so
    # the fixture server, redis-server and every worker are stopped with the bench.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    server = subprocess.Popen([sys.executable, "-m", "bench.batch", "--serve", "--blogs", str(args.blogs),
                               "--posts", str(args.posts)], cwd=PROJECT, env=_env(), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdin is not None
    urls: list[str] = []
    for line in server.stdout:
        if line.strip() == "ready":
            break
        urls.append(line.strip())
    rows: list[tuple[str, float, int]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="blogport-bench-batch-") as name:
            tmp = Path(name)
            listing = tmp / "blogs.txt"
            listing.write_text("\n".join(urls) + "\n", encoding="utf-8")
            print(f"{len(urls)} blogs of {args.posts} posts; {os.cpu_count()} cores", flush=True)
            rows.append(("migrate, one blog after another", *sequential(urls, tmp)))
            print(f"  {rows[-1][0]}: {rows[-1][1]:.1f} s, {rows[-1][2]} pages", flush=True)
            rows.append((f"batch, this machine (--jobs {args.jobs})", *batch_local(listing, tmp, args.jobs)))
            print(f"  {rows[-1][0]}: {rows[-1][1]:.1f} s, {rows[-1][2]} pages", flush=True)
            for workers in counts:
                rows.append((f"batch --redis, {workers} worker{'s' if workers > 1 else ''}",
                             *batch_redis(listing, tmp, workers, args.jobs)))
                print(f"  {rows[-1][0]}: {rows[-1][1]:.1f} s, {rows[-1][2]} pages", flush=True)
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    reference = rows[0][1]
    print(f"\n{'run':<40} {'total s':>8} {'pages':>7} {'pages/s':>8} {'speed-up':>8}")
    for what, seconds, pages in rows:
        print(f"{what:<40} {seconds:8.1f} {pages:7d} {pages / seconds:8.1f} {reference / seconds:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
