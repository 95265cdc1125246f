"""Dates: machine-readable timestamps first, then displayed strings, to UTC keeping the offset.

Blogger shows dates in the blog's language and in the owner's chosen format ("Saturday,
August 15, 2009", "6. Juni 2015 um 10:23", "8/15/2009 9:50 AM", "mardi 5 juin 2018"). A
blog uses one or two display formats throughout, so :class:`DateReader` reads them with a
fast token grammar (month and weekday names of many languages, connectors such as "at",
"um", "a las", "à", 12h and 24h clocks) whose one ambiguity, the order of all-numeric dates,
is learned once per blog from all its strings (:func:`learn_numeric_order`). Strings the
grammar does not fully account for go to ``dateparser`` (absolute dates only, every part
required), and both paths cache their results by string.

Time zones: a displayed time is local to the blog. The zone comes from the user
(``--timezone``, an IANA name or "+HH:MM"), from the source (exports say), or is inferred
from the blog's own machine-readable timestamps (:func:`infer_timezone`): several offsets
seen at different times of year select an IANA zone that explains them all (DST-correct);
one offset gives a fixed offset.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from kernel.errors import BlogportError

log = logging.getLogger(__name__)

UTC = timezone.utc


class TimezoneError(BlogportError):
    """A time zone option that is neither an IANA name nor a "+HH:MM" offset."""


class LanguageError(BlogportError):
    """A language option blogport cannot read dates in."""


# --------------------------------------------------------------------------------------
# Vocabulary: month and weekday names, connectors, AM/PM markers (accent-folded, casefolded)

_MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
    "de": ("januar", "februar", "marz", "april", "mai", "juni", "juli", "august",
           "september", "oktober", "november", "dezember"),
    "fr": ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout",
           "septembre", "octobre", "novembre", "decembre"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"),
    "pt": ("janeiro", "fevereiro", "marco", "abril", "maio", "junho", "julho", "agosto",
           "setembro", "outubro", "novembro", "dezembro"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
           "september", "oktober", "november", "december"),
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
           "september", "oktober", "november", "december"),
    "no": ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august",
           "september", "oktober", "november", "desember"),
    # Polish dates name the month in the genitive ("15 lutego 2010"); the nominative is below
    "pl": ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia",
           "wrzesnia", "pazdziernika", "listopada", "grudnia"),
}
_MONTH_EXTRA = {
    # abbreviations and variants not derivable as prefixes of the full names
    "maerz": 3, "mrz": 3, "sept": 9, "janv": 1, "fevr": 2, "juil": 7, "set": 9, "out": 10,
    "dez": 12, "okt": 10, "mei": 5, "mag": 5, "ott": 10, "dic": 12, "gen": 1, "ago": 8,
    "abr": 4, "ene": 1, "avr": 4, "mars": 3, "aout": 8, "mai": 5, "juni": 6, "juli": 7,
    "styczen": 1, "luty": 2, "marzec": 3, "kwiecien": 4, "maj": 5, "czerwiec": 6, "lipiec": 7,
    "sierpien": 8, "wrzesien": 9, "pazdziernik": 10, "listopad": 11, "grudzien": 12,
}
_WEEKDAYS: dict[str, tuple[str, ...]] = {
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "es": ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"),
    "de": ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "it": ("lunedi", "martedi", "mercoledi", "giovedi", "venerdi", "sabato", "domenica"),
    "pt": ("segunda", "terca", "quarta", "quinta", "sexta", "sabado", "domingo"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "sv": ("mandag", "tisdag", "onsdag", "torsdag", "fredag", "lordag", "sondag"),
    "da": ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lordag", "sondag"),
    "pl": ("poniedzialek", "wtorek", "sroda", "czwartek", "piatek", "sobota", "niedziela"),
}
_WEEKDAY_EXTRA = {"sonnabend", "tues", "thur", "thurs", "feira"}
_CONNECTORS = {
    "at", "on", "um", "am", "a", "las", "la", "a las", "de", "del", "as", "alle", "ore", "om",
    "le", "el", "den", "der", "kl", "klo", "o", "the", "of", "@", "y", "et", "und",
}
_AM = {"am", "a.m.", "a.m", "vorm", "vorm."}
_PM = {"pm", "p.m.", "p.m", "nachm", "nachm."}

SUPPORTED_LANGUAGES = tuple(_MONTHS)


def fold(text: str) -> str:
    """Casefold and strip accents: "März" -> "marz", "sábado" -> "sabado"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _build_month_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for names in _MONTHS.values():
        for i, name in enumerate(names, start=1):
            table.setdefault(name, i)
            if len(name) > 3:
                table.setdefault(name[:3], i)
                table.setdefault(name[:4], i)
    for name, num in _MONTH_EXTRA.items():
        table[name] = num
    # three-letter prefixes that are also common words in a language are still only read
    # inside a string that otherwise looks like a date, so they are harmless here.
    return table


_MONTH_TABLE = _build_month_table()
_WEEKDAY_TABLE: set[str] = set(_WEEKDAY_EXTRA)
for _names in _WEEKDAYS.values():
    for _name in _names:
        _WEEKDAY_TABLE.add(_name)
        _WEEKDAY_TABLE.add(_name[:3])
_WEEKDAY_TABLE -= set(_MONTH_TABLE)  # "mar" is March before it is "martes"


def month_names_pattern() -> str:
    """A regex alternation of every month and weekday name (folded), longest first."""
    names = sorted(set(_MONTH_TABLE) | _WEEKDAY_TABLE, key=len, reverse=True)
    return "|".join(re.escape(n) for n in names)


# --------------------------------------------------------------------------------------
# The fast path: a token grammar


@dataclass(frozen=True)
class DisplayDate:
    """What a displayed string says: a day, a time of day, or both (naive, local)."""

    day: date | None
    clock: tuple[int, int, int] | None
    shape: str
    """Token shape, e.g. "W M D Y T": the learned format this string matched."""

    def combine(self) -> datetime | None:
        if self.day is None:
            return None
        h, m, s = self.clock or (0, 0, 0)
        return datetime(self.day.year, self.day.month, self.day.day, h, m, s)


_TOKEN_RE = re.compile(
    r"(?P<numdate>\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4})"
    r"|(?P<time>\d{1,2}(?::|h)\d{2}(?::\d{2})?)"
    r"|(?P<num>\d{1,4})(?:st|nd|rd|th|er|e|o|a|º|ª)?\b"
    r"|(?P<ampm>[ap]\.\s?m\.?)"
    r"|(?P<word>[^\W\d_]+\.?)"
    r"|(?P<at>@)"
    r"|(?P<sep>[\s,.;:/\-–—|()\[\]…]+)"
    r"|(?P<other>.)",
    re.UNICODE,
)

DMY = "DMY"
MDY = "MDY"


def _year(n: int, digits: int) -> int | None:
    if digits == 4:
        return n
    if digits == 2:
        return 2000 + n if n < 70 else 1900 + n
    return None


def read_display(text: str, numeric_order: str = MDY) -> DisplayDate | None:
    """Read a displayed date/time with the token grammar; None if any token is not understood."""
    folded = fold(text).strip()
    if not folded:
        return None
    month: int | None = None
    numbers: list[tuple[int, int]] = []  # (value, digit count)
    clock: tuple[int, int, int] | None = None
    ampm: str | None = None
    numdate: tuple[int, int, int] | None = None
    shape: list[str] = []
    for m in _TOKEN_RE.finditer(folded):
        kind = m.lastgroup
        tok = m.group(kind)  # type: ignore[arg-type]
        if kind == "sep" or kind == "at":
            continue
        if kind == "other":
            return None
        if kind == "numdate":
            if numdate is not None:
                return None
            parts = re.split(r"[/.\-]", tok)
            a, b, c = (int(p) for p in parts)
            if len(parts[0]) == 4:
                y, mo, d = a, b, c
            else:
                y = _year(c, len(parts[2]))  # type: ignore[assignment]
                if y is None:
                    return None
                order = numeric_order
                if a > 12 >= b:
                    order = DMY
                elif b > 12 >= a:
                    order = MDY
                elif "." in tok and numeric_order != MDY:
                    order = DMY
                mo, d = (a, b) if order == MDY else (b, a)
            numdate = (y, mo, d)
            shape.append("N")
        elif kind == "time":
            if clock is not None:
                return None
            parts = re.split(r"[:h]", tok)
            h, mi = int(parts[0]), int(parts[1])
            s = int(parts[2]) if len(parts) > 2 else 0
            clock = (h, mi, s)
            shape.append("T")
        elif kind == "num":
            numbers.append((int(tok), len(tok)))
            shape.append("#")
        elif kind == "ampm":
            ampm = "am" if tok.startswith("a") else "pm"
            shape.append("P")
        else:  # word
            word = tok.rstrip(".")
            if (word in _AM or tok in _AM) and shape and shape[-1] in ("T", "#"):
                # "am" after a time is AM; elsewhere (German "am 5. Oktober") a connector
                ampm = "am"
                shape.append("P")
            elif word in _PM or tok in _PM:
                ampm = "pm"
                shape.append("P")
            elif word in _MONTH_TABLE and month is None:
                month = _MONTH_TABLE[word]
                shape.append("M")
            elif word in _WEEKDAY_TABLE:
                shape.append("W")
            elif word in _CONNECTORS:
                continue
            else:
                return None
    # AM/PM
    if ampm is not None:
        if clock is None:
            # "9 AM": a bare hour
            if numbers and numbers[-1][0] <= 12 and numbers[-1][1] <= 2:
                clock = (numbers.pop()[0], 0, 0)
            else:
                return None
        h, mi, s = clock
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if ampm == "pm" else 0)
        clock = (h, mi, s)
    if clock is not None:
        h, mi, s = clock
        if not (0 <= h <= 23 and 0 <= mi <= 59 and 0 <= s <= 60):
            return None
        clock = (h, mi, min(s, 59))
    day: date | None = None
    if numdate is not None:
        if month is not None or numbers:
            return None
        y, mo, d = numdate
        day = _safe_date(y, mo, d)
        if day is None:
            return None
    elif month is not None:
        years = [n for n, digits in numbers if digits == 4]
        others = [n for n, digits in numbers if digits != 4]
        if len(years) != 1 or len(others) != 1:
            return None
        day = _safe_date(years[0], month, others[0])
        if day is None:
            return None
    elif numbers:
        return None
    if day is None and clock is None:
        return None
    return DisplayDate(day=day, clock=clock, shape=" ".join(shape))


def _safe_date(y: int, mo: int, d: int) -> date | None:
    try:
        return date(y, mo, d)
    except ValueError:
        return None


_NUMDATE_RE = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b")


def learn_numeric_order(strings: Iterable[str], language: str | None = None) -> str:
    """The blog's order of all-numeric dates ("8/15/2009" is MDY, "15/8/2009" DMY).

    Any string whose first number exceeds 12 proves DMY, any whose second does proves MDY;
    without proof, US English means MDY and every other language DMY.
    """
    votes: Counter[str] = Counter()
    for s in strings:
        if not s:
            continue
        for m in _NUMDATE_RE.finditer(s):
            a, b = int(m.group(1)), int(m.group(2))
            if a > 12 >= b:
                votes[DMY] += 1
            elif b > 12 >= a:
                votes[MDY] += 1
    if votes:
        return votes.most_common(1)[0][0]
    lang = (language or "en").lower()
    if lang in ("en", "en-us") or lang.startswith("en-us"):
        return MDY
    if lang.startswith("en"):
        return DMY if lang[3:5] in ("gb", "au", "nz", "ie", "in", "za") else MDY
    return DMY


def base_language(language: str | None) -> str | None:
    """"de-DE" -> "de"; None stays None."""
    if not language:
        return None
    return re.split(r"[-_]", language.strip())[0].lower() or None


# --------------------------------------------------------------------------------------
# Time zones


_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$", re.IGNORECASE)


def parse_timezone(spec: str) -> tzinfo:
    """"Europe/Berlin", "+02:00", "-0700", "UTC" -> a tzinfo; TimezoneError otherwise."""
    text = spec.strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return UTC
    m = _OFFSET_RE.match(text)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes > 59:
            raise TimezoneError(f"time zone offset out of range: {spec!r}")
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder
        raise TimezoneError(
            f"unknown time zone {spec!r}: use an IANA name such as Europe/Berlin or an offset such as +02:00"
        ) from None


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 timestamp (Blogger ``abbr[title]``, ``time[datetime]``, Atom); None if not one."""
    t = text.strip()
    if not t:
        return None
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    return dt.replace(microsecond=0)


_PREFERRED_ZONES = (
    "America/Los_Angeles", "America/New_York", "America/Chicago", "America/Denver",
    "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome",
    "Europe/Amsterdam", "Europe/Lisbon", "Europe/Stockholm", "Australia/Sydney",
    "America/Sao_Paulo", "America/Mexico_City", "America/Toronto", "America/Halifax",
    "America/Anchorage", "Pacific/Honolulu", "America/Phoenix", "Europe/Helsinki",
    "Europe/Athens", "Europe/Moscow", "Asia/Kolkata", "Asia/Tokyo", "Asia/Shanghai",
    "Asia/Manila", "Australia/Melbourne", "Pacific/Auckland", "Africa/Johannesburg",
)


@dataclass(frozen=True)
class ZoneChoice:
    tz: tzinfo
    name: str
    source: str
    """"option", "source", "timestamps", "assumed"."""


def infer_timezone(observations: Iterable[tuple[datetime, timedelta]]) -> ZoneChoice | None:
    """The zone that explains offsets seen at given UTC instants.

    One distinct offset: that fixed offset. Several: the first IANA zone (common zones first)
    whose offset matches every observation, so later conversions are DST-correct; if none
    does, the most common offset.
    """
    obs = list(observations)
    if not obs:
        return None
    offsets = Counter(off for _, off in obs)
    if len(offsets) == 1:
        off = next(iter(offsets))
        return ZoneChoice(timezone(off), _format_offset(off), "timestamps")
    sample = _spread_sample(obs, 60)
    for name in _PREFERRED_ZONES + tuple(sorted(available_timezones())):
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # pragma: no cover - broken tzdata
            continue
        if all(utc.replace(tzinfo=UTC).astimezone(zone).utcoffset() == off for utc, off in sample):
            return ZoneChoice(zone, name, "timestamps")
    off = offsets.most_common(1)[0][0]
    return ZoneChoice(timezone(off), _format_offset(off), "timestamps")


def _spread_sample(obs: list[tuple[datetime, timedelta]], n: int) -> list[tuple[datetime, timedelta]]:
    # every distinct offset, and instants spread over the whole range
    by_offset: dict[timedelta, tuple[datetime, timedelta]] = {}
    for o in obs:
        by_offset.setdefault(o[1], o)
    ordered = sorted(obs, key=lambda o: o[0])
    step = max(1, len(ordered) // n)
    return list(by_offset.values()) + ordered[::step]


def _format_offset(off: timedelta) -> str:
    minutes = int(off.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def iso_offset_observation(text: str | None) -> tuple[datetime, timedelta] | None:
    """(UTC instant, offset) from an ISO timestamp that carries an offset."""
    if not text:
        return None
    dt = parse_iso(text)
    if dt is None or dt.tzinfo is None:
        return None
    off = dt.utcoffset()
    if off is None:
        return None
    return dt.astimezone(UTC).replace(tzinfo=None), off


def clock_offset_observation(timestamp_ms: int, display: DisplayDate) -> tuple[datetime, timedelta] | None:
    """The blog's offset implied by a permalink's UTC instant and the time displayed beside it."""
    if display.clock is None:
        return None
    utc = datetime.fromtimestamp(timestamp_ms / 1000, UTC).replace(tzinfo=None)
    h, m, _ = display.clock
    if display.day is not None:
        local = datetime(display.day.year, display.day.month, display.day.day, h, m)
        diff = local - utc.replace(second=0, microsecond=0)
    else:
        diff = timedelta(hours=h - utc.hour, minutes=m - utc.minute)
        # choose the representative within -12h..+14h
        while diff < timedelta(hours=-12):
            diff += timedelta(days=1)
        while diff > timedelta(hours=14):
            diff -= timedelta(days=1)
    quarter = timedelta(minutes=15)
    if diff % quarter:
        return None
    if not timedelta(hours=-12) <= diff <= timedelta(hours=14):
        return None
    return utc, diff


# --------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class DateResult:
    published: str | None
    """UTC ISO 8601."""
    published_local: str | None
    """ISO 8601 with the blog's offset."""
    date_raw: str | None
    date_flag: str | None
    """None (sure), "date-only", "day-from-post", "unparsed"."""
    local: datetime | None = None
    """Aware local datetime (for later combination, e.g. a comment's day from its post)."""

    @property
    def sort_key(self) -> str | None:
        return self.published


def unparsed(raw: str | None) -> DateResult:
    return DateResult(None, None, raw, "unparsed" if raw else None)


def from_aware(dt: datetime, raw: str | None, flag: str | None = None, local_tz: tzinfo | None = None) -> DateResult:
    dt = dt.replace(microsecond=0)
    local = dt.astimezone(local_tz) if local_tz is not None else dt
    return DateResult(
        published=dt.astimezone(UTC).isoformat(),
        published_local=local.isoformat(),
        date_raw=raw,
        date_flag=flag,
        local=local,
    )


def localize(naive: datetime, tz: tzinfo) -> datetime:
    """Attach a zone to a local wall-clock time (ZoneInfo resolves DST; fold=0 on ambiguity)."""
    return naive.replace(tzinfo=tz)


# --------------------------------------------------------------------------------------
# The per-blog reader


@dataclass(frozen=True)
class ReaderLearnt:
    """What a ``DateReader`` learnt (``DateReader.learnt``): the strings it gave dateparser,
    its cache and its dateparser seconds."""

    asked: frozenset[str]
    cache: dict[str, DisplayDate | None]
    dateparser_seconds: float


@dataclass
class DateStats:
    fast: int = 0
    dateparser_calls: int = 0
    dateparser_seconds: float = 0.0
    cache_hits: int = 0
    failed: int = 0


_DATEPARSER_SETTINGS_BASE = {
    "PARSERS": ["custom-formats", "absolute-time"],
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RETURN_AS_TIMEZONE_AWARE": False,
    "PREFER_DATES_FROM": "past",
    "STRICT_PARSING": True,
}


class DateReader:
    """Reads one blog's displayed dates. Holds only caches and counters: results depend on the
    string, the language and the learned numeric order, so the reader behaves as a pure function."""

    def __init__(self, language: str | None = None, numeric_order: str | None = None) -> None:
        self.language = base_language(language)
        self.numeric_order = numeric_order or learn_numeric_order((), language)
        self.shapes: Counter[str] = Counter()
        self.stats = DateStats()
        self._cache: dict[str, DisplayDate | None] = {}
        self._settings = dict(_DATEPARSER_SETTINGS_BASE)
        self._settings["DATE_ORDER"] = self.numeric_order
        self._parser: Any = None
        self._asked: set[str] = set()
        """The strings given to dateparser (``stats.dateparser_calls`` of them)."""

    def learnt(self) -> "ReaderLearnt":
        """What this reader learnt, to send to another copy of it (``absorb``): a forked
        child's reader, which read other strings than its parent's."""
        return ReaderLearnt(frozenset(self._asked), dict(self._cache), self.stats.dateparser_seconds)

    def absorb(self, learnt: "ReaderLearnt", *, seconds_before: float = 0.0) -> None:
        """Take in what a copy of this reader learnt (``learnt``) as if this reader had read
        those strings itself: the cache, and as calls to dateparser the strings the copy gave
        dateparser that this one did not. ``seconds_before``: the copy's dateparser seconds
        when it was made (a forked child's: its parent's at the fork)."""
        new = learnt.asked - self._asked
        self._asked |= new
        self.stats.dateparser_calls += len(new)
        self.stats.dateparser_seconds += max(0.0, learnt.dateparser_seconds - seconds_before)
        for key, value in learnt.cache.items():
            self._cache.setdefault(key, value)

    def _dateparser_instance(self) -> Any:
        """One ``DateDataParser`` per reader (what ``dateparser.parse`` builds on every call),
        restricted to the blog's language when dateparser knows it."""
        if self._parser is None:
            from dateparser.date import DateDataParser  # imported lazily: slow to import, rarely needed

            languages = [self.language] if self.language in _dateparser_languages() else None
            self._parser = DateDataParser(languages=languages, settings=self._settings)
        return self._parser

    def read(self, text: str | None) -> DisplayDate | None:
        """A displayed string -> day and/or time of day (naive local), or None."""
        if text is None:
            return None
        key = text.strip()
        if not key:
            return None
        if key in self._cache:
            self.stats.cache_hits += 1
            return self._cache[key]
        result = read_display(key, self.numeric_order)
        if result is not None:
            self.stats.fast += 1
            self.shapes[result.shape] += 1
        else:
            result = self._dateparser(key)
            if result is None:
                self.stats.failed += 1
        self._cache[key] = result
        return result

    def _dateparser(self, text: str) -> DisplayDate | None:
        if not may_hold_full_date(text):
            return None  # no day and year written in it ("Permalink", "posted by X @ 9:51 PM")
        started = time.perf_counter()
        self.stats.dateparser_calls += 1
        self._asked.add(text)
        try:
            data = self._dateparser_instance().get_date_data(text)
            dt = data["date_obj"]
        except Exception as exc:  # dateparser raises assorted errors on odd input
            log.debug("dateparser failed on %r: %s", text, exc)
            dt = None
        finally:
            self.stats.dateparser_seconds += time.perf_counter() - started
        if dt is None:
            return None
        if dt.tzinfo is not None:
            dt = dt.replace(tzinfo=None)
        has_clock = bool(re.search(r"\d{1,2}\s*(?::|h)\s*\d{2}|\d\s*[ap]\.?m\b", text, re.IGNORECASE))
        return DisplayDate(
            day=dt.date(),
            clock=(dt.hour, dt.minute, dt.second) if has_clock else None,
            shape="dateparser",
        )


_CLOCK_IN_TEXT = re.compile(r"(?<!\d)\d{1,2}\s*[:h]\s*\d{2}(?::\d{2})?(?!\d)")
_DIGIT_RUN = re.compile(r"\d+")


def may_hold_full_date(text: str) -> bool:
    """Whether a string could hold a day, a month and a year, all written (dateparser is asked
    with every part required): two runs of digits besides a time of day, or one long run
    ("20090815"). "posted by Chris @ 9:51 PM" and "5 comments" cannot."""
    runs = _DIGIT_RUN.findall(_CLOCK_IN_TEXT.sub(" ", text))
    return len(runs) >= 2 or any(len(run) >= 6 for run in runs)


@lru_cache(maxsize=1)
def _dateparser_languages() -> frozenset[str]:
    from dateparser.languages.loader import default_loader

    return frozenset(default_loader.get_locale_map().keys())


def check_language(language: str | None) -> str | None:
    """Validate a ``--language`` option; returns its base code."""
    base = base_language(language)
    if base is None:
        return None
    if base not in SUPPORTED_LANGUAGES and base not in _dateparser_languages():
        raise LanguageError(f"unknown date language {language!r}: use a code such as en, es, de, fr")
    return base


def day_from_timestamp_ms(ms: int, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(tz)
