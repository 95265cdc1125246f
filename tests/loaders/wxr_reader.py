"""Reads a WXR file the way the WordPress importer's SimpleXML parser does (XPath on the
channel, wp:* children read by name, categories without nicename ignored), then applies the
importer's checks: the version regex, author logins as keys, repeated post ids and repeated
(title, date, type) skipped, comment parents remapped only when inserted first (by id)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lxml import etree

WP = "http://wordpress.org/export/1.2/"
NS = {
    "wp": WP,
    "content": "http://purl.org/rss/1.0/modules/content/",
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "dc": "http://purl.org/dc/elements/1.1/",
}


class NotWxr(Exception):
    pass


def _t(el: Any, path: str, ns: dict[str, str]) -> str:
    found = el.find(path, ns)
    return (found.text or "") if found is not None else ""


def parse_wxr(path: Path) -> dict[str, Any]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False, huge_tree=True)
    root = etree.parse(str(path), parser).getroot()
    ns = dict(NS)
    # the importer takes the wp/excerpt namespaces from the document
    for prefix, uri in root.nsmap.items():
        if prefix in ("wp", "excerpt"):
            ns[prefix] = uri
    version = root.xpath("/rss/channel/wp:wxr_version", namespaces=ns)
    if not version or not re.fullmatch(r"\d+\.\d+", (version[0].text or "").strip()):
        raise NotWxr("missing/invalid WXR version number")
    base = root.xpath("/rss/channel/wp:base_site_url", namespaces=ns)
    authors = {}
    for a in root.xpath("/rss/channel/wp:author", namespaces=ns):
        login = _t(a, "wp:author_login", ns)
        authors[login] = {"author_id": int(_t(a, "wp:author_id", ns) or 0), "display_name": _t(a, "wp:author_display_name", ns),
                          "email": _t(a, "wp:author_email", ns)}
    categories = [{"term_id": int(_t(c, "wp:term_id", ns)), "slug": _t(c, "wp:category_nicename", ns), "name": _t(c, "wp:cat_name", ns)}
                  for c in root.xpath("/rss/channel/wp:category", namespaces=ns)]
    tags = [{"term_id": int(_t(c, "wp:term_id", ns)), "slug": _t(c, "wp:tag_slug", ns), "name": _t(c, "wp:tag_name", ns)}
            for c in root.xpath("/rss/channel/wp:tag", namespaces=ns)]
    posts = []
    for item in root.xpath("/rss/channel/item"):
        post: dict[str, Any] = {
            "title": _t(item, "title", ns), "guid": _t(item, "guid", ns), "author": _t(item, "dc:creator", ns),
            "content": _t(item, "content:encoded", ns), "excerpt": _t(item, "excerpt:encoded", ns),
        }
        for name in ("post_id", "post_date", "post_date_gmt", "comment_status", "ping_status", "post_name", "status",
                     "post_parent", "menu_order", "post_type", "post_password", "is_sticky", "attachment_url"):
            post[name] = _t(item, f"wp:{name}", ns)
        post["post_id"] = int(post["post_id"] or 0)
        post["terms"] = [{"name": c.text or "", "slug": c.get("nicename"), "domain": c.get("domain")}
                         for c in item.findall("category") if c.get("nicename") is not None]
        post["postmeta"] = [(_t(m, "wp:meta_key", ns), _t(m, "wp:meta_value", ns)) for m in item.findall("wp:postmeta", ns)]
        post["comments"] = []
        for c in item.findall("wp:comment", ns):
            post["comments"].append({
                name: _t(c, f"wp:{name}", ns)
                for name in ("comment_id", "comment_author", "comment_author_email", "comment_author_url", "comment_author_IP",
                             "comment_date", "comment_date_gmt", "comment_content", "comment_approved", "comment_type",
                             "comment_parent", "comment_user_id")
            } | {"commentmeta": [(_t(m, "wp:meta_key", ns), _t(m, "wp:meta_value", ns)) for m in c.findall("wp:commentmeta", ns)]})
        posts.append(post)
    return {"version": version[0].text.strip(), "base_url": base[0].text if base else "", "authors": authors,
            "categories": categories, "tags": tags, "posts": posts}


def simulate_import(parsed_files: list[dict[str, Any]]) -> dict[str, Any]:
    """What the importer would insert: skipped items and comment parent links as it resolves them."""
    seen_ids: set[int] = set()
    seen_keys: set[tuple[str, str, str]] = set()
    imported, skipped = [], []
    for parsed in parsed_files:
        for post in parsed["posts"]:
            key = (post["title"].casefold(), post["post_date"], post["post_type"])
            if post["post_type"] not in ("post", "page") or post["status"] == "auto-draft" or post["post_id"] in seen_ids or key in seen_keys:
                skipped.append(post)
                continue
            seen_ids.add(post["post_id"])
            seen_keys.add(key)
            inserted: dict[str, int] = {}
            comments = sorted(post["comments"], key=lambda c: int(c["comment_id"]))  # the importer ksorts by id
            links = []
            for n, c in enumerate(comments, start=1):
                parent = c["comment_parent"]
                links.append((c["comment_id"], inserted.get(parent, 0) if parent != "0" else 0, parent))
                inserted[c["comment_id"]] = n
            imported.append({"post": post, "links": links})
    return {"imported": imported, "skipped": skipped}
