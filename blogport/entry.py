"""The ``blogport`` console script: a command that crawls a blog URL has its crawl process
started first (``crawler.early.start_ahead``), while the command line (click, rich, the
options) is imported and parsed; then ``blogport.cli.main`` runs the command."""

from __future__ import annotations

import sys


def main() -> None:
    from crawler.early import start_ahead

    start_ahead(sys.argv[1:])
    from blogport.cli import main as cli_main

    cli_main()
