"""Render the report as one self-contained HTML page (Jinja2, autoescaped, inline CSS and SVG)."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from blogport.checks.base import FAILED
from blogport.report.chart import MISMATCH_COLOUR, OUTPUT_COLOUR, SOURCE_COLOUR, render_chart

if TYPE_CHECKING:
    from blogport.checks.base import LedgerEntry
    from blogport.validate import Report

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MAX_FINDINGS_PER_CHECK = 300
MAX_LEDGER_ROWS = 500
MAX_FULL_LEDGER = 2000
"""The whole ledger is listed in the page (folded) up to this many items; report.json always has it."""

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def old_href(url: str | None) -> str | None:
    """Only plain web addresses become links (never ``javascript:`` from a crawled page)."""
    if url and re.match(r"^https?://", url, re.I):
        return url
    return None


def item_href(link: str | None) -> str | None:
    """A relative link to an exported file; SQLite rows are not links (shown as text)."""
    if not link or _SCHEME.match(link) or link.startswith(("/", "\\")) or link.startswith("blog.db"):
        return None
    return quote(link, safe="/#-._~")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["old_href"] = old_href
    env.filters["item_href"] = _once(item_href)  # the page asks twice per link: test, then href
    return env


def _once(function: Callable[[str | None], str | None]) -> Callable[[str | None], str | None]:
    """``function`` with its answers kept for one environment (one report), not the process."""
    answers: dict[str | None, str | None] = {}

    def cached(value: str | None) -> str | None:
        try:
            return answers[value]
        except KeyError:
            answer = answers[value] = function(value)
            return answer

    return cached


TEMPLATE_NAME = "report.html.j2"
COMPILED = Path(__file__).resolve().parent / "report_compiled.py"
"""The report template compiled by Jinja2 ahead of time (``python -m blogport.report.render``
writes it): compiling the template took 30 ms of every validation."""


def _source_stamp() -> str:
    """What the compiled template must have been made from: the template's SHA-256 and Jinja2's version."""
    digest = hashlib.sha256((TEMPLATES / TEMPLATE_NAME).read_bytes()).hexdigest()
    return f"{digest} jinja2-{jinja2.__version__}"


def compiled_source(env: jinja2.Environment) -> str:
    """The Python module ``COMPILED`` holds: Jinja2's code for the template, with its stamp."""
    source = (TEMPLATES / TEMPLATE_NAME).read_text(encoding="utf-8")
    code = env.compile(source, TEMPLATE_NAME, TEMPLATE_NAME, raw=True, defer_init=True)
    return (f'"""The report template compiled by Jinja2: written by ``python -m blogport.report.render``\n'
            f'from blogport/templates/{TEMPLATE_NAME}; do not edit."""\n# fmt: off\n# ruff: noqa\n'
            f"STAMP = {_source_stamp()!r}\n{code}\n")


def _template(env: jinja2.Environment) -> jinja2.Template:
    """The report template: the compiled one when it was made from this very template with
    this Jinja2, else compiled now from the template file."""
    try:
        from blogport.report import report_compiled
    except ImportError:
        report_compiled = None  # type: ignore[assignment]
    if report_compiled is not None and getattr(report_compiled, "STAMP", None) == _source_stamp():
        return env.template_class.from_module_dict(env, vars(report_compiled), env.make_globals(None))
    return env.get_template(TEMPLATE_NAME)


def _escaped(value: object) -> str:
    """``markupsafe.escape(value)`` for the plain values of a ledger entry, as a ``str``."""
    return (str(value).replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
            .replace("'", "&#39;").replace('"', "&#34;"))


def full_ledger_rows(entries: Iterable["LedgerEntry"], formats: Iterable[str],
                     href: Callable[[str | None], str | None] = item_href) -> Markup:
    """The rows of the page's whole-ledger table, one ``<tr>`` line group per item, every value
    escaped: built here once per item rather than by the template, whose per-cell tests and
    calls cost more than the whole ledger check on a blog of a thousand items."""
    formats = tuple(formats)
    red = '<span class="red">✗</span>'
    parts: list[str] = []
    add = parts.append
    for e in entries:
        status = _escaped(e.status)
        add(f'    <tr><td><span class="st {status}">{status}</span></td>\n      <td>{_escaped(e.item_type)}')
        if e.item_type == "comment":
            add(" on")
        add(f" “{_escaped(e.title or '(untitled)')}”")
        if e.item_id:
            add(f" <code>{_escaped(e.item_id)}</code>")
        add("</td>\n      <td>")
        old = old_href(e.old_url)
        if old:
            add(f'<a href="{_escaped(old)}">{_escaped(e.old_url)}</a>')
        elif e.old_url:
            add(f"<code>{_escaped(e.old_url)}</code>")
        add("</td>\n")
        for fmt in formats:
            p = e.placement(fmt)
            if not p:
                cell = red
            elif p.status == FAILED:
                cell = f'<span class="red" title="{_escaped(p.reason)}">✗</span>'
            else:
                link = href(p.link)
                cell = f'<a href="{_escaped(link)}">✓</a>' if link else f'<span title="{_escaped(p.link)}">✓</span>'
            add(f"      <td>{cell}</td>\n")
        add("</tr>\n")
    return Markup("".join(parts))


def prepare_ledger(entries: list["LedgerEntry"], formats: Iterable[str]) -> dict[str, Any]:
    """What ``render_html`` makes of the ledger alone, made beforehand (while the content check
    runs in a child): the environment and the whole-ledger rows."""
    env = _environment()
    rows = full_ledger_rows(entries, formats, env.filters["item_href"]) if len(entries) <= MAX_FULL_LEDGER else None
    return {"env": env, "entries": len(entries), "rows": rows}


def render_html(report: "Report", prepared: dict[str, Any] | None = None) -> str:
    """The page; ``prepared``: ``prepare_ledger`` of this very report's ledger."""
    from blogport.validate import CHECK_TITLES, CHECKS

    by_check: dict[str, list[Any]] = {name: [] for name in CHECKS}
    for finding in report.findings:
        by_check.setdefault(finding.check, []).append(finding)
    not_ok = [e for e in report.ledger if e.status != "ok"]
    not_ok.sort(key=lambda e: (e.status != "failed", e.item_type, e.source_key))
    if prepared is None or prepared["entries"] != len(report.ledger):
        prepared = prepare_ledger(list(report.ledger), report.formats)
    env = prepared["env"]
    template = _template(env)
    full_ledger = list(report.ledger) if len(report.ledger) <= MAX_FULL_LEDGER else None
    return template.render(
        report=report,
        totals=report.totals,
        checks=CHECKS,
        check_titles=CHECK_TITLES,
        by_check=by_check,
        counts=report.by_check(),
        chart=Markup(render_chart(list(report.months))),
        months_differ=[m for m in report.months if m.differs],
        not_ok=not_ok[:MAX_LEDGER_ROWS],
        not_ok_total=len(not_ok),
        max_findings=MAX_FINDINGS_PER_CHECK,
        max_ledger=MAX_LEDGER_ROWS,
        full_ledger=full_ledger,
        full_ledger_rows=prepared["rows"],
        colours={"source": SOURCE_COLOUR, "output": OUTPUT_COLOUR, "mismatch": MISMATCH_COLOUR},
    )


def main() -> int:
    """Write ``COMPILED`` from the template (run after changing the template)."""
    text = compiled_source(_environment())
    COMPILED.write_text(text, encoding="utf-8")
    print(f"wrote {COMPILED}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
