"""The Markdown check knows the export's flavour from the Flavor table (the site record, or
the engine's config file), not from where a file lies: a Jekyll page outside ``_posts/`` is
checked for Liquid, a Hugo site for shortcodes, and neither for the other's rules."""

from __future__ import annotations

import json
from pathlib import Path

from blogport.validate import ValidateOptions, validate
from loaders.options import ExportOptions
from loaders.run import export
from loaders.site import RECORD
from tests.loaders.conftest import build_blog, nasty_models


def _exports(folder: Path) -> list[str]:
    return [f.message for f in validate(folder, ValidateOptions()).findings if f.check == "exports"]


def _with_body(path: Path, body: str) -> None:
    text = path.read_text(encoding="utf-8")
    head, _sep, _old = text.partition("\n---\n")
    path.write_text(f"{head}\n---\n\n{body}\n", encoding="utf-8")


def test_a_jekyll_page_is_checked_for_liquid(tmp_path: Path) -> None:
    folder = build_blog(tmp_path / "j", nasty_models())
    export(folder, ExportOptions(formats=("markdown",), flavor="jekyll", download_images=False))
    assert _exports(folder) == []
    page = folder / "markdown" / "about.md"  # a page: not under _posts/
    _with_body(page, "Hello {{ site.title }} and {{< x >}}")
    (found,) = _exports(folder)
    assert found.startswith("markdown/about.md:") and "Liquid fails the Jekyll build" in found
    _with_body(page, "Hello {% raw %}{{ site.title }}{% endraw %}")
    assert _exports(folder) == []


def test_a_hugo_site_is_checked_for_shortcodes_only(tmp_path: Path) -> None:
    folder = build_blog(tmp_path / "h", nasty_models())
    export(folder, ExportOptions(formats=("markdown",), flavor="hugo", download_images=False))
    post = folder / "markdown" / "content" / "posts" / "yes.md"
    _with_body(post, "Liquid means nothing to Hugo: {{ x }} {% y %}")
    assert _exports(folder) == []
    _with_body(post, "A shortcode: {{< x >}}")
    (found,) = _exports(folder)
    assert "Hugo runs it as a shortcode" in found
    # without the site record, the engine's config file names the flavour
    (folder / "markdown" / RECORD).unlink()
    assert [m for m in _exports(folder) if "shortcode" in m] == [found]


def test_the_record_not_the_path_decides(tmp_path: Path) -> None:
    folder = build_blog(tmp_path / "r", nasty_models())
    export(folder, ExportOptions(formats=("markdown",), flavor="hugo", download_images=False))
    post = folder / "markdown" / "content" / "posts" / "yes.md"
    _with_body(post, "{{ x }}")
    record = folder / "markdown" / RECORD
    data = json.loads(record.read_text(encoding="utf-8"))
    assert _exports(folder) == []
    record.write_text(json.dumps({**data, "flavor": "jekyll"}), encoding="utf-8")
    (found,) = _exports(folder)
    assert "Liquid" in found
