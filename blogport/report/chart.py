"""The report's chart: posts and comments per month, source next to outputs, as inline SVG
(no script, no external resource)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from html import escape

SOURCE_COLOUR = "#7b93b8"
OUTPUT_COLOUR = "#2e7d32"
MISMATCH_COLOUR = "#c62828"
WIDGET_COLOUR = "#222"


@dataclass(frozen=True)
class MonthCounts:
    month: str
    """"YYYY-MM", or "unknown" for items without a date or URL month."""
    source_posts: int = 0
    output_posts: int = 0
    source_comments: int = 0
    output_comments: int = 0
    widget_posts: int | None = None
    """What the blog's archive widget declares for the month, when it does."""

    @property
    def differs(self) -> bool:
        widget = self.widget_posts is not None and self.widget_posts != self.source_posts
        return widget or self.source_posts != self.output_posts or self.source_comments != self.output_comments

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def _nice_max(value: int) -> int:
    if value <= 1:
        return 1
    if value <= 10:
        return value + (value % 2)  # even, so the middle grid line is a whole number
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _panel(months: list[MonthCounts], y0: float, height: float, width: float, left: float, group: float,
           title: str, source: list[int], output: list[int], widget: list[int | None] | None) -> list[str]:
    parts: list[str] = []
    top = max(source + output + [w for w in (widget or []) if w is not None] + [1])
    scale_max = _nice_max(top)
    plot_h = height - 34
    base = y0 + 22 + plot_h
    parts.append(f'<text x="{left}" y="{y0 + 14}" class="ct">{escape(title)}</text>')
    for frac in (0, 0.5, 1):
        y = base - frac * plot_h
        parts.append(f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="ax" text-anchor="end">{int(scale_max * frac)}</text>')
    bar = max(min(group * 0.38, 26.0), 1.0)
    for i, month in enumerate(months):
        gx = left + i * group
        differs = source[i] != output[i] or (widget is not None and widget[i] is not None and widget[i] != source[i])
        if differs:
            parts.append(f'<rect x="{gx:.1f}" y="{y0 + 20}" width="{group:.1f}" height="{plot_h + 2:.1f}"'
                         f' class="diff"><title>{escape(month.month)}: counts differ</title></rect>')
        cx = gx + group / 2
        for value, x, colour, label in (
            (source[i], cx - bar - 0.5, SOURCE_COLOUR, "source"),
            (output[i], cx + 0.5, MISMATCH_COLOUR if source[i] != output[i] else OUTPUT_COLOUR, "outputs"),
        ):
            h = plot_h * value / scale_max
            parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                         f'<title>{escape(month.month)}: {value} {label}</title></rect>')
        if widget is not None and widget[i] is not None:
            y = base - plot_h * widget[i] / scale_max
            parts.append(f'<line x1="{cx - bar - 2:.1f}" x2="{cx + bar + 2:.1f}" y1="{y:.1f}" y2="{y:.1f}"'
                         f' stroke="{WIDGET_COLOUR}" stroke-width="2"><title>{escape(month.month)}: archive widget'
                         f' says {widget[i]}</title></line>')
    return parts


def render_chart(months: list[MonthCounts]) -> str:
    """Two panels (posts, comments) of grouped bars per month: source, then outputs."""
    if not months:
        return '<p class="muted">No dated posts to chart.</p>'
    left = 44.0
    group = max(8.0, min(90.0, 1060.0 / len(months)))
    width = max(left + group * len(months) + 12, 360.0)
    panel_h = 170.0
    label_every = max(1, int(round(40 / group)))
    height = 2 * panel_h + 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}"'
             f' width="{width:.0f}" height="{height:.0f}" role="img" aria-label="Posts and comments per month,'
             ' source next to outputs" class="chart">',
             "<style>.ct{font:600 13px sans-serif;fill:#222}.ax{font:10px sans-serif;fill:#555}"
             ".grid{stroke:#ddd;stroke-width:1}.diff{fill:#fde7e7}</style>"]
    parts += _panel(months, 0, panel_h, width, left, group, "Posts per month",
                    [m.source_posts for m in months], [m.output_posts for m in months],
                    [m.widget_posts for m in months])
    parts += _panel(months, panel_h + 6, panel_h, width, left, group, "Comments per month",
                    [m.source_comments for m in months], [m.output_comments for m in months], None)
    label_y = 2 * panel_h + 22
    for i, month in enumerate(months):
        if i % label_every == 0 or month.month == "unknown":
            x = left + i * group + group / 2
            parts.append(f'<text x="{x:.1f}" y="{label_y}" class="ax" text-anchor="end"'
                         f' transform="rotate(-45 {x:.1f} {label_y})">{escape(month.month)}</text>')
    parts.append("</svg>")
    return "".join(parts)
