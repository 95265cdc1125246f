"""The ``blogport`` console script: a command that crawls a blog URL has its crawl process
started first (``crawler.early.start_ahead``), while the command line (click, rich, the
options) is imported and parsed; then ``blogport.cli.main`` runs the command."""

from __future__ import annotations

import sys


def main() -> None:
    from crawler.early import close_ahead, start_ahead

    start_ahead(sys.argv[1:])
    try:
        from blogport.cli import main as cli_main
    except KeyboardInterrupt:  # Ctrl-C before the command line could say it
        close_ahead()
        from kernel.errors import InterruptedRun

        print(f"blogport: {InterruptedRun()}", file=sys.stderr)
        sys.exit(InterruptedRun.exit_code)
    cli_main()
