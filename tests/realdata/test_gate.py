"""The real-data gate: every real Blogger file in ../shared/realdata through blogport's own
pipeline (mirror folder or export file -> archive -> transform), judged against the facts a
person read from the file, and held to the pinned scores (``pins.json``; pins only go up).

``pytest -s tests/realdata`` prints the score table; so does ``python -m tests.realdata.gate``.
"""

from __future__ import annotations

import json
import sys

import pytest

from kernel.errors import SourceError
from crawler.options import CrawlOptions
from crawler.run import crawl
from tests.realdata.catalogue import NOT_SOURCES, OUR_EXPECTED, SHARED_EXPECTED, all_files, require_realdata, sources, unjudged
from tests.realdata.gate import below_pins, read_pins, score_all
from tests.realdata.scoring import METRICS, table, totals

REQUIRED_FACTS = ("url", "kind", "title", "author", "date_local", "time_local", "notes")


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    require_realdata()
    files = score_all(tmp_path_factory.mktemp("gate"))
    sys.stdout.write("\n" + table(files) + "\n")
    return files


def test_scores_do_not_drop_below_the_pins(scored):
    pins = read_pins()
    assert set(pins) == set(METRICS), "pins.json pins every metric"
    total = totals(scored)
    dropped = below_pins(total, pins)
    assert not dropped, "real-data scores dropped below their pins:\n" + "\n".join(dropped) + "\n\n" + table(scored)


def test_every_real_file_is_judged_or_said_not_to_be_a_source():
    root = require_realdata()
    assert not unjudged(root), f"files in {root} with no facts and not listed in NOT_SOURCES: {unjudged(root)}"
    stale = sorted(set(NOT_SOURCES) - set(all_files(root)))
    assert not stale, f"NOT_SOURCES names files that are not there: {stale}"
    assert len(sources(root)) >= 46


def test_our_facts_cover_only_files_without_shared_facts_and_follow_the_schema():
    require_realdata()
    ours = sorted(OUR_EXPECTED.rglob("*.json"))
    for path in ours:
        rel = path.relative_to(OUR_EXPECTED).as_posix()[: -len(".json")]
        assert not (SHARED_EXPECTED / f"{rel}.json").exists(), f"{rel} has facts in ../shared already"
        facts = json.loads(path.read_text(encoding="utf-8"))
        missing = [k for k in REQUIRED_FACTS if k not in facts]
        assert not missing, f"{rel}: facts lack {missing}"
        assert facts["kind"] in ("post", "listing", "export"), rel
        assert facts.get("count_rules") and facts.get("source", {}).get("commit"), f"{rel}: say how it was counted, and from where"


@pytest.mark.parametrize("rel", sorted(r for r in NOT_SOURCES if r.rsplit(".", 1)[-1] in ("xml", "html", "md", "json")))
def test_files_that_are_not_blogger_sources_are_refused_in_one_line(rel, tmp_path):
    root = require_realdata()
    source = root / rel
    if source.suffix == ".html":
        folder = tmp_path / "mirror" / "example.invalid"
        folder.mkdir(parents=True)
        (folder / "index.html").write_bytes(source.read_bytes())
        given = str(tmp_path / "mirror")
    else:
        given = str(source)
    with pytest.raises(SourceError) as caught:
        crawl(given, tmp_path / "out", CrawlOptions(progress=False))
    message = str(caught.value)
    assert message and "\n" not in message and "Traceback" not in message

