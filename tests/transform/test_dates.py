from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dateparser
import pytest

from kernel.errors import BlogportError
from kernel.records import RawComment, RawPost
from transform.core import BlogContext, build_context, comment_date, post_date
from transform.dates import (
    _DATEPARSER_SETTINGS_BASE,
    may_hold_full_date,
    DMY,
    MDY,
    DateReader,
    clock_offset_observation,
    infer_timezone,
    learn_numeric_order,
    parse_timezone,
    read_display,
)
from transform.options import TransformOptions

# (displayed string, language, expected day, expected clock)
REAL_FORMATS = [
    ("Saturday, August 15, 2009", "en", date(2009, 8, 15), None),
    ("August 15, 2009 at 9:50 AM", "en", date(2009, 8, 15), (9, 50, 0)),
    ("8/15/2009 9:50 AM", "en", date(2009, 8, 15), (9, 50, 0)),
    ("7/21/2008 11:18:00 PM", "en", date(2008, 7, 21), (23, 18, 0)),
    ("Samstag, 5. Oktober 2013", "de", date(2013, 10, 5), None),
    ("6. Juni 2015 um 10:23", "de", date(2015, 6, 6), (10, 23, 0)),
    ("10. September 2017 um 18:12", "de", date(2017, 9, 10), (18, 12, 0)),
    ("mardi 5 juin 2018", "fr", date(2018, 6, 5), None),
    ("Mittwoch, Mai 10, 2017 4:14:00 PM", "de", date(2017, 5, 10), (16, 14, 0)),
    ("Thursday, 16 June 2011", "en", date(2011, 6, 16), None),
    ("19 Nov 2016", "en", date(2016, 11, 19), None),
    (" July 16, 2006", "en", date(2006, 7, 16), None),
    ("sábado, 15 de agosto de 2009", "es", date(2009, 8, 15), None),
    ("@ 7:00 AM", "en", None, (7, 0, 0)),
    ("21:00", "de", None, (21, 0, 0)),
    ("Dienstag, 28. April 2020", "de", date(2020, 4, 28), None),
    ("15 de agosto de 2009 a las 21:50", "es", date(2009, 8, 15), (21, 50, 0)),
    ("5 juin 2018 à 10:23", "fr", date(2018, 6, 5), (10, 23, 0)),
    ("15 agosto 2009 alle 9:50", "it", date(2009, 8, 15), (9, 50, 0)),
    ("15 de agosto de 2009 às 09:50", "pt", date(2009, 8, 15), (9, 50, 0)),
    ("zaterdag 15 augustus 2009 om 09:50", "nl", date(2009, 8, 15), (9, 50, 0)),
    ("12:30 AM", "en", None, (0, 30, 0)),
    ("12:05 PM", "en", None, (12, 5, 0)),
]


@pytest.mark.parametrize("text,lang,day,clock", REAL_FORMATS)
def test_every_real_format_reads(text, lang, day, clock):
    reader = DateReader(lang)
    found = reader.read(text)
    assert found is not None, text
    assert found.day == day
    assert found.clock == clock
    assert reader.stats.dateparser_calls == 0, "the fast path should read every real format"


def test_fast_path_agrees_with_dateparser_on_a_sample():
    sample = [(t, lang, d) for t, lang, d, c in REAL_FORMATS if d is not None]
    settings = {"PARSERS": ["absolute-time"], "REQUIRE_PARTS": ["day", "month", "year"]}
    compared = 0
    for text, lang, _ in sample:
        ours = read_display(text, MDY if lang == "en" else DMY)
        theirs = dateparser.parse(text, languages=[lang], settings=settings)
        assert theirs is not None, text
        assert ours is not None and ours.combine() == theirs.replace(tzinfo=None), text
        compared += 1
    assert compared >= 15


def test_unreadable_goes_to_dateparser_then_flags_unparsed():
    reader = DateReader("en")
    assert reader.read("the 2nd day after the storm of 09") is None
    assert reader.stats.dateparser_calls == 1
    # cached: a second look costs nothing
    assert reader.read("the 2nd day after the storm of 09") is None
    assert reader.stats.dateparser_calls == 1
    # without a day and a year written there is nothing to read: dateparser (slow to start,
    # seconds when the language is unknown) is not asked
    for text in ("the day after the storm", "Permalink", "the day after the storm of 09",
                 "posted by Chris @ 9:51 PM", "Posted at 8:41 PM | link | follow-ups | 5 comments"):
        assert reader.read(text) is None
    assert reader.stats.dateparser_calls == 1
    ctx = BlogContext.simple("en", "UTC")
    raw = RawPost(url="http://b.example/2009/08/x.html", title="x", body_html="", date_header="the day after the storm")
    result = post_date(raw, ctx)
    assert result.date_flag == "unparsed"
    assert result.published is None and result.published_local is None
    assert result.date_raw == "the day after the storm"


def test_relative_strings_never_become_now():
    reader = DateReader("en")
    assert reader.read("2 hours ago") is None
    assert reader.read("now") is None
    assert reader.read("yesterday") is None


def test_dateparser_fallback_reads_languages_the_grammar_does_not_know():
    reader = DateReader("ru")
    found = reader.read("15 августа 2009 г.")
    assert found is not None and found.day == date(2009, 8, 15) and found.shape == "dateparser"
    assert reader.stats.dateparser_calls == 1


def test_numeric_order_is_learned_from_the_blog():
    assert learn_numeric_order(["8/15/2009 9:50 AM", "8/3/2009 1:00 PM"], "en") == MDY
    assert learn_numeric_order(["15/8/2009 9:50", "3/8/2009 13:00"], "en") == DMY
    assert learn_numeric_order(["3/8/2009"], "de") == DMY
    assert learn_numeric_order(["3/8/2009"], "en") == MDY
    assert read_display("3/8/2009", DMY).day == date(2009, 8, 3)
    assert read_display("3/8/2009", MDY).day == date(2009, 3, 8)


def test_timezone_option_forms():
    assert parse_timezone("+02:00").utcoffset(None) == timedelta(hours=2)
    assert parse_timezone("-0700").utcoffset(None) == timedelta(hours=-7)
    assert isinstance(parse_timezone("Europe/Berlin"), ZoneInfo)
    # a region folder and a name too long for the file system are not zones either
    for wrong in ("Mars/Olympus", "America", "Europe/" + "x" * 300):
        with pytest.raises(BlogportError, match="unknown time zone"):
            parse_timezone(wrong)


def test_iana_zone_gives_dst_correct_offsets_fixed_offset_does_not():
    iana = BlogContext.simple("en", "America/Los_Angeles")
    fixed = BlogContext.simple("en", "-07:00")
    summer = RawPost(url="http://b.example/2009/08/s.html", title="s", body_html="",
                     date_header="Saturday, August 15, 2009", published_text="9:50 AM")
    winter = RawPost(url="http://b.example/2009/12/w.html", title="w", body_html="",
                     date_header="Tuesday, December 15, 2009", published_text="9:50 AM")
    assert post_date(summer, iana).published == "2009-08-15T16:50:00+00:00"
    assert post_date(winter, iana).published == "2009-12-15T17:50:00+00:00"
    assert post_date(winter, iana).published_local == "2009-12-15T09:50:00-08:00"
    assert post_date(winter, fixed).published == "2009-12-15T16:50:00+00:00"


def test_zone_inferred_from_the_blogs_own_timestamps():
    posts = [
        RawPost(url="http://b.example/2009/08/a.html", title="a", body_html="", published_attr="2009-08-15T09:50:00-07:00"),
        RawPost(url="http://b.example/2009/12/b.html", title="b", body_html="", published_attr="2009-12-15T09:50:00-08:00",
                comments=(RawComment(post_url="http://b.example/2009/12/b.html", comment_id="1", position=0,
                                     body_html="hi", date_text="January 20, 2010 at 9:00 AM"),)),
    ]
    ctx = build_context(posts, None, TransformOptions())
    assert ctx.tz_source == "timestamps"
    assert ctx.tz.utcoffset(datetime(2010, 1, 20)) == timedelta(hours=-8)
    assert ctx.tz.utcoffset(datetime(2010, 7, 20)) == timedelta(hours=-7)
    # a displayed comment time is read in that zone
    result = comment_date(posts[1].comments[0], "January 20, 2010 at 9:00 AM", ctx, post_date(posts[1], ctx))
    assert result.published == "2010-01-20T17:00:00+00:00"
    assert result.published_local == "2010-01-20T09:00:00-08:00"
    one = infer_timezone([(datetime(2009, 8, 15, 16, 50), timedelta(hours=-7))])
    assert one is not None and one.tz.utcoffset(None) == timedelta(hours=-7)


def test_offset_inferred_from_permalink_ms_and_displayed_clock():
    # abookshelffullofsunshine: showComment=1381172401460 shown as "21:00" (CEST)
    display = read_display("21:00")
    obs = clock_offset_observation(1381172401460, display)
    assert obs is not None and obs[1] == timedelta(hours=2)


def test_iso_attribute_keeps_its_offset():
    ctx = BlogContext.simple("en", "UTC")
    raw = RawPost(url="http://b.example/2009/08/x.html", title="x", body_html="",
                  published_attr="2009-08-15T09:50:00-07:00", date_header="Saturday, August 15, 2009")
    result = post_date(raw, ctx)
    assert result.published == "2009-08-15T16:50:00+00:00"
    assert result.published_local == "2009-08-15T09:50:00-07:00"
    assert result.date_flag is None


def test_time_only_comment_takes_its_day_from_the_permalink_or_the_post():
    ctx = BlogContext.simple("de", "Europe/Berlin")
    post = RawPost(url="http://b.example/2013/10/x.html", title="x", body_html="", date_header="Samstag, 5. Oktober 2013")
    pdate = post_date(post, ctx)
    assert pdate.date_flag == "date-only"
    with_ms = RawComment(post_url=post.url, comment_id="1", position=0, body_html="", date_text="21:00",
                         timestamp_ms=1381172401460)
    r = comment_date(with_ms, "21:00", ctx, pdate)
    assert r.published == "2013-10-07T19:00:01+00:00"
    assert r.published_local == "2013-10-07T21:00:01+02:00"
    without = RawComment(post_url=post.url, comment_id="2", position=1, body_html="", date_text="21:00")
    r2 = comment_date(without, "21:00", ctx, pdate)
    assert r2.published_local == "2013-10-05T21:00:00+02:00"
    assert r2.date_flag == "day-from-post"


def test_a_blog_of_many_comments_spends_little_in_dateparser():
    reader = DateReader("en")
    for i in range(3000):
        reader.read(f"August {1 + i % 28}, {2005 + i % 10} at {1 + i % 12}:{i % 60:02d} {'AM' if i % 2 else 'PM'}")
    assert reader.stats.dateparser_calls == 0
    assert reader.stats.fast + reader.stats.cache_hits == 3000


_NAMES = {
    "en": (["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December"], ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]),
    "de": (["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
            "November", "Dezember"], ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]),
    "es": (["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
            "noviembre", "diciembre"], ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]),
    "fr": (["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
            "novembre", "décembre"], ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]),
    "it": (["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
            "ottobre", "novembre", "dicembre"], ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"]),
    "pt": (["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
            "novembro", "dezembro"], ["segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira",
                                      "sábado", "domingo"]),
    "nl": (["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
            "november", "december"], ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]),
}
_TEMPLATES = {
    "en": ["{W}, {M} {d}, {Y}", "{M} {d}, {Y} at {h12}:{mi} {ap}", "{d} {M} {Y}", "{W}, {d} {M} {Y}"],
    "de": ["{W}, {d}. {M} {Y}", "{d}. {M} {Y} um {H}:{mi}"],
    "es": ["{W}, {d} de {M} de {Y}", "{d} de {M} de {Y} {H}:{mi}"],
    "fr": ["{W} {d} {M} {Y}", "{d} {M} {Y} {H}:{mi}"],
    "it": ["{W} {d} {M} {Y}", "{d} {M} {Y} {H}:{mi}"],
    "pt": ["{W}, {d} de {M} de {Y}", "{d} de {M} de {Y} {H}:{mi}"],
    "nl": ["{W} {d} {M} {Y}", "{d} {M} {Y} {H}:{mi}"],
}


def test_fast_path_agrees_with_dateparser_on_generated_strings_in_seven_languages():
    import random

    rng = random.Random(11)
    settings = {"PARSERS": ["absolute-time"], "REQUIRE_PARTS": ["day", "month", "year"]}
    checked = 0
    for lang, templates in _TEMPLATES.items():
        months, weekdays = _NAMES[lang]
        for _ in range(16):
            when = datetime(2004, 1, 1) + timedelta(minutes=rng.randrange(60 * 24 * 365 * 15))
            text = rng.choice(templates).format(
                W=weekdays[when.weekday()], M=months[when.month - 1], d=when.day, Y=when.year, H=when.hour,
                h12=(when.hour % 12) or 12, mi=f"{when.minute:02d}", ap="AM" if when.hour < 12 else "PM")
            ours = read_display(text, MDY if lang == "en" else DMY)
            theirs = dateparser.parse(text, languages=[lang], settings=settings)
            assert ours is not None, text
            assert theirs is not None, text
            assert ours.combine() == theirs.replace(tzinfo=None), text
            checked += 1
    assert checked == 16 * len(_TEMPLATES)


def test_polish_dates_read_without_dateparser():
    """Real Polish Blogger pages (devblogi.pl) write the month in the genitive."""
    reader = DateReader("pl")
    assert reader.read("15 lutego 2010 10:31").day == date(2010, 2, 15)
    assert reader.read("środa, 17 lutego 2010 09:37").clock == (9, 37, 0)
    assert reader.read("3 października 2011").day == date(2011, 10, 3)
    assert reader.read("1 wrzesień 2012").day == date(2012, 9, 1)
    assert reader.stats.dateparser_calls == 0


def test_dateparser_is_asked_only_where_a_full_date_can_be_written():
    # every string dateparser reads with day, month and year required passes the filter,
    # and the reader's one DateDataParser answers as dateparser.parse does
    readable = [("ru", "15 августа 2009 г."), ("ja", "2009年8月15日 21:50"), ("tr", "15 Ağustos 2009 Cumartesi"),
                ("fi", "15. elokuuta 2009 klo 9.50"), ("el", "15 Αυγούστου 2009"), (None, "15 августа 2009 г."),
                ("en", "2009.08.15 9:50 PM"), ("cs", "15. srpna 2009 21:50")]
    for lang, text in readable:
        reader = DateReader(lang)
        settings = {**_DATEPARSER_SETTINGS_BASE, "DATE_ORDER": reader.numeric_order}
        theirs = dateparser.parse(text, languages=[lang] if lang else None, settings=settings)
        assert theirs is not None, text
        assert may_hold_full_date(text), text
        ours = reader._dateparser(text)
        assert ours is not None and ours.day == theirs.date(), text
    for text in ("posted by Chris @ 9:51 PM", "5 comments", "at 21h50", "Permalink", "August 2009"):
        assert not may_hold_full_date(text), text
        assert dateparser.parse(text, settings=_DATEPARSER_SETTINGS_BASE) is None, text
