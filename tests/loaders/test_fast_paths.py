"""The export's fast paths write exactly what the libraries they stand in for write: the
Markdown of real Blogger bodies (markdownify on its own BeautifulSoup tree, and the Markdown of
simple bodies written without either), YAML front matter (PyYAML) and comment data files
(``json.dumps``)."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from lxml import etree
from markdownify import MarkdownConverter

from loaders.front_matter import _direct, front_matter, yaml_dump
from loaders.html_markdown import _TextConverter, html_to_markdown
from loaders.links import LinkRewriter
from loaders.markdown_fast import simple_markdown
from loaders.site_body import comments_json
from loaders.source import ExportSource
from loaders.urls import UrlMap
from tests.conftest import realdata_path
from fixtures.blogger import generate_blog
from tests.loaders.test_links import build_linky

REAL_EXPORTS = (
    "ecoal95-blogger-to-wordpress/blog.xml",
    "alantsai-blogger-to-wyam/blog-03-22-2018.xml",
    "pelican/bloggerexport.xml",
)
REAL_PAGES = (
    "metascraper/integration__fastersite__input.html",
    "haul/blogspot.html",
    "nreadability/SampleInput_02.html",
)
ATOM = "{http://www.w3.org/2005/Atom}"


def _reference(html: str) -> str:
    """markdownify as shipped: a new converter on BeautifulSoup's own tree."""
    converter = MarkdownConverter.__new__(_TextConverter)
    MarkdownConverter.__init__(converter, heading_style="ATX", bullets="-", strip=["script", "style"])
    return re.sub(r"\n{3,}", "\n\n", converter.convert(html)).strip()


def _real_bodies() -> list[str]:
    bodies: list[str] = []
    for rel in REAL_EXPORTS:
        tree = etree.parse(str(realdata_path(rel)), etree.XMLParser(resolve_entities=False, no_network=True, recover=True))
        bodies += [c.text or "" for c in tree.iter(f"{ATOM}content") if c.get("type") == "html"]
    bodies += [realdata_path(rel).read_text(encoding="utf-8", errors="replace") for rel in REAL_PAGES]
    return bodies


def test_markdown_of_real_bodies_is_markdownifys() -> None:
    bodies = _real_bodies()
    assert len(bodies) > 300
    different = [b[:120] for b in bodies if html_to_markdown(b) != _reference(b)]
    assert different == []
    assert any("<pre" in b for b in bodies) and any("<table" in b for b in bodies)


def test_markdown_inside_pre_and_text_kept_text() -> None:
    html = "<pre><b>x</b> *y*</pre><p>&lt;img onerror=x&gt; <code>&lt;b&gt;</code> <b>bold</b></p>"
    assert html_to_markdown(html) == _reference(html)
    assert "&lt;img onerror=x>" in html_to_markdown(html) and "**bold**" in html_to_markdown(html)


def test_simple_bodies_without_bs4_are_markdownifys() -> None:
    """Every body the fast path takes converts as markdownify converts it; it takes the plain
    real bodies and every body of the fixture blog, and leaves the others to markdownify."""
    real = _real_bodies()
    taken = [b for b in real if simple_markdown(b) is not None]
    assert [b[:120] for b in taken if simple_markdown(b) != _reference(b)] == []
    assert 300 < len(taken) < len(real)
    blog = generate_blog(seed=7, posts=60)
    fixture = [p.body_html for p in blog.posts] + [c.body_html for p in blog.posts for c in p.comments]
    assert [b[:120] for b in fixture if simple_markdown(b) is None or simple_markdown(b) != _reference(b)] == []


def test_simple_markdown_leaves_what_it_does_not_know_to_markdownify() -> None:
    for html in ("a<b>", "x < y", "<b>x</i>", "AT&T", "&foo;", "&#0;", "&#150;", "<!-- c -->x", "<a href=x>y</a>",
                 "<p/>", "</br>", '<a href="1" href="2">x</a>', "<pre>x</pre>", "<h2>x</h2>", "<ul><li>x</li></ul>",
                 "<script>x</script>", "<p>open", "<o:p></o:p>"):
        assert simple_markdown(html) is None, html
    assert simple_markdown("<p>a_b &lt;img onerror=x&gt;</p>") == _reference("<p>a_b &lt;img onerror=x&gt;</p>")


_MARKUP_TEXT = ["word", " ", "  ", "\n", "\t", "\r\n", "a_b", "*x*", "&amp;", "&lt;b&gt;", "&nbsp;", "&#233;", "&#x41;",
                "&quot;", "\xa0", "#", "1.", "-", "[x]", "&#32;", "&#160;", "\\", "`", ">", "&amp;lt;"]
_MARKUP_TAGS = ["p", "div", "b", "strong", "i", "em", "a", "a", "span", "u", "font", "P", "B"]


def _markup_attrs(rng: random.Random, name: str) -> str:
    out = ""
    if name.lower() == "a":
        for key in rng.sample(["href", "title", "class", "HREF"], rng.randint(0, 2)):
            value = rng.choice(["http://x.org/a_b", "http://x.org/", 't"i', "", "a&amp;b", "word", "?a=1&amp;b=2"])
            quote = "'" if '"' in value else rng.choice(['"', "'"])
            out += rng.choice([" ", "\n", "  "]) + key + rng.choice(["=", " = "]) + quote + value + quote
    elif name.lower() == "img":
        for key in rng.sample(["src", "alt", "title", "width"], rng.randint(0, 3)):
            value = rng.choice(["http://x.org/1.png", "a <b> &amp;lt; c", 't"', "", "x_y*z"])
            quote = "'" if '"' in value else '"'
            out += " " + key + "=" + quote + value + quote
    elif rng.random() < 0.3:
        out += ' style="text-align:center"'
    return out + (" " if rng.random() < 0.1 else "")


def _markup(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(0, 5)):
        r = rng.random()
        if r < 0.4 or depth > 3:
            parts.append("".join(rng.choice(_MARKUP_TEXT) for _ in range(rng.randint(1, 4))))
        elif r < 0.5:
            parts.append(rng.choice(["<br>", "<br/>", "<br />", "<BR>"]))
        elif r < 0.55:
            parts.append("<img" + _markup_attrs(rng, "img") + rng.choice([">", "/>"]))
        else:
            tag = rng.choice(_MARKUP_TAGS)
            parts.append(f"<{tag}{_markup_attrs(rng, tag)}>" + _markup(rng, depth + 1) + f"</{tag}>")
    return "".join(parts)


def test_simple_markdown_of_generated_markup_is_markdownifys() -> None:
    """Whitespace around and inside blocks, entities, escapes, links that are their own text,
    titles and alt texts with quotes: generated bodies convert as markdownify converts them."""
    rng = random.Random(14)
    taken = 0
    for _ in range(5_000):
        html = _markup(rng)
        fast = simple_markdown(html)
        if fast is not None:
            taken += 1
            assert fast == _reference(html), html
    assert taken > 4_000


_ALPHABET = [*"ab XY\"\\'#:-{}[]&*!|>%@`,?~=01\t\n\r", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\xa0",
             "é", "\u2027", "\u2028", "\u2029", "\u202a", "\ufeff", "\ufffe", "\ufffd", "\ud7ff", "\ue000", "😀", "中"]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12)))


def _front(rng: random.Random) -> dict[str, Any]:
    zones = [None, timezone.utc, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]
    data: dict[str, Any] = {}
    for key in rng.sample(["title", "slug", "author", "tags", "date", "draft", "url", "aliases", "blogger_id",
                           "date_raw", "layout", "lastmod"], rng.randint(1, 8)):
        if key in ("tags", "aliases"):
            data[key] = [_text(rng) for _ in range(rng.randint(0, 3))]
        elif key in ("date", "lastmod"):
            data[key] = datetime(2009, 8, 15, 9, 50, rng.randint(0, 59), rng.choice([0, 123456]),
                                 tzinfo=rng.choice(zones))
        elif key == "draft":
            data[key] = rng.choice([True, False])
        else:
            data[key] = _text(rng)
    return data


def test_front_matter_written_directly_is_pyyamls() -> None:
    rng = random.Random(14)
    direct = 0
    for _ in range(20_000):
        data = _front(rng)
        written = _direct(data)
        if written is not None:
            direct += 1
            assert written == yaml_dump(data), data
    assert direct > 1_000


def test_front_matter_pyyaml_where_it_escapes() -> None:
    data = {"title": "smile 😀 \u2028 tab\t", "tags": [], "draft": True,
            "date": datetime(2009, 8, 15, 9, 50, tzinfo=timezone(timedelta(hours=-7)))}
    assert _direct(data) is None
    assert front_matter(data) == (
        '---\ntitle: "smile \\U0001F600 \\L tab\\t"\ntags: []\ndraft: true\ndate: 2009-08-15T09:50:00-07:00\n---\n')
    plain = {"title": 'a "quoted" \\ title', "tags": ["x", "y"]}
    assert front_matter(plain) == '---\ntitle: "a \\"quoted\\" \\\\ title"\ntags:\n- "x"\n- "y"\n---\n'


def test_comment_files_are_json_dumps() -> None:
    rng = random.Random(14)
    for _ in range(5_000):
        records: list[dict[str, Any]] = [
            {rng.choice(["id", "parent_id", "author", "body_html", "depth", "é"]):
             rng.choice([_text(rng), None, True, False, 0, 7, -3, 10**20])
             for _ in range(rng.randint(0, 6))}
            for _ in range(rng.randint(0, 4))
        ]
        assert comments_json(records) == json.dumps(records, ensure_ascii=False, indent=2, sort_keys=True)
    nested = [{"x": [1, 2], "y": 1.5}]
    assert comments_json(nested) == json.dumps(nested, ensure_ascii=False, indent=2, sort_keys=True)


def test_link_rewriter_sees_the_blog_where_its_case_insensitive_pattern_does(tmp_path: Path) -> None:
    conn = sqlite3.connect(build_linky(tmp_path / "out") / "blog.db", isolation_level=None)
    try:
        source = ExportSource(conn)
        rewriter = LinkRewriter(source, UrlMap(source, "hugo"))
    finally:
        conn.close()
    rng = random.Random(14)
    pieces = ["<a href=", "HREF = '", "href=\"/", "/", "//", "\\", " ", "\t", "\n", "x", "<p>", "LINKY.BLOGSPOT.",
              "linky.blogspot.co.uk", "Linky.Blogspot.", "linky.blogspot", "\u0130", "\u0131", "\u017f", "\u212a",
              "\u212b", "é", "li\u212ay", "hre\u017f", "Ｈref=/"]
    found = 0
    for _ in range(20_000):
        html = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        expected = rewriter._mentions.search(html) is not None
        assert rewriter.mentions(html) == expected, html
        found += expected
    assert 1_000 < found < 19_000


def test_xml_escapes_are_saxutils() -> None:
    from xml.sax.saxutils import escape as sax_escape
    from xml.sax.saxutils import quoteattr as sax_quoteattr

    from loaders.wxr_xml import escape, quoteattr

    rng = random.Random(14)
    pieces = ["&", "<", ">", '"', "'", "\n", "\r", "\t", "&amp;", "a", " ", "é", "]]>"]
    for _ in range(5_000):
        value = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        assert escape(value) == sax_escape(value), value
        assert quoteattr(value) == sax_quoteattr(value), value


def test_character_sets_are_the_complements_they_stand_for() -> None:
    """The forbidden-in-XML and escaped-in-YAML sets, named as sets, hold exactly the characters
    outside the ranges XML 1.0 allows and libyaml writes as they are."""
    from loaders.front_matter import _NEEDS_ESCAPE
    from loaders.source import _XML_FORBIDDEN

    xml_allowed = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
    yaml_plain = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
    for code in range(0x110000):
        char = chr(code)
        assert bool(_XML_FORBIDDEN.match(char)) != bool(xml_allowed.match(char)), hex(code)
        assert bool(_NEEDS_ESCAPE.match(char)) != bool(yaml_plain.match(char)), hex(code)
