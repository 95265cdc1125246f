"""The content check's plain text of a body: the quick way agrees with the parser's."""

from __future__ import annotations

import random

from blogport.checks import content
from transform.cruft import parse_fragment


def test_text_of_plain_bodies_is_what_the_parser_reads() -> None:
    tokens = ["a", "Ü", " ", "\n", "\r\n", "\t", "\xa0", "\u2009", "<br>", "<BR />", "<br/>", "&amp;", "&lt;",
              "&gt;", "&quot;", "&#39;", "&nbsp;", "&apos;", "&copy;", "&", "<", "<b>x</b>", "<p>", "\x0c", "\x7f",
              "\x85", "&amp;lt;", "\ufeff", "😀"]
    rng = random.Random(11)
    quick = 0
    for _ in range(4000):
        body = "".join(rng.choice(tokens) for _ in range(rng.randint(1, 10)))
        if not body.strip():
            continue
        try:
            parsed = " ".join(content._STRING_VALUE(parse_fragment(body)).split())
        except ValueError:
            parsed = None
        plain = content._plain_text(body)
        if plain is not None:
            quick += 1
            assert plain == parsed, repr(body)
        if parsed is not None:
            assert content.html_text(body) == parsed, repr(body)
    assert quick > 500


def test_code_in_a_markdown_body_is_text_not_markup() -> None:
    body = ("Copy this into your template:\n\n```\n<div style='clear: both;'/> <!-- clear for photos floats -->\n"
            "```\n\nand `<div style=\"clear:both\"></div>` inline, ``a ` tick``; then\n\n"
            "<div style=\"clear: both;\"></div>\n\n~~~html\n<span>x</span>\n~~~\nend")
    kept = content.outside_code(body)
    assert "clear: both;'/>" not in kept and 'clear:both"' not in kept and "a ` tick" not in kept
    assert "<span>x</span>" not in kept
    assert '<div style="clear: both;"></div>' in kept  # markup of the post, outside any code
    assert kept.startswith("Copy this into your template:") and kept.endswith("end")
    assert content.outside_code("no code at all") == "no code at all"
    unclosed = content.outside_code("text\n```\n<div style='clear: both;'/>")
    assert "clear" not in unclosed and unclosed.startswith("text")
