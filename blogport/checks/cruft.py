"""Cruft left in the exported bodies.

The transform's own stripping rules (``transform.cruft.RULES``, applied with its
``strip_cruft`` to a throwaway copy of each exported body) run again first: any rule that
still fires found cruft the migration should have removed. The suspicious phrases below are
searched in the text as well, as a last line of defence. When the transform's rules cannot
be imported, a local table of text patterns stands in.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from blogport.checks.base import ERROR, WARNING

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Phrase:
    name: str
    pattern: re.Pattern[str]
    severity: str = ERROR


def _phrase(name: str, text: str, severity: str = ERROR) -> Phrase:
    return Phrase(name, re.compile(re.escape(text), re.I), severity)


SUSPICIOUS_PHRASES: tuple[Phrase, ...] = (
    _phrase("linkwithin", "Blog Widget by LinkWithin"),
    _phrase("commentluv-recent", "Recent blog:=-"),
    _phrase("commentluv-undefined", "Recent undefined:=-"),
    _phrase("share-blogthis", "BlogThis!"),
    _phrase("share-twitter", "Share to Twitter"),
    _phrase("share-email", "Email This"),
    # "said..." is ordinary prose too ("she said..."); in a body it is only a hint.
    _phrase("said-suffix", "said...", WARNING),
)

FALLBACK_PATTERNS: tuple[Phrase, ...] = (
    Phrase("linkwithin-markup", re.compile(r"linkwithin\.com|class=[\"'][^\"']*linkwithin", re.I)),
    Phrase("share-buttons", re.compile(r"Share to (Facebook|Pinterest)|blogger\.com/share-post\.g", re.I)),
    Phrase("navbar", re.compile(r"navbar-iframe", re.I)),
    Phrase("blog-pager", re.compile(r"Newer Post\s+Older Post\s+Home", re.I)),
)
"""Used only when ``transform.cruft`` is not available."""


@dataclass
class CruftHit:
    rule: str
    severity: str
    formats: set[str] = field(default_factory=set)
    count: int = 0
    snippet: str | None = None


@dataclass(frozen=True)
class CruftScanner:
    """Runs every rule over the bodies of one item, each body tagged with its export format."""

    strip: Callable[[str, str], dict[str, int]] | None
    """(html, item type) -> {rule name: times fired}, the transform's rules; None: unavailable."""
    text_patterns: tuple[re.Pattern[str], ...]
    """The transform's text rules, to avoid reporting one leftover twice."""
    phrases: tuple[Phrase, ...]

    def scan(self, item_type: str, bodies: Iterable[tuple[str, str, str]]) -> dict[str, CruftHit]:
        """``bodies``: (format, markup, plain text). Returns rule name -> hit."""
        hits: dict[str, CruftHit] = {}
        stripped: dict[str, dict[str, int]] = {}
        for fmt, markup, text in bodies:
            if not (markup or text):
                continue
            if self.strip is not None and markup:
                if markup not in stripped:  # the SQLite and WXR bodies are often the same
                    stripped[markup] = self.strip(markup, item_type)
                for rule, count in stripped[markup].items():
                    hit = hits.setdefault(rule, CruftHit(rule, ERROR))
                    hit.formats.add(fmt)
                    hit.count += count
            for phrase in self.phrases:
                match = phrase.pattern.search(text) or phrase.pattern.search(markup)
                if not match:
                    continue
                found = match.group(0)
                if self.strip is not None and any(p.search(found) for p in self.text_patterns):
                    continue  # the transform's own rule reports it
                source = match.string
                start = max(0, match.start() - 30)
                hit = hits.setdefault(phrase.name, CruftHit(phrase.name, phrase.severity))
                hit.formats.add(fmt)
                hit.count += 1
                hit.snippet = hit.snippet or " ".join(source[start:match.end() + 30].split())
        return hits


def load_scanner() -> CruftScanner:
    try:
        from transform import cruft as rules_module
    except ImportError:  # the transform stage is not installed
        rules_module = None
    strip = getattr(rules_module, "strip_cruft", None)
    parse = getattr(rules_module, "parse_fragment", None)
    rules = getattr(rules_module, "RULES", None)
    if strip is None or parse is None or rules is None:
        log.debug("transform.cruft not available; using the local cruft patterns")
        return CruftScanner(None, (), SUSPICIOUS_PHRASES + FALLBACK_PATTERNS)

    def run(html: str, item_type: str) -> dict[str, int]:
        try:
            root = parse(html)
        except Exception as exc:  # lxml raises several types on odd fragments
            log.debug("cannot parse a body for the cruft check: %s", exc)
            return {}
        return dict(strip(root, item_type))

    patterns: list[re.Pattern[str]] = []
    for rule in rules:
        text = getattr(rule, "text", None)
        if isinstance(text, str):
            try:
                patterns.append(re.compile(text))
            except re.error:
                pass
    return CruftScanner(run, tuple(patterns), SUSPICIOUS_PHRASES)


__all__ = ["CruftScanner", "CruftHit", "Phrase", "SUSPICIOUS_PHRASES", "FALLBACK_PATTERNS", "load_scanner"]
