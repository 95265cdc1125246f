"""The shipped site files (loaders.site): written when absent, never over a person's changes,
updated when unchanged; a flavour change replaces the old tree; Windows-reserved names."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import yaml

from loaders.options import ExportOptions
from loaders.run import export
from loaders.site import RECORD, TEMPLATES, shipped_files
from loaders.site_body import comments_key, html_to_markdown
from loaders.source import PostRow
from tests.loaders.conftest import build_blog, nasty_models

HUGO = ExportOptions(formats=("markdown",), flavor="hugo")
JEKYLL = ExportOptions(formats=("markdown",), flavor="jekyll")
PELICAN = ExportOptions(formats=("markdown",), flavor="pelican")


def test_hugo_site_files_and_a_persons_changes_kept(nasty_dir: Path) -> None:
    export(nasty_dir, dataclasses.replace(HUGO, new_site_url="https://new.example.org/blog/"))
    root = nasty_dir / "markdown"
    config = (root / "hugo.toml").read_text(encoding="utf-8")
    assert 'baseURL = "https://new.example.org/blog/"' in config and 'theme = "blogport"' in config
    assert 'title = "Nasty <blog> & \\"friends\\""' in config and "unsafe = false" in config
    partial = root / "themes/blogport/layouts/partials/blogport-comments.html"
    assert partial.is_file() and set(shipped_files("hugo")) <= {
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    # the person edits the config and the partial; a re-export keeps both as they are
    (root / "hugo.toml").write_text(config + "paginate = 5\n", encoding="utf-8")
    partial.write_text("{{/* mine */}}\n", encoding="utf-8")
    (root / "themes/blogport/layouts/index.html").unlink()  # a removed file comes back
    export(nasty_dir, HUGO)
    assert (root / "hugo.toml").read_text(encoding="utf-8").endswith("paginate = 5\n")
    assert partial.read_text(encoding="utf-8") == "{{/* mine */}}\n"
    assert (root / "themes/blogport/layouts/index.html").is_file()
    # an unchanged shipped file follows the export: a new site URL reaches an untouched config
    (root / "hugo.toml").unlink()
    export(nasty_dir, HUGO)
    export(nasty_dir, dataclasses.replace(HUGO, new_site_url="https://other.example/"))
    assert 'baseURL = "https://other.example/"' in (root / "hugo.toml").read_text(encoding="utf-8")


def test_jekyll_config_label_pages_and_comment_keys(nasty_dir: Path) -> None:
    export(nasty_dir, dataclasses.replace(JEKYLL, new_site_url="https://new.example.org/blog"))
    root = nasty_dir / "markdown"
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    assert config["plugins"] == ["jekyll-redirect-from"]
    assert config["url"] == "https://new.example.org" and config["baseurl"] == "/blog"
    assert config["timezone"] == "Etc/GMT+7"  # most posts at -07:00
    assert config["permalink"] == "/:year/:month/:day/:title.html"
    assert (root / "_includes/blogport-comments.html").is_file() and (root / "_layouts/post.html").is_file()
    labels = {p.name: p.read_text(encoding="utf-8") for p in (root / "tag").glob("*.md")}
    assert set(labels) == {"pr.md", "client-service.md", "café-co.md"}
    assert 'permalink: "/tag/client-service/"' in labels["client-service.md"]
    assert json.loads((root / "_data/blogport_tags.json").read_text(encoding="utf-8"))["Café & Co"] == "café-co"
    post = (root / "_posts/2009-08-15-client-service-or-client.md").read_text(encoding="utf-8")
    assert 'comments_key: "client-service-or-client"' in post
    # a slug Jekyll would mangle as a data key gets the post id
    chinese = next((root / "_posts").glob("2010-01-05-*.md")).read_text(encoding="utf-8")
    assert "comments_key" not in chinese  # no comments: no key
    # a label that is gone takes its page with it; a person's own page under tag/ stays
    (root / "tag" / "mine.md").write_text("---\ntitle: mine\n---\nhello\n", encoding="utf-8")
    models = nasty_models()
    models["posts"] = [dataclasses.replace(p, tags=tuple(t for t in p.tags if t != "cafe")) for p in models["posts"]]
    models["tags"] = [t for t in models["tags"] if t.id != "cafe"]
    fresh = build_blog(nasty_dir.parent / "again", models)
    (fresh / "markdown").mkdir()
    for path in root.rglob("*"):
        target = fresh / "markdown" / path.relative_to(root)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    export(fresh, JEKYLL)
    assert sorted(p.name for p in (fresh / "markdown" / "tag").glob("*.md")) == ["client-service.md", "mine.md", "pr.md"]


def test_changing_the_flavor_replaces_the_old_tree(nasty_dir: Path) -> None:
    root = nasty_dir / "markdown"
    export(nasty_dir, HUGO)
    (root / "content" / "posts" / "mine.md").write_text("---\ntitle: mine\n---\n\nmine\n", encoding="utf-8")
    (root / "hugo.toml").write_text((root / "hugo.toml").read_text(encoding="utf-8") + "# edited\n",
                                    encoding="utf-8")
    export(nasty_dir, JEKYLL)
    assert json.loads((root / RECORD).read_text(encoding="utf-8"))["flavor"] == "jekyll"
    left = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name != RECORD)
    hugo_left = [p for p in left if p.startswith(("content", "data", "themes"))]
    # only what the person wrote or changed is left of the Hugo site
    assert hugo_left == ["content/posts/mine.md"] and "hugo.toml" in left
    assert (root / "_posts" / "2009-08-15-client-service-or-client.md").is_file()
    export(nasty_dir, PELICAN)
    assert not (root / "_posts").exists() and not (root / "_layouts").exists() and not (root / "tag").exists()
    assert (root / "content" / "2009" / "client-service-or-client.md").is_file()
    assert (root / "themes/blogport/templates/blogport-comments.html").is_file()
    assert (root / "content" / "posts" / "mine.md").is_file()


def test_windows_reserved_names_are_renamed(tmp_path: Path) -> None:
    models = nasty_models()
    models["posts"] = [*models["posts"], dataclasses.replace(models["posts"][2], id="2001", slug="con",
                                                             url="http://nasty.blogspot.com/2011/01/con.html"),
                       dataclasses.replace(models["posts"][2], id="2002", slug="com1",
                                           url="http://nasty.blogspot.com/2011/01/com1.html")]
    models["comments"] = [*models["comments"], dataclasses.replace(models["comments"][0], id="c77", post_id="2001")]
    folder = build_blog(tmp_path / "out", models)
    reserved = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
    for flavor in (HUGO, JEKYLL, PELICAN):
        export(folder, flavor)
        root = folder / "markdown"
        names = [p for p in root.rglob("*") if p.is_file()]
        assert not [p for p in names if p.name.split(".")[0].upper() in reserved], flavor.flavor
        fronts = {}
        for path in names:
            text = path.read_text(encoding="utf-8") if path.suffix == ".md" else ""
            if text.startswith("---\n"):
                fronts[path] = yaml.safe_load(text.split("---\n")[1])
            elif text.startswith("Title:"):
                fronts[path] = {k.lower(): v for k, _, v in (line.partition(": ") for line in text.split("\n\n")[0].splitlines())}
        con = next(front for front in fronts.values() if str(front.get("blogger_id")) == "2001")
        data = root / str(con["comments_data"])
        assert json.loads(data.read_text(encoding="utf-8"))[0]["id"] == "c77"
        if "comments_key" in con:  # the key the Hugo and Jekyll templates look the thread up by
            assert data.name == f"{con['comments_key']}.json"
    export(folder, HUGO)  # a re-export of what was renamed removes nothing of it
    assert any(str(f.get("blogger_id")) == "2002" for f in (
        yaml.safe_load(p.read_text(encoding="utf-8").split("---\n")[1])
        for p in (folder / "markdown" / "content" / "posts").glob("*.md")))


def test_reserved_file_names_are_renamed_whatever_the_slug() -> None:
    from loaders.markdown import windows_safe

    assert windows_safe(Path("content/posts/con.md")) == Path("content/posts/con_.md")
    assert windows_safe(Path("_data/comments/LPT1.json")) == Path("_data/comments/LPT1_.json")
    assert windows_safe(Path("content/posts/console.md")) == Path("content/posts/console.md")
    post = PostRow(id="1003", number=1, slug="nul", url="http://x.blogspot.com/2009/09/nul.html",
                   old_path="/2009/09/nul.html", title="Nul", body_html="", body_text="", published=None,
                   published_local=None, updated=None, author_id=None, author_name=None, author_url=None,
                   kind="post", status="published", date_raw=None, date_flag=None, tags=())
    assert comments_key(post) == "post-1003"
    assert comments_key(dataclasses.replace(post, slug="nullable")) == "nullable"


def test_text_that_shows_html_stays_text_in_the_markdown() -> None:
    md = html_to_markdown("<p>&lt;img src=x onerror=alert(9)&gt; &amp;lt;b&amp;gt; AT&amp;T <b>bold</b></p>"
                          "<pre><code>&lt;kept&gt; in code</code></pre>"
                          '<p><img src="/a.png" alt="&lt;script&gt;"></p>')
    assert "<img src=x" not in md and "&lt;img src=x onerror=alert(9)>" in md
    assert "&amp;lt;b&amp;gt;" in md and "AT&T" in md and "**bold**" in md  # shows "&lt;b&gt;", as the source did
    assert "<kept> in code" in md  # code shows its characters literally
    assert "![&lt;script>](/a.png)" in md


def test_the_stylesheet_is_shipped_to_hugo_and_jekyll_from_one_source() -> None:
    shared = (TEMPLATES / "_shared" / "blogport-style.html").read_bytes()
    assert shared.startswith(b"<style>")
    hugo, jekyll = shipped_files("hugo"), shipped_files("jekyll")
    assert hugo["themes/blogport/layouts/partials/blogport-style.html"] == shared
    assert jekyll["_includes/blogport-style.html"] == shared
    copies = [p for p in TEMPLATES.rglob("blogport-style.html") if p.parent.name != "_shared"]
    assert copies == [], "one source file, no copies in the flavours' folders"
    assert not any("_shared" in rel for rel in (*hugo, *jekyll, *shipped_files("pelican")))
