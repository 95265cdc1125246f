"""The Markdown flavours and the URL targets as data: where each kind of file goes, which
front matter it carries, how a body is protected from the engine's template language, and
where each old URL lives on the new site.

A path or URL pattern uses ``{slug}``, ``{year}``, ``{month}``, ``{day}`` and ``{date}``
(``YYYY-MM-DD``). Adding a flavour is one ``Flavor`` row here plus its site files in
``loaders/templates/<name>/`` (see ``loaders.site``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class UrlTarget:
    """Where posts, pages, archives and feeds live on a new site."""

    name: str
    post_url: str
    page_url: str
    undated_url: str
    """A post without a date."""
    archive_url: str | None
    """Where the old month and year archives go; None: the target's own ``/YYYY/MM/`` and ``/YYYY/``."""
    feed_url: str


@dataclass(frozen=True)
class Flavor:
    """One Markdown flavour: its files, front matter and URLs."""

    name: str
    urls: UrlTarget
    post_path: str
    page_path: str
    draft_path: str
    undated_path: str
    comments_dir: str
    image_dir: str
    image_prefix: str
    front_matter: str
    """"yaml" (between ``---`` lines) or "pelican" (``Key: value`` lines)."""
    body_protection: str | None
    """"shortcodes" (Hugo), "liquid" (Jekyll) or None: what keeps ``{{``/``{%`` in a body text."""
    alias_key: str | None
    """The front-matter key of the old paths the built site redirects from."""
    engine: str
    """The program that builds the site."""
    config_file: str
    """The engine's site configuration, relative to ``DIR/markdown``."""
    label_pages: str | None = None
    """A page per label the export writes (``{term}``), for an engine that makes none itself."""
    shared: tuple[tuple[str, str], ...] = ()
    """Files shipped to several flavours from one source: (name in
    ``loaders/templates/site/_shared/``, where this flavour's site has it)."""

    def file_path(self, kind: str, status: str, slug: str, dt: datetime | None) -> str:
        """The post or page file, relative to ``DIR/markdown``."""
        if kind == "page":
            pattern = self.page_path
        elif dt is None:
            pattern = self.undated_path
        elif status == "draft":
            pattern = self.draft_path
        else:
            pattern = self.post_path
        return fill(pattern, slug, dt)

    def content_dirs(self) -> tuple[str, ...]:
        """The folders (patterns) holding the files an export writes, comments included."""
        paths = (self.post_path, self.page_path, self.draft_path, self.undated_path, self.label_pages or "")
        dirs = {p.rpartition("/")[0] for p in paths if p}
        return (*sorted(dirs), self.comments_dir)


def fill(pattern: str, slug: str, dt: datetime | None) -> str:
    if dt is None:
        return pattern.format(slug=slug)
    return pattern.format(slug=slug, year=f"{dt.year:04d}", month=f"{dt.month:02d}", day=f"{dt.day:02d}",
                          date=f"{dt:%Y-%m-%d}")


HUGO_URLS = UrlTarget("hugo", "/posts/{slug}/", "/{slug}/", "/posts/{slug}/", "/posts/", "/index.xml")
JEKYLL_URLS = UrlTarget("jekyll", "/{year}/{month}/{day}/{slug}.html", "/{slug}.html", "/", "/", "/feed.xml")
PELICAN_URLS = UrlTarget("pelican", "/{slug}.html", "/pages/{slug}.html", "/{slug}.html", "/archives.html",
                         "/feeds/all.atom.xml")
WORDPRESS_URLS = UrlTarget("wordpress", "/{year}/{month}/{slug}/", "/{slug}/", "/?name={slug}", None, "/feed/")

FLAVOR_TABLE: tuple[Flavor, ...] = (
    Flavor("hugo", HUGO_URLS, post_path="content/posts/{slug}.md", page_path="content/{slug}.md",
           draft_path="content/posts/{slug}.md", undated_path="content/posts/{slug}.md",
           comments_dir="data/comments", image_dir="static/images", image_prefix="/images",
           front_matter="yaml", body_protection="shortcodes", alias_key="aliases", engine="hugo",
           config_file="hugo.toml",
           shared=(("blogport-style.html", "themes/blogport/layouts/partials/blogport-style.html"),)),
    Flavor("jekyll", JEKYLL_URLS, post_path="_posts/{date}-{slug}.md", page_path="{slug}.md",
           draft_path="_drafts/{slug}.md", undated_path="_drafts/{slug}.md",
           comments_dir="_data/comments", image_dir="assets/images", image_prefix="/assets/images",
           front_matter="yaml", body_protection="liquid", alias_key="redirect_from", engine="jekyll",
           config_file="_config.yml", label_pages="tag/{term}.md",
           shared=(("blogport-style.html", "_includes/blogport-style.html"),)),
    Flavor("pelican", PELICAN_URLS, post_path="content/{year}/{slug}.md", page_path="content/pages/{slug}.md",
           draft_path="content/{year}/{slug}.md", undated_path="content/undated/{slug}.md",
           comments_dir="data/comments", image_dir="content/images", image_prefix="/images",
           front_matter="pelican", body_protection=None, alias_key=None, engine="pelican",
           config_file="pelicanconf.py"),
)
FLAVORS_BY_NAME: dict[str, Flavor] = {f.name: f for f in FLAVOR_TABLE}
FLAVORS: tuple[str, ...] = tuple(FLAVORS_BY_NAME)
URL_TARGETS: dict[str, UrlTarget] = {**{f.name: f.urls for f in FLAVOR_TABLE}, "wordpress": WORDPRESS_URLS}
TARGETS: tuple[str, ...] = tuple(URL_TARGETS)
