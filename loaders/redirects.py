"""Redirect maps from every old Blogger URL to its new home.

``DIR/redirects/``: ``redirects.csv`` (old,new,kind: the full list, ``?m=1`` mobile variants
included), ``nginx.conf`` (``location =`` rules for a ``server`` block), ``.htaccess``
(Apache mod_rewrite, 301) and ``_redirects`` (Netlify). Server rules match the path only,
so ``?m=1``, ``?showComment=...`` and ``?commentPage=N`` land on the same new page and the old
query string is dropped. No rule ever points at itself. With a new site URL every target is
absolute (``https://new.example/posts/x/``), and a blog on ``*.blogspot.com`` also gets
``blogger-theme.xml`` (``loaders.site_blogger``), the only redirect Blogger lets its owner set.

Kinds: post, page, comment-feed (``/feeds/POSTID/comments/default``), label
(``/search/label/X``), label-feed, month (``/YYYY/MM/``, ``/YYYY_MM_01_archive.html``), year,
feed (``/feeds/posts/default``...). The mapping itself is ``loaders.urls.url_moves``, shared
with the Markdown front matter and the internal links rewritten in exported bodies.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from loaders.atomic import AtomicFile
from loaders.source import ExportSource
from loaders.site_blogger import is_blogspot, write_blogger_theme
from loaders.urls import UrlMove, encode_new, url_moves

_SAFE_OLD = "/%:@!$&'()*+,;=-_.~"
FILES = ("redirects.csv", "nginx.conf", ".htaccess", "_redirects")


@dataclass
class RedirectResult:
    files: list[Path] = field(default_factory=list)
    rules: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    theme_covers: int = 0
    """Old URLs ``blogger-theme.xml`` sends on (0: no theme written)."""
    theme_skipped: str = ""
    """Why a blogspot.com blog got no Blogger theme."""


def absolute_url(new_site_url: str | None, new_path: str) -> str:
    """A new path (as written, percent-encoded) as the rule's target: under ``new_site_url``
    when given (its own path kept: ``https://x.org/blog`` + ``/posts/a/``), else as it is."""
    if not new_site_url:
        return new_path
    return new_site_url.rstrip("/") + new_path


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
    def __init__(self, folder: Path, host: str, first_time: Callable[[str], bool],
                 new_site_url: str | None = None) -> None:
        self.first_time = first_time
        self.new_site_url = new_site_url
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
        encoded_new = absolute_url(self.new_site_url, encode_new(new))
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


def write_redirects(source: ExportSource, out_dir: Path, *, flavor: str = "hugo",
                    new_url_pattern: str | None = None, tags_as: str = "tags",
                    new_site_url: str | None = None) -> RedirectResult:
    """Write the four redirect maps under ``DIR/redirects/``: every entry of
    ``loaders.urls.url_moves`` for the target ``flavor`` ("hugo", "jekyll", "pelican" or
    "wordpress"); for a blog on ``*.blogspot.com`` with ``new_site_url``, ``blogger-theme.xml`` too."""
    folder = Path(out_dir) / "redirects"
    folder.mkdir(parents=True, exist_ok=True)
    writers = _Writers(folder, source.meta.host, lambda key: source.remember("redirect_old", key), new_site_url)
    moves: list[UrlMove] = []
    blogspot = is_blogspot(source.meta.host)
    try:
        for move in url_moves(source, flavor, new_url_pattern, tags_as):
            writers.add(move.old_path, move.new, move.kind, mobile=move.mobile)
            if blogspot and new_site_url:
                moves.append(move)
        files = writers.commit()
    except BaseException:
        writers.discard()
        raise
    result = RedirectResult(files=files, rules=writers.count, by_kind=dict(sorted(writers.by_kind.items())))
    theme = folder / "blogger-theme.xml"
    if blogspot and new_site_url:
        path, result.theme_covers = write_blogger_theme(
            folder, source.meta.title, source.meta.url, moves,
            lambda new: absolute_url(new_site_url, encode_new(new)), absolute_url(new_site_url, "/"))
        result.files.append(path)
    elif blogspot:
        result.theme_skipped = ("give --new-site-url to get redirects/blogger-theme.xml, the Blogger theme that"
                                " sends visitors of the old blog to the new one")
        theme.unlink(missing_ok=True)  # an older theme points at a site that is no longer said
    return result


def read_redirects_csv(path: Path) -> list[tuple[str, str, str]]:
    """Rows of ``redirects.csv`` as (old, new, kind)."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        if header != ["old", "new", "kind"]:
            raise ValueError(f"unexpected header {header}")
        return [tuple(row) for row in reader]  # type: ignore[misc]


