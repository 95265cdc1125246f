"""Options of the export stage."""

from __future__ import annotations

from dataclasses import dataclass

ALL_FORMATS = ("sqlite", "wxr", "markdown")


@dataclass(frozen=True)
class ExportOptions:
    formats: tuple[str, ...] = ALL_FORMATS
    flavor: str = "hugo"
    """Markdown flavour: "hugo", "jekyll" or "pelican"."""
    tags_as: str = "tags"
    """Blogger labels become WordPress "tags" or "categories"."""
    max_size: int | None = None
    """Split the WXR into files of at most this many bytes; None: one file."""
    download_images: bool = True
    """Markdown: fetch the pictures of posts and comments into the site and link them there
    (``loaders.images``); False keeps their links."""
    new_url_pattern: str | None = None
    """Pattern of the new URLs in the redirect maps; None: the flavour's own permalinks."""
    image_max_bytes: int = 20 * 1024 * 1024
    """With ``download_images``: images larger than this keep their original link
    (``--max-image-size``)."""
    new_site_url: str | None = None
    """Where the new site lives (``https://example.org/blog/``): redirect rules become absolute
    URLs and the site configs get it as their base URL; None: site-relative paths."""
    redirects_for: str | None = None
    """The site the redirect maps point at: "wordpress", "hugo", "jekyll" or "pelican"; None:
    the Markdown flavour when Markdown is written, else WordPress."""
    rewrite_links: bool = True
    """Point links to the old blog in WXR and Markdown bodies (posts and comments) at their
    new site-relative URLs, from the same mapping as the redirect maps; False keeps them."""
