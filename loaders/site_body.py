"""Post bodies and front matter as the site engines read them: HTML bodies to Markdown
(text stays text), YAML front matter every reader takes as strings, Pelican's metadata, the
body protection each engine needs (``loaders.site_flavors.Flavor.body_protection``) and the
comment records of the data files the site templates render."""

from __future__ import annotations

import html as html_lib
import json
import re
from typing import Any

from loaders.front_matter import front_matter
from loaders.markdown_fast import simple_markdown
from loaders.pelican import meta_date, meta_value, save_as, tags_field
from loaders.site_flavors import FLAVORS_BY_NAME
from loaders.source import CommentRow, PostRow, parse_iso, xml_safe
from loaders.urls import new_url

_ENDRAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")
_SHORTCODE = re.compile(r"\{\{([<%])(.*?)([>%])\}\}", re.DOTALL)
_JEKYLL_KEY = re.compile(r"[A-Za-z0-9_-]+")


def as_html_text(text: str) -> str:
    """``text`` for a field an engine shows as HTML (Pelican's titles): ``&``, ``<``, ``>`` as entities."""
    return html_lib.escape(text, quote=False)


WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                              *(f"LPT{i}" for i in range(1, 10))})
"""File names Windows refuses, whatever their extension."""


def comments_key(post: PostRow) -> str:
    """The name of a post's comment data file and its key in the engine's data (Jekyll keeps
    only ASCII letters, digits, ``_`` and ``-`` of a data file's name, so other slugs, and
    the names Windows reserves, use the id)."""
    if _JEKYLL_KEY.fullmatch(post.slug or "") and post.slug.upper() not in WINDOWS_RESERVED:
        return post.slug
    return "post-" + re.sub(r"[^A-Za-z0-9_-]", "_", post.id)


def protect_liquid(markdown: str) -> str:
    """Jekyll: a body with ``{{`` or ``{%`` inside ``{% raw %}``, any ``{% endraw %}`` in it split."""
    if "{{" not in markdown and "{%" not in markdown:
        return markdown
    # "{% endraw %}" of the text: close raw, print its "{" through a variable (Liquid cannot
    # hold "{%" inside a {{ }} string), the rest is plain text, open raw again
    inner = _ENDRAW.sub(lambda m: '{% endraw %}{{ "{" }}' + m.group(0)[1:] + "{% raw %}", markdown)
    return "{% raw %}\n" + inner + "\n{% endraw %}"


def protect_shortcodes(markdown: str) -> str:
    """Hugo: ``{{< x >}}`` and ``{{% x %}}`` in a body would run as shortcodes; write them in
    Hugo's escaped form ``{{</* x */>}}`` which renders as the literal text."""
    return _SHORTCODE.sub(lambda m: "{{" + m.group(1) + "/*" + m.group(2) + "*/" + m.group(3) + "}}", markdown)


def html_to_markdown(html: str) -> str:
    """A post body as Markdown: a simple body by ``loaders.markdown_fast``, any other by
    markdownify (``loaders.html_markdown``, imported on first use: start-up)."""
    fast = simple_markdown(html)
    if fast is not None:
        return fast
    from loaders.html_markdown import html_to_markdown as convert

    return convert(html)


def pelican_meta(post: PostRow, pattern: str | None, comment_file: str | None) -> dict[str, str]:
    """Pelican's metadata keys (its reader lower-cases them), each value on one line."""
    dt = parse_iso(post.published_local)
    updated = parse_iso(post.updated)
    data: dict[str, str] = {"Title": as_html_text(meta_value(xml_safe(post.title)))}
    if dt is not None:
        data["Date"] = meta_date(dt)
    if updated is not None:
        data["Modified"] = meta_date(updated)
    if post.author_name:
        data["Author"] = as_html_text(meta_value(xml_safe(post.author_name)))
    tags = tags_field([t.name for t in post.tags])
    if tags:
        data["Tags"] = tags
    data["Slug"] = post.slug
    data["Status"] = "draft" if post.status == "draft" else "published"
    if pattern and post.kind != "page":
        target = new_url("pelican", post.kind, post.slug, post.published_local, pattern)
        data["Url"] = target.lstrip("/")
        data["Save_as"] = save_as(target)
    data["Blogger_url"] = meta_value(post.url)
    data["Blogger_id"] = meta_value(post.id)
    if post.date_flag:
        data["Date_flag"] = meta_value(post.date_flag)
        if post.date_raw:
            data["Date_raw"] = meta_value(xml_safe(post.date_raw))
    if comment_file:
        data["Comments_data"] = comment_file
    return data


def post_front(post: PostRow, flavor: str, pattern: str | None, comment_file: str | None) -> dict[str, Any]:
    """The front matter of a post or page file (Pelican's metadata for Pelican)."""
    if flavor == "pelican":
        return pelican_meta(post, pattern, comment_file)
    dt = parse_iso(post.published_local)
    updated = parse_iso(post.updated)
    data: dict[str, Any] = {}
    if flavor == "jekyll":
        data["layout"] = "page" if post.kind == "page" else "post"
    data["title"] = xml_safe(post.title)
    if dt is not None:
        data["date"] = dt
    if updated is not None and flavor == "hugo":
        data["lastmod"] = updated
    elif updated is not None:
        data["last_modified_at"] = updated
    if flavor == "hugo":
        data["slug"] = post.slug
        if post.status == "draft":
            data["draft"] = True
    if post.author_name:
        data["author"] = post.author_name
    if post.tags:
        data["tags"] = [t.name for t in post.tags]
    target = new_url(flavor, post.kind, post.slug, post.published_local, pattern)
    if flavor == "hugo" and pattern and post.kind != "page":
        data["url"] = target
    if flavor == "jekyll" and (post.status != "draft" and dt is not None or post.kind == "page"):
        data["permalink"] = target
    if post.old_path not in ("", "/", target) and post.status != "draft":  # an alias onto itself would clobber the page
        alias_key = FLAVORS_BY_NAME[flavor].alias_key
        if alias_key:
            data[alias_key] = [post.old_path]
    data["blogger_url"] = post.url
    data["blogger_id"] = post.id
    if post.date_flag:
        data["date_flag"] = post.date_flag
        if post.date_raw:
            data["date_raw"] = post.date_raw
    if comment_file:
        data["comments_data"] = comment_file
        data["comments_key"] = comments_key(post)
    return data


def comment_dict(c: CommentRow, parent_known: bool, body_html: str) -> dict[str, Any]:
    """One comment of a data file, as the site templates read it."""
    return {
        "id": c.id,
        "parent_id": c.parent_id if parent_known else None,
        "author": xml_safe(c.author_name) or "Anonymous",
        "author_url": c.author_url,
        "author_is_owner": c.author_is_owner,
        "date": c.published_local,
        "date_utc": c.published,
        "depth": c.depth,
        "body_html": xml_safe(body_html),
        "orphan": c.orphan,
        "deleted": c.deleted,
    }


_JSON_STRING = json.encoder.encode_basestring  # the C encoder where built; ensure_ascii=False


def _json_scalar(value: Any) -> str | None:
    if isinstance(value, str):
        return _JSON_STRING(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    return None


def comments_json(records: list[dict[str, Any]]) -> str:
    """``json.dumps(records, ensure_ascii=False, indent=2, sort_keys=True)`` for a list of flat
    records, each value encoded by the C encoder (the indenting encoder is pure Python and was
    the slowest part of writing comment files); anything else goes through ``json.dumps``."""
    items: list[str] = []
    for record in records:
        if not isinstance(record, dict) or not record or not all(isinstance(k, str) for k in record):
            return json.dumps(records, ensure_ascii=False, indent=2, sort_keys=True)
        fields: list[str] = []
        for key in sorted(record):
            value = _json_scalar(record[key])
            if value is None:
                return json.dumps(records, ensure_ascii=False, indent=2, sort_keys=True)
            fields.append(f"    {_JSON_STRING(key)}: {value}")
        items.append("  {\n" + ",\n".join(fields) + "\n  }")
    return "[\n" + ",\n".join(items) + "\n]" if items else "[]"


def body_text(html: str, flavor: str) -> str:
    """A post body as Markdown for ``flavor``, protected from the engine's template language."""
    body = html_to_markdown(html)
    protection = FLAVORS_BY_NAME[flavor].body_protection
    if protection == "liquid":
        return protect_liquid(body)
    if protection == "shortcodes":
        return protect_shortcodes(body)
    return body
