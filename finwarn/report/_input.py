"""What the early-warning report shows: result tables computed elsewhere, rendered here.

``report/`` computes nothing: the workflow fills a :class:`ReportInput` from the
scoring, explanation and clustering results, and the renderer only lays it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["ReportInput"]


@dataclass(frozen=True)
class ReportInput:
    """Everything the report renders. Every frame may be empty (its section then says so).

    Attributes
    ----------
    title : str
        E.g. "Early-warning report: demo portfolio".
    generated : str
        ISO timestamp of the run.
    data_description : str
        Where the data came from; starts with "SIMULATED" for the demo panel.
    simulated : bool
        True for simulated data (the report then carries a visible banner).
    levels : tuple of str
        Warning levels, lowest first (e.g. none, light, moderate, heavy).
    alert_level : str
        Firms at or above this level count as warned.
    page_level : str
        Firms at or above this level get a page of their own.
    warnings : DataFrame
        One row per scored firm: ``entity``, ``period`` (may be NA), ``probability``,
        ``level``, ``rank`` (1 = riskiest), optional ``industry`` and ``note``;
        riskiest first. The same rows and numbers as ``warnings.csv``.
    reasons : DataFrame
        ``entity``, ``period``, ``order`` (1 = strongest), ``feature``, ``name`` (readable
        indicator name), ``dimension``, ``value``, ``percentile`` (0-100, within the peer
        group), ``peer_group`` (industry name or "all firms"), ``contribution`` (to the
        model's log-odds; > 0 raises the risk), ``effect`` ("raises" / "lowers") and
        ``text`` (the plain-language reason). At least three rows per scored firm.
    dimension_contributions : DataFrame
        ``entity``, ``period``, ``dimension``, ``contribution`` (sum over the dimension's
        features): what drives each firm's risk, by dimension.
    history : DataFrame
        For firms with a page: ``entity``, ``period``, ``feature``, ``name``, ``value``,
        ``peer_median`` (the feature's median over the firm's peer group in that period):
        the firm's trend against its own past and its peers. Empty without periods.
    migrations : DataFrame
        ``entity``, ``previous_period``, ``previous_level``, ``period``, ``level``,
        ``change`` ("upgrade" = less risky, "downgrade" = riskier, "unchanged").
        Empty when there is no previous period.
    clusters : DataFrame
        Cluster summary (``cluster``, ``firms``, ``share``, centre columns,
        ``description``); empty when not computed.
    cluster_view_png, cluster_view_html : Path or None
        The 3-D view files to include / link (copied into the report's assets).
    model_card : dict
        ``model`` (name), ``data`` (training data), ``trained`` (timestamp),
        ``rows``/``distressed`` of the training data, ``protocol`` (how the metrics were
        obtained), ``metrics`` (name -> value), ``cutoffs`` (level -> probability),
        ``calibration_method``, ``features`` (count), ``limits`` (list of str).
    calibration : DataFrame
        ``bin`` (1..10), ``predicted`` (mean predicted probability), ``observed``
        (observed distress rate), ``n``: out-of-fold calibration table by decile.
    """

    title: str
    generated: str
    data_description: str
    simulated: bool
    levels: tuple[str, ...]
    alert_level: str
    page_level: str
    warnings: pd.DataFrame
    reasons: pd.DataFrame = field(default_factory=pd.DataFrame)
    dimension_contributions: pd.DataFrame = field(default_factory=pd.DataFrame)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    migrations: pd.DataFrame = field(default_factory=pd.DataFrame)
    clusters: pd.DataFrame = field(default_factory=pd.DataFrame)
    cluster_view_png: Path | None = None
    cluster_view_html: Path | None = None
    model_card: dict[str, Any] = field(default_factory=dict)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
