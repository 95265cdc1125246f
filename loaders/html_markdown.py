"""HTML post bodies to Markdown with markdownify, text kept text.

Imported on first use (``loaders.site_body.html_to_markdown``): markdownify and
BeautifulSoup take a quarter of a second to import, which an export without Markdown (or a
command that exports nothing) does not need to pay.

One converter serves every body (markdownify's converter keeps no state between documents
but its cache of conversion functions), and the tree it walks is built from ``_Tag``, whose
``find_parent(name)`` walks up the parents directly: markdownify asks every element whether
it sits inside a ``<pre>``, and BeautifulSoup's general search builds a filter object for each
question, which was a third of the conversion time. The answers are the same.
"""

from __future__ import annotations

import re
from typing import Any

from bs4 import Tag
from markdownify import MarkdownConverter

_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_BLANK_LINES = re.compile(r"\n{3,}")


class _Tag(Tag):
    """A BeautifulSoup tag whose ``find_parent`` by a tag name alone skips the general search."""

    def find_parent(self, name: Any = None, attrs: Any = None, **kwargs: Any) -> Any:
        if not isinstance(name, str) or attrs or kwargs or ":" in name:
            return super().find_parent(name, attrs or {}, **kwargs)
        parent = self.parent
        while parent is not None:
            if parent.name == name:
                return parent
            parent = parent.parent
        return None


class _TextConverter(MarkdownConverter):
    """markdownify, with text that showed HTML as text kept text: a ``<`` of the text is written
    ``&lt;`` and an ``&`` that would read as an entity ``&amp;``, so no Markdown engine takes
    ``&lt;img onerror=...&gt;`` in the source for markup (code keeps its characters: Markdown
    shows code literally)."""

    def escape(self, text: str, parent_tags: Any) -> str:
        return super().escape(_ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;"), parent_tags)

    def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
        if el.attrs.get("alt"):
            el.attrs["alt"] = _ENTITY_LIKE.sub("&amp;", el.attrs["alt"]).replace("<", "&lt;")
        return super().convert_img(el, text, parent_tags)


_CONVERTER = _TextConverter(heading_style="ATX", bullets="-", strip=["script", "style"],
                            bs4_options={"features": "html.parser", "element_classes": {Tag: _Tag}})


def html_to_markdown(html: str) -> str:
    """A post body as Markdown: at most one blank line in a row, no blank lines around it."""
    return _BLANK_LINES.sub("\n\n", _CONVERTER.convert(html)).strip()
