"""The 3-D view of paper 000: firms by solvency, operating capability and profitability.

Renders what :class:`finwarn.clusters.RiskClusters` computed; computes nothing itself.
The HTML embeds plotly.js (no CDN, readable offline); the PNG is drawn by matplotlib.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from finwarn._io import atomic_write

__all__ = ["write_cluster_view_html", "write_cluster_view_png"]

# Colours from safest to riskiest cluster (colour-blind-safe, Okabe-Ito).
_COLOURS = ("#009E73", "#56B4E9", "#E69F00", "#D55E00", "#CC79A7", "#0072B2", "#F0E442")


def _axis(name: str) -> str:
    return f"{name.replace('_', ' ')} risk"


def _colour(cluster: int) -> str:
    return _COLOURS[(cluster - 1) % len(_COLOURS)]


def write_cluster_view_html(
    scores: pd.DataFrame,
    clusters: np.ndarray,
    descriptions: list[str],
    path: str | Path,
    *,
    hover: pd.Series | None = None,
    title: str = "Firms by solvency, operating capability and profitability",
) -> Path:
    """Write an interactive 3-D scatter of three score columns, one colour per cluster.

    Parameters
    ----------
    scores : DataFrame
        Exactly three risk-oriented score columns (x, y, z).
    clusters : ndarray of int
        Cluster number (1 = safest) of each row.
    descriptions : list of str
        Words for cluster 1, 2, ...
    path : str or Path
        The HTML file to write (self-contained: plotly.js is embedded).
    hover : Series, optional
        Text shown when pointing at a firm (e.g. its id and level).
    """
    import plotly.graph_objects as go

    if scores.shape[1] != 3:
        raise ValueError(f"the 3-D view needs three score columns, got {list(scores.columns)}")
    x, y, z = scores.columns
    figure = go.Figure()
    for number, text in enumerate(descriptions, start=1):
        rows = clusters == number
        figure.add_trace(
            go.Scatter3d(
                x=scores.loc[rows, x],
                y=scores.loc[rows, y],
                z=scores.loc[rows, z],
                mode="markers",
                name=f"cluster {number}: {text} ({int(rows.sum())} firms)",
                text=None if hover is None else hover[rows],
                hovertemplate="%{text}<br>" + f"{_axis(x)} %{{x:.2f}}<br>{_axis(y)} %{{y:.2f}}"
                f"<br>{_axis(z)} %{{z:.2f}}<extra>cluster {number}</extra>",
                marker={"size": 3, "color": _colour(number), "opacity": 0.75},
            )
        )
    figure.update_layout(
        title=title,
        scene={"xaxis_title": _axis(x), "yaxis_title": _axis(y), "zaxis_title": _axis(z)},
        legend={"orientation": "h", "y": -0.05},
        margin={"l": 0, "r": 0, "t": 50, "b": 0},
        template="plotly_white",
    )
    html = figure.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False})

    def write(tmp: Path) -> None:
        tmp.write_text(html, encoding="utf-8")

    return atomic_write(path, write)


def write_cluster_view_png(
    scores: pd.DataFrame,
    clusters: np.ndarray,
    descriptions: list[str],
    path: str | Path,
    *,
    title: str = "Firms by solvency, operating capability and profitability",
) -> Path:
    """Write a static PNG of the same 3-D scatter (matplotlib, no browser needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if scores.shape[1] != 3:
        raise ValueError(f"the 3-D view needs three score columns, got {list(scores.columns)}")
    x, y, z = scores.columns
    figure = plt.figure(figsize=(9, 7.5), dpi=120)
    axes = figure.add_subplot(projection="3d")
    for number, text in enumerate(descriptions, start=1):
        rows = clusters == number
        axes.scatter(
            scores.loc[rows, x],
            scores.loc[rows, y],
            scores.loc[rows, z],
            s=6,
            alpha=0.6,
            color=_colour(number),
            label=f"{number}: {text} ({int(rows.sum())})",
        )
    axes.set_xlabel(_axis(x))
    axes.set_ylabel(_axis(y))
    axes.set_zlabel(_axis(z))
    axes.set_title(title)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), fontsize=8, frameon=False)
    figure.tight_layout()

    def write(tmp: Path) -> None:
        figure.savefig(tmp, format="png")

    try:
        return atomic_write(path, write)
    finally:
        plt.close(figure)
