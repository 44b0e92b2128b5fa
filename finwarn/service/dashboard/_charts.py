"""Inline SVG bar charts of the alert view (the firm page's trend lines come from the report).

Drawn as text, so a page needs no script, no image request and nothing from the network.
Every label is escaped; colours are SVG presentation attributes, which the dashboard's
Content-Security-Policy allows (inline ``style`` attributes it does not).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["bar_chart"]


def bar_chart(
    labels: Sequence[str],
    counts: Sequence[int],
    colours: Sequence[str],
    *,
    title: str,
    total: int | None = None,
    width: int = 440,
    row: int = 24,
) -> Markup:
    """Horizontal bars, one per label, each followed by its count (and share of ``total``).

    Parameters
    ----------
    labels : sequence of str
        One bar each, top to bottom.
    counts : sequence of int
        The length of each bar.
    colours : sequence of str
        Fill of each bar (``#rrggbb``).
    title : str
        What the chart shows (read by screen readers and shown on hover).
    total : int, optional
        Print each count's share of this total after it (e.g. ``12 (8.0%)``).
    width, row : int
        Width of the chart and height of one bar, in CSS pixels.

    Examples
    --------
    >>> svg = bar_chart(["none", "heavy"], [3, 1], ["#1a9850", "#d73027"], title="Firms")
    >>> svg.count("<rect"), "heavy</text>" in svg
    (2, True)
    """
    label_w, value_w = 130, 86
    plot_w = width - label_w - value_w
    top = max([*counts, 1])
    height = row * len(labels) + 4
    rows = []
    for i, (label, n, colour) in enumerate(zip(labels, counts, colours, strict=True)):
        y = 2 + i * row
        mid = y + row / 2 + 4
        length = plot_w * n / top
        value = f"{n:,}"
        if total:
            value += f" ({100 * n / total:.1f}%)"
        rows.append(
            f'<text x="{label_w - 8}" y="{mid:.1f}" text-anchor="end" font-size="12" '
            f'fill="#1f2328">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{max(length, 1.0):.1f}" '
            f'height="{row - 6}" rx="2" fill="{escape(colour)}" stroke="#00000026"/>'
            f'<text x="{label_w + length + 6:.1f}" y="{mid:.1f}" font-size="11" '
            f'fill="#1f2328">{escape(value)}</text>'
        )
    svg = (
        f'<svg class="bars" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<line x1="{label_w}" y1="0" x2="{label_w}" y2="{height}" stroke="#8c959f" '
        f'stroke-width="1"/>{"".join(rows)}</svg>'
    )
    return Markup(svg)
