from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from kernel.errors import ExportError
from loaders.atomic import inside
from loaders.markdown import protect_liquid
from loaders.options import ExportOptions
from loaders.run import export
from loaders.source import xml_safe
from tests.loaders.conftest import nasty_models

FRONT = re.compile(r"\A---\n(.*?)\n---\n\n(.*)\Z", re.DOTALL)


def read_md(path: Path) -> tuple[dict, str]:
    m = FRONT.match(path.read_text(encoding="utf-8"))
    assert m, f"no front matter in {path}"
    return yaml.safe_load(m.group(1)), m.group(2)


def _by_id(root: Path) -> dict[str, tuple[Path, dict, str]]:
    out = {}
    for path in root.rglob("*.md"):
        fm, body = read_md(path)
        if "blogger_label" not in fm:  # a label page (Jekyll)
            out[fm["blogger_id"]] = (path, fm, body)
    return out


def test_hugo_layout_and_front_matter_round_trip(nasty_dir: Path) -> None:
    export(nasty_dir, ExportOptions(formats=("markdown",)))
    root = nasty_dir / "markdown"
    posts = _by_id(root)
    models = {p.id: p for p in nasty_models()["posts"]}
    assert set(posts) == set(models)
    for pid, (path, fm, _body) in posts.items():
        post = models[pid]
        assert path.resolve().is_relative_to(root.resolve())
        assert fm["title"] == xml_safe(post.title)  # exact strings back: "Yes", "no", "#1: a title: with colons"
        assert isinstance(fm["date"], datetime) and fm["date"] == datetime.fromisoformat(post.published_local)
        assert fm["date"].utcoffset() == datetime.fromisoformat(post.published_local).utcoffset()
        assert fm["blogger_url"] == post.url
        if post.kind == "page":
            assert path.parent == root / "content"
        else:
            assert path.parent == root / "content" / "posts"
        assert ("draft" in fm) == (post.status == "draft")
        if post.status != "draft":
            assert fm["aliases"] == [post.url.removeprefix("http://nasty.blogspot.com")]
            assert all("?" not in a for a in fm["aliases"])
    assert posts["1003"][1]["title"] == "Yes" and posts["1004"][1]["title"] == "no"
    assert posts["1005"][1]["title"] == "#1: a title: with colons"
    assert posts["1006"][0].name == "ni-hao-shi-jie-zhong-wen-biao-ti.md"
    assert posts["1002"][0] == root / "content" / "posts" / "etc-passwd.md"
    assert posts["1011"][1]["draft"] is True
    assert posts["1001"][1]["tags"] == ["Client Service", "PR"]
    assert posts["1001"][1]["lastmod"] == datetime.fromisoformat("2009-08-16T10:00:00+00:00")
    # duplicate slugs get -2; the same export gives the same names
    assert {posts["1009"][0].name, posts["1010"][0].name} == {"same.md", "same-2.md"}
    # {{ }} and {% %} kept literally; shortcode syntax is text ("<" of the text as "&lt;")
    body = posts["1002"][2]
    assert "{{ x }}" in body and "{% raw %}" in body and "{{&lt; shortcode >}}" in body
    assert "🚀" in posts["1001"][2] and "**bold**" in posts["1001"][2]
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", posts["1013"][2] + posts["1013"][1]["title"])


def test_comment_data_files_keep_threads(nasty_dir: Path) -> None:
    export(nasty_dir, ExportOptions(formats=("markdown",)))
    root = nasty_dir / "markdown"
    posts = _by_id(root)
    fm = posts["1001"][1]
    data = json.loads((root / fm["comments_data"]).read_text(encoding="utf-8"))
    assert [c["id"] for c in data] == ["c1", "c2", "c3", "c4", "c5"]
    assert [c["depth"] for c in data] == [0, 1, 2, 3, 0]
    seen: set[str] = set()
    for c in data:
        assert c["parent_id"] is None or c["parent_id"] in seen
        seen.add(c["id"])
    assert data[1]["author_is_owner"] is True and data[2]["author"] == "Anonymous"
    assert (root / "data" / "comments" / "about.json").exists()
    orphan = json.loads((root / "data" / "comments" / "etc-passwd.json").read_text())[1]
    assert orphan["orphan"] is True and orphan["parent_id"] is None
    assert "comments_data" not in posts["1003"][1]


def test_jekyll_layout_permalinks_and_liquid(nasty_dir: Path) -> None:
    export(nasty_dir, ExportOptions(formats=("markdown",), flavor="jekyll"))
    root = nasty_dir / "markdown"
    posts = _by_id(root)
    for pid, (path, fm, body) in posts.items():
        assert "draft" not in fm and "aliases" not in fm
        rel = path.relative_to(root).as_posix()
        if rel.startswith("_posts/"):
            assert re.fullmatch(r"_posts/\d{4}-\d{2}-\d{2}-[a-z0-9_-]+\.md", rel), rel
            assert rel[7:17] == fm["date"].strftime("%Y-%m-%d")
            assert fm["permalink"] == fm["date"].strftime("/%Y/%m/%d/") + path.name[11:-3] + ".html"
    assert posts["1011"][0] == root / "_drafts" / "draft.md"
    assert posts["1012"][0] == root / "about.md" and posts["1012"][1]["layout"] == "page"
    # a post at 23:59 -05:00 on 31 December stays in its own year
    assert posts["1014"][0].name == "2010-12-31-new-year.md"
    assert posts["1014"][1]["permalink"] == "/2010/12/31/new-year.html"
    assert posts["1001"][1]["redirect_from"] == ["/2009/08/client-service-or-client.html"]
    assert (root / "_data" / "comments" / "client-service-or-client.json").exists()
    body = posts["1002"][2]
    assert_liquid_safe(body)
    assert_liquid_safe(posts["1001"][2])


def assert_liquid_safe(body: str) -> None:
    """Outside {% raw %} blocks only raw/endraw tags and string-literal outputs may appear."""
    rest = re.sub(r"\{%\s*raw\s*%\}.*?\{%\s*endraw\s*%\}", "", body, flags=re.DOTALL)
    rest = re.sub(r"\{\{ '[^']*' \}\}|\{\{ \"\{\" \}\}", "", rest)
    assert "{{" not in rest and "{%" not in rest, rest


def render_liquid_raw(text: str) -> str:
    """What Liquid prints for a body made only of raw blocks and string-literal outputs."""
    out, inside_raw = [], False
    for token in re.split(r"(\{%-?\s*raw\s*-?%\}|\{%-?\s*endraw\s*-?%\}|\{\{ '[^']*' \}\}|\{\{ \"\{\" \}\})", text):
        if re.fullmatch(r"\{%-?\s*raw\s*-?%\}", token) and not inside_raw:
            inside_raw = True
        elif re.fullmatch(r"\{%-?\s*endraw\s*-?%\}", token) and inside_raw:
            inside_raw = False
        elif not inside_raw and re.fullmatch(r"\{\{ '[^']*' \}\}|\{\{ \"\{\" \}\}", token):
            out.append(token[4:-4])
        else:
            out.append(token)
    assert not inside_raw
    return "".join(out)


def test_protect_liquid_splits_endraw() -> None:
    text = "a {{ b }} {% endraw %} c {%- endraw -%} d {% if %}"
    out = protect_liquid(text)
    assert_liquid_safe(out)
    assert render_liquid_raw(out).strip() == text
    assert protect_liquid("plain") == "plain"


def test_paths_stay_inside(tmp_path: Path) -> None:
    with pytest.raises(ExportError):
        inside(tmp_path / "markdown", tmp_path / "markdown" / ".." / ".." / "etc" / "passwd")
    assert inside(tmp_path, tmp_path / "a" / "b.md") == (tmp_path / "a" / "b.md").resolve()


def test_unknown_flavor(nasty_dir: Path) -> None:
    with pytest.raises(ExportError, match="flavour"):
        export(nasty_dir, ExportOptions(formats=("markdown",), flavor="gatsby"))


# -- images (the download itself: tests/loaders/test_images.py) ----------------------

def test_pictures_on_other_hosts_stay_linked(nasty_dir: Path) -> None:
    export(nasty_dir, ExportOptions(formats=("markdown",)))  # images are downloaded by default
    body = (nasty_dir / "markdown" / "content" / "posts" / "client-service-or-client.md").read_text()
    assert "http://example.invalid/x.png" in body
    assert not (nasty_dir / "markdown" / "static").exists()


def test_stale_files_from_an_earlier_export_are_removed(nasty_dir: Path) -> None:
    export(nasty_dir, ExportOptions(formats=("markdown",)))
    posts_dir = nasty_dir / "markdown" / "content" / "posts"
    (posts_dir / "renamed-since.md").write_text("---\ntitle: old\nblogger_id: '9'\n---\n")
    (nasty_dir / "markdown" / "data" / "comments" / "renamed-since.json").write_text("[]")
    before = sorted(p.name for p in posts_dir.iterdir())
    summary = export(nasty_dir, ExportOptions(formats=("markdown",)))
    after = sorted(p.name for p in posts_dir.iterdir())
    assert "renamed-since.md" in before and after == [n for n in before if n != "renamed-since.md"]
    assert not (nasty_dir / "markdown" / "data" / "comments" / "renamed-since.json").exists()
    assert summary.counts["markdown"]["posts"] == len(after)


def test_cleanup_leaves_files_people_added(nasty_dir: Path) -> None:
    export(nasty_dir, ExportOptions(formats=("markdown",)))
    mine = nasty_dir / "markdown" / "content" / "_index.md"
    mine.write_text("---\ntitle: Home\n---\nhello\n")
    export(nasty_dir, ExportOptions(formats=("markdown",)))
    assert mine.read_text().endswith("hello\n")


def test_front_matter_strings_are_always_quoted(nasty_dir: Path) -> None:
    export(nasty_dir, ExportOptions(formats=("markdown",)))
    text = (nasty_dir / "markdown" / "content" / "posts" / "yes.md").read_text()
    assert 'title: "Yes"' in text and "date: 2009-08-31T17:00:00-07:00\n" in text
    text = (nasty_dir / "markdown" / "content" / "posts" / "1-title-with-colons.md").read_text()
    assert 'title: "#1: a title: with colons"' in text
