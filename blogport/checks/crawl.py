"""Check 6: the crawl. Pages that failed and why, pages refused by robots.txt, pages skipped
for their size. A failure that a later fetch of the same page repaired is not reported."""

from __future__ import annotations

from typing import Any

from blogport.checks.base import ERROR, WARNING, Finding
from blogport.checks.context import Context

_KIND_TEXT = {
    "robots": ("refused by robots.txt", WARNING),
    "size": ("skipped: larger than the page size limit", WARNING),
    "http": ("failed with an HTTP error", ERROR),
    "network": ("failed: network error", ERROR),
    "parse": ("could not be parsed", ERROR),
    "xml": ("is not acceptable XML", ERROR),
}


def check_crawl(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    pages: dict[str, dict[str, Any]] = {page["url"]: page for page in ctx.pages}
    gone = ctx.deleted_urls()
    refused: list[str] = []
    reported: set[tuple[str, str]] = set()
    for issue in ctx.issues:
        kind = issue["kind"]
        if kind == "offsite":
            continue  # a link off the blog: not part of it
        text, severity = _KIND_TEXT.get(kind, (f"had a {kind} problem", ERROR))
        page = pages.get(issue["url"])
        if (page is not None and not page.get("error") and (page.get("status") or 0) < 400
                and page.get("status") is not None and (page.get("fetched_at") or "") >= (issue.get("at") or "")):
            continue  # fetched again later, and fine
        if (issue["url"], kind) in reported or issue["url"] in gone:
            continue
        reported.add((issue["url"], kind))
        if kind == "robots":
            refused.append(issue["url"])
            continue
        reason = f": {issue['reason']}" if issue.get("reason") else ""
        findings.append(Finding(severity, "crawl", f"page {text}{reason}", issue["url"], None, "page", None))
    if refused:
        # One line, not one per URL: Blogger's own robots.txt refuses every /search list
        # (labels, paging) while the posts stay reachable; the ledger counts what was missed.
        shown = ", ".join(refused[:4]) + (f" and {len(refused) - 4} more" if len(refused) > 4 else "")
        findings.append(Finding(WARNING, "crawl", f"{len(refused)} page{'' if len(refused) == 1 else 's'} refused by"
                                f" robots.txt: {shown}", refused[0], None, "page", None))
    for page in ctx.pages:
        status = page.get("status")
        if page["url"] in gone:
            continue  # a post deleted from the live blog: the ledger reports it
        if page.get("error"):
            if (page["url"], "parse") in reported or any((page["url"], k) in reported for k in _KIND_TEXT):
                continue
            findings.append(Finding(ERROR, "crawl", f"page failed: {page['error']}"
                                    + (f" (HTTP {status})" if status else ""), page["url"], None, "page", None))
        elif status is not None and status >= 400:
            if (page["url"], "http") in reported:
                continue
            findings.append(Finding(ERROR, "crawl", f"page answered HTTP {status}", page["url"], None, "page", None))
    return findings
