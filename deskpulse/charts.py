"""Small static SVG charts for the HTML report: pure functions from numbers to markup.

No JavaScript and nothing fetched at view time, so a report opens offline and prints. Every
point or bar carries a <title> with its exact value (hover to read it), all text is escaped,
and a missing value (None) leaves a gap instead of pretending to be zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 44
PALETTE = ("#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2")
Format = Callable[[float], str]


def number(value: float) -> str:
    """Counts without decimals, other values with one."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _frame(chart_id: str, title: str, body: str, legend: str = "") -> str:
    return (f'<svg class="chart" data-chart="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}"'
            f' role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
            f'<title>{escape(title)}</title>'
            f'<text x="{LEFT}" y="16" class="chart-title">{escape(title)}</text>'
            f"{legend}{body}</svg>")


def _y_axis(top: float, fmt: Format) -> str:
    parts = []
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'class="grid"/><text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick" '
                     f'text-anchor="end">{escape(fmt(value))}</text>')
    return "".join(parts)


def _x_labels(labels: Sequence[str], x: Callable[[int], float]) -> str:
    every = max(1, len(labels) // 8)
    return "".join(
        f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" class="tick" '
        f'text-anchor="middle">{escape(label)}</text>'
        for i, label in enumerate(labels) if i % every == 0)


def _legend(names: Sequence[str]) -> str:
    return "".join(
        f'<rect x="{WIDTH - RIGHT - 120}" y="{8 + 14 * n}" width="10" height="10" '
        f'fill="{PALETTE[n % len(PALETTE)]}"/><text x="{WIDTH - RIGHT - 106}" y="{17 + 14 * n}" '
        f'class="tick">{escape(name)}</text>' for n, name in enumerate(names))


def line_chart(chart_id: str, title: str, labels: Sequence[str],
               series: dict[str, Sequence[float | None]], fmt: Format = number) -> str:
    """One line per series over categorical `labels` (days, weeks)."""
    values = [v for points in series.values() for v in points if v is not None]
    top = _nice_max(max(values, default=0))
    span = max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * i / span

    def y(v: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * v / top

    body = [_y_axis(top, fmt), _x_labels(labels, x)]
    for n, (name, points) in enumerate(series.items()):
        color = PALETTE[n % len(PALETTE)]
        segment: list[str] = []
        for i, value in enumerate([*points, None]):
            if value is None:
                if len(segment) > 1:
                    body.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                                f'points="{" ".join(segment)}"/>')
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(value):.1f}")
            body.append(f'<circle class="point" cx="{x(i):.1f}" cy="{y(value):.1f}" r="2.5" '
                        f'fill="{color}"><title>{escape(name)} {escape(labels[i])}: '
                        f"{escape(fmt(value))}</title></circle>")
    return _frame(chart_id, title, "".join(body), _legend(list(series)))


def bar_chart(chart_id: str, title: str, bars: Sequence[tuple[str, float]],
              fmt: Format = number) -> str:
    """Horizontal bars, largest first."""
    bars = sorted(bars, key=lambda item: -item[1])[:12]
    top = _nice_max(max((v for _label, v in bars), default=0))
    row = (HEIGHT - TOP - 12) / max(len(bars), 1)
    body = []
    for i, (label, value) in enumerate(bars):
        y = TOP + 4 + i * row
        width = (WIDTH - LEFT - RIGHT - 60) * value / top
        body.append(
            f'<text x="{LEFT + 40}" y="{y + row * 0.65:.1f}" class="tick" text-anchor="end">'
            f'{escape(label)}</text><rect class="bar" x="{LEFT + 46}" y="{y:.1f}" '
            f'width="{width:.1f}" height="{row * 0.7:.1f}" fill="{PALETTE[0]}">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
            f'<text x="{LEFT + 50 + width:.1f}" y="{y + row * 0.65:.1f}" class="tick">'
            f"{escape(fmt(value))}</text>")
    return _frame(chart_id, title, "".join(body))


def empty_chart(chart_id: str, title: str, message: str) -> str:
    """A chart whose input is missing says so instead of drawing zeros."""
    return _frame(chart_id, title, f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" class="missing" '
                                   f'text-anchor="middle">{escape(message)}</text>')
