"""The XML pieces of a WXR file: CDATA, escaped text, WordPress dates."""

from __future__ import annotations

from datetime import timezone
from email.utils import format_datetime

from loaders.source import parse_iso, xml_safe


def escape(data: str) -> str:
    """``xml.sax.saxutils.escape``: ``&``, ``>`` and ``<`` as entities (that module imports
    ``urllib.request``, ``http.client`` and ``ssl``, 8 ms of start-up, for its other uses)."""
    return data.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(data: str) -> str:
    """``xml.sax.saxutils.quoteattr``: ``data`` escaped, line breaks and tabs as character
    references, in double quotes (single when it holds ``"`` but no ``'``)."""
    data = escape(data).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' in data:
        if "'" in data:
            return '"%s"' % data.replace('"', "&quot;")
        return "'%s'" % data
    return '"%s"' % data


def cdata(text: str | None) -> str:
    """``text`` as CDATA: forbidden characters dropped, ``]]>`` split across two sections."""
    return "<![CDATA[" + xml_safe(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text(value: str | int | None) -> str:
    return escape(xml_safe(str(value))) if value is not None else ""


def gmt_datetime(iso: str | None) -> str:
    dt = parse_iso(iso)
    if dt is None:
        return ""
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def pub_date(iso: str | None) -> str:
    dt = parse_iso(iso)
    if dt is None:
        return ""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return format_datetime(dt.astimezone(timezone.utc))
