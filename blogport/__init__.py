"""blogport: move legacy blogs, complete and clean, to a new home."""

__version__ = "0.1.0"
