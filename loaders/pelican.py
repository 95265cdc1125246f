"""Pelican's own Markdown metadata form, and the names Pelican gives things.

Stock Pelican (4.x) reads a Markdown file with Python-Markdown's ``meta`` extension: the
first lines are ``Key: value``, one per line (keys are lower-cased, values stripped), up to
the first blank line; then the body. There is no quoting, so a value is written as it is,
on one line: line breaks, carriage returns and tabs in a value become spaces (a reader
would otherwise end the value there, or expand the tab), and the surrounding spaces are
dropped (the reader strips them anyway).

Tags: Pelican splits ``Tags:`` on ``;`` when the value holds one, else on ``,``, strips each
name and drops empty ones. Names are joined with ``", "``; when a name holds a comma they
are joined with ``"; "`` instead (with a trailing ``;`` for a single name), so the comma
stays inside its tag. A ``;`` inside a name can never survive either way: it is written as
the fullwidth semicolon ``；`` (U+FF1B), which looks the same and gives the same tag slug
(Pelican's slugify folds it back to ``;`` and drops it).
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import datetime

from text_unidecode import unidecode

from loaders.source import xml_safe

_LINE_BREAKING = re.compile("[\r\n\t\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_TAGS_IN_NAME = re.compile(r"<!--.*?-->|<[^>]*>", re.S)
_SLUG_SUBS = ((re.compile(r"[^\w\s-]"), ""), (re.compile(r"\A\s*"), ""), (re.compile(r"\s*\Z"), ""),
              (re.compile(r"[-\s]+"), "-"))
"""Pelican's default ``SLUG_REGEX_SUBSTITUTIONS`` (also its ``TAG_REGEX_SUBSTITUTIONS``)."""
FULLWIDTH_SEMICOLON = "\uff1b"
PELICANCONF_MARKER = "# pelicanconf.py written by blogport for this export."


def meta_value(text: str | None) -> str:
    """``text`` as one metadata value: on one line, no surrounding spaces."""
    return _LINE_BREAKING.sub(" ", text or "").strip()


def meta_date(dt: datetime) -> str:
    """``2009-08-15 09:50:00-07:00``: the clock time as written, with its offset (Pelican's
    ``get_date`` reads it with dateutil and keeps the offset)."""
    return dt.isoformat(sep=" ", timespec="seconds")


def tag_name(name: str) -> str:
    """A label's name as Pelican will read it back from ``tags_field``."""
    return meta_value(xml_safe(name)).replace(";", FULLWIDTH_SEMICOLON)


def tags_field(names: list[str]) -> str:
    """The value of ``Tags:`` that Pelican splits back into ``names`` (see ``tag_name``)."""
    written = [n for n in (tag_name(name) for name in names) if n]
    if not any("," in n for n in written):
        return ", ".join(written)
    return "; ".join(written) + (";" if len(written) == 1 else "")


def pelican_slugify(name: str) -> str:
    """The slug Pelican's default settings give a tag (``tag/{slug}.html``): tags stripped,
    NFKC, transliterated to ASCII, anything but word characters, spaces and hyphens dropped,
    runs of spaces and hyphens made one hyphen, lower-cased."""
    value = " ".join(html.unescape(_TAGS_IN_NAME.sub("", name)).split())
    value = unidecode(unicodedata.normalize("NFKC", value))
    for pattern, replacement in _SLUG_SUBS:
        value = pattern.sub(replacement, value)
    return value.lower().strip()


def metadata_block(items: list[tuple[str, str]]) -> str:
    """``Key: value`` lines for ``items`` (values already one line), ending with the blank
    line that closes the block."""
    lines = [f"{key}: {value}" if value else f"{key}:" for key, value in items]
    return "\n".join(lines) + "\n\n"


def save_as(url: str) -> str:
    """The file Pelican writes for a site path: ``/2009/08/x/`` -> ``2009/08/x/index.html``."""
    path = url.lstrip("/")
    return path + "index.html" if path.endswith("/") or not path else path


def pelicanconf(title: str, language: str) -> str:
    """A ``pelicanconf.py`` for the export: Pelican's own URL defaults written out (the
    redirect maps and rewritten links point at them; a ``new_url_pattern`` is written per
    post as ``Url:`` and ``Save_as:``), content in ``content/``, the comment threads, text
    that stays text in the theme (``striptags`` escapes what it gives), and the plugin that
    writes a redirect page at each old URL (``plugins/blogport_redirects.py``)."""
    return (
        f"{PELICANCONF_MARKER}\n"
        "# Delete the line above to keep your own edits: blogport then leaves this file alone.\n"
        "# The URL settings are the ones the redirect maps (redirects/) and the rewritten links\n"
        "# in the posts point at: change them and those no longer agree.\n"
        "# Pelican's themes show SITENAME as HTML: the blog's title is written as text.\n"
        f"SITENAME = {html.escape(title, quote=False)!r}\n"
        "SITEURL = ''\n"
        "PATH = 'content'\n"
        "PAGE_PATHS = ['pages']\n"
        "STATIC_PATHS = ['images']\n"
        "TIMEZONE = 'UTC'  # every post date carries its own offset\n"
        f"DEFAULT_LANG = {(language or 'en')!r}\n"
        "# Posts live in content/YYYY/: without this the year would become each post's category.\n"
        "USE_FOLDER_AS_CATEGORY = False\n"
        "ARTICLE_URL = '{slug}.html'\n"
        "ARTICLE_SAVE_AS = '{slug}.html'\n"
        "PAGE_URL = 'pages/{slug}.html'\n"
        "PAGE_SAVE_AS = 'pages/{slug}.html'\n"
        "TAG_URL = 'tag/{slug}.html'\n"
        "TAG_SAVE_AS = 'tag/{slug}.html'\n"
        "FEED_ALL_ATOM = 'feeds/all.atom.xml'\n"
        "ARCHIVES_SAVE_AS = 'archives.html'\n"
        "# Comments are in data/comments/<slug>.json (outside content/, so Pelican never reads\n"
        "# them as posts); each post names its file in its Comments_data metadata, and the\n"
        "# templates in themes/blogport/templates (on top of the theme) show them under each post\n"
        "# through blogport-comments.html.\n"
        "import datetime as _datetime\n"
        "import json as _json\n"
        "import os as _os\n"
        "_HERE = _os.path.dirname(_os.path.abspath(__file__))\n"
        "_COMMENTS = _os.path.join(_HERE, 'data', 'comments')\n"
        "\n"
        "\n"
        "def _blogport_comments(name):\n"
        "    \"\"\"The comments of a post's Comments_data file (only files in data/comments/).\"\"\"\n"
        "    if not isinstance(name, str) or not name:\n"
        "        return []\n"
        "    path = _os.path.realpath(_os.path.join(_HERE, name))\n"
        "    if _os.path.dirname(path) != _os.path.realpath(_COMMENTS):\n"
        "        return []\n"
        "    with open(path, encoding='utf-8') as fh:\n"
        "        return _json.load(fh)\n"
        "\n"
        "\n"
        "def _blogport_striptags(value):\n"
        "    \"\"\"Jinja's striptags, its text escaped again: themes print it in attributes\n"
        "    (title=\"Permalink to ...\") and titles, where a title that shows HTML as text would\n"
        "    otherwise become markup.\"\"\"\n"
        "    import markupsafe\n"
        "    return markupsafe.escape(markupsafe.Markup(str(value)).striptags())\n"
        "\n"
        "\n"
        "def _blogport_date(text):\n"
        "    try:\n"
        "        return _datetime.datetime.fromisoformat(text).strftime('%B %d, %Y at %H:%M')\n"
        "    except (TypeError, ValueError):\n"
        "        return text\n"
        "\n"
        "\n"
        "JINJA_FILTERS = {'blogport_comments': _blogport_comments, 'blogport_date': _blogport_date,\n"
        "                 'striptags': _blogport_striptags}\n"
        "# Tag pages and the tag list with the label names escaped (on top of the theme's own).\n"
        "THEME_TEMPLATES_OVERRIDES = [_os.path.join(_HERE, 'themes', 'blogport', 'templates')]\n"
        "# plugins/blogport_redirects.py writes a redirect page at every old Blogger URL (Blogger_url).\n"
        "# Naming PLUGINS turns off the automatic loading of installed plugins: list yours here too.\n"
        "PLUGIN_PATHS = [_os.path.join(_HERE, 'plugins')]\n"
        "PLUGINS = ['blogport_redirects']\n"
    )

