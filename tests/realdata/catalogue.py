"""Every file in ../shared/realdata, and what the gate does with it.

A file is either a Blogger source (a saved page, an export, a feed) with facts, read from
``../shared/realdata/expected/<path>.json`` or, for the older files that have none there,
from ``tests/realdata/expected/<path>.json`` (written by reading the files, never from
blogport's output), or it is listed in ``NOT_SOURCES`` with the reason it is not one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REALDATA

OUR_EXPECTED = Path(__file__).resolve().parent / "expected"
SHARED_EXPECTED = REALDATA / "expected"

#: Files of ../shared/realdata that are not a Blogger source blogport reads, and why.
#: The gate checks that blogport refuses each with a one-line error, never a traceback.
NOT_SOURCES: dict[str, str] = {
    "INDEX.md": "the folder's index",
    "MANIFEST.tsv": "the folder's manifest",
    "mozilla-readability/expected.html": "readability's extraction of source.html, not a page Blogger served",
    "mozilla-readability/expected-metadata.json": "readability's expected metadata for source.html",
    "e-gineer-blog/2005-08-16-unofficial-history-of-synop.md": "Jekyll Markdown made from a Blogger post, not Blogger output",
    "e-gineer-blog/2006-02-01-15lb-burger.md": "Jekyll Markdown made from a Blogger post, not Blogger output",
    "e-gineer-blog/2007-08-18-our-intranet-wiki-case-study-of-wiki.md": "Jekyll Markdown made from a Blogger post, not Blogger output",
    "ericpsb-research-scrapy-output/alyric.blogspot.com__data.json": "another crawler's JSON output, not Blogger output",
    "ericpsb-research-scrapy-output/autism-vicky.blogspot.com__data.json": "another crawler's JSON output, not Blogger output",
    "ericpsb-research-scrapy-output/motherofshrek.blogspot.com__data.json": "another crawler's JSON output, not Blogger output",
    "ericpsb-research-scrapy-output/thefamilyvoyage.blogspot.com__data.json": "another crawler's JSON output, not Blogger output",
    "hakyll-convert/wordpress-000_input.xml": "a WordPress WXR export, not a Blogger one",
    "jekyll-import/sitetitle.wordpress.2025-01-19.000.xml": "a WordPress WXR export, not a Blogger one",
    "pelican/wordpressexport.xml": "a WordPress WXR export, not a Blogger one",
    "wordpress-importer/crazy-cdata.xml": "a WordPress WXR export, not a Blogger one",
    "wordpress-importer/small-export.xml": "a WordPress WXR export, not a Blogger one",
    "wordpress-importer/test-serialized-comment-meta.xml": "a WordPress WXR export, not a Blogger one",
    "wordpress-importer/theme-unit-test-data.xml": "a WordPress WXR export, not a Blogger one",
    "wordpress-importer/valid-wxr-1.0.xml": "a WordPress WXR export, not a Blogger one",
    "wordpress-importer/valid-wxr-1.1.xml": "a WordPress WXR export, not a Blogger one",
    "wordpress-importer/wxr-utf-8-challenges.xml": "a WordPress WXR export, not a Blogger one",
}

@dataclass(frozen=True)
class RealFile:
    rel: str
    path: Path
    facts: dict[str, Any]
    facts_from: str
    """"shared" (../shared/realdata/expected) or "tests" (tests/realdata/expected)."""


def require_realdata() -> Path:
    """../shared/realdata, or skip with the reason; in CI (``CI=true``) its absence fails."""
    if not REALDATA.is_dir():
        reason = f"real data not available: {REALDATA} (needs ../shared/realdata beside the checkout)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; in CI the real-data gate must run")
        pytest.skip(reason)
    return REALDATA


def all_files(root: Path = REALDATA) -> list[str]:
    """Every file below ``root`` except the facts themselves, as relative POSIX paths."""
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith("expected/"):
            out.append(rel)
    return out


def facts_path(rel: str) -> tuple[Path, str] | None:
    shared = SHARED_EXPECTED / f"{rel}.json"
    if shared.is_file():
        return shared, "shared"
    ours = OUR_EXPECTED / f"{rel}.json"
    if ours.is_file():
        return ours, "tests"
    return None


def sources(root: Path = REALDATA) -> list[RealFile]:
    """The Blogger sources that have facts, in path order."""
    out = []
    for rel in all_files(root):
        found = facts_path(rel)
        if found is None:
            continue
        path, origin = found
        out.append(RealFile(rel, root / rel, json.loads(path.read_text(encoding="utf-8")), origin))
    return out


def unjudged(root: Path = REALDATA) -> list[str]:
    """Files that are neither judged against facts nor listed as not a source."""
    return [rel for rel in all_files(root) if facts_path(rel) is None and rel not in NOT_SOURCES]
