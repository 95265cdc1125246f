"""A crawl process's stdout and stderr are read by the thread that waits for it: no reader
thread, so a kept process leaves this one free to fork, and yet a child that writes much more
to stderr than a pipe holds (during its crawl, while it waits, while it fetches the pictures)
never blocks: every log line and every message arrives, in order, and ``close`` ends a process
that is stuck writing while it waits without waiting out the grace period.

Real parts: real child processes speaking the crawl process's protocol on their pipes (a
short Python program: the log volume is the point here, not Scrapy's own output)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from crawler.run import SHUTDOWN_GRACE_S, EarlyCrawlProcess, KeptCrawlProcess, run_child

LINES = 20_000  # about 1.4 MB of log on stderr in each phase: many times what a pipe holds
CHILD = r"""
import json, sys
P = "BLOGPORT "
n = int(sys.argv[1])
def say(message):
    sys.stdout.write(P + json.dumps(message) + "\n")
    sys.stdout.flush()
job = json.loads(sys.stdin.readline())
for i in range(n):
    sys.stderr.write(f"crawl log {i} " + "x" * 50 + "\n")
    if i % 500 == 0:
        say({"type": "progress", "pages_fetched": i})
say({"type": "done", "counts": {"pages_fetched": n}, "finish_reason": "finished", "images": "waiting"})
for i in range(n):  # while it waits for its image job: nobody reads its pipes
    sys.stderr.write(f"idle log {i} " + "y" * 50 + "\n")
sys.stderr.flush()
line = sys.stdin.readline()
if line:
    for url in json.loads(line)["urls"]:
        sys.stderr.write(f"fetching {url}\n")
        say({"type": "image", "url": url, "ok": True, "name": url[-5:]})
    sys.stderr.write("tail " * 5000 + "\n")  # one line longer than a pipe's buffer
    say({"type": "done"})
"""


def _child() -> EarlyCrawlProcess:
    early = EarlyCrawlProcess()
    early.proc = subprocess.Popen([sys.executable, "-c", CHILD, str(LINES)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                  errors="replace", bufsize=1)
    return early


def _kept(capsys: pytest.CaptureFixture[str]) -> tuple[KeptCrawlProcess, subprocess.Popen[str], list[str]]:
    """A process kept after its loud crawl; the log lines passed on so far."""
    threads = threading.active_count()
    early, kept = _child(), KeptCrawlProcess()
    proc = early.proc
    assert proc is not None
    result = run_child({"job": 1}, "test", False, kept, early=early)
    assert result.done is not None and result.done["counts"] == {"pages_fetched": LINES}
    assert result.last_progress["pages_fetched"] == LINES - 500
    assert kept.ready and kept.proc is proc
    assert threading.active_count() == threads, "no thread of this process waits on the kept process"
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if line.startswith("crawl log")] == [f"crawl log {i} " + "x" * 50
                                                                     for i in range(LINES)]
    return kept, proc, err


def test_every_line_of_a_loud_kept_process_arrives_without_a_thread(capsys: pytest.CaptureFixture[str]) -> None:
    kept, proc, err = _kept(capsys)
    messages, complete = kept.fetch({"urls": ["http://x/1.png", "http://x/2.png"]})
    assert complete and [m["url"] for m in messages] == ["http://x/1.png", "http://x/2.png"]
    assert proc.returncode == 0 and not kept.ready
    err += capsys.readouterr().err.splitlines()
    assert [line for line in err if line.startswith("idle log")] == [f"idle log {i} " + "y" * 50
                                                                   for i in range(LINES)]
    assert [line for line in err if line.startswith("fetching")] == ["fetching http://x/1.png",
                                                                    "fetching http://x/2.png"]
    assert ("tail " * 5000).rstrip() in [line.rstrip() for line in err]


def test_close_reads_what_a_waiting_process_still_writes(capsys: pytest.CaptureFixture[str]) -> None:
    kept, proc, err = _kept(capsys)
    time.sleep(0.5)  # it is now stuck on a full stderr pipe
    started = time.monotonic()
    kept.close()
    assert time.monotonic() - started < SHUTDOWN_GRACE_S / 3, "it ended by itself once read"
    assert proc.returncode == 0, "it was not killed"
    err += capsys.readouterr().err.splitlines()
    assert [line for line in err if line.startswith("idle log")] == [f"idle log {i} " + "y" * 50
                                                                    for i in range(LINES)]
