"""The report tells comments that live on another service, and pages whose sources disagree,
with the page's URL; neither is called lost."""

from __future__ import annotations

import shutil
from pathlib import Path

from blogport.validate import ValidateOptions, validate
from crawler.options import CrawlOptions
from crawler.run import crawl
from tests.conftest import realdata_path
from transform.options import TransformOptions
from transform.run import transform


def _migrate(tmp_path: Path, rel: str, saved_as: str, body: bytes | None = None) -> Path:
    target = tmp_path / "saved" / saved_as
    target.parent.mkdir(parents=True)
    if body is None:
        shutil.copyfile(realdata_path(rel), target)
    else:
        target.write_bytes(body)
    out = tmp_path / "out"
    crawl(str(tmp_path / "saved"), out, CrawlOptions(progress=False))
    transform(out, TransformOptions())
    return out


def test_comments_on_another_service_are_reported_not_lost(tmp_path: Path) -> None:
    out = _migrate(tmp_path, "metascraper/integration__fastersite__input.html",
                   "gent.ilcore.com/2012/06/better-timer-for-javascript.html")
    report = validate(out, ValidateOptions())
    messages = [f.message for f in report.findings]
    elsewhere = [f for f in report.findings if "comments live on Google+" in f.message]
    assert len(elsewhere) == 1 and elsewhere[0].old_url == "http://gent.ilcore.com/2012/06/better-timer-for-javascript.html"
    assert not any("lost" in m for m in messages)


def test_markup_and_comment_script_disagreeing_is_reported(tmp_path: Path) -> None:
    body = realdata_path("goose3/test_issue129.html").read_bytes().replace(
        b"'id': '6305406649190702282'", b"'id': '6305406649190702999'")
    out = _migrate(tmp_path, "goose3/test_issue129.html",
                   "lostinjit.blogspot.com/2011/10/pypy-and-road-towards-scipy.html", body)
    report = validate(out, ValidateOptions())
    found = [f for f in report.findings if f.message.startswith("the page's sources disagree")]
    assert {f.old_url for f in found} == {"https://lostinjit.blogspot.com/2011/10/pypy-and-road-towards-scipy.html"}
    assert any("c6305406649190702999" in f.message for f in found)
