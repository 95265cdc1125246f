"""The Markdown export built by the real engines (hugo, jekyll with jekyll-redirect-from,
pelican): every post page exists with its whole comment thread, nested as in the archive,
and the old URLs redirect to the new ones in the built site.

The fixture blog (with its 230-comment thread) goes in through its Blogger backup file and
the ``blogport`` command; what is expected is read from the archive's own tables and the
redirect map, never from the export. A missing engine skips the test here and fails it in CI.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from fixtures.blogger import BIG_THREAD_SIZE, generate_blog
from fixtures.export import render_blogger_export
from tests.blogport.cli_process import blogport
from tests.loaders.conftest import build_blog, nasty_models

ENGINES = {
    "hugo": (["hugo", "--quiet", "--destination"], "hugo"),
    "jekyll": (["jekyll", "build", "--quiet", "--destination"], "jekyll"),
    "pelican": ([sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py", "-q", "--output"], None),
}
_TAG = re.compile(r"<[^>]+>")
_REFRESH = re.compile(r'http-equiv="?refresh"?\s+content="0;\s*url=([^"]+)"', re.I)


def need_engine(flavor: str) -> None:
    command, program = ENGINES[flavor]
    missing = None
    if program is not None and shutil.which(program) is None:
        missing = f"{program} is not installed"
    elif program is None:
        try:
            import pelican  # noqa: F401  (only whether it is installed)
        except ImportError:
            missing = "pelican is not installed (pip install -e '.[test]')"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}: CI must build the {flavor} site")
        pytest.skip(missing)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture blog crawled from its backup file and transformed (no export yet)."""
    folder = tmp_path_factory.mktemp("engines")
    backup = folder / "blog-backup.xml"
    backup.write_bytes(render_blogger_export(generate_blog(seed=11, posts=24)))
    out = folder / "out"
    for args in (["crawl", str(backup), "-o", str(out)], ["transform", str(out)]):
        done = blogport(*args)
        assert done.returncode == 0, done.stderr
    return out


def build(archive: Path, tmp_path: Path, flavor: str) -> tuple[Path, Path]:
    """Export ``flavor`` from a copy of the archive and build it; (export folder, built site)."""
    need_engine(flavor)
    out = tmp_path / "out"
    shutil.copytree(archive, out)
    done = blogport("export", str(out), "--to", "markdown", "--flavor", flavor, "--no-download-images")
    assert done.returncode == 0, done.stderr
    site = tmp_path / "public"
    command, _program = ENGINES[flavor]
    built = subprocess.run([*command, str(site)], cwd=out / "markdown", capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    return out, site


def page_file(site: Path, url: str) -> Path:
    """The built file a web server answers ``url`` with (a folder's index.html, an
    extensionless path as the engines write it)."""
    path = unquote(urlsplit(url).path).lstrip("/")
    if path.endswith("/") or not path:
        return site / (path + "index.html")
    for candidate in (site / path, site / (path + ".html"), site / path / "index.html"):
        if candidate.is_file():
            return candidate
    return site / path


def text_of(markup: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split())


def expected(out: Path) -> tuple[dict[str, str], dict[str, list[tuple[str, int, str, str]]]]:
    """(old path -> new URL of every post and page, old path -> its comments as
    (id, depth, author, text) in reading order), from the redirect map and the archive."""
    with open(out / "redirects" / "redirects.csv", encoding="utf-8", newline="") as fh:
        moves = {row["old"]: row["new"] for row in csv.DictReader(fh) if row["kind"] in ("post", "page")
                 and not row["old"].endswith("?m=1")}
    conn = sqlite3.connect(out / "blog.db")
    try:
        comments: dict[str, list[tuple[str, int, str, str]]] = {}
        rows = conn.execute(
            "SELECT p.url, c.id, c.depth, coalesce(a.name, 'Anonymous'), c.body_text FROM comments c"
            " JOIN posts p ON p.id = c.post_id LEFT JOIN authors a ON a.id = c.author_id"
            " WHERE p.status != 'draft' AND p.deleted_at IS NULL ORDER BY p.id, c.thread_order, c.id")
        for url, cid, depth, author, body in rows:
            comments.setdefault(urlsplit(url).path, []).append((cid, depth, author, body or ""))
        published = {urlsplit(u).path for (u,) in conn.execute(
            "SELECT url FROM posts WHERE status != 'draft' AND deleted_at IS NULL")}
    finally:
        conn.close()
    assert published and set(moves) >= published
    return {old: new for old, new in moves.items() if old in published}, comments


def assert_pages_and_threads(site: Path, moves: dict[str, str],
                             comments: dict[str, list[tuple[str, int, str, str]]]) -> None:
    biggest = max(len(thread) for thread in comments.values())
    assert biggest >= BIG_THREAD_SIZE  # the long thread Blogger served on several comment pages
    for old, new in moves.items():
        page = page_file(site, new)
        assert page.is_file(), f"{old}: no built page at {new}"
        markup = page.read_text(encoding="utf-8")
        thread = comments.get(old, [])
        found = re.findall(r'<li class="comment depth-(\d+)[^"]*" id="c([^"]+)"', markup)
        assert [(cid, int(depth)) for depth, cid in found] == [(cid, depth) for cid, depth, _a, _t in thread], old
        shown = text_of(markup)
        for _cid, _depth, author, body in thread:
            assert author.strip() in shown, (old, author)
            words = " ".join(body.split())[:60]
            assert words in shown, (old, words)


def assert_old_urls_redirect(site: Path, moves: dict[str, str]) -> None:
    """A page at every old URL sends the visitor to the new one (meta refresh)."""
    for old, new in moves.items():
        if unquote(old) == unquote(new):
            continue
        redirect = page_file(site, old)
        assert redirect.is_file(), f"no redirect page at the old URL {old}"
        target = _REFRESH.search(redirect.read_text(encoding="utf-8"))
        assert target and unquote(html.unescape(target.group(1))) == unquote(new), (old, new)


@pytest.mark.parametrize("flavor", ["hugo", "jekyll"])
def test_built_site_shows_every_post_with_its_threads_and_old_urls_redirect(
        archive: Path, tmp_path: Path, flavor: str) -> None:
    out, site = build(archive, tmp_path, flavor)
    moves, comments = expected(out)
    assert_pages_and_threads(site, moves, comments)
    assert_old_urls_redirect(site, moves)
    index = (site / "index.html").read_text(encoding="utf-8")
    listed = [unquote(h) for h in re.findall(r'<li><time[^>]*>[^<]*</time> <a href="([^"]+)"', index)]
    posts = {unquote(new) for old, new in moves.items() if "/p/" not in old}
    assert set(listed) == posts  # the home page lists every post, newest first
    labels = list((site / ("tags" if flavor == "hugo" else "tag")).glob("*/index.html"))
    assert labels, "labels became no taxonomy pages"


def test_pelican_site_shows_every_post_with_its_threads_and_old_urls_redirect(archive: Path, tmp_path: Path) -> None:
    out, site = build(archive, tmp_path, "pelican")
    moves, comments = expected(out)
    assert_pages_and_threads(site, moves, comments)
    assert list((site / "tag").glob("*.html"))
    assert_old_urls_redirect(site, moves)
    some_old = next(iter(moves))
    assert f'rel="canonical" href="{html.escape(moves[some_old])}"' in page_file(site, some_old).read_text(encoding="utf-8")


class _Attributes(HTMLParser):
    """Every tag and attribute of a page, as a browser's parser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def test_pelican_titles_and_tag_names_stay_text(tmp_path: Path) -> None:
    need_engine("pelican")
    title, label = '<b>x</b> & "q"', '<i>tag</i> & "t"'
    models = nasty_models()
    models["posts"][2] = dataclasses.replace(models["posts"][2], title=title, tags=("pr",))
    models["tags"][0] = dataclasses.replace(models["tags"][0], name=label)
    folder = build_blog(tmp_path / "blog", models)
    done = blogport("export", str(folder), "--to", "markdown", "--flavor", "pelican", "--no-download-images")
    assert done.returncode == 0, done.stderr
    site = tmp_path / "site"
    command, _program = ENGINES["pelican"]
    built = subprocess.run([*command, str(site)], cwd=folder / "markdown", capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    permalinks, tag_pages = [], 0
    for page in site.rglob("*.html"):
        parsed = _Attributes()
        parsed.feed(page.read_text(encoding="utf-8"))
        assert "b" not in parsed.tags and "i" not in parsed.tags, f"{page}: a title or tag name became markup"
        permalinks += [v for n, v in parsed.attributes if n == "title" and v.startswith("Permalink to <b>")]
        tag_pages += label in text_of(page.read_text(encoding="utf-8"))
    assert permalinks and set(permalinks) == {f"Permalink to {title}"}, "the title attribute holds the whole title"
    assert tag_pages >= 2, "the label shows as its text (tag list, tag page)"


def test_hostile_text_stays_text_in_every_built_site(tmp_path: Path) -> None:
    """A body and a title that show HTML as text render as that text, never as markup."""
    models = nasty_models()
    models["posts"][2] = dataclasses.replace(
        models["posts"][2], title="<script>alert(1)</script> & co",
        body_html="<p>&lt;img src=x onerror=alert(9)&gt; and &amp;lt;b&amp;gt;</p>",
        body_text="<img src=x onerror=alert(9)> and &lt;b&gt;")
    for flavor in ENGINES:
        need_engine(flavor)
        folder = build_blog(tmp_path / flavor, models)
        done = blogport("export", str(folder), "--to", "markdown", "--flavor", flavor, "--no-download-images")
        assert done.returncode == 0, done.stderr
        site = tmp_path / f"{flavor}-site"
        command, _program = ENGINES[flavor]
        built = subprocess.run([*command, str(site)], cwd=folder / "markdown", capture_output=True, text=True,
                               timeout=600)
        assert built.returncode == 0, built.stdout + built.stderr
        pages = [p for p in site.rglob("*.html") if "alert(9)" in p.read_text(encoding="utf-8")]
        assert pages, flavor
        for page in pages:
            markup = page.read_text(encoding="utf-8")
            assert "<img src=x" not in markup and "<img src=\"x\"" not in markup, (flavor, page)
            assert "&lt;img src=x onerror=alert(9)&gt;" in markup, (flavor, page)
            assert "&amp;lt;b&amp;gt;" in markup, (flavor, page)
        for page in site.rglob("*.html"):
            # inside a quoted attribute value (Pelican's theme: title="Permalink to ...") it is no tag
            markup = re.sub(r'="[^"]*"', '=""', page.read_text(encoding="utf-8"))
            assert "<script>alert(1)" not in markup, (flavor, page)
