from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from kernel.errors import ExportError
from loaders.options import ExportOptions
from loaders.redirects import read_redirects_csv
from loaders.run import export
from tests.loaders.conftest import BLOG_URL, nasty_models

NGINX = re.compile(r'^location = "((?:[^"\\]|\\.)*)" \{ return 301 "((?:[^"\\]|\\.)*)"; \}$')
APACHE = re.compile(r'^RewriteRule "\^(.*)\$" "(.*)" \[R=301,L,QSD\]$')


def _parse_all(folder: Path) -> dict[str, dict[str, str]]:
    red = folder / "redirects"
    csv_rows = read_redirects_csv(red / "redirects.csv")
    out: dict[str, dict[str, str]] = {"csv": {o: n for o, n, _k in csv_rows}, "nginx": {}, "apache": {}, "netlify": {}}
    for line in (red / "nginx.conf").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = NGINX.match(line)
        assert m, line
        out["nginx"][m.group(1).replace('\\"', '"').replace("\\\\", "\\")] = m.group(2)
    for line in (red / ".htaccess").read_text().splitlines():
        if line.startswith("#") or line == "RewriteEngine On":
            continue
        m = APACHE.match(line)
        assert m, line
        out["apache"]["/" + re.sub(r"\\(.)", r"\1", m.group(1))] = m.group(2)
    for line in (red / "_redirects").read_text().splitlines():
        if line.startswith("#"):
            continue
        old, new, code = line.split()
        assert code == "301"
        out["netlify"][old] = new
    return out


def test_every_post_has_a_redirect_in_every_map(nasty_dir: Path) -> None:
    export(nasty_dir, ExportOptions(formats=("markdown",)))
    maps = _parse_all(nasty_dir)
    rows = read_redirects_csv(nasty_dir / "redirects" / "redirects.csv")
    kinds = {k for _o, _n, k in rows}
    assert {"post", "page", "label", "month", "year", "feed", "comment-feed", "label-feed"} <= kinds
    for post in nasty_models()["posts"]:
        old = post.url.removeprefix(BLOG_URL)
        if post.status == "draft":
            assert old not in maps["csv"]
            continue
        new = maps["csv"][old]
        assert maps["csv"][old + "?m=1"] == new
        assert maps["nginx"][unquote(old)] == new and maps["apache"][unquote(old)] == new and maps["netlify"][old] == new
        if post.kind == "page":
            assert new == "/about/"
        else:
            assert re.fullmatch(r"/posts/[a-z0-9_-]+/", new)
            assert maps["csv"][f"/feeds/{post.id}/comments/default"] == new
    assert maps["csv"]["/2009/08/etc-passwd.html"] == "/posts/etc-passwd/"
    assert maps["csv"]["/search/label/Client%20Service"] == "/tags/client-service/"
    assert maps["nginx"]["/search/label/Client Service"] == "/tags/client-service/"
    assert maps["csv"]["/search/label/Caf%C3%A9%20%26%20Co"] == "/tags/caf%C3%A9-co/"
    assert maps["csv"]["/feeds/posts/default/-/Caf%C3%A9%20%26%20Co"] == "/tags/caf%C3%A9-co/index.xml"
    assert maps["csv"]["/2009/08/"] == "/posts/" and maps["csv"]["/2009/"] == "/posts/"
    assert maps["csv"]["/feeds/posts/default"] == "/index.xml"
    for table in maps.values():
        assert all(unquote(o.split("?")[0]) != unquote(n) for o, n in table.items())  # never a loop
        assert all("?" not in n for n in table.values())
    assert len(maps["nginx"]) == len(maps["apache"]) == len(maps["netlify"])


def test_jekyll_targets_and_custom_pattern(nasty_dir: Path) -> None:
    export(nasty_dir, ExportOptions(formats=("markdown",), flavor="jekyll"))
    csv_map = _parse_all(nasty_dir)["csv"]
    assert csv_map["/2009/08/client-service-or-client.html"] == "/2009/08/15/client-service-or-client.html"
    assert csv_map["/2010/12/new-year.html"] == "/2010/12/31/new-year.html"
    assert csv_map["/p/about.html"] == "/about.html"
    assert csv_map["/feeds/posts/default"] == "/feed.xml"
    export(nasty_dir, ExportOptions(formats=("markdown",), new_url_pattern="/blog/{year}/{slug}/"))
    csv_map = _parse_all(nasty_dir)["csv"]
    assert csv_map["/2009/08/client-service-or-client.html"] == "/blog/2009/client-service-or-client/"
    fm = (nasty_dir / "markdown" / "content" / "posts" / "client-service-or-client.md").read_text()
    assert 'url: "/blog/2009/client-service-or-client/"' in fm


def test_bad_pattern(nasty_dir: Path) -> None:
    with pytest.raises(ExportError, match="pattern"):
        export(nasty_dir, ExportOptions(new_url_pattern="/{title}/"))


def test_hugo_urlize_matches_hugo_term_paths() -> None:
    from loaders.source import hugo_urlize

    assert hugo_urlize("Client Service") == "client-service"
    assert hugo_urlize("  Café & Co ") == "café-co"
    assert hugo_urlize("C++ -- tips") == "c++-tips"
    assert hugo_urlize("中文 标签") == "中文-标签"


def test_same_path_on_two_hosts_gives_one_rule(tmp_path: Path) -> None:
    from tests.loaders.conftest import build_blog
    from transform.models import Author, Post

    posts = [Post(id=str(i), url=f"http://{host}/2012/01/same.html", title=f"T{i}", slug="same", body_html="<p>x</p>",
                  body_text="x", published=f"2012-01-0{i}T00:00:00+00:00", published_local=f"2012-01-0{i}T00:00:00+00:00",
                  author_id="a") for i, host in ((1, "a.blogspot.com"), (2, "www.a.com"))]
    folder = build_blog(tmp_path / "two", {"authors": [Author("a", "A")], "tags": [], "posts": posts, "comments": []})
    export(folder, ExportOptions(formats=("markdown",)))
    nginx = (folder / "redirects" / "nginx.conf").read_text()
    assert nginx.count('location = "/2012/01/same.html"') == 1


def test_pattern_keeping_the_old_urls_makes_no_self_redirects(nasty_dir: Path) -> None:
    export(nasty_dir, ExportOptions(formats=("markdown",), new_url_pattern="/{year}/{month}/{slug}.html"))
    rows = read_redirects_csv(nasty_dir / "redirects" / "redirects.csv")
    assert "/2009/08/client-service-or-client.html" not in {o for o, _n, _k in rows}
    text = (nasty_dir / "markdown" / "content" / "posts" / "client-service-or-client.md").read_text()
    assert 'url: "/2009/08/client-service-or-client.html"' in text and "aliases" not in text
    # a post whose slug had to change still gets its redirect
    assert ("/2010/01/blog-post.html", "/2010/01/ni-hao-shi-jie-zhong-wen-biao-ti.html", "post") in rows


def test_new_site_url_makes_every_rule_absolute_and_redirects_follow_the_chosen_site(nasty_dir: Path) -> None:
    export(nasty_dir, ExportOptions(formats=("markdown",), flavor="hugo", redirects_for="wordpress",
                                    new_site_url="https://new.example.org/blog/"))
    maps = _parse_all(nasty_dir)
    for name, rules in maps.items():
        assert rules, name
        assert all(new.startswith("https://new.example.org/blog/") for new in rules.values()), name
    # WordPress's permalinks although the Markdown is Hugo's
    assert maps["csv"]["/2009/08/client-service-or-client.html"] == \
        "https://new.example.org/blog/2009/08/client-service-or-client/"
    assert maps["csv"]["/search/label/PR"] == "https://new.example.org/blog/tag/pr/"


@pytest.mark.parametrize("bad", ["example.org", "ftp://example.org/", "https://example.org/?x=1"])
def test_bad_new_site_url_is_refused(nasty_dir: Path, bad: str) -> None:
    with pytest.raises(ExportError, match="--new-site-url"):
        export(nasty_dir, ExportOptions(formats=("markdown",), new_site_url=bad))


def test_blogger_theme_parses_and_covers_every_old_url(nasty_dir: Path) -> None:
    from lxml import etree

    export(nasty_dir, ExportOptions(formats=("markdown",), flavor="jekyll", new_site_url="https://new.example.org"))
    theme = nasty_dir / "redirects" / "blogger-theme.xml"
    root = etree.parse(str(theme), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    b = "{http://www.google.com/2005/gml/b}"
    assert root.find(f".//{b}skin") is not None and root.find(f".//{b}section") is not None
    conds = {}
    for rule in root.iter(f"{b}if"):
        refresh = rule.find("{http://www.w3.org/1999/xhtml}meta")
        canonical = rule.find("{http://www.w3.org/1999/xhtml}link")
        assert canonical.get("href") == refresh.get("content").removeprefix("0; url=")
        for url in re.findall(r'data:blog\.canonicalUrl == "([^"]+)"', rule.get("cond")):
            conds[url] = canonical.get("href")
    script = "".join(s.text or "" for s in root.iter("{http://www.w3.org/1999/xhtml}script"))
    script_map = json.loads(re.search(r"var map = (\{.*?\});", script).group(1))
    csv_rows = read_redirects_csv(nasty_dir / "redirects" / "redirects.csv")
    pages = [(o, n) for o, n, kind in csv_rows if kind in ("post", "page", "label", "month", "year")
             and not o.endswith("?m=1")]
    assert any(kind == "post" for _o, _n, kind in csv_rows)
    for old, new in pages:
        for scheme in ("http", "https"):
            assert conds[f"{scheme}://nasty.blogspot.com{old}"] == new, old
        assert script_map[old] == new
    assert '"https://new.example.org/"' in script  # any other URL: the new home page


def test_blogger_theme_needs_the_new_site_url(nasty_dir: Path) -> None:
    summary = export(nasty_dir, ExportOptions(formats=("markdown",)))
    assert not (nasty_dir / "redirects" / "blogger-theme.xml").exists()
    assert any("--new-site-url" in w for w in summary.warnings)


def test_new_url_pattern_and_redirect_options_from_the_command_line(nasty_dir: Path) -> None:
    from tests.blogport.cli_process import blogport

    done = blogport("export", str(nasty_dir), "--to", "markdown", "--flavor", "pelican", "--no-download-images",
                    "--new-url-pattern", "/{year}/{slug}/", "--redirects-for", "pelican",
                    "--new-site-url", "https://new.example.org")
    assert done.returncode == 0, done.stderr
    rules = {o: n for o, n, _k in read_redirects_csv(nasty_dir / "redirects" / "redirects.csv")}
    assert rules["/2009/09/yes.html"] == "https://new.example.org/2009/yes/"
    assert "blogger-theme.xml" in done.stdout
    done = blogport("export", str(nasty_dir), "--new-site-url", "nope")
    assert done.returncode == 2 and done.stderr.startswith("blogport: error: --new-site-url")
