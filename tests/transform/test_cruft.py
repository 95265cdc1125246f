"""Cruft rules on widget markup as Blogger and its widgets wrote it; the writing stays."""

from __future__ import annotations

import re

import pytest
from lxml import html as lxml_html

from tests.conftest import realdata_path
from transform.clean import clean_body
from transform.cruft import RULES

BASE = "http://leo.blogspot.com/2009/08/client-service-or-client.html"

LINKWITHIN = (
    '<script>\nvar linkwithin_site_id = 54495;\n</script>\n'
    '<script src="//www.linkwithin.com/widget.js"></script>\n'
    '<a href="http://www.linkwithin.com/"><img src="http://www.linkwithin.com/pixel.png" '
    'alt="Blog Widget by LinkWithin" style="border: 0" /></a>'
)
SHARE = (
    "<div class='post-share-buttons goog-inline-block'>"
    "<a class='goog-inline-block share-button sb-email' href='https://www.blogger.com/share-post.g?blogID=1&postID=2&target=email' "
    "target='_blank' title='Email This'><span class='share-button-link-text'>Email This</span></a>"
    "<a class='goog-inline-block share-button sb-blog' href='https://www.blogger.com/share-post.g?blogID=1&postID=2&target=blog' "
    "onclick='window.open(this.href, \"_blank\", \"height=270,width=475\"); return false;' target='_blank' title='BlogThis!'>"
    "<span class='share-button-link-text'>BlogThis!</span></a>"
    "<a class='goog-inline-block share-button sb-twitter' href='https://www.blogger.com/share-post.g?blogID=1&postID=2&target=twitter' "
    "title='Share to Twitter'><span class='share-button-link-text'>Share to Twitter</span></a>"
    "<a class='goog-inline-block share-button sb-facebook' href='https://www.blogger.com/share-post.g?blogID=1&postID=2&target=facebook' "
    "title='Share to Facebook'><span class='share-button-link-text'>Share to Facebook</span></a>"
    "<a class='goog-inline-block share-button sb-pinterest' href='https://www.blogger.com/share-post.g?blogID=1&postID=2&target=pinterest' "
    "title='Share to Pinterest'><span class='share-button-link-text'>Share to Pinterest</span></a></div>"
)
PIXEL = ('<div class="blogger-post-footer"><img width="1" height="1" '
         'src="https://blogger.googleusercontent.com/tracker/1234-5678?l=leo.blogspot.com" alt="" /></div>')
BARE_PIXEL = '<img width="1" height="1" src="https://blogger.googleusercontent.com/tracker/1234-5678?l=leo.blogspot.com" alt="" />'
FEEDBURNER_PIXEL = '<img src="http://feeds.feedburner.com/~r/LeoBlog/~4/abcdef" height="1" width="1" alt=""/>'
NAVBAR = ('<div id="navbar"><iframe id="navbar-iframe" src="https://www.blogger.com/navbar.g?targetBlogID=1" '
          'height="30px" width="100%" scrolling="no"></iframe></div>')
FEEDFLARE = ('<div class="feedflare"><a href="http://feeds.feedburner.com/~ff/LeoBlog?a=x">'
             '<img src="http://feeds.feedburner.com/~ff/LeoBlog?d=y" border="0"></a></div>')
CLEAR = "<div style='clear: both;'></div>"
JUMP = "<a name='more'></a>"
WRITING = ('<p>I was struck by two posts recently.</p>Build a relationship to improve service.<br /><br />'
           '<a href="http://www.flickr.com/photos/x/1"><img src="http://farm1.static.flickr.com/1.jpg" alt="desk" width="400" height="300" /></a>'
           '<br />*Image from <a href="http://www.flickr.com/">Flickr</a>')
WRITING_TEXT = ["I was struck by two posts recently.", "Build a relationship to improve service.", "*Image from Flickr"]


def _check_writing_kept(html: str, text: str) -> None:
    for sentence in WRITING_TEXT:
        assert sentence in text
    assert 'src="http://farm1.static.flickr.com/1.jpg"' in html
    assert 'href="http://www.flickr.com/"' in html


@pytest.mark.parametrize("rule,snippet,where", [
    ("linkwithin", LINKWITHIN, "end"),
    ("share-buttons", SHARE, "end"),
    ("feed-footer", PIXEL, "end"),
    ("tracking-pixel", BARE_PIXEL, "end"),
    ("tracking-pixel", FEEDBURNER_PIXEL, "end"),
    ("navbar", NAVBAR, "start"),
    ("feedflare", FEEDFLARE, "end"),
    ("clear-float", CLEAR, "end"),
    ("jump-link", JUMP, "middle"),
])
def test_each_rule_removes_its_widget_and_keeps_the_writing(rule, snippet, where):
    if where == "start":
        raw = snippet + WRITING
    elif where == "middle":
        raw = WRITING.replace("<br /><br />", "<br /><br />" + snippet, 1)
    else:
        raw = WRITING + snippet
    html, text, fired = clean_body(raw, BASE, "post")
    assert fired[rule] >= 1, fired
    _check_writing_kept(html, text)
    for gone in ("linkwithin", "share-post.g", "tracker", "navbar", "feedflare", "~ff", "~r/", "Email This",
                 "BlogThis!", "Share to", "clear: both", 'name="more"'):
        assert gone not in html, gone
    assert "LinkWithin" not in text and "Email This" not in text


def test_commentluv_trailers_removed_with_their_link():
    raw = ("It reminds me of a video.<br /><br />We can give all the tips in the world.<br /><br />"
           'Recent blog:=- <a href="http://other.example/2009/08/client.html">Client Service or Client Relationships?</a>')
    html, text, fired = clean_body(raw, BASE, "comment")
    assert fired["commentluv"] == 1
    assert text == "It reminds me of a video.\n\nWe can give all the tips in the world."
    assert "other.example" not in html and "Recent blog" not in html
    raw2 = "Some food for thought, maybe I'll develop this idea further...<br /><br /><br />Recent undefined:=-"
    html2, text2, fired2 = clean_body(raw2, BASE, "comment")
    assert fired2["commentluv"] == 1
    assert text2 == "Some food for thought, maybe I'll develop this idea further..."


def test_linkwithin_text_left_by_a_saved_page():
    html, text, fired = clean_body("Last sentence.<br/><br/>Blog Widget by LinkWithin", BASE, "post")
    assert text == "Last sentence."
    assert fired["linkwithin-text"] == 1


def test_nothing_fires_on_plain_writing():
    html, text, fired = clean_body(WRITING, BASE, "post")
    assert not fired
    _check_writing_kept(html, text)


def test_a_removed_block_between_sentences_leaves_a_line_break():
    html, text, fired = clean_body("First sentence.<div style='clear: both;'></div>Second sentence.", BASE, "post")
    assert fired["clear-float"] == 1
    assert text == "First sentence.\nSecond sentence."


def test_rules_are_data():
    names = {r.name for r in RULES}
    assert {"linkwithin", "commentluv", "share-buttons", "tracking-pixel", "navbar", "feedflare",
            "clear-float", "jump-link"} <= names
    for r in RULES:
        assert (r.xpath is None) != (r.text is None)
        assert r.remove in ("element", "text", "trailer")


def _real_snippet(path: str, start: str, end: str) -> str:
    text = realdata_path(path).read_text(encoding="utf-8", errors="replace")
    i = text.index(start)
    j = text.index(end, i) + len(end)
    return text[i:j]


def test_real_linkwithin_widget():
    snippet = _real_snippet("htmldate/test_set__1653190016.html", "<script>\nvar linkwithin_site_id", "</a>")
    html, text, fired = clean_body("Own words here." + snippet, BASE, "post")
    assert fired["linkwithin"] >= 2
    assert text == "Own words here."
    assert "linkwithin" not in html


def test_real_share_buttons():
    page = realdata_path("mozilla-readability/source.html").read_text(encoding="utf-8")
    i = page.index("<div class='post-share-buttons")
    j = page.index("Share to Pinterest</span></a>", i) + len("Share to Pinterest</span></a>")
    snippet = page[i:j] + "</div>"
    html, text, fired = clean_body("Own words here." + snippet, BASE, "post")
    assert fired["share-buttons"] >= 1
    assert text == "Own words here."
    assert not re.search(r"share|Email This|BlogThis", html)


def test_real_clear_float_divs_in_post_bodies():
    page = realdata_path("trafilatura/cache__blog.python.org.html").read_text(encoding="utf-8")
    root = lxml_html.fromstring(page)
    body = root.xpath("//div[contains(@class,'post-body')]")[0]
    inner = (body.text or "") + "".join(lxml_html.tostring(c, encoding="unicode") for c in body)
    html, text, fired = clean_body(inner, BASE, "post")
    assert fired["clear-float"] >= 1
    assert "clear" not in html
    assert len(text) > 200


@pytest.mark.parametrize("snippet", [LINKWITHIN, SHARE, PIXEL, BARE_PIXEL, FEEDBURNER_PIXEL, NAVBAR, FEEDFLARE,
                                     CLEAR, JUMP, "Text.<br/><br/>Recent blog:=- <a href='http://x.example/'>T</a>"])
def test_may_hold_cruft_never_skips_a_body_a_rule_fires_on(snippet):
    """The check that lets validation skip parsing a body says yes wherever a rule fires."""
    from transform.cruft import may_hold_cruft, parse_fragment, strip_cruft

    for item_type in ("post", "comment"):
        raw = WRITING + snippet
        assert strip_cruft(parse_fragment(raw), item_type), raw
        assert may_hold_cruft(raw, item_type)


def test_may_hold_cruft_is_false_for_plain_comments():
    from transform.cruft import may_hold_cruft

    assert not may_hold_cruft("Great post, thanks!<br /><br />I agree &amp; will try it.", "comment")
    assert may_hold_cruft("Great post!<br />Recent blog:=- <a href='http://x.example/'>T</a>", "comment")


def test_text_rules_are_not_anchored():
    """strip_cruft looks for a text rule in all the body's text before it visits each text
    node: that finds every match only while no rule is anchored to a node's start or end."""
    for rule in RULES:
        if rule.text:
            assert not re.search(r"(?<!\\)[\^$]|\\[AZbB]", rule.text), rule.name
