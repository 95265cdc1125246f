"""The load stage: normalised tables to SQLite, WordPress WXR, Markdown and redirect maps."""

from typing import Any


def __getattr__(name: str) -> Any:
    """``BLOGPORT_VERSION``: the installed blogport's version, written into exports (read from
    package metadata so the load stage never imports the later ``blogport`` package). Looked
    up when first asked for: ``importlib.metadata`` is imported then, not by every command
    that imports a loader (start-up time)."""
    if name == "BLOGPORT_VERSION":
        from importlib.metadata import version

        value = globals()["BLOGPORT_VERSION"] = version("blogport")
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
