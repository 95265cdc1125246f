"""Redirect maps from every old Blogger URL to its new home.

``DIR/redirects/``: ``redirects.csv`` (old,new,kind: the full list, ``?m=1`` mobile variants
included), ``nginx.conf`` (``location =`` rules for a ``server`` block), ``.htaccess``
(Apache mod_rewrite, 301) and ``_redirects`` (Netlify). Server rules match the path only,
so ``?m=1``, ``?showComment=...`` and ``?commentPage=N`` land on the same new page and the old
query string is dropped. No rule ever points at itself.

Kinds: post, page, comment-feed (``/feeds/POSTID/comments/default``), label
(``/search/label/X``), label-feed, month (``/YYYY/MM/``, ``/YYYY_MM_01_archive.html``), year,
feed (``/feeds/posts/default``...).
"""

from __future__ import annotations

import csv

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from slugify import slugify

from loaders.atomic import AtomicFile
from loaders.source import ExportSource, hugo_urlize, url_path
from loaders.urls import new_url

_POST_PATH_DATE = re.compile(r"^/(\d{4})/(\d{2})/")
_SAFE_NEW = "/-_.~:+"
_SAFE_OLD = "/%:@!$&'()*+,;=-_.~"
FILES = ("redirects.csv", "nginx.conf", ".htaccess", "_redirects")


@dataclass
class RedirectResult:
    files: list[Path] = field(default_factory=list)
    rules: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def _encode_new(path: str) -> str:
    return quote(path, safe=_SAFE_NEW)


def _encode_old(path: str) -> str:
    return quote(path, safe=_SAFE_OLD)


def _nginx_quote(text: str) -> str:
    """An nginx quoted string: backslash and double quote escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _apache_quote(text: str) -> str:
    """An Apache quoted argument: only an inner double quote is escaped (other backslashes stay)."""
    return '"' + text.replace('"', '\\"') + '"'


def pcre_escape(text: str) -> str:
    """``text`` as a literal in a PCRE pattern."""
    return "".join("\\" + ch if ch in ".^$*+?()[]{}|\\" else ch for ch in text)


class _Writers:
    def __init__(self, folder: Path, host: str, first_time: Callable[[str], bool]) -> None:
        self.first_time = first_time
        self.files = {name: AtomicFile(folder / name) for name in FILES}
        self.csv = csv.writer(self.files["redirects.csv"].file, lineterminator="\n")
        self.csv.writerow(["old", "new", "kind"])
        self.files["nginx.conf"].write(
            f"# Redirects from the old blog ({host}) to the new site, written by blogport.\n"
            "# Include this file inside the server { } block that answers for the old host.\n"
            "# \"location =\" compares the path only: the ?m=1 mobile variants ($args m=1),\n"
            "# ?showComment=... and ?commentPage=N all reach the same rule, and \"return 301\"\n"
            "# drops the old query string.\n"
        )
        self.files[".htaccess"].write(
            f"# Redirects from the old blog ({host}) to the new site, written by blogport.\n"
            "# Needs mod_rewrite. QSD drops the old query string (?m=1, ?showComment=...).\n"
            "RewriteEngine On\n"
        )
        self.files["_redirects"].write(
            f"# Netlify redirects from the old blog ({host}), written by blogport.\n"
            "# Rules match any query string (?m=1, ?showComment=...).\n"
        )
        self.count = 0
        self.by_kind: dict[str, int] = {}

    def add(self, old_path: str, new: str, kind: str, mobile: bool = True) -> None:
        """``old_path``: the path as it appeared in old URLs (percent-encoded); ``new``: decoded path."""
        encoded_new = _encode_new(new)
        encoded_old = _encode_old(old_path)
        decoded_old = unquote(old_path)
        if decoded_old == unquote(new) or not self.first_time(decoded_old):
            return  # never a rule to itself; one rule per old path (nginx refuses duplicates)
        self.csv.writerow([encoded_old, encoded_new, kind])
        if mobile:
            self.csv.writerow([encoded_old + "?m=1", encoded_new, kind])
        self.files["nginx.conf"].write(
            f"location = {_nginx_quote(decoded_old)} {{ return 301 {_nginx_quote(encoded_new)}; }}\n"
        )
        pattern = "^" + pcre_escape(decoded_old.lstrip("/")) + "$"
        self.files[".htaccess"].write(
            f"RewriteRule {_apache_quote(pattern)} {_apache_quote(encoded_new)} [R=301,L,QSD]\n"
        )
        self.files["_redirects"].write(f"{encoded_old}  {encoded_new}  301\n")
        self.count += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1

    def commit(self) -> list[Path]:
        return [f.commit() for f in self.files.values()]

    def discard(self) -> None:
        for f in self.files.values():
            f.discard()


def _tag_target(flavor: str, name: str, slug: str) -> tuple[str, str]:
    """(tag page, tag feed) on the new site."""
    if flavor == "hugo":
        term = hugo_urlize(name) or slug
        return f"/tags/{term}/", f"/tags/{term}/index.xml"
    term = slugify(name, allow_unicode=True) or slug
    return f"/tag/{term}/", "/feed.xml"


def write_redirects(source: ExportSource, out_dir: Path, *, flavor: str = "hugo",
                    new_url_pattern: str | None = None) -> RedirectResult:
    """Write the four redirect maps under ``DIR/redirects/``."""
    folder = Path(out_dir) / "redirects"
    folder.mkdir(parents=True, exist_ok=True)
    writers = _Writers(folder, source.meta.host, lambda key: source.remember("redirect_old", key))
    months: set[tuple[str, str]] = set()
    archive = "/posts/" if flavor == "hugo" else "/"
    feed = "/index.xml" if flavor == "hugo" else "/feed.xml"
    try:
        for post_id, _number, slug, url, kind, status, published_local in source.refs():
            if status == "draft":
                continue
            target = new_url(flavor, kind or "post", slug, published_local, new_url_pattern)
            old = url_path(url)
            writers.add(old, target, "page" if kind == "page" else "post")
            if post_id and post_id.isdigit():
                writers.add(f"/feeds/{post_id}/comments/default", target, "comment-feed", mobile=False)
            m = _POST_PATH_DATE.match(old)
            if m and kind != "page":
                months.add((m.group(1), m.group(2)))
        for tag in source.tags.values():
            page, tag_feed = _tag_target(flavor, tag.name, tag.slug)
            old = url_path(tag.url) if tag.url and "/search/label/" in tag.url else "/search/label/" + quote(tag.name, safe="")
            writers.add(old, page, "label")
            writers.add("/feeds/posts/default/-/" + old.rsplit("/", 1)[-1], tag_feed, "label-feed", mobile=False)
        for year, month in sorted(months):
            writers.add(f"/{year}/{month}/", archive, "month")
            writers.add(f"/{year}_{month}_01_archive.html", archive, "month")
        for year in sorted({y for y, _ in months}):
            writers.add(f"/{year}/", archive, "year")
        for old_feed in ("/feeds/posts/default", "/feeds/posts/summary", "/feeds/comments/default",
                         "/atom.xml", "/rss.xml"):
            writers.add(old_feed, feed, "feed", mobile=False)
        files = writers.commit()
    except BaseException:
        writers.discard()
        raise
    return RedirectResult(files=files, rules=writers.count, by_kind=dict(sorted(writers.by_kind.items())))


def read_redirects_csv(path: Path) -> list[tuple[str, str, str]]:
    """Rows of ``redirects.csv`` as (old, new, kind)."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        if header != ["old", "new", "kind"]:
            raise ValueError(f"unexpected header {header}")
        return [tuple(row) for row in reader]  # type: ignore[misc]


