"""``python -m tests.blogport.fork_watch LOG [--threaded] ARGS...``: the real ``blogport ARGS``,
with every fork it makes written down: one line in LOG per fork, the name of the function
``kernel.forked.ForkedCall`` hands the child (read from Python's own ``os.fork`` audit event,
in this process, just before the fork). With ``--threaded``, a thread of this program runs
beside the command all along, so blogport rightly forks nothing (``ForkedCall.possible``) and
does all its work in this process: the in-process outputs to compare the forked ones with."""

from __future__ import annotations

import sys
import threading
from typing import Any


def _forked_function() -> str:
    frame = sys._getframe(2)
    while frame is not None:
        owner = frame.f_locals.get("self") if frame.f_code.co_name == "__init__" else None
        if type(owner).__name__ == "ForkedCall" and "fn" in frame.f_locals:
            return str(getattr(frame.f_locals["fn"], "__qualname__", "?"))
        frame = frame.f_back
    return "?"


def main() -> None:
    log, rest = sys.argv[1], sys.argv[2:]
    if rest[:1] == ["--threaded"]:
        rest = rest[1:]
        threading.Thread(target=threading.Event().wait, name="fork-watch-blocker", daemon=True).start()

    def hook(event: str, _args: tuple[Any, ...]) -> None:
        if event == "os.fork":
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(_forked_function() + "\n")

    sys.addaudithook(hook)
    sys.argv = ["blogport", *rest]
    from blogport.cli import main as blogport

    blogport(prog_name="blogport")


if __name__ == "__main__":
    main()
