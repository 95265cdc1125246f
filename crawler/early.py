"""The crawl process, started before the command that needs it has even been parsed.

A live crawl runs in ``python -m crawler.process``, whose start-up (Python, then Scrapy and
Twisted: ``crawler.process.PRELOADED``) takes longer than this process takes to import its
command line and prepare the run. ``start_ahead`` (called by the ``blogport`` console script
before it imports anything else) starts that process at once when the command line names a
command that crawls a blog URL, so both start-ups share the machine's cores; the crawl that
runs next takes it (``take_ahead``). A process nobody took is ended by ``close_ahead`` when
the command ends; it has no job, and it would also end by itself when this process exits
(its stdin closes, and it dies with its parent).

This module imports nothing heavy: it runs before the command line is imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import crawler
from crawler.process import PARENT_PID_ENV

#: The commands whose run starts with a live crawl when their source is a URL.
CRAWLING_COMMANDS = frozenset({"crawl", "migrate"})
#: Options that end the command before any crawl.
NO_RUN_OPTIONS = frozenset({"-h", "--help", "--version"})

_ahead: subprocess.Popen[str] | None = None


def child_env() -> dict[str, str]:
    """The crawl process's environment: this project importable, output unbuffered, and the
    pid it dies with."""
    env = dict(os.environ)
    root = str(Path(crawler.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env[PARENT_PID_ENV] = str(os.getpid())  # the crawl process dies with this one
    return env


def start_crawl_process() -> subprocess.Popen[str]:
    """A ``python -m crawler.process``, waiting for its job on stdin (``crawler.process``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        bufsize=1,
        env=child_env(),
        start_new_session=True,  # Ctrl-C reaches the parent only; it stops the child gracefully
    )


def crawls_a_url(argv: list[str]) -> bool:
    """Whether a command line (without the program name) is ``crawl`` or ``migrate`` of an
    ``http(s)://`` source: the first word not an option is the command, the next one its
    source. A guess made before parsing: a wrong guess costs one idle process, ended at exit."""
    if NO_RUN_OPTIONS.intersection(argv):
        return False
    words = [arg for arg in argv if not arg.startswith("-")]
    if len(words) < 2 or words[0] not in CRAWLING_COMMANDS:
        return False
    return words[1].lower().startswith(("http://", "https://"))


def start_ahead(argv: list[str]) -> None:
    """Start the crawl process now if ``argv`` will crawl a URL (``crawls_a_url``)."""
    global _ahead
    if _ahead is None and crawls_a_url(argv):
        try:
            _ahead = start_crawl_process()
        except OSError:
            _ahead = None  # the crawl starts its own, and says what is wrong


def take_ahead() -> subprocess.Popen[str] | None:
    """The process started ahead, when there is one still waiting for its job (each is taken
    once)."""
    global _ahead
    proc, _ahead = _ahead, None
    return still_waiting(proc)


def close_ahead() -> None:
    """End the process started ahead if no crawl took it."""
    global _ahead
    proc, _ahead = _ahead, None
    if proc is not None:
        end_unused(proc)


def still_waiting(proc: subprocess.Popen[str] | None) -> subprocess.Popen[str] | None:
    """``proc`` when it still waits for its job, else None (one that ended is reaped)."""
    if proc is not None and proc.poll() is not None:
        end_unused(proc)
        return None
    return proc


def end_unused(proc: subprocess.Popen[str]) -> None:
    """End a crawl process that has no job: it has nothing to finish or keep."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass
