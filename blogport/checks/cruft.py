"""Cruft left in the exported bodies.

The transform's own stripping rules (``transform.cruft.RULES``, applied with its
``strip_cruft`` to a throwaway copy of each exported body) run again first: any rule that
still fires found cruft the migration should have removed. The suspicious phrases below are
searched in the text as well, as a last line of defence.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lxml import etree

from blogport.checks.base import ERROR, WARNING
from transform.cruft import RULES, may_hold_cruft, parse_fragment, strip_cruft

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Phrase:
    name: str
    pattern: re.Pattern[str]
    severity: str = ERROR
    literal: str | None = None
    """The text the pattern matches in any case, when it is a plain phrase (lets a scan pass
    over bodies without any of the phrases with ``in`` instead of the regex)."""


def _phrase(name: str, text: str, severity: str = ERROR) -> Phrase:
    return Phrase(name, re.compile(re.escape(text), re.I), severity, literal=text)


CASE_FOLD = str.maketrans({"\u017f": "s", "\u0130": "i", "\u0131": "i", "\u212a": "k"})
"""The characters a case-insensitive regex takes for an ASCII letter besides its two cases
(long s, dotted and dotless i, the Kelvin sign): after this table ``str.lower`` keeps every
string's length and sends each character to what the regex compares it as."""


_ODD_CASE = re.compile("[\u017f\u0130\u0131\u212a]")


def fold_case(text: str) -> str:
    if _ODD_CASE.search(text):  # rare: the table is applied only where it changes something
        text = text.translate(CASE_FOLD)
    return text.lower()


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

    strip: Callable[[str, str], dict[str, int]]
    """(html, item type) -> {rule name: times fired}, the transform's rules."""
    text_patterns: tuple[re.Pattern[str], ...]
    """The transform's text rules, to avoid reporting one leftover twice."""
    phrases: tuple[Phrase, ...]

    def scan(self, item_type: str, bodies: Iterable[tuple[str, str, str]]) -> dict[str, CruftHit]:
        """``bodies``: (format, markup, plain text). Returns rule name -> hit."""
        hits: dict[str, CruftHit] = {}
        stripped: dict[str, dict[str, int]] = {}
        found: dict[tuple[str, str], list[tuple[Phrase, str]]] = {}
        for fmt, markup, text in bodies:
            if not (markup or text):
                continue
            if markup:
                if markup not in stripped:  # the SQLite and WXR bodies are often the same
                    stripped[markup] = self.strip(markup, item_type)
                for rule, count in stripped[markup].items():
                    hit = hits.setdefault(rule, CruftHit(rule, ERROR))
                    hit.formats.add(fmt)
                    hit.count += count
            if (markup, text) not in found:  # likewise
                found[(markup, text)] = self._phrases_in(markup, text)
            for phrase, snippet in found[(markup, text)]:
                hit = hits.setdefault(phrase.name, CruftHit(phrase.name, phrase.severity))
                hit.formats.add(fmt)
                hit.count += 1
                hit.snippet = hit.snippet or snippet
        return hits

    @functools.cached_property
    def _literals(self) -> tuple[str, ...] | None:
        return _literals(self.phrases)

    def _phrases_in(self, markup: str, text: str) -> list[tuple[Phrase, str]]:
        """The phrases found in one body (its text first, else its markup), each with the
        text around it; none that a transform text rule reports itself."""
        literals = self._literals
        if literals is not None:
            folded = fold_case(text) + "\x00" + fold_case(markup)
            if not any(literal in folded for literal in literals):
                return []  # a few scans of the body at C speed instead of one regex per phrase
        else:
            anything = _any_of(self.phrases)
            if not (anything.search(text) or anything.search(markup)):
                return []  # one pass over the body instead of one per phrase
        result = []
        for phrase in self.phrases:
            match = phrase.pattern.search(text) or phrase.pattern.search(markup)
            if not match:
                continue
            if any(p.search(match.group(0)) for p in self.text_patterns):
                continue  # the transform's own rule reports it
            source = match.string
            start = max(0, match.start() - 30)
            result.append((phrase, " ".join(source[start:match.end() + 30].split())))
        return result


@functools.lru_cache(maxsize=8)
def _literals(phrases: tuple[Phrase, ...]) -> tuple[str, ...] | None:
    """The phrases' texts case-folded, when every phrase is a plain ASCII phrase matched in
    any case (a body holds one of them exactly when its case-folded text contains it); else
    None."""
    if not all(p.literal and p.literal.isascii() and p.pattern.flags & re.I
               and p.pattern.pattern == re.escape(p.literal) and "\x00" not in p.literal for p in phrases):
        return None
    return tuple(fold_case(p.literal) for p in phrases if p.literal)


@functools.lru_cache(maxsize=8)
def _any_of(phrases: tuple[Phrase, ...]) -> re.Pattern[str]:
    """One pattern that matches wherever any of ``phrases`` does (phrases of other flags than
    the first's: a pattern that matches everywhere, so nothing is skipped)."""
    if len({p.pattern.flags for p in phrases}) > 1:
        return re.compile("")
    return re.compile("|".join(f"(?:{p.pattern.pattern})" for p in phrases) or "(?!)",
                      phrases[0].pattern.flags if phrases else 0)


def _strip_copy(html: str, item_type: str) -> dict[str, int]:
    """The transform's rules over a throwaway parse of ``html``: {rule name: times fired}."""
    if not may_hold_cruft(html, item_type):
        return {}  # no rule's hint in it: nothing to parse
    try:
        root = parse_fragment(html)
    except (etree.LxmlError, ValueError) as exc:  # lxml refuses some odd fragments
        log.debug("cannot parse a body for the cruft check: %s", exc)
        return {}
    return dict(strip_cruft(root, item_type, raw_html=html))


def load_scanner() -> CruftScanner:
    """The transform's rules, and the phrases its text rules do not already cover."""
    patterns = tuple(re.compile(rule.text) for rule in RULES if rule.text)
    return CruftScanner(_strip_copy, patterns, SUSPICIOUS_PHRASES)


__all__ = ["CruftScanner", "CruftHit", "Phrase", "SUSPICIOUS_PHRASES", "load_scanner"]
