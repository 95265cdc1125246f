"""Pictures in the exports: found, downloaded, failed, reported once per cause.

The content check feeds every exported body's pictures to ``ImageTally``; at the end it
gives one finding per format and cause (not one per post), each naming what fixes it:

* Markdown: a picture still on Blogger's image hosts or the old blog was either never
  downloaded (``--no-download-images``, or an export made before) or failed; the failures
  are told apart by ``DIR/images/images.json`` (gone from the blog, over the size limit,
  not an image, a redirect off the allowed hosts, a network error or 5xx that the next
  export tries again).
* WXR: a picture on those hosts is fine when the file carries an ``attachment`` item for it
  (WordPress's importer downloads it); one without is reported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from blogport.checks.base import WARNING, Finding
from loaders.image_urls import ImageHosts, full_size_url
from loaders.images import STORE_DIR, ImageResult, read_manifest

#: What each download failure means for the person, and what fixes it.
CAUSES = {
    "local-blog": "are on Blogger's image hosts, and a blog served from this machine is migrated without"
                  " a request leaving it; migrate the blog from its public address to bring them along",
    "not-downloaded": "were not downloaded: export again without --no-download-images (downloading is the"
                      " default for Markdown) to bring them into the site",
    "gone": "answer 404/410 on the blog's or Blogger's hosts (gone there); their links are kept, nothing"
            " can fetch them",
    "too-large": "are larger than the image size limit (20 MB unless --max-image-size says otherwise):"
                 " export again with a larger --max-image-size to bring them along; their links are kept",
    "not-image": "are not images (the host answered with a page); their links are kept",
    "refused-host": "redirect away from the blog's and Blogger's hosts, where blogport sends no request;"
                    " their links are kept",
    "http": "could not be downloaded (an HTTP error after the retries): run the same export again, it"
            " tries them again",
    "network": "could not be downloaded (network errors after the retries): run the same export again,"
               " it tries them again",
}


def _short(urls: list[str], limit: int = 3) -> str:
    shown = ", ".join(urls[:limit])
    return shown + (f" and {len(urls) - limit} more" if len(urls) > limit else "")


@dataclass
class ImageTally:
    """Hot-linked pictures per format, with the items (type, id, url, link) that show them."""

    manifest: dict[str, ImageResult]
    attachments: set[str]
    """Keys of the WXR ``attachment`` items (their URLs)."""
    hosts: ImageHosts = field(default_factory=lambda: ImageHosts(frozenset()))
    """Where the exports fetch pictures from (``loaders.images``)."""
    seen: dict[str, dict[str, list[tuple[str, str, str | None, str | None]]]] = field(
        default_factory=lambda: defaultdict(dict))

    @classmethod
    def for_context(cls, ctx: Any) -> "ImageTally":
        attachments: set[str] = set()
        if "wxr" in ctx.formats:
            for wxr in ctx.wxr_files():
                for item in wxr.items:
                    if item.post_type == "attachment":
                        attachments |= item.keys
        urls = [row.get("url") or "" for row in ctx.posts.values()]
        if ctx.blog_info and ctx.blog_info.url:
            urls.append(ctx.blog_info.url)
        return cls(read_manifest(ctx.out_dir / STORE_DIR), attachments, ImageHosts.for_blog(urls))

    def add(self, fmt: str, url: str, item_type: str, item_id: str, old_url: str | None, link: str | None) -> None:
        self.seen[fmt].setdefault(url, []).append((item_type, item_id, old_url, link))

    def _entry(self, url: str) -> ImageResult | None:
        return self.manifest.get(full_size_url(url)) or self.manifest.get(url)

    def counts(self) -> dict[str, int]:
        """Pictures of the Markdown export (for the report's totals): ``found`` (distinct,
        moved or still linked), ``downloaded`` (in ``DIR/images``), ``failed`` (a download
        that failed: still linked), ``still_linked`` (on the old hosts for any reason)."""
        linked = {full_size_url(u) for u in self.seen.get("markdown", {})}
        downloaded = {url for url, r in self.manifest.items() if r.local_name}
        failed = sum(1 for u in linked if (r := self._entry(u)) is not None and r.error)
        return {"found": len(downloaded | linked), "downloaded": len(downloaded), "failed": failed,
                "still_linked": len(linked)}

    def findings(self) -> list[Finding]:
        findings: list[Finding] = []
        markdown = self.seen.get("markdown", {})
        if markdown:
            by_cause: dict[str, list[str]] = defaultdict(list)
            for url in markdown:
                entry = self._entry(url)
                if not self.hosts.allows(url):
                    cause = "local-blog"
                elif entry is not None and entry.error:
                    cause = entry.cause or "network"
                else:
                    cause = "not-downloaded"
                by_cause[cause].append(url)
            counts = self.counts()
            total = f"{counts['downloaded']} downloaded, {counts['failed']} failed"
            for cause in CAUSES:
                if cause in by_cause:
                    findings.append(self._finding("markdown", by_cause[cause], markdown,
                                                  f"markdown: {{n}} picture(s) in {{items}} item(s) are still"
                                                  f" hot-linked ({total}); they {CAUSES[cause]}: {{urls}}"))
        wxr = {u: items for u, items in self.seen.get("wxr", {}).items()
               if u not in self.attachments and full_size_url(u) not in self.attachments}
        local = {u: items for u, items in wxr.items() if not self.hosts.allows(u)}
        wxr = {u: items for u, items in wxr.items() if u not in local}
        if local:
            findings.append(self._finding("wxr", list(local), local, "wxr: {n} picture(s) in {items} item(s) have no"
                                          f" attachment item: they {CAUSES['local-blog']}: {{urls}}"))
        if wxr:
            findings.append(self._finding("wxr", list(wxr), wxr,
                                          "wxr: {n} picture(s) in {items} item(s) are hot-linked with no attachment"
                                          " item, so WordPress's \"Download and import file attachments\" leaves"
                                          " them on the old hosts: export the WXR again: {urls}"))
        return findings

    @staticmethod
    def _finding(fmt: str, urls: list[str], where: dict[str, list[tuple[str, str, str | None, str | None]]],
                 template: str) -> Finding:
        items = sorted({(t, i, o, link) for u in urls for (t, i, o, link) in where[u]}, key=lambda x: (x[0], x[1]))
        first = items[0]
        message = template.format(n=len(urls), items=len({(t, i) for t, i, _o, _l in items}), urls=_short(sorted(urls)))
        return Finding(WARNING, "content", message, first[2], first[3], first[0], first[1])
