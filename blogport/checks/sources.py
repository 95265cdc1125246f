"""What the source pages themselves said about their comments: comments that live on another
service (Disqus, Facebook, Google+, HaloScan...), and pages whose two sources disagree (the
comment markup and the comment script, the declared count and the comments shown).

These findings belong to the "crawl" section of the report: they are facts about the old
pages, each with the page's URL, not losses of the migration.
"""

from __future__ import annotations

from blogport.checks.base import WARNING, Finding
from blogport.checks.context import Context


def check_sources(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    elsewhere: dict[str, list[str]] = {}
    for raw in ctx.raw_posts:
        if raw.comments_elsewhere:
            elsewhere.setdefault(raw.comments_elsewhere, []).append(raw.url)
        if raw.missing:
            findings.append(Finding(WARNING, "crawl", f"the page does not hold the whole post: {raw.missing}",
                                    raw.url, None, "post", raw.post_id))
        for line in (raw.disagreements or "").splitlines():
            if line.strip():
                findings.append(Finding(WARNING, "crawl", f"the page's sources disagree: {line.strip()}",
                                        raw.url, None, "post", raw.post_id))
    for service, urls in sorted(elsewhere.items()):
        shown = ", ".join(urls[:3]) + (f" and {len(urls) - 3} more" if len(urls) > 3 else "")
        findings.append(Finding(
            WARNING, "crawl",
            f"comments live on {service}, not on Blogger: {len(urls)} post{'' if len(urls) == 1 else 's'} ({shown});"
            f" they are not in the pages, so they were not migrated (export them from {service})",
            urls[0], None, "post", None,
        ))
    return findings
