"""Whether ``loaders.markdown`` may convert and write in a process pool.

A module of its own, so the ``blogport`` command turns the pool on without importing the
Markdown writer (and what it imports) for commands that never export."""

_allowed = False


def allow_process_pool(allowed: bool = True) -> None:
    """Let ``loaders.markdown.write_markdown`` use a process pool (the ``blogport`` command does).

    Off by default for library callers: pool workers start by re-importing the calling
    program's ``__main__``, which re-runs an unguarded script and fails for a program read
    from standard input (the pool then restarts dead workers forever). The command-line entry
    point is import-safe, so it turns the pool on; the output is the same either way."""
    global _allowed
    _allowed = allowed


def process_pool_allowed() -> bool:
    return _allowed
