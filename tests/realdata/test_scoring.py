"""The gate's judge on hand-made outcomes: what earns a point, what costs one, what is not judged."""

from __future__ import annotations

from tests.realdata.pipeline import GotComment, GotPost, Outcome
from tests.realdata.scoring import Score, count_score, judge, norm, table, totals

POST_FACTS = {
    "url": "http://x.blogspot.com/2010/01/a.html", "kind": "post", "title": "A “quoted”  title",
    "author": "Ann", "date_local": "2010-01-02", "time_local": "09:30", "comments": 2, "replies": 1,
    "comment_samples": [{"author": "Bob", "text_start": "Nice post, really", "parent_author": None},
                        {"author": "Ann", "text_start": "Thanks", "parent_author": "Bob"}],
}


def _comment(cid: str, author: str, text: str, parent_author: str | None = None) -> GotComment:
    return GotComment(cid, author, text, parent_author, parent_author is not None)


def _post(**changes) -> GotPost:
    values = dict(url="https://x.blogspot.com/2010/01/a.html", title='A "quoted" title', author="Ann",
                  published_local="2010-01-02T09:30:00+01:00", kind="post", status="published",
                  comments=(_comment("1", "Bob", "Nice post,\n really good"), _comment("2", "Ann", "Thanks!", "Bob")))
    values.update(changes)
    return GotPost(**values)


def test_a_faithful_post_earns_every_point():
    score = judge("a.html", POST_FACTS, Outcome(posts=(_post(),)))
    assert {m: (s.points, s.out_of) for m, s in score.scores.items() if s.out_of} == {
        "pages": (1, 1), "posts": (1, 1), "authors": (1, 1), "dates": (2, 2),
        "comments": (2, 2), "replies": (1, 1), "samples": (2, 2),
    }
    assert not score.misses


def test_too_many_costs_as_much_as_too_few():
    assert count_score(8, 10) == Score(8, 10) and count_score(12, 10) == Score(8, 10)
    assert count_score(3, 0) == Score(-3, 0), "a spurious reply on a page with none takes a point off"
    assert count_score(5, None) == Score()


def test_null_facts_are_not_judged_and_wrong_ones_are_reported():
    facts = dict(POST_FACTS, author=None, time_local=None, comment_samples=[])
    score = judge("a.html", facts, Outcome(posts=(_post(author="Labels: x", published_local="2010-01-03T00:00:00+00:00"),)))
    assert score.scores["authors"] == Score()
    assert score.scores["dates"] == Score(0, 1)
    assert any("date" in m and "2010-01-02" in m for m in score.misses)


def test_a_refused_file_scores_nothing_and_says_why():
    score = judge("a.html", POST_FACTS, Outcome(error="not a Blogger blog"))
    assert score.scores["pages"] == Score(0, 1) and score.scores["posts"] == Score(0, 1)
    assert score.scores["comments"] == Score(0, 2)
    assert any("not a Blogger blog" in m for m in score.misses)


def test_listing_items_are_matched_by_title_and_extra_posts_cost():
    facts = {"kind": "listing", "title": None, "author": None, "date_local": None, "time_local": None,
             "comments": 0, "replies": 0, "posts": 2,
             "post_items": [{"title": "One", "date_local": "2005-05-14", "time_local": None, "author": None},
                            {"title": "Two", "date_local": "2005-05-13", "time_local": None, "author": None}]}
    one = _post(title="One", published_local="2005-05-14T20:41:00+00:00", comments=())
    stray = _post(title="Sidebar", url="https://x.blogspot.com/2010/01/s.html", comments=())
    score = judge("l.html", facts, Outcome(posts=(one, stray)))
    assert score.scores["listing_posts"] == Score(1, 2)
    assert score.scores["dates"] == Score(1, 2)
    many = judge("l.html", facts, Outcome(posts=(one, stray, _post(title="Two", comments=()), _post(title="Three", comments=()))))
    assert many.scores["listing_posts"] == Score(2 - 2, 2)


def test_export_items_count_drafts_pages_and_comments_on_pages():
    facts = {"kind": "export", "posts": 1, "drafts": 1, "pages": 1, "comments": 2, "replies": 0,
             "comments_on_pages": 1, "comment_samples": []}
    page = _post(kind="page", title="About", comments=(_comment("3", "Cy", "Hi"),))
    draft = _post(status="draft", title="Later", comments=())
    published = _post(comments=(_comment("1", "Bob", "Yes"),))
    score = judge("e.xml", facts, Outcome(posts=(published, draft, page)))
    assert score.scores["export_items"] == Score(6, 6)
    lost = judge("e.xml", facts, Outcome(posts=(published, draft, _post(kind="page", title="About", comments=()))))
    assert lost.scores["export_items"] == Score(4, 6)


def test_the_table_has_a_row_per_file_and_the_totals():
    files = [judge("a.html", POST_FACTS, Outcome(posts=(_post(),))), judge("b.html", POST_FACTS, Outcome(error="x"))]
    text = table(files)
    assert "a.html" in text and "b.html" in text and "TOTAL" in text
    assert totals(files)["posts"] == Score(1, 2)
    assert norm("  A\u2019s\n  Title ") == "a's title"
