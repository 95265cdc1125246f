"""Authors: clean the names as found, and give every person one identity.

Identity, strongest first: a Blogger profile URL (``blogger:<profile digits>``, the same
person whatever spelling they used), a website URL (``url:<host/path>``, normalised), a name
(``name:<folded name>``). Anonymous commenters ("Anonymous", "Anónimo", "Anonym",
"Unknown"...) without a URL are not one person: each gets an id of its own comment.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from crawler.bylines import POSTED_BY_RE, SAID
from transform.models import Author

_LONG_SAID = sorted((w for w in SAID if len(w) > 3), key=len, reverse=True)
_SHORT_SAID = sorted((w for w in SAID if len(w) <= 3), key=len, reverse=True)
# "NAME said..." / "NAME pisze...": a whole word after the name; a short word ("sa") only with its dots
_SAID_RE = re.compile(
    r"(?:\s+|^)(?:(?:" + "|".join(re.escape(s) for s in _LONG_SAID) + r")\s*(?:\.{2,}|…)?"
    r"|(?:" + "|".join(re.escape(s) for s in _SHORT_SAID) + r")\s*(?:\.{2,}|…))\s*:?\s*$",
    re.IGNORECASE,
)
_POSTED_BY_RE = POSTED_BY_RE
_CO_AUTHORS = re.compile(r"\s(?:and|und|et|y|e|en|i|och|og|ja|és|ve|и)\s|\s&\s", re.IGNORECASE)
_COMMENT_BY_RE = re.compile(r"^\s*(?:comment by|kommentar von|comentario de|commentaire de)\s+", re.IGNORECASE)
_TRAILING_AT_RE = re.compile(r"\s*(?:@|at|um)\s*$", re.IGNORECASE)
_TRAILING_TIME_RE = re.compile(
    r"\s*(?:@|\bat|\bum|\bà|\ba las|\bàs|\balle|\bom)\s*\d{1,2}(?::|h)\d{2}(?::\d{2})?\s*(?:[ap]\.?\s?m\.?)?\s*$",
    re.IGNORECASE,
)

ANONYMOUS_NAMES = frozenset({
    "anonymous", "anonimo", "anonym", "anonyme", "anonimo", "anoniem", "anonymt", "anonyymi",
    "anonim", "unknown", "unbekannt", "desconocido", "inconnu", "sconosciuto", "desconhecido",
    "onbekend", "anonymous said", "anonimowy", "anonymni", "nevtelen", "anonimas", "anonims",
    "anonuumne", "anonimni", "anonymni uzivatel", "anonimo said", "аноним", "анонимный", "анонім",
    "ανωνυμος", "匿名", "익명", "",
})

_PROFILE_RE = re.compile(r"blogger\.com/profile/(\d+)", re.IGNORECASE)
_YEAR_RE = re.compile(r"(?<!\d)(?:1[89]|20)\d\d(?!\d)")


@lru_cache(maxsize=8192)
def fold_name(name: str) -> str:
    """Casefolded, accent-free, single-spaced: "José  Pérez" -> "jose perez"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


@lru_cache(maxsize=8192)
def clean_name(text: str | None) -> str:
    """"Leo said...", "Posted by Leo", "posted by Leo @" -> "Leo"."""
    if not text:
        return ""
    name = unicodedata.normalize("NFC", " ".join(text.replace("\xa0", " ").split()))
    if _POSTED_BY_RE.match(name):
        # "Posted by David Blanar, Apprentice Magizoologist, Google": the name, not the job title;
        # "Posted by Ann, Bob and Cy - Chrome team": the people, not the team
        name = _POSTED_BY_RE.sub("", name).split(" - ", 1)[0]
        if not _CO_AUTHORS.search(name):
            name = name.split(", ", 1)[0]
    for _ in range(2):
        name = _SAID_RE.sub("", name)
        name = _POSTED_BY_RE.sub("", name)
        name = _COMMENT_BY_RE.sub("", name)
        name = _TRAILING_TIME_RE.sub("", name)
        name = _TRAILING_AT_RE.sub("", name)
    return name.strip(" \t,;:-–—|")


def is_anonymous(name: str) -> bool:
    return fold_name(name) in ANONYMOUS_NAMES


def split_glued(header: str, parses: Callable[[str], bool]) -> tuple[str, str | None]:
    """Split "Joan Koerber-WalkerAugust 15, 2009 at 9:50 AM" into name and date text.

    ``parses`` says whether a string is a whole date. The threaded widget prints the name and
    the date with nothing between them, so the date starts where the two are glued (a letter
    meeting a digit, a lower-case letter an upper-case one): the earliest glued suffix that
    is a date wins. Otherwise the earliest suffix at a word boundary that is a date; and when
    only a trailing time parses ("Ирина14 мая 2010 г., 10:00" in a language the date reader
    does not know), a glued run holding a year before it still belongs to the date, so the
    name stays whole. Returns (header, None) when no suffix is a date.
    """
    text = " ".join(header.replace("\xa0", " ").split())
    glued: list[int] = []
    loose: list[int] = []
    for i in range(1, len(text)):
        ch = text[i]
        if not (ch.isdigit() or ch.isalpha() or ch == "@"):
            continue
        prev = text[i - 1]
        if (prev.isalpha() and ch.isdigit()) or (prev.islower() and ch.isupper()):
            glued.append(i)
        elif ch.isdigit() or not prev.isalnum() or prev.isdigit():
            loose.append(i)
    for i in glued:
        if parses(text[i:]):
            return clean_name(text[:i]), text[i:]
    for i in loose:  # the glued ones are no dates (above)
        if parses(text[i:]):
            year_run = [g for g in glued if g < i and text[g].isdigit() and _YEAR_RE.search(text[g:i])]
            if year_run:
                i = year_run[-1]
            return clean_name(text[:i]), text[i:]
    return clean_name(text), None


def profile_id(url: str | None) -> str | None:
    if not url:
        return None
    m = _PROFILE_RE.search(url)
    return m.group(1) if m else None


def normalise_url(url: str) -> str | None:
    """"https://www.Example.com/blog/" -> "example.com/blog"; None for non-web URLs."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    if not host:
        return None
    if host.startswith("www."):
        host = host[4:]
    path = parts.path.rstrip("/")
    if path.lower() in ("/index.html", "/index.php", "/index.htm"):
        path = ""
    return host + path


def author_identity(name: str, url: str | None, *, anonymous_key: str) -> str:
    """The author id for a cleaned name and an optional URL."""
    pid = profile_id(url)
    if pid:
        return f"blogger:{pid}"
    if url:
        norm = normalise_url(url)
        if norm:
            return f"url:{norm}"
    if is_anonymous(name):
        return f"anon:{anonymous_key}"
    return f"name:{fold_name(name)}"


def make_author(
    raw_name: str | None, url: str | None, *, anonymous_key: str, is_owner: bool = False
) -> Author | None:
    """An Author from a name and URL as found; None when there is neither."""
    name = clean_name(raw_name)
    url = url.strip() if url and url.strip() else None
    if url and url.lower().startswith(("javascript:", "mailto:", "#")):
        url = None
    if not name and not url:
        return None
    if not name:
        name = "Anonymous"
    return Author(id=author_identity(name, url, anonymous_key=anonymous_key), name=name, url=url, is_owner=is_owner)


def _accents(name: str) -> int:
    return sum(1 for ch in unicodedata.normalize("NFD", name) if unicodedata.combining(ch))


def whole_name(counts: Counter[str]) -> str:
    """The name to show for one person among the spellings they used (``counts``: name ->
    times used, in first-seen order): the most used, unless another spelling is the same
    name written out in full ("Clara" -> "Clara María", "Emilio Cobos" -> "Emilio Cobos
    Álvarez") or with its accents ("Jose Perez" -> "José Pérez"). A different name ("KazoO"
    and "Daniel Guerrero") does not replace the most used one."""
    if len(counts) == 1:
        return next(iter(counts))  # one spelling: what the rest would choose, at once
    real = [(n, c) for n, c in counts.items() if not is_anonymous(n)]
    pool = real or list(counts.items())
    # most used; ties go to the first seen (Counter keeps insertion order)
    best = max(pool, key=lambda nc: nc[1])[0]
    words = fold_name(best).split()
    longer = [(n, c) for n, c in pool if len(fold_name(n).split()) > len(words)
              and fold_name(n).split()[: len(words)] == words]
    if longer:
        best = max(longer, key=lambda nc: nc[1])[0]
    same = [(n, c) for n, c in pool if fold_name(n) == fold_name(best)]
    return max(same, key=lambda nc: (_accents(nc[0]), nc[1]))[0]


def merge_authors(authors: Iterable[Author]) -> list[Author]:
    """One Author per id: the person's whole name (``whole_name``; a real name, not
    "Unknown"), first URL, owner if ever."""
    names: dict[str, Counter[str]] = defaultdict(Counter)
    first: dict[str, Author] = {}
    url: dict[str, str | None] = {}
    owner: dict[str, bool] = defaultdict(bool)
    for a in authors:
        first.setdefault(a.id, a)
        names[a.id][a.name] += 1
        if url.get(a.id) is None and a.url:
            url[a.id] = a.url
        owner[a.id] = owner[a.id] or a.is_owner
    return [Author(id=aid, name=whole_name(names[aid]), url=url.get(aid, a.url), is_owner=owner[aid])
            for aid, a in first.items()]
