"""Posts of classic templates that mark no post container: a run of siblings per post.

Pre-2007 templates FTP-published to the owner's server often print a post as a sequence of
plain elements: a date header (printed once per day), a title, a body, a byline, e.g.
``h3`` "Sunday, December 24, 2006", ``h2`` "To All<a name=ID>", ``div.blogPost`` holding
``div.byline`` "# posted by Chris @ 9:51 PM"; or ``p.date`` + ``p.postsubject`` +
``div#posts`` ending in "Posted at 8:41 PM | link". Each layout is one entry of
``SEQUENCE_LAYOUTS``: the selectors of its bodies, titles, date headers and bylines. The page
is read in document order: the date header in effect, the title and the post's anchor seen
since the previous body belong to the next body.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from lxml import etree

from crawler.bylines import starts_with_byline
from crawler.extract_markup import Element, Page, canonical, has_class, norm, strip_query, text_of, xpath
from kernel.records import RawPost


@dataclass(frozen=True)
class SequenceLayout:
    name: str
    marker: str
    """A class token (``Page.by_token``) every page of the layout has."""
    bodies: etree.XPath
    titles: etree.XPath
    dates: etree.XPath
    byline: etree.XPath
    """Relative to a body: the element with the byline and the post's permalink."""
    example: str = ""


SEQUENCE_LAYOUTS: tuple[SequenceLayout, ...] = (
    SequenceLayout(
        "classic-blogpost", "blogPost",
        bodies=xpath(f"//div[{has_class('blogPost')}]"),
        titles=xpath("//h2"),
        dates=xpath("//h3"),
        byline=xpath(f".//div[{has_class('byline')}]"),
        example="trafilatura-pr185-cleaneval/finalrun-input__783.html, finalrun-input__179.html",
    ),
    SequenceLayout(
        "classic-postsubject", "postsubject",
        bodies=xpath("//div[@id='posts']"),
        titles=xpath(f"//p[{has_class('postsubject')}]"),
        dates=xpath(f"//p[{has_class('date')}]"),
        byline=xpath(".//p[.//a[contains(@title, 'ookmarkable') or contains(@title, 'ermanent')]]"),
        example="trafilatura-pr185-cleaneval/finalrun-input__725.html",
    ),
)

_ANCHORS = xpath("//a[@name]")
_PERMALINK = xpath(".//a[contains(@title, 'ermanent') or contains(@title, 'ookmarkable')][@href]")
_DIGITS = re.compile(r"^\d{5,}$")
_COUNT = re.compile(r"(?:comments?|kommentare?|comentarios?|commentaires?)\s*\((\d+)\)|^(\d+)\s+comments?$", re.IGNORECASE)
_NAME_END = re.compile(r"\s*(?:@|\||\bat\b|\bum\b|,).*$", re.IGNORECASE)


def layout_of(page: Page) -> SequenceLayout | None:
    for layout in SEQUENCE_LAYOUTS:
        if layout.marker in page.by_token:
            return layout
    return None


def _inside(el: Element, bodies: set[Element]) -> Element | None:
    for anc in el.iterancestors():
        if anc in bodies:
            return anc
    return None


def _body_html(body: Element, skip: set[Element]) -> str:
    """Inner HTML of the body without its title and byline (their tails are kept)."""
    parts = [html.escape(body.text, quote=False)] if body.text else []
    for child in body:
        if child in skip:
            if child.tail:
                parts.append(html.escape(child.tail, quote=False))
            continue
        parts.append(etree.tostring(child, encoding="unicode", method="html", with_tail=True))
    return "".join(parts)


def sequence_posts(page: Page, template: str, language: str | None, blog_id: str | None) -> list[RawPost]:
    """The posts of a page in one of ``SEQUENCE_LAYOUTS``; [] when it is in none."""
    layout = layout_of(page)
    if layout is None or page.root is None:
        return []
    root = page.root
    bodies = [b for b in layout.bodies(root) if _inside(b, set()) is None]
    body_set = set(bodies)
    bodies = [b for b in bodies if _inside(b, body_set) is None]
    if not bodies:
        return []
    body_set = set(bodies)
    events: dict[Element, str] = {b: "body" for b in bodies}
    for kind, selector in (("title", layout.titles), ("date", layout.dates)):
        for el in selector(root):
            events.setdefault(el, kind)
    for el in _ANCHORS(root):
        if _DIGITS.match((el.get("name") or "").strip()):
            events.setdefault(el, "anchor")
    posts: list[RawPost] = []
    date = title_el = post_id = None
    for el in root.iter(etree.Element):
        kind = events.get(el)
        if kind is None:
            continue
        if kind != "body" and _inside(el, body_set) is not None:
            continue
        if kind == "date":
            date = text_of(el) or date  # printed once a day: later posts of the day inherit it
        elif kind == "title":
            title_el = el
        elif kind == "anchor":
            post_id = el.get("name").strip()
        else:
            posts.append(_post(page, layout, el, title_el, date, post_id, template, language, blog_id))
            title_el = post_id = None
    return posts


def _post(page: Page, layout: SequenceLayout, body: Element, title_el: Element | None, date: str | None,
          post_id: str | None, template: str, language: str | None, blog_id: str | None) -> RawPost:
    skip: set[Element] = set()
    if title_el is None:
        inner = [el for el in layout.titles(body) if body in el.iterancestors()]
        title_el = inner[0] if inner else None
    if title_el is not None and body in title_el.iterancestors():
        skip.add(title_el)
    if post_id is None and title_el is not None:
        post_id = next((a.get("name").strip() for a in title_el.iter("a") if _DIGITS.match((a.get("name") or "").strip())), None)
    byline = next(iter(layout.byline(body)), None)
    author = permalink = None
    published = None
    count_text = count = None
    if byline is not None:
        skip.add(byline)
        text = norm(text_of(byline).lstrip("#/ \u00a0"))
        published = text or None
        if starts_with_byline(text):
            author = _NAME_END.sub("", text) or None
        link = next(iter(_PERMALINK(byline)), None)
        if link is None:
            link = next((a for a in byline.iter("a") if a.get("href") and text_of(a) in ("#", "link", "")), None)
        permalink = page.absolute(link.get("href")) if link is not None else None
        for a in byline.iter("a"):
            found = _COUNT.search(text_of(a))
            if found:
                count_text, count = text_of(a), int(found.group(1) or found.group(2))
    for a in body.iter("a"):
        found = _COUNT.search(text_of(a)) if count is None else None
        if found:
            count_text, count = text_of(a), int(found.group(1) or found.group(2))
    here = canonical(strip_query(page.url))
    url = canonical(permalink) if permalink else here
    if url == here:  # the post lives on this page only (a weekly archive): its anchor tells it apart
        url = f"{here}#{post_id}" if post_id else here
    return RawPost(
        url=url,
        title=text_of(title_el),
        body_html=_body_html(body, skip),
        post_id=post_id,
        blog_id=blog_id,
        date_header=date,
        published_text=published,
        author_name=author,
        comment_count_text=count_text,
        comment_count=count,
        template=template,
        language=language,
    )
