from __future__ import annotations

import pytest

from kernel.records import RawComment, RawPost
from transform.authors import (
    author_identity,
    clean_name,
    make_author,
    merge_authors,
    normalise_url,
    split_glued,
)
from transform.core import BlogContext, transform_post
from transform.dates import read_display


def _parses(text: str) -> bool:
    return read_display(text) is not None


def test_glued_name_and_date_split():
    assert split_glued("Joan Koerber-WalkerAugust 15, 2009 at 9:50 AM", _parses) == (
        "Joan Koerber-Walker", "August 15, 2009 at 9:50 AM")
    assert split_glued("Ruby21:00", _parses) == ("Ruby", "21:00")
    assert split_glued("Unknown10. September 2017 um 18:12", _parses) == ("Unknown", "10. September 2017 um 18:12")
    assert split_glued("Andjela GligorijevicMittwoch, Mai 10, 2017 4:14:00 PM", _parses) == (
        "Andjela Gligorijevic", "Mittwoch, Mai 10, 2017 4:14:00 PM")
    # a name that starts like a month keeps it
    assert split_glued("May SmithAugust 15, 2009 at 9:50 AM", _parses) == ("May Smith", "August 15, 2009 at 9:50 AM")
    # no date at all: the whole header is the name
    assert split_glued("Just A Name", _parses) == ("Just A Name", None)


@pytest.mark.parametrize("raw", [
    "Leo said...", "Leo said…", "Leo dijo...", "Leo hat gesagt…", "Leo a dit…", "Leo ha detto...",
    "Leo disse...", "Leo zei...", "Leo skrev...", "Leo skrev…", "Leo said ...",
    "Posted by Leo", "posted by Leo", "Eingestellt von Leo", "Publicado por Leo", "Publié par Leo",
    "Pubblicato da Leo", "posted by Leo @", "  Leo\xa0said...  ", "posted by Leo @ 7:00 AM",
    "Comment by Leo", "Eingestellt von Leo um 21:11",
    "Leo pisze...", "Leo napisał...", "Leo sa...", "Leo sagde...", "Leo kirjoitti...", "Leo schreef...",
    "Gepostet von Leo", "Geplaatst door Leo", "Opublikowane przez Leo", "Upplagd av Leo", "Diposting oleh Leo",
    "By Leo, at", "posted by Leo |",
])
def test_said_and_posted_by_stripped_in_every_language(raw):
    assert clean_name(raw) == "Leo"


def test_names_that_merely_look_like_prefixes_stay_whole():
    assert clean_name("Da Vinci") == "Da Vinci"
    assert clean_name("Saidah") == "Saidah"
    assert clean_name("Lisa") == "Lisa" and clean_name("Marsays") == "Marsays"  # "sa", "says" only as words
    assert clean_name("Byron") == "Byron"


def test_byline_keeps_the_people_not_their_job_title_or_team():
    # real bylines: srid-readability/blogspot.orig.html, extractus-article-extractor/...blogContent.html,
    # trafilatura/eval__security.googleblog.com.protection.html
    assert clean_name("Posted by Aaron Brown, Senior Product Manager") == "Aaron Brown"
    assert clean_name("Posted by David Blanar, Apprentice Magizoologist, Google") == "David Blanar"
    assert clean_name("Posted by Nathan Parker, Varun Khaneja, Eric Mill and Kiran C Nair - Chrome Safe Browsing team") == (
        "Nathan Parker, Varun Khaneja, Eric Mill and Kiran C Nair")


def test_profile_url_identifies_a_person_across_spellings():
    a = make_author("Leo Bottary", "https://www.blogger.com/profile/0123456789", anonymous_key="c1")
    b = make_author("leo b.", "http://draft.blogger.com/profile/0123456789", anonymous_key="c2")
    assert a.id == b.id == "blogger:0123456789"
    merged = merge_authors([a, b, a])
    assert len(merged) == 1 and merged[0].name == "Leo Bottary"


def test_website_then_name_identity():
    assert normalise_url("https://www.Example.com/blog/") == "example.com/blog"
    assert author_identity("Joan", "http://example.com/blog", anonymous_key="1") == "url:example.com/blog"
    assert author_identity("Joan", "https://www.example.com/blog/", anonymous_key="1") == "url:example.com/blog"
    assert author_identity("José  Pérez", None, anonymous_key="1") == author_identity("jose perez", None, anonymous_key="2")


@pytest.mark.parametrize("name", ["Anonymous", "Anónimo", "Anonym", "Unknown", "Anonimowy"])
def test_anonymous_distinct_per_comment_unless_url(name):
    a = make_author(name, None, anonymous_key="c1")
    b = make_author(name, None, anonymous_key="c2")
    assert a.id != b.id
    c = make_author(name, "https://www.blogger.com/profile/42", anonymous_key="c3")
    d = make_author(name, "https://www.blogger.com/profile/42", anonymous_key="c4")
    assert c.id == d.id == "blogger:42"


def test_merge_prefers_a_real_name_over_unknown():
    a = make_author("Unknown", "https://www.blogger.com/profile/17995061625121164959", anonymous_key="c1", is_owner=True)
    b = make_author("Jasmin", "https://www.blogger.com/profile/17995061625121164959", anonymous_key="p")
    merged = merge_authors([a, b])
    assert merged == [type(a)(id=a.id, name="Jasmin", url=a.url, is_owner=True)]


def test_owner_marked_and_owner_replies_join_the_post_author():
    url = "http://leo.blogspot.com/2009/08/x.html"
    raw = RawPost(
        url=url, title="x", body_html="<p>x</p>", post_id="9", published_attr="2009-08-15T09:50:00-07:00",
        author_name="Posted by Leo Bottary", author_url="https://www.blogger.com/profile/111",
        comments=(
            RawComment(post_url=url, comment_id="1", position=0, body_html="hi", author_text="Anonymous said...",
                       date_text="August 15, 2009 at 9:50 AM"),
            RawComment(post_url=url, comment_id="2", position=1, body_html="hi again", author_text="Anonymous",
                       date_text="August 15, 2009 at 9:51 AM"),
            RawComment(post_url=url, comment_id="3", position=2, body_html="thanks", author_text="Leo Bottary said...",
                       date_text="August 15, 2009 at 10:00 AM", is_blog_author=True),
        ),
    )
    result = transform_post(raw, BlogContext.simple("en", "America/Los_Angeles"))
    owner = next(a for a in result.authors if a.id == "blogger:111")
    assert owner.is_owner and owner.name == "Leo Bottary"
    ids = [c.author_id for c in result.comments]
    assert ids[0] != ids[1] and ids[0].startswith("anon:")
    assert ids[2] == "blogger:111"
    assert sum(1 for a in result.authors if not a.is_owner) == 2


@pytest.mark.parametrize("header, name, date", [
    ("Clara MaríaAugust 15, 2009 at 9:50 AM", "Clara María", "August 15, 2009 at 9:50 AM"),
    ("Clara María15 de agosto de 2009, 9:50", "Clara María", "15 de agosto de 2009, 9:50"),
    ("José Ñúñez12 de mayo de 2010 17:05", "José Ñúñez", "12 de mayo de 2010 17:05"),
    # "de la O" is part of the name, not the start of a date
    ("Ana María de la O3 de marzo de 2011, 10:15", "Ana María de la O", "3 de marzo de 2011, 10:15"),
    ("Zoë Ångström10. September 2017 um 18:12", "Zoë Ångström", "10. September 2017 um 18:12"),
    ("María José MayaMay 3, 2011 at 10:00 PM", "María José Maya", "May 3, 2011 at 10:00 PM"),
    ("Mai Nguyễn21:00", "Mai Nguyễn", "21:00"),
    # dates the reader cannot read whole: the name still stops where the date is glued to it
    ("Ирина Петрова14 мая 2010 г., 10:00", "Ирина Петрова", "14 мая 2010 г., 10:00"),
    ("山田太郎2010年5月14日 10:00", "山田太郎", "2010年5月14日 10:00"),
    ("Ελένη Παπαδοπούλου15 Μαΐου 2010 10:00", "Ελένη Παπαδοπούλου", "15 Μαΐου 2010 10:00"),
    # digits in a name are no year
    ("R2D2 said... 21:00", "R2D2", "21:00"),
    ("Leo said... August 15, 2009 at 9:50 AM", "Leo", "August 15, 2009 at 9:50 AM"),
])
def test_glued_bylines_in_many_languages_keep_the_whole_name(header, name, date):
    assert split_glued(header, _parses) == (name, date)


@pytest.mark.parametrize("name", [
    "Clara María", "José María Pérez", "Ana y Luis", "Anna i Marta", "Ole og Kari", "Nguyễn Thị Minh Khai",
    "Jean-Luc Picard", "Zoë Ångström", "Ирина Петрова", "山田 太郎", "Ελένη Παπαδοπούλου", "Emilio Cobos Álvarez",
])
def test_names_with_accents_and_spaces_stay_whole(name):
    assert clean_name(name) == name
    assert clean_name(f"{name} said...") == name
    assert make_author(name, None, anonymous_key="c").name == name


def _profile(name: str, pid: str = "15125391292271585848") -> object:
    return make_author(name, f"http://www.blogger.com/profile/{pid}", anonymous_key="c")


def test_one_person_shows_the_whole_name_they_used():
    # ecoal95-blogger-to-wordpress/blog.xml: one profile signs "Clara María" once, then "Clara" 38 times
    merged = merge_authors([_profile("Clara María")] + [_profile("Clara")] * 38)
    assert [a.name for a in merged] == ["Clara María"]
    merged = merge_authors([_profile("Emilio Cobos")] * 3 + [_profile("Emilio Cobos Álvarez")] * 2)
    assert [a.name for a in merged] == ["Emilio Cobos Álvarez"]
    # accents kept over a spelling without them
    merged = merge_authors([_profile("Jose Perez")] * 5 + [_profile("José Pérez")])
    assert [a.name for a in merged] == ["José Pérez"]


def test_a_different_name_of_one_person_does_not_replace_the_most_used():
    # same file: one profile signs "KazoO" and "Daniel Guerrero"
    merged = merge_authors([_profile("Daniel Guerrero", "1")] * 2 + [_profile("KazoO", "1")] * 5)
    assert [a.name for a in merged] == ["KazoO"]
    # a longer name that merely starts with the same letters is another name
    merged = merge_authors([_profile("Clara", "2")] * 3 + [_profile("Clarabelle Smith", "2")])
    assert [a.name for a in merged] == ["Clara"]
    # two people sharing a first name never merge (no profile, no URL: the names differ)
    a, b = make_author("Clara", None, anonymous_key="1"), make_author("Clara María", None, anonymous_key="2")
    assert a.id != b.id and {x.name for x in merge_authors([a, b])} == {"Clara", "Clara María"}
