"""The Pelican flavour of the Markdown export, read back as Pelican's Markdown reader reads it.

``read_pelican`` below is written here on its own (not the exporter's or the validator's
code): Python-Markdown's ``meta`` extension (``Key: value`` lines up to the first blank line,
keys lower-cased, values stripped, four-space-indented lines continuing a value), then
Pelican's metadata processors (``Tags`` split on ``;`` when the value holds one, else on
``,``; ``Date`` and ``Modified`` through dateutil; a key Pelican takes once keeps its first
value)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from dateutil import parser as dateutil_parser

import crawler.run as crawl_run
import transform.run as transform_run
from blogport.cli import main
from blogport.validate import ValidateOptions, validate
from crawler.options import CrawlOptions
from fixtures.blogger import generate_blog
from fixtures.export import render_blogger_export
from loaders.options import ExportOptions
from loaders.redirects import read_redirects_csv
from loaders.run import export
from loaders.source import xml_safe
from tests.loaders.conftest import BLOG_URL, build_blog, nasty_models
from transform.models import Author, Post, Tag
from transform.options import TransformOptions

META_RE = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)")
META_MORE_RE = re.compile(r"^[ ]{4,}(?P<value>.*)")
END_RE = re.compile(r"^(-{3}|\.{3})(\s.*)?")
ONCE = {"tags", "date", "modified", "status", "category", "author", "save_as", "url", "authors", "slug"}


def _metadata_list(text: str) -> list[str]:
    parts = text.split(";") if ";" in text else text.split(",")
    return list(dict.fromkeys(v for v in (w.strip() for w in parts) if v))


def read_pelican(path: Path) -> tuple[dict[str, Any], str]:
    # Pelican opens the file in text mode (universal newlines); Markdown expands tabs.
    with open(path, encoding="utf-8-sig") as fh:
        lines = fh.read().expandtabs(4).split("\n")
    raw: dict[str, list[str]] = {}
    key = None
    while lines:
        line = lines.pop(0)
        m1 = META_RE.match(line)
        if line.strip() == "" or END_RE.match(line):
            break
        if m1:
            key = m1.group("key").lower().strip()
            raw.setdefault(key, []).append(m1.group("value").strip())
        else:
            m2 = META_MORE_RE.match(line)
            if m2 and key:
                raw[key].append(m2.group("value").strip())
            else:
                lines.insert(0, line)
                break
    meta: dict[str, Any] = {}
    for name, values in raw.items():
        value: Any = values[0] if name in ONCE or len(values) == 1 else values
        if name == "tags":
            value = _metadata_list(value)
        elif name in ("date", "modified"):
            value = dateutil_parser.parse(value.replace("_", " ") if name == "date" else value)
        elif name == "status":
            value = value.strip()
        meta[name] = value
    return meta, "\n".join(lines)


def _by_id(root: Path) -> dict[str, tuple[Path, dict[str, Any], str]]:
    out = {}
    for path in sorted((root / "content").rglob("*.md")):
        meta, body = read_pelican(path)
        out[meta["blogger_id"]] = (path, meta, body)
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith("blog.db")}


PELICAN = ExportOptions(formats=("markdown",), flavor="pelican")


def test_layout_and_metadata_read_back_as_pelican_reads_them(nasty_dir: Path) -> None:
    summary = export(nasty_dir, PELICAN)
    root = nasty_dir / "markdown"
    posts = _by_id(root)
    models = {p.id: p for p in nasty_models()["posts"]}
    assert set(posts) == set(models)
    assert summary.counts["markdown"]["posts"] == 13 and summary.counts["markdown"]["pages"] == 1
    for pid, (path, meta, body) in posts.items():
        post = models[pid]
        local = datetime.fromisoformat(post.published_local)
        assert path.resolve().is_relative_to((root / "content").resolve())
        if post.kind == "page":
            assert path.parent == root / "content" / "pages"
        else:  # the year of the post's own clock, not of UTC
            assert path.parent == root / "content" / f"{local:%Y}"
        assert meta["slug"] == path.stem
        assert meta["title"] == xml_safe(post.title)  # exact: colons, quotes, '#', CJK, empty
        assert meta["date"] == local and meta["date"].utcoffset() == local.utcoffset()
        assert meta["status"] == ("draft" if post.status == "draft" else "published")
        assert meta["blogger_url"] == post.url
        assert meta["author"]
        assert "draft" not in meta
        tags = {t.id: t.name for t in nasty_models()["tags"]}
        assert meta.get("tags", []) == sorted((tags[t] for t in post.tags), key=str.casefold)
        # every value sits on its own line: the block ends at the first blank line
        head = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
        assert all(META_RE.match(line) for line in head.split("\n")), head
    assert posts["1005"][1]["title"] == "#1: a title: with colons"
    assert posts["1014"][1]["title"] == "New year's eve"
    assert posts["1003"][1]["title"] == "Yes" and posts["1004"][1]["title"] == "no"
    assert posts["1007"][1]["title"] == "" and posts["1007"][2].strip() == "First untitled words here"
    assert posts["1014"][0] == root / "content" / "2010" / "new-year.md"  # 23:59 -05:00 on 31 December
    assert posts["1002"][0] == root / "content" / "2009" / "etc-passwd.md"
    assert posts["1012"][0] == root / "content" / "pages" / "about.md"
    assert posts["1011"][1]["status"] == "draft"
    assert posts["1001"][1]["tags"] == ["Client Service", "PR"]
    assert posts["1001"][1]["modified"] == datetime.fromisoformat("2009-08-16T10:00:00+00:00")
    assert {posts["1009"][0].name, posts["1010"][0].name} == {"same.md", "same-2.md"}
    # No template language runs over a Pelican body: braces stay as written.
    assert "{{ x }} and {% raw %} and {% endraw %} and {{&lt; shortcode >}}" in posts["1002"][2]
    assert "🚀" in posts["1001"][2] and "**bold**" in posts["1001"][2]
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", posts["1013"][2] + posts["1013"][1]["title"])
    # Comments: JSON beside content/, never inside it (Pelican would not read it as a post, but
    # nothing of ours belongs there), named by the post's metadata.
    data_file = root / posts["1001"][1]["comments_data"]
    assert data_file == root / "data" / "comments" / "client-service-or-client.json"
    thread = json.loads(data_file.read_text(encoding="utf-8"))
    assert [c["id"] for c in thread] == ["c1", "c2", "c3", "c4", "c5"]
    assert [c["parent_id"] for c in thread] == [None, "c1", "c2", "c3", None]
    assert "comments_data" not in posts["1003"][1]
    assert not list((root / "content").rglob("*.json"))
    conf = (root / "pelicanconf.py").read_text(encoding="utf-8")
    settings: dict[str, Any] = {"__file__": str(root / "pelicanconf.py")}
    exec(compile(conf, "pelicanconf.py", "exec"), settings)  # noqa: S102 (our own generated settings)
    assert settings["ARTICLE_URL"] == "{slug}.html" and settings["PAGE_URL"] == "pages/{slug}.html"
    assert settings["PATH"] == "content" and settings["USE_FOLDER_AS_CATEGORY"] is False
    assert settings["SITENAME"] == 'Nasty &lt;blog&gt; &amp; "friends"'  # Pelican's themes show it as HTML


def test_re_export_is_byte_identical_and_cleans_only_its_own_files(nasty_dir: Path) -> None:
    export(nasty_dir, PELICAN)
    first = _digest(nasty_dir)
    export(nasty_dir, PELICAN)
    assert _digest(nasty_dir) == first
    content = nasty_dir / "markdown" / "content"
    stale = content / "2009" / "renamed-since.md"
    stale.write_text("Title: Old\nSlug: renamed-since\nBlogger_id: 9\n\nold\n", encoding="utf-8")
    mine = content / "2009" / "my-own-post.md"
    mine.write_text("Title: Mine\nDate: 2020-01-01 10:00\n\nhello\n", encoding="utf-8")
    conf = nasty_dir / "markdown" / "pelicanconf.py"
    conf.write_text("SITENAME = 'My own'\n", encoding="utf-8")  # the marker line removed: the user's now
    export(nasty_dir, PELICAN)
    assert not stale.exists() and mine.read_text(encoding="utf-8").endswith("hello\n")
    assert conf.read_text(encoding="utf-8") == "SITENAME = 'My own'\n"


def test_redirects_and_rewritten_links_agree_on_pelican_urls(tmp_path: Path) -> None:
    models = nasty_models()
    models["posts"].append(Post(
        id="2001", url=BLOG_URL + "/2011/02/links.html", title="Links", slug="links",
        body_html=f'<p><a href="{BLOG_URL}/2009/08/client-service-or-client.html?showComment=1#c2">a comment</a>'
                  f' <a href="{BLOG_URL}/p/about.html?m=1">about</a>'
                  f' <a href="{BLOG_URL}/search/label/Client%20Service">label</a></p>',
        body_text="a comment about label", published="2011-02-01T10:00:00+00:00",
        published_local="2011-02-01T11:00:00+01:00", author_id="blogger:1"))
    folder = build_blog(tmp_path / "out", models)
    export(folder, PELICAN)
    rows = {old: (new, kind) for old, new, kind in read_redirects_csv(folder / "redirects" / "redirects.csv")}
    assert rows["/2009/08/client-service-or-client.html"] == ("/client-service-or-client.html", "post")
    assert rows["/2009/08/client-service-or-client.html?m=1"] == ("/client-service-or-client.html", "post")
    assert rows["/2010/01/blog-post.html"] == ("/ni-hao-shi-jie-zhong-wen-biao-ti.html", "post")
    assert rows["/2010/03/same_1.html"] == ("/same-2.html", "post")
    assert rows["/p/about.html"] == ("/pages/about.html", "page")
    assert rows["/search/label/Client%20Service"] == ("/tag/client-service.html", "label")
    assert rows["/search/label/Caf%C3%A9%20%26%20Co"] == ("/tag/cafe-co.html", "label")
    assert rows["/feeds/posts/default"] == ("/feeds/all.atom.xml", "feed")
    assert rows["/2009/08/"] == ("/archives.html", "month")
    assert "/2010/04/draft.html" not in rows
    # every published post's redirect lands on the file Pelican writes for it (ARTICLE_SAVE_AS)
    for pid, (path, meta, _body) in _by_id(folder / "markdown").items():
        old = meta["blogger_url"].removeprefix(BLOG_URL)
        if meta["status"] == "draft":
            continue
        expected = f"/pages/{meta['slug']}.html" if path.parent.name == "pages" else f"/{meta['slug']}.html"
        assert rows[old][0] == expected, pid
    body = read_pelican(folder / "markdown" / "content" / "2011" / "links.md")[1]
    assert "(/client-service-or-client.html#c2)" in body
    assert "(/pages/about.html)" in body and "(/tag/client-service.html)" in body


def test_tags_with_commas_and_semicolons_and_values_on_one_line(tmp_path: Path) -> None:
    tags = [Tag("doe", "Doe, Jane", None), Tag("semi", "a;b", None), Tag("plain", "plain", None)]
    posts = [
        Post(id="1", url=BLOG_URL + "/2012/01/one.html", title='He said "hi"\nthen:\tleft\r\n', slug="one",
             body_html="<p>Body: not metadata</p>", body_text="Body: not metadata",
             published="2012-01-01T00:00:00+00:00", published_local="2012-01-01T05:30:00+05:30",
             author_id="a", tags=("doe", "semi", "plain")),
        Post(id="2", url=BLOG_URL + "/2012/01/two.html", title="Two", slug="two", body_html="<p>two</p>",
             body_text="two", published="2012-01-02T00:00:00+00:00", published_local="2012-01-02T00:00:00+00:00",
             author_id="a", tags=("doe",)),
        Post(id="3", url=BLOG_URL + "/2012/01/three.html", title="Three", slug="three", body_html="<p>3</p>",
             body_text="3", published="2012-01-03T00:00:00+00:00", published_local="2012-01-03T00:00:00+00:00",
             author_id="a", tags=("plain", "semi")),
    ]
    posts.append(Post(id="4", url=BLOG_URL + "/2012/02/undated.html", title="Undated", slug="undated",
                      body_html="<p>when?</p>", body_text="when?", published=None, published_local=None,
                      author_id="a", date_raw="Pridie Kalendas\nMartias", date_flag="unparsed"))
    folder = build_blog(tmp_path / "out", {"authors": [Author("a", "Doe, Jane")], "tags": tags, "posts": posts,
                                           "comments": []})
    summary = export(folder, PELICAN)
    got = _by_id(folder / "markdown")
    # Pelican skips a post without a date (exit 0): it is set apart and the summary says so
    undated_path, undated, _ = got["4"]
    assert undated_path == folder / "markdown" / "content" / "undated" / "undated.md" and "date" not in undated
    assert undated["date_raw"] == "Pridie Kalendas Martias" and undated["date_flag"] == "unparsed"
    assert any("no date" in w and "Pelican skips" in w for w in summary.warnings)
    one, two, three = got["1"][1], got["2"][1], got["3"][1]
    assert one["title"] == 'He said "hi" then: left'
    assert got["1"][2].strip() == "Body: not metadata" and "body" not in one
    assert one["date"] == datetime.fromisoformat("2012-01-01T05:30:00+05:30")
    assert one["author"] == "Doe, Jane"  # Author is one name: Pelican does not split it
    assert one["tags"] == ["a；b", "Doe, Jane", "plain"]  # a ';' can never survive: fullwidth, same slug
    assert two["tags"] == ["Doe, Jane"]  # a lone tag with a comma stays one tag
    assert three["tags"] == ["a；b", "plain"]
    rows = {old: new for old, new, _k in read_redirects_csv(folder / "redirects" / "redirects.csv")}
    assert rows["/search/label/Doe%2C%20Jane"] == "/tag/doe-jane.html"
    assert rows["/search/label/a%3Bb"] == "/tag/ab.html"


def test_new_url_pattern_is_written_per_post(nasty_dir: Path) -> None:
    export(nasty_dir, ExportOptions(formats=("markdown",), flavor="pelican", new_url_pattern="/{year}/{month}/{slug}/"))
    posts = _by_id(nasty_dir / "markdown")
    meta = posts["1014"][1]
    assert meta["url"] == "2010/12/new-year/" and meta["save_as"] == "2010/12/new-year/index.html"
    assert "url" not in posts["1012"][1]
    rows = {old: new for old, new, _k in read_redirects_csv(nasty_dir / "redirects" / "redirects.csv")}
    assert rows["/2010/12/new-year.html"] == "/2010/12/new-year/"
    assert rows["/p/about.html"] == "/pages/about.html"


def test_cli_offers_the_pelican_flavour(nasty_dir: Path) -> None:
    result = CliRunner().invoke(main, ["export", str(nasty_dir), "--to", "markdown", "--flavor", "pelican"])
    assert result.exit_code == 0, result.output
    assert (nasty_dir / "markdown" / "content" / "2009" / "yes.md").is_file()
    assert "Markdown (pelican)" in result.output


@pytest.fixture(scope="module")
def pelican_migration(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture blog through the real stages, exported for Pelican."""
    tmp = tmp_path_factory.mktemp("pelican")
    source = tmp / "blog-export.xml"
    source.write_bytes(render_blogger_export(generate_blog(seed=5, posts=10)))
    out = tmp / "out"
    crawl_run.crawl(str(source), out, CrawlOptions(via="html", progress=False))
    transform_run.transform(out, TransformOptions())
    export(out, ExportOptions(flavor="pelican"))
    return out


def test_validation_of_a_pelican_export_reports_no_errors(pelican_migration: Path) -> None:
    report = validate(pelican_migration, ValidateOptions())
    assert [f.message for f in report.findings if f.severity == "error"] == []
    assert report.formats == ("sqlite", "wxr", "markdown")
    posts = report.totals["posts"]
    assert posts["source"] > 0 and posts["by_format"]["markdown"] == posts["source"]
    assert report.totals["comments"]["by_format"]["markdown"] == report.totals["comments"]["source"] > 0
    placements = {p.format: p.location for e in report.ledger if e.item_type == "post" for p in e.placements}
    assert re.fullmatch(r"markdown/content/\d{4}/[a-z0-9_-]+\.md", placements["markdown"])


def test_validation_catches_what_pelican_would_skip(pelican_migration: Path, tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(pelican_migration, out)
    files = sorted((out / "markdown" / "content").glob("[0-9][0-9][0-9][0-9]/*.md"))
    undated, unknown = files[0], files[1]
    undated.write_text(re.sub(r"(?m)^Date: .*\n", "", undated.read_text(encoding="utf-8")), encoding="utf-8")
    unknown.write_text(unknown.read_text(encoding="utf-8").replace("Status: published", "Status: later"),
                       encoding="utf-8")
    report = validate(out, ValidateOptions())
    messages = [f.message for f in report.findings if f.severity == "error"]
    assert any(undated.name in m and "no Date" in m for m in messages), messages
    assert any(unknown.name in m and "'later'" in m for m in messages), messages
