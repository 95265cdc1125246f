"""Author names on a real export (ecoal95-blogger-to-wordpress/blog.xml, read by crawl and
transform into a real blog.db): one identity per Blogger profile, shown by the whole name the
person used. Facts read from the file: profile 15125391292271585848 signs one comment
"Clara María" (2011-09-28, "Coincido contigo en la última frase...") and 38 later ones
"Clara"; profile 01372442033006785572 signs "Emilio Cobos Álvarez" and "Emilio Cobos";
profile 09604711456251954992 signs "KazoO" and "Daniel Guerrero"."""

from __future__ import annotations

import sqlite3

from crawler.options import CrawlOptions
from crawler.run import crawl
from tests.conftest import realdata_path
from transform.options import TransformOptions
from transform.run import transform


def test_one_identity_per_profile_with_the_whole_name(tmp_path):
    source = realdata_path("ecoal95-blogger-to-wordpress/blog.xml")
    out = tmp_path / "out"
    crawl(str(source), out, CrawlOptions(progress=False))
    transform(out, TransformOptions())
    conn = sqlite3.connect(out / "blog.db")
    try:
        names = dict(conn.execute("SELECT id, name FROM authors WHERE id LIKE 'blogger:%'"))
        (clara_comments,) = conn.execute(
            "SELECT count(*) FROM comments WHERE author_id = 'blogger:15125391292271585848'").fetchone()
        (signed,) = conn.execute(
            "SELECT a.name FROM comments AS c JOIN authors AS a ON a.id = c.author_id"
            " WHERE c.body_text LIKE 'Coincido contigo en la última frase%'").fetchone()
    finally:
        conn.close()
    assert clara_comments == 39
    assert names["blogger:15125391292271585848"] == "Clara María" == signed
    assert names["blogger:01372442033006785572"] == "Emilio Cobos Álvarez"
    assert names["blogger:09604711456251954992"] in ("KazoO", "Daniel Guerrero")
    assert not any(n in ("Clara", "Emilio Cobos") for n in names.values())
