"""YAML front matter for Hugo and Jekyll: every string double-quoted, dates as RFC 3339.

The YAML is PyYAML's (``yaml.dump`` with the C emitter where it is built, block style, no
line folding below 10,000 characters). Front matter is nearly always a flat mapping of short
printable strings, dates, ``true`` and lists of strings; those are written here directly, in
exactly the form PyYAML writes them (``"..."`` with only ``"`` and ``\\`` escaped, block lists
``- "..."`` under their key), which takes a tenth of the time. Anything else (a control
character, a line break, a very long value, an empty list, another type) goes through
PyYAML itself, imported then.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any

_PLAIN_KEY = re.compile(r"[a-z][a-z0-9_]*")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
"""Keys PyYAML would quote (booleans and null of YAML 1.1): written by PyYAML itself."""
_NEEDS_ESCAPE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe-\U0010ffff]")
"""Characters libyaml writes as an escape sequence or line break in a double-quoted scalar
(controls, line and paragraph separators, the byte-order mark, non-characters, and PyYAML
escapes every character beyond U+FFFF as ``\\U...``), besides the
``"`` and ``\\`` written ``\\"`` and ``\\\\``. Named as a set, not as the complement of
the characters written as they are: the same characters, compiled in a tenth of the time."""
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[-+][0-9]{2}:[0-9]{2})?")
"""An ``isoformat()`` that YAML's implicit timestamp reads back as one (written plain)."""
_MAX_LINE = 8_000
"""Longer lines are left to PyYAML, which folds double-quoted lines past its width (10,000)."""


class Quoted(str):
    """A front-matter string written double-quoted: no YAML reader (PyYAML, go-yaml in Hugo,
    Psych in Jekyll) can take it for a number, boolean, date or comment."""


def _quoted(text: str) -> str | None:
    if len(text) > _MAX_LINE or _NEEDS_ESCAPE.search(text):
        return None
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _scalar(value: Any) -> str | None:
    """``value`` as PyYAML writes it after a key or a list dash; None when PyYAML must write it."""
    if isinstance(value, str):
        return _quoted(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, datetime):
        stamp = value.isoformat()
        return stamp if _TIMESTAMP.fullmatch(stamp) else None
    return None


def _direct(data: dict[str, Any]) -> str | None:
    """The YAML of a flat mapping of simple values, or None when it is not one."""
    if not data:
        return None
    lines: list[str] = []
    for key, value in data.items():
        if not isinstance(key, str) or not _PLAIN_KEY.fullmatch(key) or key in _YAML_WORDS:
            return None
        if isinstance(value, list):
            if not value:
                return None
            lines.append(f"{key}:\n")
            for item in value:
                text = _scalar(item)
                if text is None:
                    return None
                lines.append(f"- {text}\n")
            continue
        text = _scalar(value)
        if text is None:
            return None
        lines.append(f"{key}: {text}\n")
    return "".join(lines)


def _quote_values(value: Any) -> Any:
    if isinstance(value, str):
        return Quoted(value)
    if isinstance(value, list):
        return [_quote_values(v) for v in value]
    if isinstance(value, dict):
        return {k: _quote_values(v) for k, v in value.items()}
    return value


@functools.cache
def _dumper() -> Any:
    import yaml  # only for front matter the direct form does not cover (start-up)

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class FrontMatterDumper(base):  # type: ignore[misc, valid-type]
        """Safe YAML whose datetimes are RFC 3339 (``2009-08-15T09:50:00-07:00``), as Hugo documents."""

    FrontMatterDumper.add_representer(
        datetime, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:timestamp", data.isoformat()))
    FrontMatterDumper.add_representer(
        Quoted, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"'))
    return FrontMatterDumper


def yaml_dump(data: dict[str, Any]) -> str:
    """``data`` as PyYAML writes it: every string double-quoted, dates as RFC 3339 timestamps."""
    import yaml  # see _dumper

    return yaml.dump(_quote_values(data), Dumper=_dumper(), allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=10_000)


def front_matter(data: dict[str, Any]) -> str:
    """YAML front matter between ``---`` lines; every string value double-quoted, dates as
    RFC 3339 timestamps."""
    body = _direct(data)
    if body is None:
        body = yaml_dump(data)
    return f"---\n{body}---\n"
