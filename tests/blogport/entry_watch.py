"""``python -m tests.blogport.entry_watch LOG ARGS...``: the ``blogport`` console script
(``blogport.entry.main``) with ``blogport ARGS``, writing to LOG, in order, the crawl processes
it starts (``crawl-process``, from Python's own ``subprocess.Popen`` audit event) and the
moment it imports its command line (``import blogport.cli``, from the ``import`` event). With
``--interrupt-import`` first, that import meets a Ctrl-C (KeyboardInterrupt)."""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    log, rest = sys.argv[1], sys.argv[2:]
    interrupt = rest[:1] == ["--interrupt-import"]  # Ctrl-C as the command line is imported
    if interrupt:
        rest = rest[1:]

    def note(line: str) -> None:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "subprocess.Popen" and "crawler.process" in list(args[1] or ()):
            note("crawl-process")
        elif event == "import" and args[0] == "blogport.cli":
            note("import blogport.cli")
            if interrupt:
                raise KeyboardInterrupt

    sys.addaudithook(hook)
    sys.argv = ["blogport", *rest]
    from blogport.entry import main as blogport

    blogport()


if __name__ == "__main__":
    main()
