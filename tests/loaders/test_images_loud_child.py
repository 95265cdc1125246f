"""An image download's own process (an export of an archive, not a live migrate or sync) that
logs much more to stderr than a pipe holds (``-vv``: Scrapy's debug log, a few lines per
picture) is read as it writes: the download never blocks, and every picture gets its result.

Real parts: the fixture blog's pictures over HTTP on 127.0.0.1, the real ``crawler.images``
process."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from fixtures.blogger import generate_blog
from fixtures.server import FixtureServer
from loaders.image_urls import ImageHosts
from loaders.images import download

MISSING = 1500  # a 404 each: Scrapy's debug log of them is several times a pipe's 64 KiB


def test_a_loud_download_process_never_blocks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blog = generate_blog(seed=41, posts=10)
    pictures = sorted({img for post in blog.visible_items for img in post.images})
    assert pictures
    with FixtureServer(blog) as server, caplog.at_level(logging.DEBUG, logger="loaders.images"):
        urls = [server.url(p) for p in pictures] + [server.url(f"/images/missing-{n}.png") for n in range(MISSING)]
        results = download(urls, tmp_path / "images", ImageHosts(frozenset({"127.0.0.1"}), blogger=False),
                           settings={"CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32})
    assert sorted(results) == sorted(urls)
    assert all(results[server.url(p)].local_name for p in pictures)
    assert {results[u].cause for u in urls[len(pictures):]} == {"gone"}
    assert not [r for r in caplog.records if "image download stopped" in r.getMessage()]
