from __future__ import annotations

from lxml import etree

from tests.conftest import realdata_path
from transform.clean import clean_body, fix_mojibake, html_to_text, sanitize

BASE = "http://leo.blogspot.com/2009/08/client-service-or-client.html"


def test_scripts_handlers_and_style_injection_removed():
    raw = ('<p onclick="steal()">Hello <script>alert(1)</script><b onmouseover="x()">world</b></p>'
           '<img src="a.jpg" onerror="evil()" alt="pic" width="10" height="20" style="position:fixed;top:0">'
           '<a href="javascript:alert(1)">bad</a><style>body{display:none}</style>'
           '<span style="color: red; position: absolute; background-image: url(http://evil/)">red</span>'
           '<iframe src="http://evil.example/x"></iframe><form action="/x"><input name="q"></form>')
    html, text, _ = clean_body(raw, BASE, "post")
    for bad in ("script", "onclick", "onerror", "onmouseover", "javascript:", "position", "<style", "evil",
                "<form", "<input", "background-image"):
        assert bad not in html, bad
    assert 'alt="pic"' in html and 'width="10"' in html and 'height="20"' in html
    assert "color:red" in html.replace(" ", "")
    assert text.startswith("Hello world")


def test_kept_structure_tables_lists_code_quotes_headings_and_video():
    raw = ("<h2>Head</h2><table><tr><td>a</td><td>b</td></tr></table><ul><li>one</li><li>two</li></ul>"
           "<pre><code>x = 1</code></pre><blockquote>quoted</blockquote>"
           '<iframe src="https://www.youtube.com/embed/abc" width="560" height="315" allowfullscreen></iframe>')
    html, text, _ = clean_body(raw, BASE, "post")
    for tag in ("<h2>", "<table>", "<td>", "<ul>", "<li>", "<pre>", "<code>", "<blockquote>"):
        assert tag in html
    assert 'src="https://www.youtube.com/embed/abc"' in html
    assert "one\ntwo" in text


def test_mojibake_repaired_but_typography_left_alone():
    assert fix_mojibake("Iâ€™ve been") == "I’ve been"
    assert fix_mojibake("cafÃ© crÃ¨me") == "café crème"
    assert fix_mojibake("I’ve “quoted” ﬁne") == "I’ve “quoted” ﬁne"
    html, text, _ = clean_body("<p>Iâ€™ve been to the cafÃ©</p>", BASE, "post")
    assert text == "I’ve been to the café"


def test_internal_links_made_absolute():
    raw = ('<a href="/2009/07/older.html">older</a> <a href="other.html">same folder</a> '
           '<img src="/images/x.png"> <a href="#note">note</a> <a href="http://elsewhere.example/">out</a>'
           ' <a href="mailto:leo@example.com">mail</a>')
    html, _, _ = clean_body(raw, BASE, "post")
    assert 'href="http://leo.blogspot.com/2009/07/older.html"' in html
    assert 'href="http://leo.blogspot.com/2009/08/other.html"' in html
    assert 'src="http://leo.blogspot.com/images/x.png"' in html
    assert 'href="#note"' in html
    assert 'href="http://elsewhere.example/"' in html
    assert 'href="mailto:leo@example.com"' in html


def test_body_text_paragraphs_as_blank_lines():
    html = "First line<br>second line<br /><br />New paragraph<p>Para   two\n with  spaces</p><div>Block</div>"
    assert html_to_text(sanitize(html)) == "First line\nsecond line\n\nNew paragraph\n\nPara two with spaces\n\nBlock"


def test_empty_body():
    assert clean_body("", BASE, "post")[:2] == ("", "")


def test_plain_comment_fast_path_matches_the_full_sanitiser():
    from transform.clean import _plain_body, element_text, inner_html, prepare
    from transform.cruft import RULES

    samples = [
        "Hey,<br><br>ein wirklich tolles Interview.<br>Lieben Gruß,<br>Ruby",
        "Tom &amp; Jerry said 2 &lt; 3 &gt; 1 and \"quoted\" 'single'<br />next&nbsp;line",
        "  leading and trailing spaces  <BR/>  and   runs   of spaces \n\n with newlines ",
        "<br /><br />starts with breaks<br /><br /><br />",
        "just text",
    ]
    for body in samples:
        fast = _plain_body(body, RULES)
        assert fast is not None, body
        root, _ = prepare(body, "http://b.example/x.html", "comment")
        assert fast == (sanitize(inner_html(root)), element_text(root)), body
    # markup or a possible trailer takes the full path
    assert _plain_body("<b>bold</b>", RULES) is None
    assert _plain_body("text<br>Recent blog:=- x", RULES) is None


def test_escaped_markup_in_the_leading_text_stays_text():
    # "&lt;b&gt;" before the first element is writing about a tag, not a tag
    html, text, _ = clean_body("if a &lt;b&gt; c then <p>para &lt;i&gt;x</p>", BASE, "post")
    assert html == "if a &lt;b&gt; c then <p>para &lt;i&gt;x</p>"
    assert text == "if a <b> c then\n\npara <i>x"


def test_template_unwrapped_and_foreign_iframe_dropped_keep_the_text_around_them():
    raw = ('<p>x</p>lead<script type="text/template">A<b>b</b>C<i>i</i>D</script>tail'
           '<iframe src="http://evil.example/"></iframe>after<script type="text/template">E</script>end')
    html, text, _ = clean_body(raw, BASE, "post")
    assert html == "<p>x</p>leadA<b>b</b>C<i>i</i>DtailafterEend"
    assert text == "x\n\nleadAbCiDtailafterEend"


def _export_bodies(rel: str) -> list[str]:
    root = etree.parse(str(realdata_path(rel))).getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    return [el.text or "" for el in root.iter(f"{atom}content")]


def test_flash_youtube_embed_of_a_real_export_becomes_a_working_iframe():
    (body,) = [b for b in _export_bodies("nexusdecode-blogger2jekyll/blog-08-19-2012.xml") if "youtube.com/v/" in b]
    safe, text, fired = clean_body(body, "http://www.kriscargile.com/2012/01/x.html", "post")
    assert fired["video-embed:youtube"] == 1
    assert '<iframe src="https://www.youtube.com/embed/VjHMYuGkzlU"' in safe
    assert "<object" not in safe and "<embed" not in safe
    assert "Monday is a seminal day" in text  # the writing around it stays


def test_video_uploaded_to_blogger_is_a_visible_note_and_counted():
    bodies = [b for b in _export_bodies("ecoal95-blogger-to-wordpress/blog.xml") if "BLOG_video_class" in b]
    assert bodies
    notes = 0
    for body in bodies:
        safe, text, fired = clean_body(body, "http://emiliocoboscmc.blogspot.com/2012/01/x.html", "post")
        assert body.count("BLOG_video_class") == fired["video-embed:blogger-upload"]
        assert "<object" not in safe and "googlevideo" not in safe
        notes += text.count("[Video uploaded to Blogger")
    assert notes == sum(b.count("BLOG_video_class") for b in bodies)


def test_paragraph_comment_fast_path_matches_the_full_sanitiser():
    """Classic templates wrap each comment in bare paragraphs; the fast path gives the same
    bytes and text as parsing, on crafted bodies and on every comment of generated blogs."""
    from fixtures.blogger import generate_blog
    from transform.clean import _plain_body, element_text, inner_html, prepare
    from transform.cruft import RULES

    samples = [
        "\n<p>Kunde Dienst Morgen, Größe &amp; Wert?</p>\n",
        "<P>One</P>\n<p>two<br>lines &lt;b&gt; not bold</p>",
        "lead text <p>para</p> tail text",
        "<p></p><p>  spaced   out \n text  </p>",
        "<p>a&nbsp;b</p>",
    ]
    for family in ("classic", "layout-flat"):
        for language in ("en", "de", "es"):
            blog = generate_blog(seed=5, posts=12, family=family, language=language, big_thread=False)
            samples += [c.rendered_body_html() for p in blog.posts for c in p.comments]
            samples += ["<p>" + c.rendered_body_html() + "</p>" for p in blog.posts for c in p.comments]
    fast_ones = 0
    for body in samples:
        fast = _plain_body(body, RULES)
        if fast is None:
            continue
        fast_ones += 1
        root, _ = prepare(body, "http://b.example/x.html", "comment")
        assert fast == (sanitize(inner_html(root)), element_text(root)), body
    assert fast_ones > len(samples) // 2
    # nested, attributes, other tags or a rule's hint take the full path
    for body in ("<p>a<p>b</p></p>", "<p class='x'>a</p>", "<p>a <b>b</b></p>", "<p>see more</p>",
                 "<p>Recent blog:=- x</p>", "<p>a</p></p>"):
        assert _plain_body(body, RULES) is None, body


def test_mojibake_shortcut_agrees_with_the_telltale_regex():
    from transform.clean import _MOJIBAKE_HINT, _may_be_mojibake

    samples = ["plain ascii", "Größe und Straße", "Iâ€™ve", "cafÃ©", "a\x85b", "Ã alone", "\ufffd",
               "Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "日本語のテキスト", "Â\xa0", "Â£5", "âœ“", "naïve café", ""]
    samples += [chr(c) + chr(d) for c in (0xC2, 0xC3, 0xE2, 0xD0, 0xD1, 0x41) for d in range(0x7E, 0x2130, 7)]
    for text in samples:
        assert _may_be_mojibake(text) == (_MOJIBAKE_HINT.search(text) is not None), repr(text)


def test_plain_body_test_agrees_with_its_regex():
    from transform.clean import _PARAGRAPHS_BODY, _PLAIN_BODY, _plain_body

    samples = ["just text", "a<br>b", "a<BR />b", "a<br/>b", "&amp;lt;", "<<br>", "<br &amp;>", "a & b", "&nbsp;",
               "&#39;x&#39;", "&#40;", "<b>x</b>", "x <br\t/> y", "&ampx;", "&", "<", "", "line<br  >", "<br/ >",
               "<p>a</p>", "<p>a</p><p>b", "a</p><p>b</p>", "<P>a</p>x<p>b</P>", "<p><p>a</p></p>", "</p>", "<p>"]
    for body in samples:
        shape = _PLAIN_BODY.fullmatch(body) or _PARAGRAPHS_BODY.fullmatch(body)
        assert (_plain_body(body, ()) is not None) == bool(shape), body


def test_shortcuts_agree_with_the_rules_they_stand_for_on_random_markup():
    # bodies made of the tokens the plain-text shapes allow and of near misses (and the
    # sentinels of element_text): the quick rejection never turns down a body either shape
    # takes, and the text is finished as the regexes alone finish it
    import random

    from transform import clean

    tokens = ["a", "é", " ", "\n", "\t", "\xa0", "\u2009", "\u3000", "<br>", "<BR/>", "<br />", "<p>", "</P>", "<p>",
              "</p>", "<p> x </p>", "\n \t\n", "  \n", "\n\n\n\n", "&apos;", "&#39;",
              "<pre>", "<b>", "&amp;", "&nbsp;", "&copy;", "&", "<", "< p>", "<p class=x>", "\x1f", "\u2028",
              "\x00", "\x01", "\x02", "\x03"]
    rng = random.Random(5)
    for _ in range(5000):
        body = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 12)))
        if clean._PLAIN_BODY.fullmatch(body) or clean._PARAGRAPHS_BODY.fullmatch(body):
            assert clean._OTHER_MARKUP.search(body) is None, repr(body)
            assert clean._plain_body(body, ()) is not None, repr(body)
        else:
            assert clean._plain_body(body, ()) is None, repr(body)
        assert clean._finish_text(body) == _finish_text_by_regex(body), repr(body)


def _finish_text_by_regex(raw: str) -> str:
    from transform import clean

    text = clean._WS.sub(" ", raw)
    text = text.replace(clean._PRE_SPACE, " ").replace(clean._PARA, "\n\n").replace(clean._BR, "\n")
    text = text.replace(clean._TAB, "\t")
    text = clean._LINE_ENDS.sub("\n", text)
    text = clean._MANY_SPACES.sub(" ", text)
    return clean._MANY_BREAKS.sub("\n\n", text).strip()


def test_absolute_url_is_urljoin_for_any_link():
    import random
    from urllib.parse import urljoin

    from transform.clean import absolute_url

    tokens = ["http://", "https://", "HTTP://", "a", "b.com", "/", "?", "#", ";", "[", "]", " ", "\t", "\n", "\x01",
              "é", "%20", ":", "@", "..", ".", "=", "&", "//", "~", "\\", "^", "`", "{", "|", "}", '"', "<", ">",
              "?#", "#?", "\x7f", "\u3000", "/../", "./"]
    bases = [BASE, "https://b.example/x", "http://b.example", "https://b.example/a;b?c#d", "HTTP://B/x",
             "ftp://h/x", "b.example/x", "https://[::1]/x"]
    rng = random.Random(11)
    as_is = 0
    for _ in range(30000):
        link = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 8)))
        if rng.random() < 0.7:
            link = rng.choice(["http://", "https://"]) + link
        base = rng.choice(bases)
        try:
            expected: object = urljoin(base, link)
        except ValueError as exc:
            expected = type(exc)
        try:
            got: object = absolute_url(base, link)
        except ValueError as exc:
            got = type(exc)
        assert got == expected, (base, link)
        as_is += got == link
    assert as_is > 5000  # the links it answers without urljoin were among them
    for link in ("http://b.example/p?", "http://b.example/p#", "http://b.example/p;", "http:///x", "http://b.example/a/../b"):
        assert absolute_url("http://b.example/", link) == urljoin("http://b.example/", link)


def test_a_body_serialised_in_one_call_is_its_inner_html():
    from transform.clean import inner_html, prepare, root_inner_html

    bodies = [
        "lead &amp; text &lt;b&gt; <p>para<!-- note --> tail</p> after <br> &nbsp;end",
        "<div style='clear:both'></div><script>if (a < b) x()</script><pre> a\n  b </pre>",
        "<table><tr><td>1</td></tr></table>text<img src='/a.jpg' alt='&quot;q&quot;'> <a href=x>y</a>",
        "", "only text", "<p>a</p><p>b</p>",
    ]
    for body in bodies:
        root, _ = prepare(body, BASE, "post")
        assert root_inner_html(root) == inner_html(root), body


def test_a_form_loses_its_tag_and_controls_but_not_the_words_written_in_it():
    # as a real Blogger page holds its survey: a note and the questions inside the form
    raw = ('<form action="http://www.response-o-matic.com/mail.php" method="post"><input type="hidden" name="id"'
           ' value="2qq8"/><b>Nota</b>: este formulario es privado.<br/><table><tr><td><strong>Nombre:</strong></td>'
           '<td><input name="name" type="text"/></td></tr></table><input type="radio" name="r" value="Bueno"/> Bueno'
           '<textarea name="t">typed by nobody</textarea><select name="s"><option>one</option></select>'
           '<input type="submit" value="Send"/></form>')
    html, text, _ = clean_body(raw, BASE, "post")
    for gone in ("<form", "<input", "<textarea", "<select", "response-o-matic", "typed by nobody", "Send"):
        assert gone not in html and gone not in text, gone
    assert "<b>Nota</b>: este formulario es privado." in html
    assert "Nombre:" in text and "Bueno" in text and text.startswith("Nota: este formulario es privado.")
