"""Options of the crawl stage."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_USER_AGENT = "blogport/0.1 (blog migration tool; +https://pypi.org/project/blogport/)"


@dataclass(frozen=True)
class CrawlOptions:
    via: str = "auto"
    """"html" walks the pages, "feeds" reads the Atom feeds, "auto" uses feeds where the blog
    serves them and falls back to HTML."""
    obey_robots: bool = True
    user_agent: str = DEFAULT_USER_AGENT
    max_page_bytes: int = 10 * 1024 * 1024
    concurrency: int = 8
    autothrottle: bool = True
    retries: int = 3
    progress: bool = True
    incremental: bool = False
    """Sync mode: conditional requests for pages already in the archive."""
    delay: float = 0.0
    """Seconds to wait between requests to the blog (``--delay``, like wget's ``--wait``)."""
    at: str = ""
    """Web-archive sources: the newest capture on or before this day (``--at YYYYMMDD``);
    empty for the newest of all."""
    wayback: str = ""
    """Replay prefix of a Wayback server (``--wayback``): the blog is read from its captures."""
    cdx: str = ""
    """CDX server of that Wayback server (``--cdx``); empty for the default of its host."""
    limit: int = 0
    """A trial run (``--limit N``): only the newest N posts and their comment pages; 0 for
    every post."""
