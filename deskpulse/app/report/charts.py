"""Small static SVG charts for the HTML report: pure functions from numbers to markup.

No JavaScript and nothing fetched at view time, so a report opens offline and prints. Every
point or bar carries a <title> with its exact value (hover to read it), all text is escaped,
and a missing value (None) leaves a gap instead of pretending to be zero. The legend has its
own row under the title (no gridline runs through it) and names only series that have data;
gridlines sit at round steps (deskpulse/app/report/axes.py); the first and last x labels are
anchored
inside the frame; points of a partial period are hollow, on a shaded band, and left out of
the line, so a week the range only half covers does not read as a collapse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from html import escape

from deskpulse.app.report.axes import label, ticks

WIDTH, HEIGHT = 640, 250
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 46, 30
LEGEND_Y = 32
PALETTE = ("#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2")
LABEL_PX = 56  # room for one x label ("Oct 12" at 10px, and a gap)


def _frame(chart_id: str, title: str, body: str, legend: str = "") -> str:
    return (f'<svg class="chart" data-chart="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}"'
            f' role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
            f'<title>{escape(title)}</title>'
            f'<text x="{LEFT}" y="16" class="chart-title">{escape(title)}</text>'
            f"{legend}{body}</svg>")


def _y_axis(values: list[float], unit: str, y: Callable[[float], float]) -> str:
    parts = []
    for value in values:
        at = y(value)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at:.1f}" y2="{at:.1f}" '
                     f'class="grid"/><text x="{LEFT - 6}" y="{at + 4:.1f}" class="tick" '
                     f'text-anchor="end">{escape(label(value, unit))}</text>')
    return "".join(parts)


def _x_labels(labels: Sequence[str], x: Callable[[int], float]) -> str:
    """As many labels as fit, always the last (the newest period), anchored so that the
    first and last stay inside the frame."""
    if not labels:
        return ""
    fit = max(1, int((WIDTH - LEFT - RIGHT) // LABEL_PX))
    every = max(1, -(-len(labels) // fit))
    shown = sorted(range(len(labels) - 1, -1, -every))
    parts = []
    for i in shown:
        anchor = "end" if i == len(labels) - 1 and len(labels) > 1 else \
            "start" if i == 0 else "middle"
        parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" class="tick x" '
                     f'text-anchor="{anchor}">{escape(_short(labels[i]))}</text>')
    return "".join(parts)


def _short(text: str) -> str:
    """A day or week label as "Oct 12" (the page heading gives the years); other text as is."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text
    return f"{day:%b} {day.day}"


def _legend(names: Sequence[str], colors: Sequence[str]) -> str:
    parts, at = [], LEFT
    for name, color in zip(names, colors, strict=True):
        parts.append(f'<g class="legend" data-series="{escape(name)}">'
                     f'<line x1="{at}" x2="{at + 14}" y1="{LEGEND_Y - 4}" y2="{LEGEND_Y - 4}" '
                     f'stroke="{color}" stroke-width="3"/><text x="{at + 18}" y="{LEGEND_Y}" '
                     f'class="tick">{escape(name)}</text></g>')
        at += 30 + 6 * len(name)
    return "".join(parts)


def line_chart(chart_id: str, title: str, labels: Sequence[str],
               series: dict[str, Sequence[float | None]], unit: str = "",
               partial: dict[int, str] | None = None) -> str:
    """One line per series over categorical `labels` (days, weeks), `unit` "h" (seconds
    drawn in hours), "%" or "" (counts). `partial` maps the index of a period the range
    only partly covers to why ("3 of 7 days"): its points are hollow and off the line."""
    partial = partial or {}
    series = {name: points for name, points in series.items()
              if any(v is not None for v in points)}
    if not series:
        return empty_chart(chart_id, title, "no data in period")
    values = [v for points in series.values() for v in points if v is not None]
    grid = ticks(max(values), unit)
    top, span = grid[-1], max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * i / span

    def y(v: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * v / top

    body = [_bands(partial, span), _y_axis(grid, unit, y), _x_labels(labels, x)]
    colors = [PALETTE[n % len(PALETTE)] for n in range(len(series))]
    for (name, points), color in zip(series.items(), colors, strict=True):
        segment: list[str] = []
        for i, value in enumerate([*points, None]):
            if value is None or i in partial:
                if len(segment) > 1:
                    body.append(f'<polyline data-series="{escape(name)}" fill="none" '
                                f'stroke="{color}" stroke-width="2" '
                                f'points="{" ".join(segment)}"/>')
                segment = []
                if value is None:
                    continue
            else:
                segment.append(f"{x(i):.1f},{y(value):.1f}")
            note = f" (partial: {partial[i]})" if i in partial else ""
            body.append(f'<circle class="point{" partial" if i in partial else ""}" '
                        f'cx="{x(i):.1f}" cy="{y(value):.1f}" '
                        f'r="{3.5 if i in partial else 2.5}" '
                        f'fill="{"#fff" if i in partial else color}" stroke="{color}">'
                        f"<title>{escape(name)} {escape(labels[i])}{escape(note)}: "
                        f"{escape(label(value, unit) if unit else _number(value))}</title>"
                        "</circle>")
    return _frame(chart_id, title, "".join(body), _legend(list(series), colors))


def _bands(partial: dict[int, str], span: int) -> str:
    """A shaded band behind each partial period, labelled "partial"."""
    step = (WIDTH - LEFT - RIGHT) / span
    parts = []
    for i, why in sorted(partial.items()):
        left = max(LEFT, LEFT + step * (i - 0.5))
        right = min(WIDTH - RIGHT, LEFT + step * (i + 0.5))
        parts.append(f'<rect class="partial-band" x="{left:.1f}" y="{TOP}" '
                     f'width="{right - left:.1f}" height="{HEIGHT - TOP - BOTTOM}" '
                     f'fill="#f3f4f6"><title>partial period: {escape(why)}</title></rect>'
                     f'<text class="tick partial-label" x="{(left + right) / 2:.1f}" '
                     f'y="{TOP + 10}" text-anchor="middle">partial</text>')
    return "".join(parts)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(chart_id: str, title: str, bars: Sequence[tuple[str, float]]) -> str:
    """Horizontal bars of counts, largest first."""
    bars = sorted(bars, key=lambda item: -item[1])[:12]
    if not bars:
        return empty_chart(chart_id, title, "no data in period")
    top = ticks(max(v for _label, v in bars), "")[-1]
    row = (HEIGHT - 28 - 12) / len(bars)
    body = []
    for i, (name, value) in enumerate(bars):
        y = 28 + 4 + i * row
        width = (WIDTH - LEFT - RIGHT - 60) * value / top
        body.append(
            f'<text x="{LEFT + 40}" y="{y + row * 0.65:.1f}" class="tick" text-anchor="end">'
            f'{escape(name)}</text><rect class="bar" x="{LEFT + 46}" y="{y:.1f}" '
            f'width="{width:.1f}" height="{row * 0.7:.1f}" fill="{PALETTE[0]}">'
            f"<title>{escape(name)}: {escape(_number(value))}</title></rect>"
            f'<text x="{LEFT + 50 + width:.1f}" y="{y + row * 0.65:.1f}" class="tick">'
            f"{escape(_number(value))}</text>")
    return _frame(chart_id, title, "".join(body))


def empty_chart(chart_id: str, title: str, message: str) -> str:
    """A chart whose input is missing says so instead of drawing zeros."""
    return _frame(chart_id, title, f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" class="missing" '
                                   f'text-anchor="middle">{escape(message)}</text>')
