"""The scored warnings of a portfolio as a result object."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["WARNING_COLUMNS", "Warnings", "make_warnings"]

WARNING_COLUMNS = ["entity", "period", "probability", "level", "rank"]


@dataclass(frozen=True)
class Warnings:
    """Probability, level and rank of every scored firm-period.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns ``entity, period, probability, level, rank`` (rank 1 = riskiest),
        followed by ``note`` where a row carries a data-quality remark.
    levels : tuple of str
        The level names, lowest first.
    """

    frame: pd.DataFrame
    levels: tuple[str, ...]

    def table(self) -> pd.DataFrame:
        """The warnings, riskiest first."""
        return self.frame.copy()

    def counts(self) -> pd.DataFrame:
        """Number and share of firms at each level, lowest level first."""
        counts = self.frame["level"].value_counts().reindex(list(self.levels), fill_value=0)
        total = max(len(self.frame), 1)
        return pd.DataFrame(
            {
                "level": list(self.levels),
                "firms": counts.to_numpy(),
                "share": (counts.to_numpy() / total).round(4),
            }
        )


def make_warnings(
    ids: pd.DataFrame,
    probability: np.ndarray,
    score: np.ndarray,
    levels: np.ndarray,
    level_names: tuple[str, ...],
    notes: pd.Series | None = None,
) -> Warnings:
    """Assemble warnings; rank by probability, ties broken by the raw score.

    Parameters
    ----------
    ids : DataFrame
        ``entity`` and, if present, ``period`` of each scored row.
    probability, score : ndarray
        Calibrated probability and uncalibrated model score of distress.
    levels : ndarray of str
        Warning level of each row.
    level_names : tuple of str
        All level names, lowest first.
    notes : Series, optional
        Data-quality remark per row ("" for none).
    """
    frame = pd.DataFrame(
        {
            "entity": ids["entity"].to_numpy(),
            "period": ids["period"].to_numpy() if "period" in ids else pd.NA,
            "probability": np.round(np.asarray(probability, dtype=float), 6),
            "level": np.asarray(levels, dtype=object),
        }
    )
    order = np.lexsort((-np.asarray(score, dtype=float), -np.asarray(probability, dtype=float)))
    rank = np.empty(len(frame), dtype=int)
    rank[order] = np.arange(1, len(frame) + 1)
    frame["rank"] = rank
    if notes is not None and (notes.astype(str) != "").any():
        frame["note"] = notes.to_numpy()
    frame = frame.sort_values("rank").reset_index(drop=True)
    return Warnings(frame=frame, levels=tuple(level_names))
