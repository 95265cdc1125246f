from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from kernel.errors import ExportError
from loaders.options import ExportOptions
from loaders.run import export
from loaders.wxr import cdata
from tests.conftest import realdata_path
from tests.loaders.conftest import CONTROL, build_blog, nasty_models
from tests.loaders.wxr_reader import NotWxr, parse_wxr, simulate_import

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _export_wxr(folder: Path, **kw) -> list[Path]:
    export(folder, ExportOptions(formats=("wxr",), **kw))
    return sorted(folder.glob("wordpress*.xml"))


def test_every_post_and_comment_read_as_the_importer_reads_them(nasty_dir: Path) -> None:
    (path,) = _export_wxr(nasty_dir)
    assert path.name == "wordpress.xml"
    parsed = parse_wxr(path)
    models = nasty_models()
    assert parsed["version"] == "1.2"
    assert parsed["base_url"] == "http://nasty.blogspot.com"
    posts = parsed["posts"]
    assert len(posts) == len(models["posts"])
    assert sorted(p["post_id"] for p in posts) == list(range(1, len(posts) + 1))
    by_source = {dict(p["postmeta"])["_blogport_source_id"]: p for p in posts}
    assert set(by_source) == {p.id for p in models["posts"]}
    # authors: unique logins; every dc:creator names one
    logins = set(parsed["authors"])
    assert len(logins) == 2 and all(re.fullmatch(r"[a-z0-9_-]+", login) for login in logins)
    assert all(p["author"] in logins for p in posts)
    assert parsed["authors"]["li-xiao-long"]["display_name"] == "李小龍"
    # CDATA split round-trips
    first = by_source["1001"]
    assert first["content"] == models["posts"][0].body_html
    assert "]]>" in first["content"]
    assert first["post_date"] == "2009-08-15 09:50:00" and first["post_date_gmt"] == "2009-08-15 16:50:00"
    assert first["post_name"] == "client-service-or-client"
    assert sorted((t["domain"], t["slug"], t["name"]) for t in first["terms"]) == [
        ("post_tag", "client-service", "Client Service"), ("post_tag", "pr", "PR")]
    assert ("blogger_permalink", "/2009/08/client-service-or-client.html") in first["postmeta"]
    assert by_source["1011"]["status"] == "draft"
    assert by_source["1012"]["post_type"] == "page"
    assert by_source["1006"]["title"] == "你好世界：中文标题"
    # characters XML forbids are gone, the rest kept
    control = by_source["1013"]
    assert not FORBIDDEN.search(control["title"] + control["content"])
    assert "bell vt ff nul fffe end" in control["title"]


def test_comments_threads_and_ids(nasty_dir: Path) -> None:
    (path,) = _export_wxr(nasty_dir)
    posts = parse_wxr(path)["posts"]
    all_comments = [c for p in posts for c in p["comments"]]
    assert len(all_comments) == len(nasty_models()["comments"])
    ids = [int(c["comment_id"]) for c in all_comments]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    source_ids = {dict(c["commentmeta"])["_blogport_source_id"]: c for c in all_comments}
    for c in all_comments:  # parent written earlier in the same item
        if c["comment_parent"] != "0":
            assert int(c["comment_parent"]) < int(c["comment_id"])
    c4 = source_ids["c4"]
    chain = [c4]
    while chain[-1]["comment_parent"] != "0":
        chain.append(next(x for x in all_comments if x["comment_id"] == chain[-1]["comment_parent"]))
    assert [dict(x["commentmeta"])["_blogport_source_id"] for x in chain] == ["c4", "c3", "c2", "c1"]
    assert source_ids["c3"]["comment_author"] == "Anonymous" and source_ids["c3"]["comment_author_email"] == ""
    assert source_ids["c2"]["comment_user_id"] != "0"  # the owner, mapped to their wp:author_id
    assert source_ids["c10"]["comment_parent"] == "0"  # orphan: top level, kept
    assert "]]>" in source_ids["c3"]["comment_content"]
    assert source_ids["c1"]["comment_date"] == "2009-08-15 10:00:00"
    assert source_ids["c1"]["comment_date_gmt"] == "2009-08-15 17:00:00"
    assert all(c["comment_approved"] == "1" for c in all_comments)
    # the importer's view: nothing skipped, every reply linked to its parent
    result = simulate_import([parse_wxr(path)])
    assert result["skipped"] == []
    for entry in result["imported"]:
        for _cid, resolved, named in entry["links"]:
            assert (resolved != 0) == (named != "0")


def test_untitled_and_duplicate_titles_never_collide(nasty_dir: Path) -> None:
    (path,) = _export_wxr(nasty_dir)
    posts = parse_wxr(path)["posts"]
    keys = [(p["title"].casefold(), p["post_date"], p["post_type"]) for p in posts]
    assert len(set(keys)) == len(keys)
    assert all(p["title"].strip() for p in posts)
    titles = {p["title"] for p in posts}
    assert "First untitled words here" in titles
    assert "Untitled (2010-02-01 12:00)" in titles
    assert {"Same title", "Same title (2)"} <= titles


def test_tags_as_categories(nasty_dir: Path) -> None:
    (path,) = _export_wxr(nasty_dir, tags_as="categories")
    parsed = parse_wxr(path)
    assert parsed["tags"] == []
    assert {c["slug"] for c in parsed["categories"]} == {"pr", "client-service", "cafe"}
    terms = [t for p in parsed["posts"] for t in p["terms"]]
    assert terms and all(t["domain"] == "category" for t in terms)
    assert {t["slug"] for t in terms} <= {c["slug"] for c in parsed["categories"]}


def test_split_files_each_valid_and_together_complete(nasty_dir: Path) -> None:
    _export_wxr(nasty_dir)
    assert (nasty_dir / "wordpress.xml").exists()
    limit = 5000
    files = _export_wxr(nasty_dir, max_size=limit)
    assert len(files) >= 3
    assert [f.name for f in files] == [f"wordpress-{i:03d}.xml" for i in range(1, len(files) + 1)]
    assert not (nasty_dir / "wordpress.xml").exists()  # the stale single file is gone
    parsed = [parse_wxr(f) for f in files]
    for f, p in zip(files, parsed):
        assert p["posts"], f
        assert len(p["authors"]) == 2 and len(p["tags"]) == 3  # repeated in each file
        if len(p["posts"]) > 1:
            assert f.stat().st_size <= limit
    ids = [post["post_id"] for p in parsed for post in p["posts"]]
    assert sorted(ids) == list(range(1, len(nasty_models()["posts"]) + 1))
    assert sum(len(post["comments"]) for p in parsed for post in p["posts"]) == len(nasty_models()["comments"])
    assert simulate_import(parsed)["skipped"] == []
    conn = sqlite3.connect(nasty_dir / "blog.db")
    locations = {r[0] for r in conn.execute("SELECT DISTINCT location FROM export_ledger WHERE format='wxr'")}
    conn.close()
    assert locations == {f.name for f in files}


def test_max_size_below_the_header_is_a_clear_error(nasty_dir: Path) -> None:
    with pytest.raises(ExportError, match="max-size"):
        _export_wxr(nasty_dir, max_size=100)
    assert not list(nasty_dir.glob("*.tmp")) and not list(nasty_dir.glob(".wordpress*"))


def test_cdata_helper_splits_and_strips() -> None:
    assert cdata("a]]>b\x00c") == "<![CDATA[a]]]]><![CDATA[>bc]]>"


def test_reader_accepts_real_wordpress_exports_and_our_items_carry_the_same_fields(nasty_dir: Path) -> None:
    real = realdata_path("wordpress-importer/wxr-utf-8-challenges.xml")
    theirs = parse_wxr(real)
    assert theirs["posts"] and theirs["version"] == "1.2"
    pelican = parse_wxr(realdata_path("pelican/wordpressexport.xml"))
    assert any(c["comment_parent"] != "0" for p in pelican["posts"] for c in p["comments"])
    (path,) = _export_wxr(nasty_dir)
    from lxml import etree

    def child_names(file: Path, xpath: str) -> set[str]:
        root = etree.parse(str(file)).getroot()
        return {etree.QName(c).localname for el in root.xpath(xpath) for c in el}

    ours_item = child_names(path, "/rss/channel/item")
    wp_item = child_names(real, "/rss/channel/item")
    assert wp_item - {"post_modified", "post_modified_gmt"} <= ours_item | {"post_modified", "post_modified_gmt"}
    assert child_names(realdata_path("pelican/wordpressexport.xml"), "//item/*[local-name()='comment']") - {"commentmeta"} <= \
        child_names(path, "//item/*[local-name()='comment']")
    ours_channel = child_names(path, "/rss/channel")
    assert {"wxr_version", "base_site_url", "base_blog_url", "author", "tag"} <= ours_channel


def test_reader_rejects_a_file_without_version(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text('<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><wp:wxr_version>x</wp:wxr_version></channel></rss>')
    with pytest.raises(NotWxr):
        parse_wxr(bad)


def test_large_blog_streams_with_unique_ids(tmp_path: Path) -> None:
    from transform.models import Author, Comment, Post

    posts, comments = [], []
    for i in range(300):
        posts.append(Post(id=str(5000 + i), url=f"http://big.example.com/2011/01/p{i}.html", title="" if i % 3 else f"T{i}",
                          slug="blog-post", body_html=f"<p>post {i} {CONTROL}</p>", body_text=f"post {i}",
                          published="2011-01-01T00:00:00+00:00", published_local="2011-01-01T00:00:00+00:00",
                          author_id="a"))
        comments.append(Comment(f"k{i}", str(5000 + i), "<p>c</p>", "c", None, None, author_id=None))
    folder = build_blog(tmp_path / "big", {"authors": [Author("a", "A")], "tags": [], "posts": posts, "comments": comments})
    (path,) = _export_wxr(folder)
    parsed = parse_wxr(path)
    result = simulate_import([parsed])
    assert result["skipped"] == [] and len(result["imported"]) == 300
    assert len({p["post_name"] for p in parsed["posts"]}) == 300


def test_scheduled_and_undated_posts(tmp_path: Path) -> None:
    from transform.models import Author, Post

    posts = [
        Post(id="1", url="http://s.example.com/2030/01/later.html", title="Later", slug="later", body_html="<p>a</p>",
             body_text="a", published="2030-01-01T00:00:00+00:00", published_local="2030-01-01T01:00:00+01:00",
             author_id="a", status="scheduled"),
        Post(id="2", url="http://s.example.com/2008/05/when.html", title="When?", slug="when", body_html="<p>b</p>",
             body_text="b", published=None, published_local=None, author_id="a", date_raw="Pfingsten 2008",
             date_flag="unparsed"),
    ]
    folder = build_blog(tmp_path / "s", {"authors": [Author("a", "A")], "tags": [], "posts": posts, "comments": []})
    summary = export(folder, ExportOptions(flavor="jekyll"))
    items = {p["title"]: p for p in parse_wxr(folder / "wordpress.xml")["posts"]}
    assert items["Later"]["status"] == "future" and items["Later"]["post_date"] == "2030-01-01 01:00:00"
    assert items["When?"]["post_date"] == "" and ("_blogport_date_raw", "Pfingsten 2008") in items["When?"]["postmeta"]
    assert [p["post_id"] for p in parse_wxr(folder / "wordpress.xml")["posts"]] == [1, 2]  # undated last
    assert (folder / "markdown" / "_drafts" / "when.md").exists()
    assert "date_raw: \"Pfingsten 2008\"" in (folder / "markdown" / "_drafts" / "when.md").read_text()
    assert any("no date" in w for w in summary.warnings)
