"""The few portfolio-level charts, drawn once per report with matplotlib (Agg) as PNG.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot), so no
global state is touched and no window backend is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from finwarn.report import _format as fmt
from finwarn.report._svg import RAISES

__all__ = ["calibration_chart", "dimension_chart", "horizon_chart", "level_chart"]

_DPI = 150


def _figure(width: float, height: float):  # -> matplotlib.figure.Figure
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=_DPI)
    figure.patch.set_facecolor("white")
    return figure


def _tidy(axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=10)


def level_chart(
    levels: Sequence[str],
    counts: Sequence[int],
    shares: Sequence[float],
    colours: Sequence[str],
    path: Path,
) -> Path:
    """Horizontal bars, one per warning level, lowest level at the bottom.

    Each bar is labelled with its count and share.
    """
    figure = _figure(4.6, 0.4 * len(levels) + 0.9)
    axes = figure.subplots()
    positions = list(range(len(levels)))
    axes.barh(positions, counts, color=colours, edgecolor="#444", linewidth=0.5)
    axes.set_yticks(positions, [str(level) for level in levels])
    top = max([*counts, 1])
    for y, (n, s) in enumerate(zip(counts, shares, strict=True)):
        axes.text(n + top * 0.01, y, f"{fmt.count(n)} ({fmt.share(s)})", va="center", fontsize=10)
    axes.set_xlim(0, top * 1.25)
    axes.set_xlabel("firms", fontsize=10)
    _tidy(axes)
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def dimension_chart(
    dimensions: Sequence[str], counts: Sequence[int], alerted: int, alert_level: str, path: Path
) -> Path:
    """Horizontal bars: alerted firms whose contribution in a dimension raises their risk."""
    figure = _figure(6.4, 0.34 * len(dimensions) + 0.9)
    axes = figure.subplots()
    positions = list(range(len(dimensions)))[::-1]  # first dimension on top
    axes.barh(positions, counts, color=RAISES, alpha=0.85)
    axes.set_yticks(positions, list(dimensions))
    for y, n in zip(positions, counts, strict=True):
        axes.text(n + max(alerted, 1) * 0.01, y, fmt.count(n), va="center", fontsize=10)
    axes.set_xlim(0, max(alerted, 1) * 1.08)
    axes.set_xlabel(
        f"firms at or above '{alert_level}' with a risk-raising contribution "
        f"(of {fmt.count(alerted)})",
        fontsize=10,
    )
    _tidy(axes)
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def calibration_chart(predicted: Sequence[float], observed: Sequence[float], path: Path) -> Path:
    """Mean predicted probability against observed distress rate per bin, with the diagonal."""
    figure = _figure(3.8, 3.6)
    axes = figure.subplots()
    finite = [v for v in [*predicted, *observed] if not fmt.is_missing(v)]
    top = min(1.0, max([*finite, 0.01]) * 1.08)
    axes.plot([0, top], [0, top], color="#999", linestyle="--", linewidth=1, label="perfect")
    axes.plot(predicted, observed, color=RAISES, marker="o", markersize=4, label="model")
    axes.set_xlim(0, top)
    axes.set_ylim(0, top)
    axes.set_aspect("equal")
    axes.set_xlabel("mean predicted probability", fontsize=10)
    axes.set_ylabel("observed distress rate", fontsize=10)
    axes.legend(fontsize=8, frameon=False, loc="upper left")
    _tidy(axes)
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path


def horizon_chart(
    horizons: Sequence[float],
    series: dict[str, tuple[Sequence[float], Sequence[float]]],
    path: Path,
    *,
    ylabel: str = "ROC-AUC",
) -> Path:
    """One line per model: a metric's mean (with ±1 sd bars) against years to the outcome.

    Parameters
    ----------
    horizons : sequence of float
        Years between the statements and the outcome, one per point; the axis runs from
        the longest horizon to the shortest, so distress approaches from left to right.
    series : dict
        Model name -> (means, sds), aligned with ``horizons`` (NaN for no figure).
    path : Path
        The PNG to write.
    """
    figure = _figure(6.4, 4.0)
    axes = figure.subplots()
    for name, (means, sds) in series.items():
        axes.errorbar(
            list(horizons),
            list(means),
            yerr=list(sds),
            marker="o",
            markersize=4,
            linewidth=1.2,
            capsize=3,
            label=name,
        )
    axes.set_xticks(sorted(set(horizons)))
    axes.set_xlim(max(horizons) + 0.5, min(horizons) - 0.5)
    axes.set_xlabel("years between the statements and the outcome", fontsize=10)
    axes.set_ylabel(ylabel, fontsize=10)
    axes.grid(axis="y", color="#ddd", linewidth=0.6)
    axes.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    _tidy(axes)
    figure.tight_layout()
    figure.savefig(path, format="png")
    return path
