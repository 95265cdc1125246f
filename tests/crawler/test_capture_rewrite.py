"""The rules that undo a replay server's rewriting (real pywb output: tests/crawler/test_wayback.py)."""

from __future__ import annotations

from crawler.capture_rewrite import is_frame_wrapper, needs_unrewrite, replay_original, unrewrite


def test_archive_layer_only_is_removed() -> None:
    """A link the blogger wrote to an archived page keeps its own Wayback URL; only the layer
    the replay added is removed, in attributes, srcset and inline styles."""
    page = (
        '<html><head><!-- WB Insert --><script>wbinfo = {};</script><!-- End WB Insert -->\n</head><body>'
        '<a href="http://127.0.0.1:8080/coll/20150101000000mp_/https://web.archive.org/web/2010/http://gone.example/">'
        'an archived page</a>'
        '<img srcset="/web/20150101000000im_/http://b.example/a.jpg 1x, /web/20150101000000im_/http://b.example/b.jpg 2x">'
        '<div style="background:url(//web.archive.org/web/20150101000000im_/http://b.example/bg.png)">'
        '20150101000000/http:// stays as text</div></body></html>'
    )
    assert needs_unrewrite(page)
    done = unrewrite(page, "http://127.0.0.1:8080/coll")
    assert done.changed and not done.framed
    assert 'href="https://web.archive.org/web/2010/http://gone.example/"' in done.html
    assert 'srcset="http://b.example/a.jpg 1x, http://b.example/b.jpg 2x"' in done.html
    assert "url(http://b.example/bg.png)" in done.html
    assert "wbinfo" not in done.html and "WB Insert" not in done.html
    assert "20150101000000/http:// stays as text" in done.html


def test_internet_archive_insert_and_replay_urls() -> None:
    page = (
        '<html><head><script type="text/javascript" src="/_static/js/bundle-playback.js?v=1" charset="utf-8">'
        '</script>\n<script>__wm.init("https://web.archive.org/web");</script>\n'
        '<!-- End Wayback Rewrite JS Include -->\n<title>t</title></head><body>'
        '<!-- BEGIN WAYBACK TOOLBAR INSERT --><div id="wm-ipp">toolbar</div><!-- END WAYBACK TOOLBAR INSERT -->'
        '<a href="https://web.archive.org/web/20150101000000/http://b.example/2009/08/p.html">p</a>'
        '<script>var u = WB_wombat_location.href;</script></body></html>\n'
        '<!--\n     FILE ARCHIVED ON 00:00:00 Jan 01, 2015 AND RETRIEVED FROM THE\n     INTERNET ARCHIVE -->'
    )
    done = unrewrite(page).html
    assert done == ('<html><head><title>t</title></head><body><a href="http://b.example/2009/08/p.html">p</a>'
                    '<script>var u = location.href;</script></body></html>\n')


def test_replay_urls_and_frames() -> None:
    assert replay_original("https://web.archive.org/web/20150101000000id_/http://b.example/x.html?m=1") == (
        "http://b.example/x.html?m=1", "20150101000000", "https://web.archive.org/web")
    assert replay_original("http://b.example/2015/01/20150101000000.html") is None
    frame = '<html><script src="/static/wb_frame.js"></script><iframe id="replay_iframe"></iframe></html>'
    assert is_frame_wrapper(frame) and unrewrite(frame).framed
    assert not needs_unrewrite("<html><body>a post about the Wayback Machine</body></html>")
