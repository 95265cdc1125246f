"""The page's whole-ledger table, written row by row in Python: the same markup Jinja2's
autoescaped template makes of the same items, crawled text kept as text."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
from lxml import html as lxml_html

from blogport.checks.base import FAILED, OK, SKIPPED, LedgerEntry, Placement
from blogport.report.render import full_ledger_rows, item_href, old_href, prepare_ledger, render_html
from blogport.validate import ValidateOptions, validate
from tests.blogport.test_validate import build_migration, sql

TEMPLATE_ROWS = """\
    {% for e in full_ledger %}
    <tr><td><span class="st {{ e.status }}">{{ e.status }}</span></td>
      <td>{{ e.item_type }}{% if e.item_type == "comment" %} on{% endif %} “{{ e.title or "(untitled)" }}”\
{% if e.item_id %} <code>{{ e.item_id }}</code>{% endif %}</td>
      <td>{% if e.old_url | old_href %}<a href="{{ e.old_url | old_href }}">{{ e.old_url }}</a>\
{% elif e.old_url %}<code>{{ e.old_url }}</code>{% endif %}</td>
      {% for fmt in formats %}{% set p = e.placement(fmt) %}
      <td>{% if not p %}<span class="red">✗</span>{% elif p.status == "failed" %}\
<span class="red" title="{{ p.reason }}">✗</span>{% elif p.link | item_href %}<a href="{{ p.link | item_href }}">✓</a>\
{% else %}<span title="{{ p.link }}">✓</span>{% endif %}</td>
      {% endfor %}</tr>
    {% endfor %}
"""
"""The table's rows as a Jinja2 template, with the report page's settings."""


def _jinja_rows(entries: list[LedgerEntry], formats: tuple[str, ...]) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["old_href"] = old_href
    env.filters["item_href"] = item_href
    return env.from_string(TEMPLATE_ROWS).render(full_ledger=entries, formats=formats)


def _entries() -> list[LedgerEntry]:
    tricky = "<b>\"bold\" & 'quoted'</b>"
    return [
        LedgerEntry("post", "http://x.blogspot.com/2020/01/a.html", "1", "http://x.blogspot.com/2020/01/a.html",
                    tricky, "2020-01", OK, (),
                    (Placement("sqlite", OK, "posts/1", "blog.db#posts/1"),
                     Placement("wxr", OK, "wordpress.xml", "wordpress.xml#post-1"),
                     Placement("markdown", OK, "content/posts/a b&c.md", "content/posts/a b&c.md"))),
        LedgerEntry("comment", "http://x.blogspot.com/2020/01/a.html#c2", "2", "javascript:alert('x')", "", None,
                    FAILED, ("gone",),
                    (Placement("sqlite", OK, "comments/2", "blog.db#comments/2"),
                     Placement("wxr", FAILED, "wordpress.xml", None, reason="no <item> for \"2\" & co"))),
        LedgerEntry("page", "http://x.blogspot.com/p/about.html", None, None, "About", None, SKIPPED, (),
                    (Placement("markdown", SKIPPED, None, None, "deleted from the live blog"),)),
    ]


def test_rows_are_what_the_template_makes_of_the_same_items() -> None:
    entries = _entries()
    formats = ("sqlite", "wxr", "markdown")
    rows = str(full_ledger_rows(entries, formats))
    assert rows == _jinja_rows(entries, formats)
    assert "&lt;b&gt;&#34;bold&#34; &amp; &#39;quoted&#39;&lt;/b&gt;" in rows  # text stays text
    assert 'href="javascript' not in rows
    assert 'href="content/posts/a%20b%26c.md"' in rows


def test_page_shows_a_crawled_title_as_text_and_is_the_same_prepared_or_not(tmp_path: Path) -> None:
    out = build_migration(tmp_path / "out")
    sql(out, "UPDATE posts SET title = ? WHERE id = (SELECT MIN(id) FROM posts)", "<i>x</i> & <script>y</script>")
    report = validate(out, ValidateOptions())
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page == render_html(report)
    assert page == render_html(report, prepare_ledger(list(report.ledger), report.formats))
    tree = lxml_html.fromstring(page)
    assert not tree.xpath("//script") and not tree.xpath("//i[text()='x']")
    ledger_rows = tree.xpath("//details[summary[starts-with(., 'Every post, page and comment')]]//tr")
    assert len(ledger_rows) == len(report.ledger) + 1  # the header row, then one row an item
    texts = [re.sub(r"\s+", " ", row.text_content()) for row in ledger_rows]
    assert any("“<i>x</i> & <script>y</script>”" in text for text in texts)
