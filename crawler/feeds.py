"""Blogger Atom entries -> raw records: the mapping shared by export files and live feeds.

A Blogger "Back up content" export and the blog's Atom feeds (``/feeds/posts/default``,
``/feeds/comments/default``) are the same Atom dialect: ``entry`` elements told apart by their
``category[@scheme='http://schemas.google.com/g/2005#kind']`` term (``...kind#post``, ``#page``,
``#comment``, ``#settings``, ``#template``), with threading from RFC 4685 (``thr:in-reply-to``,
``thr:total``) and Blogger's own ``link rel='related'`` for a reply's parent comment.

Everything here is a pure function of an ``lxml`` element (plus a small, frozen
``FeedContext``), so the streaming export reader and the feed spider give the same records for
the same blog. Text is kept as found; the transform stage interprets it.
"""

from __future__ import annotations

import functools
import html
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from lxml import etree

from kernel.errors import SourceError, UnsafeXMLError
from kernel.records import BlogInfo, RawComment, RawLabel, RawPost

from crawler.urls import canonicalize

log = logging.getLogger(__name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
THR_NS = "http://purl.org/syndication/thread/1.0"
GD_NS = "http://schemas.google.com/g/2005"
APP_NAMESPACES = ("http://purl.org/atom/app#", "http://www.w3.org/2007/app")
OPENSEARCH_NAMESPACES = ("http://a9.com/-/spec/opensearchrss/1.0/", "http://a9.com/-/spec/opensearch/1.1/")
KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
LABEL_SCHEME = "http://www.blogger.com/atom/ns#"

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ENTRY = f"{{{ATOM_NS}}}entry"
FEED = f"{{{ATOM_NS}}}feed"
_ID = f"{{{ATOM_NS}}}id"
_TITLE = f"{{{ATOM_NS}}}title"
_CONTENT = f"{{{ATOM_NS}}}content"
_SUMMARY = f"{{{ATOM_NS}}}summary"
_LINK = f"{{{ATOM_NS}}}link"
_AUTHOR = f"{{{ATOM_NS}}}author"
_NAME = f"{{{ATOM_NS}}}name"
_URI = f"{{{ATOM_NS}}}uri"
_PUBLISHED = f"{{{ATOM_NS}}}published"
_UPDATED = f"{{{ATOM_NS}}}updated"
_CATEGORY = f"{{{ATOM_NS}}}category"
_GENERATOR = f"{{{ATOM_NS}}}generator"
_THR_TOTAL = f"{{{THR_NS}}}total"
_THR_REPLY = f"{{{THR_NS}}}in-reply-to"
_GD_PROPERTY = f"{{{GD_NS}}}extendedProperty"

ENTRY_KINDS = ("post", "page", "comment", "settings", "template")

_BLOGGER_ID = re.compile(r"^tag:blogger\.com,1999:(?:user-\d+\.)?blog-(\d+)(?:\.(.*))?$")
_ITEM_ID = re.compile(r"(post|page)-?(\d+)$")
_COMMENT_IN_PATH = re.compile(r"/comments/default/(\d+)(?:[/?#]|$)")
_SHOW_COMMENT = re.compile(r"[?&]showComment=(\d+)")
_PROFILE_ID = re.compile(r"blogger\.com/profile/(\d+)")
_TAG = re.compile(r"<[^>]+>")
_REMOVED = (
    "this comment has been removed by the author.",
    "this comment has been removed by a blog administrator.",
    "this post has been removed by the author.",
    "this post has been removed by a blog administrator.",
)

SAFE_PARSER_OPTIONS = dict(
    resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
)
"""Options of every parser that reads an export or a feed: no entity expansion, no DTD, no
network, libxml2's default size limits."""

_PROLOG_LIMIT = 1 << 20


# -- untrusted XML ----------------------------------------------------------------------------
def _decode_head(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    if head[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        return head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", errors="replace")
    return head.decode("latin-1")


def check_prolog(head: bytes, name: str = "the file") -> None:
    """Refuse an XML document whose prolog declares entities or points at an external DTD.

    ``head`` is the start of the document (at least up to its root element). Blogger never
    writes a DOCTYPE; one that declares ``<!ENTITY`` (billion laughs, external entities such as
    ``file:///etc/passwd``) or names an external DTD is refused before any parsing happens.
    """
    text = _decode_head(head)
    pos = 0
    length = len(text)
    while True:
        start = text.find("<", pos)
        if start < 0:
            if length >= _PROLOG_LIMIT:
                raise UnsafeXMLError(f"{name}: no root element in the first {_PROLOG_LIMIT} bytes; refusing it")
            return
        if text.startswith("<?", start):
            end = text.find("?>", start)
            pos = end + 2 if end >= 0 else length
        elif text.startswith("<!--", start):
            end = text.find("-->", start)
            pos = end + 3 if end >= 0 else length
        elif text[start : start + 9].upper() == "<!DOCTYPE":
            rest = text[start:]
            gt = rest.find(">")
            bracket = rest.find("[")
            if bracket >= 0 and (gt < 0 or bracket < gt):
                subset_end = rest.find("]", bracket)
                subset = rest[bracket : subset_end if subset_end >= 0 else len(rest)]
                if "<!ENTITY" in subset.upper():
                    raise UnsafeXMLError(
                        f"{name} declares XML entities in its DOCTYPE; refusing it (entity expansion attack)"
                    )
                raise UnsafeXMLError(f"{name} has an internal DTD subset; refusing it")
            decl = rest[: gt if gt >= 0 else len(rest)]
            if re.search(r"\b(SYSTEM|PUBLIC)\b", decl):
                raise UnsafeXMLError(f"{name} names an external DTD in its DOCTYPE; refusing it")
            pos = start + (gt + 1 if gt >= 0 else len(rest))
        else:
            return  # the root element: the prolog is over
        if pos >= length:
            if length >= _PROLOG_LIMIT:
                raise UnsafeXMLError(f"{name}: prolog longer than {_PROLOG_LIMIT} bytes; refusing it")
            return


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(**SAFE_PARSER_OPTIONS)


def parse_xml_bytes(body: bytes, name: str = "the document") -> etree._Element:
    """Parse a whole (small) feed document safely; ``SourceError``/``UnsafeXMLError`` if unusable."""
    check_prolog(body[:_PROLOG_LIMIT], name)
    etree.clear_error_log()  # the log is per thread: judge only this document's errors
    try:
        return etree.fromstring(body, safe_parser())
    except etree.XMLSyntaxError as exc:
        # Blogger exports sometimes use the app: prefix without declaring it: that alone is
        # read leniently; any other error is fatal.
        if only_namespace_errors(exc):
            root = etree.fromstring(body, etree.XMLParser(recover=True, **SAFE_PARSER_OPTIONS))
            if root is not None:
                return root
        raise SourceError(f"{name} is not well-formed XML: {_one_line(str(exc))}") from None


def only_namespace_errors(exc: etree.XMLSyntaxError) -> bool:
    """True when every error behind ``exc`` is an undeclared namespace prefix (call
    ``etree.clear_error_log()`` before parsing)."""
    entries = list(exc.error_log) if exc.error_log is not None else []
    relevant = [e for e in entries if e.level >= etree.ErrorLevels.ERROR]
    return bool(relevant) and all(e.domain == etree.ErrorDomains.NAMESPACE for e in relevant)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


# -- small element helpers -------------------------------------------------------------------
def _text(elem: etree._Element | None) -> str | None:
    if elem is None:
        return None
    return "".join(elem.itertext()) if len(elem) else (elem.text or "")


def _first(elem: etree._Element, tag: str) -> etree._Element | None:
    """``elem.find(tag)`` for a plain ``{namespace}name`` tag: the first child of that tag
    (lxml's own child iteration, without ElementPath's parsing of the path)."""
    for child in elem.iterchildren(tag):
        return child
    return None


def _child_text(elem: etree._Element, tag: str) -> str | None:
    return _stripped(_first(elem, tag))


def _stripped(elem: etree._Element | None) -> str | None:
    value = _text(elem)
    return value.strip() if value is not None else None


class EntryChildren:
    """The children of one ``entry``, read in one pass (the mapping below asks for a dozen of
    them): the first child of each tag, and every ``link``, ``category`` and
    ``gd:extendedProperty``, in document order."""

    __slots__ = ("children", "first", "links", "categories", "properties")

    def __init__(self, entry: etree._Element) -> None:
        self.children = list(entry)
        first: dict[object, etree._Element] = {}
        self.links: list[etree._Element] = []
        self.categories: list[etree._Element] = []
        self.properties: list[etree._Element] = []
        for child in self.children:
            tag = child.tag
            if tag == _LINK:
                self.links.append(child)
            elif tag == _CATEGORY:
                self.categories.append(child)
            elif tag == _GD_PROPERTY:
                self.properties.append(child)
            if tag not in first:
                first[tag] = child
        self.first = first

    def text(self, tag: str) -> str | None:
        """``_child_text(entry, tag)``."""
        return _stripped(self.first.get(tag))


@functools.lru_cache(maxsize=4096)
def canonical_url(url: str | None, scheme: str | None = None) -> str | None:
    """The crawl stage's canonical URL (``crawler.urls.canonicalize``) for an http(s) URL.

    ``scheme``: the scheme of the crawl source (feeds read from a live blog), so a custom
    domain's URLs match the HTML crawl's; None keeps each URL's own (export files).
    """
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        return url
    return canonicalize(url, scheme)


def links(entry: etree._Element, children: EntryChildren | None = None) -> list[tuple[str, str, str | None]]:
    """(rel, href, type) of every ``link`` child."""
    out = []
    for link in children.links if children is not None else entry.iterchildren(_LINK):
        href = link.get("href")
        if href:
            out.append((link.get("rel") or "alternate", href.strip(), link.get("type")))
    return out


def link_href(entry: etree._Element, rel: str, type_prefix: str | None = None,
              children: EntryChildren | None = None) -> str | None:
    for link_rel, href, link_type in links(entry, children):
        if link_rel == rel and (type_prefix is None or (link_type or "").startswith(type_prefix)):
            return href
    return None


def entry_kind(entry: etree._Element, default: str | None = None, children: EntryChildren | None = None) -> str | None:
    """"post", "page", "comment", "settings", "template", or ``default`` when the entry does not say.

    Exports always carry the kind category; feeds often do not, so a ``thr:in-reply-to``
    marks a comment and the id (``.post-``/``.page-``) tells the rest.
    """
    for cat in children.categories if children is not None else entry.iterchildren(_CATEGORY):
        if cat.get("scheme") == KIND_SCHEME:
            term = cat.get("term") or ""
            kind = term.rsplit("#", 1)[-1]
            if kind in ENTRY_KINDS:
                return kind
            return kind or default
    if children is None:
        children = EntryChildren(entry)
    if children.first.get(_THR_REPLY) is not None:
        return "comment"
    ident = children.text(_ID) or ""
    match = _BLOGGER_ID.match(ident)
    if match and match.group(2):
        rest = match.group(2)
        if rest.startswith("page-"):
            return "page"
        if rest.startswith("settings."):
            return "settings"
        if rest == "layout":
            return "template"
        if default is None and rest.startswith("post-"):
            return "post"
    return default


def split_blogger_id(ident: str | None) -> tuple[str | None, str | None]:
    """``tag:blogger.com,1999:blog-B.post-P`` -> ("B", "P"); ("B", None) for ``blog-B``; (None, None) otherwise."""
    if not ident:
        return None, None
    match = _BLOGGER_ID.match(ident.strip())
    if not match:
        tail = _ITEM_ID.search(ident.strip())
        return None, tail.group(2) if tail else None
    blog_id, rest = match.group(1), match.group(2)
    if rest:
        item = _ITEM_ID.search(rest)
        if item:
            return blog_id, item.group(2)
    return blog_id, None


def is_blogger_feed_id(ident: str | None) -> bool:
    return bool(ident and _BLOGGER_ID.match(ident.strip()))


@functools.lru_cache(maxsize=4096)
def profile_key(uri: str | None) -> str | None:
    """A comparable form of an author URI: the Blogger profile id, else the URL without scheme."""
    if not uri:
        return None
    uri = uri.strip()
    match = _PROFILE_ID.search(uri)
    if match:
        return "blogger:" + match.group(1)
    return re.sub(r"^https?://(www\.)?", "", uri).rstrip("/").lower() or None


def _draft_flag(entry: etree._Element, children: EntryChildren | None = None) -> bool:
    for child in children.children if children is not None else entry:
        tag = child.tag if isinstance(child.tag, str) else ""
        local = tag.rsplit("}", 1)[-1]
        if local in ("control", "app:control") and (
            tag.startswith("{") and tag[1:].split("}")[0] in APP_NAMESPACES or tag == "app:control"
        ):
            for sub in child:
                sub_tag = sub.tag if isinstance(sub.tag, str) else ""
                if sub_tag.rsplit("}", 1)[-1] in ("draft", "app:draft"):
                    return (sub.text or "").strip().lower() == "yes"
    return False


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def content_html(entry: etree._Element, children: EntryChildren | None = None) -> str:
    """The entry's ``content`` (or ``summary``) as HTML: html kept as is, text escaped, xhtml serialised."""
    if children is None:
        children = EntryChildren(entry)
    elem = children.first.get(_CONTENT)
    if elem is None:
        elem = children.first.get(_SUMMARY)
    if elem is None:
        return ""
    kind = (elem.get("type") or "text").lower()
    if kind in ("html", "text/html"):
        return elem.text or ""
    if kind in ("xhtml", "application/xhtml+xml"):
        parts = [html.escape(elem.text or "", quote=False)]
        for child in elem:
            parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
        inner = "".join(parts).strip()
        return inner
    return html.escape(_text(elem) or "", quote=False)


def _properties(entry: etree._Element, children: EntryChildren | None = None) -> dict[str, str]:
    found = children.properties if children is not None else entry.iterchildren(_GD_PROPERTY)
    return {p.get("name", ""): p.get("value", "") for p in found}


# -- the mapping ------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeedContext:
    """What the mapping needs to know about the blog, from the feed header or export settings."""

    blog_url: str | None = None
    blog_id: str | None = None
    owner_uri: str | None = None
    language: str | None = None
    template: str = "export"
    """``RawPost.template``: "export" or "feed"."""
    source: str = "export"
    """``RawPost.source``: "export" or "feed"."""
    reference_time: datetime | None = None
    """A post published after this is "scheduled" (exports: the export's own ``updated``);
    None: the current time."""
    author_keys: frozenset[str] = field(default_factory=frozenset)
    """``profile_key`` of every blog author (the owner's included)."""
    scheme: str | None = None
    """Scheme of the crawl source for ``canonical_url``; None keeps each URL's own."""

    def is_author(self, uri: str | None) -> bool:
        key = profile_key(uri)
        if key is None:
            return False
        return key == profile_key(self.owner_uri) or key in self.author_keys


def label_url(blog_url: str | None, name: str, scheme: str | None = None) -> str | None:
    """``BLOG/search/label/NAME`` (canonical), as Blogger links a label."""
    if not blog_url:
        return None
    return canonical_url(f"{blog_url.rstrip('/')}/search/label/{quote(name, safe='')}", scheme)


def entry_to_post(entry: etree._Element, ctx: FeedContext, kind: str | None = None,
                  children: EntryChildren | None = None) -> RawPost:
    """A post or page ``entry`` -> ``RawPost``. Raises ``ValueError`` for an entry with no usable id or URL.

    ``children``: ``EntryChildren(entry)`` when the caller has it already."""
    if children is None:
        children = EntryChildren(entry)
    text = children.text
    ident = text(_ID)
    blog_id, post_id = split_blogger_id(ident)
    kind = kind or entry_kind(entry, "post", children) or "post"
    if kind not in ("post", "page"):
        raise ValueError(f"entry {ident!r} is a {kind}, not a post or page")
    alternate = link_href(entry, "alternate", "text/html", children) or link_href(entry, "alternate", None, children)
    url = canonical_url(alternate, ctx.scheme)
    if url is None:
        # drafts have no public URL: the entry's own (feed) address keeps them apart
        url = link_href(entry, "self", None, children) or link_href(entry, "edit", None, children)
        if url is None and post_id:
            url = f"{(ctx.blog_url or '').rstrip('/')}/?blogport-{kind}={post_id}"
        if url is None:
            raise ValueError(f"entry {ident!r} has neither an id nor a link")
    published = text(_PUBLISHED)
    status = "published"
    if _draft_flag(entry, children):
        status = "draft"
    else:
        when = _parse_time(published)
        reference = ctx.reference_time or datetime.now(timezone.utc)
        if when is not None and when > reference:
            status = "scheduled"
    author = children.first.get(_AUTHOR)
    labels = tuple(
        RawLabel(name=term, url=label_url(ctx.blog_url, term, ctx.scheme))
        for cat in children.categories
        if cat.get("scheme") == LABEL_SCHEME and (term := (cat.get("term") or "").strip())
    )
    total = text(_THR_TOTAL)
    count = int(total) if total and total.isdigit() else None
    return RawPost(
        url=url,
        title=text(_TITLE) or "",
        body_html=content_html(entry, children),
        post_id=post_id,
        blog_id=blog_id or ctx.blog_id,
        kind=kind,
        status=status,
        published_attr=published,
        updated_attr=text(_UPDATED),
        author_name=_child_text(author, _NAME) if author is not None else None,
        author_url=_child_text(author, _URI) if author is not None else None,
        labels=labels,
        comment_count=count,
        template=ctx.template,
        language=ctx.language,
        source=ctx.source,
    )


def comment_ref_post_id(entry: etree._Element, children: EntryChildren | None = None) -> str | None:
    reply = children.first.get(_THR_REPLY) if children is not None else _first(entry, _THR_REPLY)
    if reply is None:
        return None
    return split_blogger_id(reply.get("ref"))[1]


def entry_to_comment(
    entry: etree._Element,
    ctx: FeedContext,
    position: int = 0,
    post_urls: Mapping[str, str] | None = None,
    children: EntryChildren | None = None,
) -> RawComment:
    """A comment ``entry`` -> ``RawComment``.

    The post is ``thr:in-reply-to/@href`` (canonicalised); without it, the post id in
    ``@ref`` looked up in ``post_urls``, then the comment's own permalink without its query;
    failing all that, the ``@ref`` tag itself (resolved later by the caller). ``children``:
    ``EntryChildren(entry)`` when the caller has it already.
    """
    if children is None:
        children = EntryChildren(entry)
    ident = children.text(_ID)
    _, comment_id = split_blogger_id(ident)
    reply = children.first.get(_THR_REPLY)
    permalink = related = None
    for link_rel, href, _type in links(entry, children):  # link_href's first "alternate" and first "related"
        if link_rel == "alternate" and permalink is None:
            permalink = href
        elif link_rel == "related" and related is None:
            related = href
    post_url = None
    if reply is not None:
        post_url = canonical_url(reply.get("href"), ctx.scheme)
        if post_url is None:
            ref_id = split_blogger_id(reply.get("ref"))[1]
            if ref_id and post_urls and ref_id in post_urls:
                post_url = post_urls[ref_id]
    if post_url is None and permalink:
        parts = urlsplit(permalink)
        post_url = canonical_url(urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), ctx.scheme)
    if post_url is None and reply is not None and reply.get("ref"):
        post_url = reply.get("ref", "").strip()
    if post_url is None:
        raise ValueError(f"comment {ident!r} does not say which post it belongs to")
    parent_id = None
    if related:
        match = _COMMENT_IN_PATH.search(related)
        if match:
            parent_id = match.group(1)
        else:
            parent_id = split_blogger_id(related)[1]
    timestamp_ms = None
    if permalink:
        match = _SHOW_COMMENT.search(permalink)
        if match:
            timestamp_ms = int(match.group(1))
    author = children.first.get(_AUTHOR)
    author_uri = _child_text(author, _URI) if author is not None else None
    props = _properties(entry, children)
    body = content_html(entry, children)
    removed = props.get("blogger.contentRemoved", "").lower() == "true" or (
        html.unescape(_TAG.sub("", body)).strip().lower() in _REMOVED
    )
    return RawComment(
        post_url=post_url,
        comment_id=comment_id,
        position=position,
        body_html=body,
        author_text=_child_text(author, _NAME) if author is not None else None,
        author_url=author_uri,
        date_text=props.get("blogger.displayTime") or None,
        datetime_attr=children.text(_PUBLISHED),
        timestamp_ms=timestamp_ms,
        permalink=permalink,
        parent_id=parent_id,
        is_blog_author=ctx.is_author(author_uri),
        deleted=removed,
    )


def comment_order_key(comment: RawComment) -> tuple:
    """Order of comments within a post: by time, then by id, then as found."""
    when = _parse_time(comment.datetime_attr)
    if when is None and comment.timestamp_ms is not None:
        when = datetime.fromtimestamp(comment.timestamp_ms / 1000, tz=timezone.utc)
    stamp = when.timestamp() if when is not None else float("inf")
    cid = comment.comment_id or ""
    return (stamp, len(cid), cid, comment.position)


def assign_positions(comments: Iterable[RawComment]) -> list[RawComment]:
    """Renumber ``position`` 0.. by time within each post; order of the result as given."""
    items = list(comments)
    by_post: dict[str, list[int]] = defaultdict(list)
    for index, comment in enumerate(items):
        by_post[comment.post_url].append(index)
    out = list(items)
    for indexes in by_post.values():
        ranked = sorted(indexes, key=lambda i: comment_order_key(items[i]))
        for position, index in enumerate(ranked):
            if items[index].position != position:
                out[index] = replace(items[index], position=position)
    return out


# -- feed header and settings ------------------------------------------------------------------
@dataclass(frozen=True)
class FeedHeader:
    """Facts from a feed's own elements (before its entries)."""

    feed_id: str | None = None
    title: str | None = None
    blog_url: str | None = None
    owner_name: str | None = None
    owner_uri: str | None = None
    updated: str | None = None
    generator: str | None = None
    feed_links: tuple[str, ...] = ()
    next_url: str | None = None
    total_results: int | None = None
    start_index: int | None = None
    items_per_page: int | None = None
    language: str | None = None
    """``xml:lang`` of the feed element, when the feed says."""

    @property
    def blog_id(self) -> str | None:
        return split_blogger_id(self.feed_id)[0]

    @property
    def is_blogger(self) -> bool:
        return is_blogger_feed_id(self.feed_id) or (self.generator or "").strip().lower() == "blogger"


def header_add(header: FeedHeader, elem: etree._Element) -> FeedHeader:
    """Fold one direct child of ``feed`` (not an entry) into the header."""
    tag = elem.tag if isinstance(elem.tag, str) else ""
    local = tag.rsplit("}", 1)[-1]
    ns = tag[1:].split("}")[0] if tag.startswith("{") else ""
    if tag == _ID:
        return replace(header, feed_id=(_text(elem) or "").strip())
    if tag == _TITLE:
        return replace(header, title=(_text(elem) or "").strip())
    if tag == _UPDATED:
        return replace(header, updated=(_text(elem) or "").strip())
    if tag == _GENERATOR:
        return replace(header, generator=(_text(elem) or "").strip())
    if tag == _AUTHOR and header.owner_name is None:
        return replace(header, owner_name=_child_text(elem, _NAME), owner_uri=_child_text(elem, _URI))
    if tag == _LINK:
        rel, href = elem.get("rel") or "alternate", (elem.get("href") or "").strip()
        if not href:
            return header
        if rel == "alternate" and (elem.get("type") or "text/html").startswith("text/html"):
            return replace(header, blog_url=href)
        if rel == "next":
            return replace(header, next_url=href)
        if rel.endswith("#feed"):
            return replace(header, feed_links=header.feed_links + (href,))
        return header
    if ns in OPENSEARCH_NAMESPACES:
        value = (_text(elem) or "").strip()
        number = int(value) if value.isdigit() else None
        if local == "totalResults":
            return replace(header, total_results=number)
        if local == "startIndex":
            return replace(header, start_index=number)
        if local == "itemsPerPage":
            return replace(header, items_per_page=number)
    return header


def setting_of(entry: etree._Element) -> tuple[str, str] | None:
    """A ``kind#settings`` entry -> (NAME, value), e.g. ("BLOG_LOCALE", "de")."""
    ident = _child_text(entry, _ID) or ""
    match = re.search(r"\.settings\.([A-Za-z0-9_]+)$", ident)
    if not match:
        return None
    return match.group(1), (_text(_first(entry, _CONTENT)) or "").strip()


def blog_info(
    header: FeedHeader, settings: Mapping[str, str] | None = None, scheme: str | None = None
) -> BlogInfo:
    """``BlogInfo`` from a feed header and (exports) the blog's settings entries."""
    settings = settings or {}
    url = canonical_url(header.blog_url, scheme) or ""
    language = settings.get("BLOG_LOCALE") or header.language or None
    return BlogInfo(
        url=url,
        title=header.title,
        blog_id=header.blog_id,
        language=language.replace("_", "-") if language else None,
        timezone=settings.get("BLOG_TIME_ZONE") or None,
        generator=header.generator,
        feeds=header.feed_links,
    )


# -- whole feed documents (the spider's pages) --------------------------------------------------
@dataclass(frozen=True)
class FeedPage:
    header: FeedHeader
    entries: tuple[etree._Element, ...]


def parse_feed(body: bytes, name: str = "the feed") -> FeedPage:
    """A whole Atom feed document -> header and entries. ``SourceError`` if it is not an Atom feed."""
    root = parse_xml_bytes(body, name)
    if root.tag != FEED:
        raise SourceError(f"{name} is not an Atom feed (root element {etree.QName(root).localname!r})")
    header = FeedHeader(language=root.get(XML_LANG) or None)
    entries = []
    for child in root:
        if child.tag == ENTRY:
            entries.append(child)
        elif isinstance(child.tag, str):
            header = header_add(header, child)
    return FeedPage(header=header, entries=tuple(entries))


def next_start_index(page: FeedPage, start_index: int) -> int | None:
    """Start index of the following page, or None when this was the last one."""
    if not page.entries:
        return None
    got = len(page.entries)
    start = page.header.start_index or start_index
    total = page.header.total_results
    following = start + got
    if total is not None:
        return following if following <= total else None
    return following if page.header.next_url else None


def feed_url(
    base: str,
    kind: str = "posts",
    start_index: int = 1,
    max_results: int = 500,
    updated_min: str | None = None,
    post_id: str | None = None,
) -> str:
    """The Blogger feed URL on ``base``: ``/feeds/posts/default?start-index=1&max-results=500``.

    ``kind``: "posts", "comments" or "pages"; with ``post_id`` and kind "comments", that post's
    own comments feed (``/feeds/POSTID/comments/default``). ``updated_min`` (ISO 8601) asks
    only for entries updated since then (sync).
    """
    if kind not in ("posts", "comments", "pages"):
        raise ValueError(f"unknown feed kind {kind!r}")
    parts = urlsplit(base)
    root = urlunsplit((parts.scheme, parts.netloc, "", "", "")).rstrip("/")
    path = f"/feeds/{post_id}/comments/default" if (post_id and kind == "comments") else f"/feeds/{kind}/default"
    query = [("start-index", str(start_index)), ("max-results", str(max_results))]
    if updated_min:
        query.append(("updated-min", updated_min))
    return f"{root}{path}?{urlencode(query)}"
