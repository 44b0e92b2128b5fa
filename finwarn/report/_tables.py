"""Evaluation tables as text: model x metric, mean ± sd, for the terminal and Markdown."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["HEADLINE_METRICS", "METRIC_LABELS", "comparison_frame", "markdown_table"]

#: The metrics a comparison shows by default, in order.
HEADLINE_METRICS: tuple[str, ...] = (
    "roc_auc",
    "pr_auc",
    "ks",
    "brier",
    "recall_top10",
    "precision_top10",
    "recall",
    "precision",
    "f2",
    "type_i_error",
    "type_ii_error",
    "fit_seconds",
)

#: Column headings.
METRIC_LABELS: dict[str, str] = {
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "ks": "KS",
    "brier": "Brier",
    "recall_top5": "recall top 5%",
    "precision_top5": "precision top 5%",
    "recall_top10": "recall top 10%",
    "precision_top10": "precision top 10%",
    "f1": "F1",
    "f2": "F2",
    "recall": "recall",
    "specificity": "specificity",
    "precision": "precision",
    "accuracy": "accuracy",
    "type_i_error": "type I error",
    "type_ii_error": "type II error",
    "fit_seconds": "fit s",
}


def _cell(mean: Any, sd: Any, metric: str) -> str:
    mean = float(mean)
    if math.isnan(mean):
        return "n/a"
    digits = 1 if metric == "fit_seconds" else 3
    sd = float(sd)
    if math.isnan(sd):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def comparison_frame(
    table: pd.DataFrame, metrics: Sequence[str] = HEADLINE_METRICS
) -> pd.DataFrame:
    """A tidy ``Comparison.table()`` as one row per model and "mean ± sd" cells.

    Parameters
    ----------
    table : DataFrame
        Columns ``model``, ``metric``, ``mean``, ``sd`` (as
        :meth:`finwarn.evaluation.Comparison.table` returns).
    metrics : sequence of str
        The columns, in order; metrics the table lacks are left out, and a model
        without a metric the others have shows "n/a", as a NaN mean does.

    Examples
    --------
    >>> t = pd.DataFrame({"model": ["bp"], "metric": ["roc_auc"], "mean": [0.9512],
    ...                   "sd": [0.0101]})
    >>> comparison_frame(t, ["roc_auc"]).to_dict(orient="records")
    [{'model': 'bp', 'ROC-AUC': '0.951 ± 0.010'}]
    """
    present = [m for m in metrics if m in set(table["metric"])]
    rows = []
    for model, group in table.groupby("model", sort=False):
        by_metric = group.set_index("metric")
        row = {"model": model}
        for metric in present:
            # a model may lack a metric that another has (tables of separate runs)
            row[METRIC_LABELS.get(metric, metric)] = (
                _cell(by_metric.at[metric, "mean"], by_metric.at[metric, "sd"], metric)
                if metric in by_metric.index
                else "n/a"
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=["model", *(METRIC_LABELS.get(m, m) for m in present)])


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table (GitHub Markdown) of a frame of strings and numbers.

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"model": ["bp"], "ROC-AUC": ["0.951"]})))
    | model | ROC-AUC |
    |---|---|
    | bp | 0.951 |
    """
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])
