"""The site files that make ``DIR/markdown`` a site its engine builds with no extra step.

Hugo: ``hugo.toml`` (``theme = "blogport"``, the permalinks the redirect maps use) and the
``themes/blogport/`` layouts; Jekyll: ``_config.yml`` (timezone, permalink,
``plugins: [jekyll-redirect-from]``), ``_layouts/``, ``_includes/``, ``index.html`` and a
page per label under ``tag/``; Pelican: ``pelicanconf.py`` (``loaders.pelican``) and the
templates in ``themes/blogport/templates`` that add the comment threads to Pelican's theme.
Every flavour renders a post's comments through one partial (``blogport-comments.html``)
that a person can drop into a theme of their own.

The shipped files are ``loaders/templates/site/<flavour>/``, plus those several flavours
share (the stylesheet), kept once in ``loaders/templates/site/_shared/``. A person's
changes are never overwritten: ``.blogport-site.json`` records what each shipped file held when blogport
wrote it, and a file that differs from that (or that someone else made) is left alone.
The record also names the flavour, so an export in another flavour removes the files the
previous one wrote (only blogport's own, unchanged ones) instead of leaving both trees.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from slugify import slugify

from loaders.atomic import inside, write_if_changed
from loaders.site_body import front_matter
from loaders.site_flavors import FLAVORS_BY_NAME, Flavor
from loaders.source import ExportSource, parse_iso

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates" / "site"
SHARED_TEMPLATES = TEMPLATES / "_shared"
RECORD = ".blogport-site.json"


@dataclass
class SiteResult:
    written: list[str] = field(default_factory=list)
    """Shipped or generated files written (relative to ``DIR/markdown``)."""
    kept: list[str] = field(default_factory=list)
    """Shipped files left as the person changed them."""
    label_pages: list[Path] = field(default_factory=list)
    """The label pages written (resolved paths)."""


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_record(root: Path) -> dict:
    try:
        data = json.loads((root / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class _Shipper:
    """Writes shipped files unless the person changed them since blogport wrote them."""

    def __init__(self, root: Path, previous: dict[str, str]) -> None:
        self.root = root
        self.previous = previous
        self.now: dict[str, str] = {}
        self.result = SiteResult()

    def ship(self, rel: str, data: bytes) -> None:
        path = inside(self.root, self.root / rel)
        try:
            current = path.read_bytes()
        except FileNotFoundError:
            current = None
        except OSError:
            current = b""
        if current is not None and current != data and _digest(current) != self.previous.get(rel):
            log.info("%s is not as blogport wrote it: left as it is", path)
            self.result.kept.append(rel)
            return
        write_if_changed(path, data)
        self.now[rel] = _digest(data)
        self.result.written.append(rel)


def shipped_files(flavor: str) -> dict[str, bytes]:
    """The files of ``loaders/templates/site/<flavor>/``, and the shared ones the flavour's
    row names (``Flavor.shared``), by path relative to the site."""
    base = TEMPLATES / flavor
    files: dict[str, bytes] = {}
    for folder, _dirs, names in os.walk(base):
        for name in names:
            path = Path(folder, name)
            files[path.relative_to(base).as_posix()] = path.read_bytes()
    row = FLAVORS_BY_NAME.get(flavor)
    for name, rel in row.shared if row is not None else ():
        files[rel] = (SHARED_TEMPLATES / name).read_bytes()
    return dict(sorted(files.items()))


def site_url_parts(new_site_url: str | None) -> tuple[str, str]:
    """(scheme://host, path without trailing slash) of the new site, or ("", "")."""
    if not new_site_url:
        return "", ""
    parts = urlsplit(new_site_url)
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def hugo_config(title: str, language: str, new_site_url: str | None) -> str:
    base = (new_site_url.rstrip("/") + "/") if new_site_url else "/"
    return (
        "# hugo.toml written by blogport. Edit it freely: blogport then leaves it as it is.\n"
        "# The permalinks are the ones the redirect maps (../redirects/) and the rewritten links point at.\n"
        f"baseURL = {_toml_string(base)}\n"
        f"title = {_toml_string(title)}\n"
        f"languageCode = {_toml_string(language or 'en')}\n"
        'theme = "blogport"\n'
        "# Bodies are Markdown with no raw HTML; comment bodies (sanitised) come from data/comments/.\n"
        "[markup.goldmark.renderer]\n"
        "  unsafe = false\n"
        "[permalinks]\n"
        '  posts = "/posts/:slug/"\n'
        "[taxonomies]\n"
        '  tag = "tags"\n'
    )


def _common_zone(source: ExportSource) -> str:
    """An IANA zone with the blog's most common UTC offset (``Etc/GMT+7`` is UTC-07:00)."""
    offsets: Counter[int] = Counter()
    for _id, _n, _slug, _url, _kind, _status, local in source.refs():
        dt = parse_iso(local)
        if dt is not None and dt.utcoffset() is not None:
            offsets[int(dt.utcoffset().total_seconds())] += 1  # type: ignore[union-attr]
    if not offsets:
        return "UTC"
    seconds = offsets.most_common(1)[0][0]
    if seconds == 0 or seconds % 3600:
        return "UTC"
    hours = seconds // 3600
    return f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"


def jekyll_config(title: str, language: str, new_site_url: str | None, timezone: str) -> str:
    url, baseurl = site_url_parts(new_site_url)
    return (
        "# _config.yml written by blogport. Edit it freely: blogport then leaves it as it is.\n"
        "# The permalink is the one the redirect maps (../redirects/) and the rewritten links point at.\n"
        f"title: {json.dumps(title, ensure_ascii=False)}\n"
        f"lang: {json.dumps(language or 'en')}\n"
        f"url: {json.dumps(url)}\n"
        f"baseurl: {json.dumps(baseurl)}\n"
        f"timezone: {json.dumps(timezone)}\n"
        "permalink: /:year/:month/:day/:title.html\n"
        "markdown: kramdown\n"
        "plugins:\n"
        "  - jekyll-redirect-from\n"
    )


def jekyll_tag_term(name: str, slug: str) -> str:
    """A label's folder under ``/tag/`` (``loaders.urls.tag_target`` for Jekyll)."""
    return slugify(name, allow_unicode=True) or slug


def _label_pages(source: ExportSource, root: Path, pattern: str, shipper: _Shipper) -> None:
    """A page per label (Jekyll: ``tag/<term>.md``, whose layout lists the label's posts) and
    ``_data/blogport_tags.json`` (name -> term, for the links under each post). Stale ones
    are removed by the Markdown export's clean-up (they carry ``blogger_label``)."""
    terms: dict[str, str] = {}
    for tag in source.tags.values():
        term = jekyll_tag_term(tag.name, tag.slug)
        terms[tag.name] = term
        rel = pattern.format(term=term)
        page = front_matter({"layout": "blogport-tag", "title": tag.name, "tag": tag.name,
                             "permalink": f"/tag/{term}/", "blogger_label": tag.slug})
        path = inside(root, root / rel)
        write_if_changed(path, (page + "\n").encode("utf-8"))
        shipper.result.written.append(rel)
        shipper.result.label_pages.append(path)
    data = json.dumps(terms, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    shipper.ship("_data/blogport_tags.json", data.encode("utf-8"))


def previous_flavor(root: Path) -> str | None:
    """The flavour of the last export into ``root`` (None: none recorded)."""
    flavor = _read_record(root).get("flavor")
    return flavor if isinstance(flavor, str) else None


def replace_previous(root: Path, flavor: str, flavors: tuple[str, ...], ours: Callable[[Path], bool],
                     managed: Callable[[str], list[tuple[Path, str]]]) -> int:
    """Before an export in ``flavor``: remove the files an export in another flavour wrote
    (blogport's own only: ``ours`` for content, unchanged shipped files), so the folder does
    not hold two sites. With no record of the last flavour, every other flavour's folders
    are looked at. Folders the new flavour also writes are left to its own clean-up."""
    record = _read_record(root)
    old = record.get("flavor")
    if old == flavor:
        return 0
    others = [old] if isinstance(old, str) and old in flavors else [f for f in flavors if f != flavor]
    keep = {folder for folder, _suffix in managed(flavor)}
    removed = 0
    touched: set[Path] = set()
    for other in others:
        for folder, suffix in managed(other):
            if folder in keep or not folder.is_dir():
                continue
            with os.scandir(folder) as entries:
                for entry in entries:
                    path = Path(entry.path)
                    if entry.name.endswith(suffix) and entry.is_file(follow_symlinks=False) and ours(path):
                        path.unlink()
                        touched.add(folder)
                        removed += 1
    for rel, digest in (record.get("files") or {}).items():
        path = root / rel
        try:
            if not path.is_symlink() and _digest(path.read_bytes()) == digest:
                path.unlink()
                touched.add(path.parent)
                removed += 1
        except OSError:
            continue
    for folder in sorted(touched, key=lambda f: -len(f.parts)):
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()  # only when empty
            except OSError:
                break
            folder = folder.parent
    if removed:
        log.info("markdown/: %d files of an export in another flavour removed for the %s one", removed, flavor)
    return removed


def write_site(source: ExportSource, root: Path, flavor: Flavor, *, new_site_url: str | None = None,
               generated: dict[str, bytes] | None = None) -> SiteResult:
    """Write the shipped site files of ``flavor`` into ``root`` (``DIR/markdown``).

    ``generated``: more files by relative path (a config made from the blog's details),
    written under the same rule as the shipped ones."""
    root = Path(root).resolve()
    record = _read_record(root)
    previous = record.get("files") if record.get("flavor") == flavor.name else {}
    shipper = _Shipper(root, previous if isinstance(previous, dict) else {})
    meta = source.meta
    files = dict(generated or {})
    if flavor.name == "hugo":
        files["hugo.toml"] = hugo_config(meta.title, meta.language, new_site_url).encode("utf-8")
    elif flavor.name == "jekyll":
        files["_config.yml"] = jekyll_config(meta.title, meta.language, new_site_url,
                                             _common_zone(source)).encode("utf-8")
    files.update(shipped_files(flavor.name))
    for rel, data in files.items():
        shipper.ship(rel, data)
    if flavor.label_pages:
        _label_pages(source, root, flavor.label_pages, shipper)
    kept = {rel: digest for rel, digest in shipper.previous.items() if rel in shipper.result.kept}
    data = {"flavor": flavor.name, "files": {**kept, **shipper.now}}
    write_if_changed(root / RECORD, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return shipper.result
