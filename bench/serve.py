"""``python -m bench.serve --blog NAME --posts N``: one bench blog over HTTP on 127.0.0.1.

Prints the base URL on its first line, then serves until its standard input closes (the
bench that started it ends, however it ends) or it is terminated.
"""

from __future__ import annotations

import argparse
import sys

from bench.blogs import BY_NAME, make_blog
from fixtures.server import FixtureServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--blog", choices=sorted(BY_NAME), default="threaded-en")
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    server = FixtureServer(make_blog(BY_NAME[args.blog], args.posts, args.seed), host="127.0.0.1", port=0)
    with server:
        print(server.base_url, flush=True)
        sys.stdin.read()  # returns when the parent closes the pipe or goes away
    return 0


if __name__ == "__main__":
    sys.exit(main())
