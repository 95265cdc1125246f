"""robots.txt asked for conditionally: a quiet ``sync`` downloads not even that.

``ConditionalRobotsTxtMiddleware`` is Scrapy's ``RobotsTxtMiddleware`` (the one robots.txt
handling of every crawl) with one difference: when the archive (setting
``BLOGPORT_ARCHIVE``) holds a copy of a host's robots.txt (in the ``SyncState`` validators:
its body, ETag and Last-Modified), the request carries ``If-None-Match`` /
``If-Modified-Since``, and a ``304`` answer is read as the stored copy. A ``200`` answer is
kept for next time, in one transaction of its own.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from kernel.archive import Archive
from kernel.state import load_sync_state, save_sync_state

log = logging.getLogger(__name__)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class ConditionalRobotsTxtMiddleware(RobotsTxtMiddleware):
    """See the module docstring."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        archive = crawler.settings.get("BLOGPORT_ARCHIVE")
        self.archive = Path(archive) if archive else None

    # -- the stored copy ----------------------------------------------------------------------
    def _known(self, url: str) -> dict[str, Any]:
        if self.archive is None or not self.archive.exists():
            return {}
        conn = sqlite3.connect(f"file:{self.archive}?mode=ro", uri=True)
        try:
            return dict(load_sync_state(conn).validators.get(url, {}))
        except sqlite3.DatabaseError:
            return {}
        finally:
            conn.close()

    def _remember(self, url: str, response: Response) -> None:
        if self.archive is None:
            return
        entry = {"etag": _header(response, b"ETag"), "last_modified": _header(response, b"Last-Modified"),
                 "body": response.body.decode("utf-8", errors="replace")}
        try:
            with Archive(self.archive) as archive, archive.transaction() as conn:
                state = load_sync_state(conn)
                if dict(state.validators.get(url, {})) != entry:
                    save_sync_state(conn, replace(state, validators={**state.validators, url: entry}))
        except sqlite3.Error as exc:  # the copy is a convenience: the crawl goes on without it
            log.warning("could not keep a copy of %s: %s", url, exc)

    # -- Scrapy's robot_parser, asking conditionally ---------------------------------------------
    async def robot_parser(self, request: Request) -> Any:
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robotsurl = f"{url.scheme}://{url.netloc}/robots.txt"
            known = self._known(robotsurl)
            headers: dict[str, str] = {}
            if known.get("body") is not None:
                if known.get("etag"):
                    headers["If-None-Match"] = known["etag"]
                if known.get("last_modified"):
                    headers["If-Modified-Since"] = known["last_modified"]
            robotsreq = Request(robotsurl, priority=self.DOWNLOAD_PRIORITY, meta={"dont_obey_robotstxt": True},
                                callback=NO_CALLBACK, headers=headers or None)
            try:
                resp = await self.crawler.engine.download_async(robotsreq)
                if resp.status == 304 and known.get("body") is not None:
                    resp = resp.replace(status=200, body=str(known["body"]).encode("utf-8"))
                elif resp.status == 200:
                    self._remember(robotsurl, resp)
                await self._parse_robots(resp, netloc, request)
            except Exception as exc:
                if not isinstance(exc, IgnoreRequest):
                    log.debug("could not download %s: %s", robotsurl, exc)  # the spider says it once
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            # each waiter gets its own Deferred: turned into an asyncio future, a Deferred hands
            # its result to the first waiter only (the others got None: robots.txt not obeyed)
            waiter: Deferred[Any] = Deferred()
            parser.addBoth(lambda result: (waiter.callback(result), result)[1])
            return await maybe_deferred_to_future(waiter)
        return parser
