from __future__ import annotations

from kernel.records import RawComment, RawPost
from transform.core import BlogContext, transform_post
from transform.threads import ThreadInput, build_threads


def _t(i, parent=None, pos=0, time=None):
    return ThreadInput(id=i, parent_ref=parent, position=pos, sort_time=time)


def test_nesting_depth_and_reading_order():
    items = [
        _t("a", None, 0, "2009-08-15T10:00:00+00:00"),
        _t("b", None, 1, "2009-08-15T09:00:00+00:00"),
        _t("a2", "a", 2, "2009-08-15T12:00:00+00:00"),
        _t("a1", "a", 3, "2009-08-15T11:00:00+00:00"),
        _t("a1x", "a1", 4, "2009-08-15T11:30:00+00:00"),
    ]
    placed = build_threads(items)
    assert [p.id for p in placed] == ["b", "a", "a1", "a1x", "a2"]
    by_id = {p.id: p for p in placed}
    assert by_id["a1x"].depth == 2 and by_id["a1x"].parent_id == "a1"
    assert [p.thread_order for p in placed] == [0, 1, 2, 3, 4]


def test_siblings_with_same_time_keep_source_position():
    t = "2009-08-15T10:00:00+00:00"
    placed = build_threads([_t("x", None, 1, t), _t("y", None, 0, t)])
    assert [p.id for p in placed] == ["y", "x"]


def test_missing_times_fall_back_to_source_order():
    placed = build_threads([_t("x", None, 1, "2009-01-01T00:00:00+00:00"), _t("y", None, 0, None)])
    assert [p.id for p in placed] == ["y", "x"]


def test_orphan_kept_with_its_reference():
    placed = build_threads([_t("a", None, 0), _t("r", "gone", 1)])
    r = next(p for p in placed if p.id == "r")
    assert r.parent_id is None and r.parent_ref == "gone" and r.orphan and r.depth == 0


def test_cycle_broken_at_its_earliest_comment_and_flagged():
    items = [
        _t("a", "c", 0, "2009-01-01T00:00:00+00:00"),
        _t("b", "a", 1, "2009-01-02T00:00:00+00:00"),
        _t("c", "b", 2, "2009-01-03T00:00:00+00:00"),
        _t("self", "self", 3, "2009-01-04T00:00:00+00:00"),
    ]
    placed = build_threads(items)
    assert len(placed) == 4
    by_id = {p.id: p for p in placed}
    assert by_id["a"].parent_id is None and by_id["a"].cycle
    assert by_id["b"].parent_id == "a" and by_id["c"].parent_id == "b" and by_id["c"].depth == 2
    assert by_id["self"].cycle and by_id["self"].parent_id is None
    assert not any(p.orphan for p in placed)


def test_transform_post_threads_with_source_ids_and_fallback_ids():
    url = "http://b.example/2013/10/x.html"
    comments = (
        RawComment(post_url=url, comment_id="c100", position=0, body_html="top", date_text="21:00",
                   timestamp_ms=1381172401460),
        RawComment(post_url=url, comment_id="200", position=1, body_html="reply", parent_id="100",
                   timestamp_ms=1381298197474),
        RawComment(post_url=url, comment_id=None, position=2, body_html="no id", date_text="October 8, 2013 at 9:00 AM"),
        RawComment(post_url=url, comment_id="300", position=3, body_html="lost", parent_id="999",
                   date_text="October 9, 2013 at 9:00 AM"),
    )
    raw = RawPost(url=url, title="x", body_html="x", post_id="55", date_header="Saturday, October 5, 2013",
                  comments=comments)
    result = transform_post(raw, BlogContext.simple("en", "Europe/Berlin"))
    ids = [c.id for c in result.comments]
    assert set(ids) == {"100", "200", "55-2", "300"}
    reply = next(c for c in result.comments if c.id == "200")
    assert reply.parent_id == "100" and reply.depth == 1
    assert ids.index("100") < ids.index("200")
    lost = next(c for c in result.comments if c.id == "300")
    assert lost.orphan and lost.parent_id is None and lost.parent_ref == "999"
