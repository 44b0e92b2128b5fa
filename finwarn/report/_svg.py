"""Small inline SVG charts for the firm pages: cheap to draw by the thousand.

A firm page has a few trend lines and a dimension profile; drawing them with matplotlib
would cost tens of milliseconds each, so they are written as SVG text here instead.
Browsers and weasyprint both draw inline SVG. Every text placed in a chart is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

from finwarn.report import _format as fmt

__all__ = ["FIRM", "LOWERS", "PEER", "RAISES", "dimension_profile", "level_colours", "trend"]

# Okabe-Ito colours (colour-blind safe); the sign is also written as text next to bars.
RAISES = "#D55E00"
LOWERS = "#0072B2"
FIRM = "#0072B2"
PEER = "#7f7f7f"

# Safest to riskiest level: green, yellow, orange, red (text always names the level).
_LEVEL_ANCHORS = ("#1a9850", "#fee08b", "#fc8d59", "#d73027")


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def level_colours(n: int) -> list[tuple[str, str]]:
    """Background and text colour of ``n`` levels, safest first.

    >>> level_colours(4)[0], level_colours(4)[-1]
    (('#1a9850', '#ffffff'), ('#d73027', '#ffffff'))
    """
    anchors = [_rgb(c) for c in _LEVEL_ANCHORS]
    out = []
    for i in range(n):
        t = i / (n - 1) if n > 1 else 1.0
        pos = t * (len(anchors) - 1)
        lo = min(int(pos), len(anchors) - 2)
        f = pos - lo
        rgb = [round(a + (b - a) * f) for a, b in zip(anchors[lo], anchors[lo + 1], strict=True)]
        luminance = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255
        ink = "#1a1a1a" if luminance > 0.6 else "#ffffff"
        out.append(("#{:02x}{:02x}{:02x}".format(*rgb), ink))
    return out


def _finite(values: Sequence[Any]) -> list[float]:
    return [float(v) for v in values if not fmt.is_missing(v) and math.isfinite(float(v))]


def _tick(value: float) -> str:
    """An axis label: 3 significant digits (the exact values are printed under the chart)."""
    return f"{value:.3g}"


def _path(points: list[tuple[float, float] | None]) -> str:
    """An SVG path through the points, broken where a point is missing."""
    parts, pen_down = [], False
    for point in points:
        if point is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{point[0]:.1f} {point[1]:.1f}")
        pen_down = True
    return " ".join(parts)


def trend(
    periods: Sequence[object],
    firm: Sequence[Any],
    peer: Sequence[Any],
    *,
    title: str,
    width: int = 240,
    height: int = 84,
) -> Markup:
    """A small line chart: the firm's value per period (solid) and the peer median (dashed).

    Parameters
    ----------
    periods : sequence
        Period labels, oldest first.
    firm, peer : sequence of float or None
        The firm's value and the peer median in each period (None / NaN = missing).
    title : str
        What the chart shows (read by screen readers and shown on hover).
    width, height : int
        Size in CSS pixels.
    """
    left, right, top, bottom = 50, 8, 6, 16  # room for a label like -0.00177
    plot_w, plot_h = width - left - right, height - top - bottom
    values = _finite(firm) + _finite(peer)
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi - lo < 1e-12:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    n = len(periods)

    def xy(i: int, v: Any) -> tuple[float, float] | None:
        if fmt.is_missing(v) or not math.isfinite(float(v)):
            return None
        x = left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        y = top + plot_h * (1 - (float(v) - lo) / (hi - lo))
        return x, y

    firm_points = [xy(i, v) for i, v in enumerate(firm)]
    peer_points = [xy(i, v) for i, v in enumerate(peer)]
    dots = "".join(
        f'<circle cx="{p[0]:.1f}" cy="{p[1]:.1f}" r="2.2" fill="{FIRM}"/>'
        for p in firm_points
        if p is not None
    )
    first, last = (escape(fmt.text(periods[0])), escape(fmt.text(periods[-1]))) if n else ("", "")
    base = top + plot_h
    svg = (
        f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#bbb" stroke-width="1"/>'
        f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#bbb" '
        f'stroke-width="1"/>'
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" font-size="10" '
        f'fill="#555">{_tick(hi)}</text>'
        f'<text x="{left - 4}" y="{base}" text-anchor="end" font-size="10" '
        f'fill="#555">{_tick(lo)}</text>'
        f'<text x="{left}" y="{height - 3}" font-size="10" fill="#555">{first}</text>'
        f'<text x="{width - right}" y="{height - 3}" text-anchor="end" font-size="10" '
        f'fill="#555">{last}</text>'
        f'<path d="{_path(peer_points)}" fill="none" stroke="{PEER}" stroke-width="1.4" '
        f'stroke-dasharray="4 3"/>'
        f'<path d="{_path(firm_points)}" fill="none" stroke="{FIRM}" stroke-width="1.8"/>'
        f"{dots}</svg>"
    )
    return Markup(svg)


def dimension_profile(
    labels: Sequence[str],
    values: Sequence[Any],
    *,
    width: int = 420,
    row: int = 20,
) -> Markup:
    """Horizontal bars around zero: to the right (red) raises the risk, to the left lowers it.

    Parameters
    ----------
    labels : sequence of str
        Dimension labels, one bar each, top to bottom.
    values : sequence of float or None
        Contribution of each dimension (log-odds; missing values get no bar).
    width, row : int
        Width of the chart and height of one bar row, in CSS pixels.
    """
    label_w, value_w = 140, 46
    plot_left = label_w + value_w
    plot_w = width - plot_left - value_w
    centre = plot_left + plot_w / 2
    scale = max([abs(v) for v in _finite(values)] + [1e-12])
    height = row * len(labels) + 14
    rows = []
    for i, (name, value) in enumerate(zip(labels, values, strict=True)):
        y = 4 + i * row
        mid = y + row / 2 + 3
        rows.append(
            f'<text x="{label_w - 4}" y="{mid:.1f}" text-anchor="end" font-size="12" '
            f'fill="#222">{escape(name)}</text>'
        )
        if fmt.is_missing(value) or not math.isfinite(float(value)):
            rows.append(
                f'<text x="{centre:.1f}" y="{mid:.1f}" text-anchor="middle" font-size="10" '
                f'fill="#777">{fmt.MISSING}</text>'
            )
            continue
        v = float(value)
        length = plot_w / 2 * abs(v) / scale
        x = centre if v >= 0 else centre - length
        colour = RAISES if v > 0 else LOWERS
        text_x, anchor = (centre + length + 4, "start") if v >= 0 else (centre - length - 4, "end")
        rows.append(
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(length, 0.5):.1f}" height="{row - 6}" '
            f'fill="{colour}"/>'
            f'<text x="{text_x:.1f}" y="{mid:.1f}" text-anchor="{anchor}" font-size="10" '
            f'fill="#222">{escape(fmt.signed(v))}</text>'
        )
    axis_bottom = 4 + row * len(labels)
    svg = (
        f'<svg class="profile" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Contribution to the risk by dimension">'
        f"<title>Contribution to the risk by dimension (right = raises the risk)</title>"
        f"{''.join(rows)}"
        f'<line x1="{centre:.1f}" y1="2" x2="{centre:.1f}" y2="{axis_bottom}" stroke="#555" '
        f'stroke-width="1"/>'
        f'<text x="{centre - 6:.1f}" y="{height - 1}" text-anchor="end" font-size="10" '
        f'fill="{LOWERS}">lowers risk</text>'
        f'<text x="{centre + 6:.1f}" y="{height - 1}" font-size="10" fill="{RAISES}">'
        f"raises risk</text></svg>"
    )
    return Markup(svg)
