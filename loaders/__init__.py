"""The load stage: normalised tables to SQLite, WordPress WXR, Markdown and redirect maps."""

from importlib.metadata import version

BLOGPORT_VERSION = version("blogport")
"""The installed blogport's version, written into exports (read from package metadata so the
load stage never imports the later ``blogport`` package)."""
