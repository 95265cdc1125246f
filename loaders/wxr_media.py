"""WXR attachment items: one per distinct picture, so WordPress brings the images in.

The WordPress importer downloads a file only for an ``attachment`` item (``wp:attachment_url``)
and only when "Download and import file attachments" is ticked; it then replaces that URL
everywhere in the imported posts with the new file's. So the posts' bodies name each
picture by its full-size URL (``loaders.images.rewrite_images``: Blogger thumbnails
``/s320/`` become ``/s1600/``, the wrapping link included), and each distinct URL gets one
attachment item, written right after the first post that uses it (its ``wp:post_parent``,
in the same file when the export is split), dated like that post.

Which pictures: those ``loaders.image_urls`` moves (the blog's own hosts and Blogger's image
hosts); pictures elsewhere stay linked.
"""

from __future__ import annotations

import html
import posixpath
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from loaders.image_urls import ImageHosts, find_images
from loaders.source import ExportSource, PostRow, slug_part, wp_datetime
from loaders.wxr_xml import cdata, gmt_datetime, pub_date, text

ATTACHMENT_SOURCE_META_KEY = "_blogport_source_url"


def attachment_title(url: str) -> str:
    """The picture's file name without its extension ("IMG_1234"), or "image"."""
    name = unquote(posixpath.basename(urlsplit(url).path))
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return stem.split("=", 1)[0].strip() or "image"


@dataclass
class Attachments:
    """Numbers attachment items after the last post (``first_number``) and remembers which
    pictures already have one."""

    source: ExportSource
    hosts: ImageHosts
    first_number: int
    seen: set[str] = field(default_factory=set)
    count: int = 0

    def new_for(self, post: PostRow) -> list[tuple[int, str, str]]:
        """(number, url, title) for each picture ``post`` is the first to use."""
        out: list[tuple[int, str, str]] = []
        date = wp_datetime(post.published_local)
        for ref in find_images(post.body_html, self.hosts):
            if ref.url in self.seen:
                continue
            self.seen.add(ref.url)
            base = attachment_title(ref.url)
            title, n = base, 1
            # the importer skips an item with the same title, date and type as an earlier one
            while not self.source.remember("wxr_title", f"attachment\x1f{date}\x1f{title.casefold()}"):
                n += 1
                title = f"{base} ({n})"
            out.append((self.first_number + self.count, ref.url, title))
            self.count += 1
        return out


def attachment_xml(number: int, url: str, title: str, parent: PostRow, creator: str) -> str:
    """One ``attachment`` item for ``url``, child of ``parent``."""
    date = wp_datetime(parent.published_local)
    gmt = gmt_datetime(parent.published)
    return (
        "    <item>\n"
        f"        <title>{cdata(html.escape(title, quote=False))}</title>\n"
        f"        <link>{text(url)}</link>\n"
        f"        <pubDate>{text(pub_date(parent.published))}</pubDate>\n"
        f"        <dc:creator>{cdata(creator)}</dc:creator>\n"
        f"        <guid isPermaLink=\"false\">{text(url)}</guid>\n"
        "        <description></description>\n"
        f"        <content:encoded>{cdata('')}</content:encoded>\n"
        f"        <excerpt:encoded>{cdata('')}</excerpt:encoded>\n"
        f"        <wp:post_id>{number}</wp:post_id>\n"
        f"        <wp:post_date>{cdata(date)}</wp:post_date>\n"
        f"        <wp:post_date_gmt>{cdata(gmt)}</wp:post_date_gmt>\n"
        f"        <wp:post_modified>{cdata(date)}</wp:post_modified>\n"
        f"        <wp:post_modified_gmt>{cdata(gmt)}</wp:post_modified_gmt>\n"
        f"        <wp:comment_status>{cdata('closed')}</wp:comment_status>\n"
        f"        <wp:ping_status>{cdata('closed')}</wp:ping_status>\n"
        f"        <wp:post_name>{cdata(slug_part(title) or f'image-{number}')}</wp:post_name>\n"
        f"        <wp:status>{cdata('inherit')}</wp:status>\n"
        f"        <wp:post_parent>{parent.number}</wp:post_parent>\n"
        "        <wp:menu_order>0</wp:menu_order>\n"
        f"        <wp:post_type>{cdata('attachment')}</wp:post_type>\n"
        f"        <wp:post_password>{cdata('')}</wp:post_password>\n"
        "        <wp:is_sticky>0</wp:is_sticky>\n"
        f"        <wp:attachment_url>{cdata(url)}</wp:attachment_url>\n"
        f"        <wp:postmeta><wp:meta_key>{cdata(ATTACHMENT_SOURCE_META_KEY)}</wp:meta_key>"
        f"<wp:meta_value>{cdata(url)}</wp:meta_value></wp:postmeta>\n"
        "    </item>\n"
    )
