"""The reasons behind scored warnings: attributions, peer percentiles and reason codes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from finwarn.explain import (
    Attribution,
    Reasons,
    dimension_contributions,
    explain_model,
    feature_metadata,
    peer_groups,
    peer_percentiles,
    reason_codes,
)
from finwarn.workflow._features import TEXT_COLUMN, Prepared
from finwarn.workflow._jobs import TrainedModel

__all__ = ["DEFAULT_REASONS", "Explanation", "explain_warnings", "feature_labels"]

logger = logging.getLogger(__name__)

#: Reasons kept per firm (the report's tables show the first three).
DEFAULT_REASONS = 5
# Reference firms that define "an average firm" for the BP and logit attributions.
_BACKGROUND_ROWS = 2_000
# Fewer for text models: each reference report goes through the LSTM.
_TEXT_BACKGROUND_ROWS = 500
# Most-attended passages quoted in a text reason.
_PASSAGES = 2
#: Name and dimension of the report-text reason.
TEXT_NAME = "Report text"
TEXT_DIMENSION = "text"
_EFFECT_WORDS = {"raises": "raises the risk", "lowers": "lowers the risk", "neutral": "no effect"}


@dataclass(frozen=True)
class Explanation:
    """Why each scored firm got its warning.

    Attributes
    ----------
    attribution : Attribution
        Per-feature contributions to each firm's log-odds, rows as ``ids``.
    ids : pandas.DataFrame
        ``entity``, ``period``, ``industry`` (those present) of the explained rows.
    reasons : Reasons
        The strongest reasons of each firm, in words (:data:`finwarn.explain.REASON_COLUMNS`).
    dimensions : pandas.DataFrame
        Contributions summed by dimension (``entity, period, dimension, contribution``).
    """

    attribution: Attribution
    ids: pd.DataFrame
    reasons: Reasons
    dimensions: pd.DataFrame


def feature_labels(trained: TrainedModel) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Readable names, directions and dimensions of a model's features.

    Dimensions come from the model's feature recipe where it names one, else from the
    indicator catalog and the built-in ratio sets.
    """
    names, directions, dimensions = feature_metadata(trained.spec.features)
    dimensions.update({k: v for k, v in trained.spec.dimensions.items() if k in dimensions})
    return names, directions, dimensions


def explain_warnings(
    trained: TrainedModel,
    prepared: Prepared,
    rows: np.ndarray,
    *,
    n_reasons: int = DEFAULT_REASONS,
    random_state: int | None = 0,
) -> Explanation:
    """Explain the warnings of the selected rows of a prepared file.

    Contributions come from :func:`finwarn.explain.explain_model` with up to 2,000 rows
    of the same file as the reference firms. Each value's percentile is taken among the
    firms of the same period and industry (industries with fewer than
    :data:`finwarn.explain.MIN_PEER_GROUP` firms, or no industry column: all firms of
    the period).

    Parameters
    ----------
    trained : TrainedModel
    prepared : Prepared
        Features built with ``trained.spec``.
    rows : ndarray of bool
        The rows to explain (e.g. each firm's latest period).
    n_reasons : int, default=5
        Reasons per firm.
    random_state : int or None
        Picks the reference firms when the file has more than 2,000 rows.
    """
    X = prepared.X[rows].reset_index(drop=True)
    ids = prepared.ids[rows].reset_index(drop=True)
    inputs = prepared.model_input(rows).reset_index(drop=True)
    limit = _TEXT_BACKGROUND_ROWS if trained.spec.text else _BACKGROUND_ROWS
    background = prepared.model_input()
    if len(background) > limit:
        background = background.sample(limit, random_state=random_state)
    attribution = explain_model(trained.classifier, inputs, background=background)
    numeric = Attribution(
        attribution.values[list(X.columns)],
        attribution.base_value,
        attribution.method,
        attribution.log_odds,
    )
    percentiles, groups = _peers(X, ids)
    names, directions, dimensions = feature_labels(trained)
    reasons = reason_codes(
        numeric,
        X,
        ids,
        names=names,
        directions=directions,
        dimensions=dimensions,
        percentiles=percentiles,
        peer_group_names=groups,
        n_reasons=n_reasons,
    )
    if trained.spec.text:
        dimensions = {**dimensions, TEXT_COLUMN: TEXT_DIMENSION}
        reasons = _with_text_reasons(trained, reasons, attribution, inputs, groups, n_reasons)
    logger.info("explained %d firm-periods by %s", len(X), attribution.method)
    return Explanation(
        attribution=attribution,
        ids=ids,
        reasons=reasons,
        dimensions=dimension_contributions(attribution, ids, dimensions),
    )


def _with_text_reasons(
    trained: TrainedModel,
    reasons: Reasons,
    attribution: Attribution,
    inputs: pd.DataFrame,
    groups: pd.Series,
    n_reasons: int,
) -> Reasons:
    """Add each firm's report-text reason, with its most-attended passages.

    Every firm keeps its text reason (so every warning of a text model says what in
    the report drove it) and its ``n_reasons - 1`` strongest numbers, ordered by the
    size of their contributions.
    """
    estimator = trained.classifier.estimator_
    if hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    passages = estimator.top_passages(inputs, k=_PASSAGES)
    contribution = attribution.values[TEXT_COLUMN].to_numpy(dtype=float)
    effect = np.where(contribution > 0, "raises", np.where(contribution < 0, "lowers", "neutral"))
    frame = reasons.frame
    n = len(inputs)
    per_firm = len(frame) // n if n else 0
    first = frame.iloc[::per_firm] if per_firm else frame
    text_rows = pd.DataFrame(
        {
            "entity": first["entity"].to_numpy(),
            "period": first["period"].to_numpy(),
            "order": 0,
            "feature": TEXT_COLUMN,
            "name": TEXT_NAME,
            "dimension": TEXT_DIMENSION,
            "value": np.nan,
            "percentile": np.nan,
            "peer_group": np.asarray(groups, dtype=object),
            "contribution": contribution,
            "effect": effect.astype(object),
            "text": [
                f"{TEXT_NAME}: {_EFFECT_WORDS[e]}; most attended: "
                + ("; ".join(f'"{text}"' for text, _ in found) or "no text")
                for e, found in zip(effect, passages, strict=True)
            ],
        }
    )
    numbers = frame.assign(_firm=np.repeat(np.arange(n), per_firm))
    numbers = numbers[numbers["order"] <= n_reasons - 1]
    merged = pd.concat([numbers, text_rows.assign(_firm=np.arange(n))], ignore_index=True)
    merged = merged.assign(_size=-merged["contribution"].abs()).sort_values(
        ["_firm", "_size"], kind="stable"
    )
    merged["order"] = merged.groupby("_firm").cumcount() + 1
    return Reasons(frame=merged.drop(columns=["_firm", "_size"]).reset_index(drop=True))


def _peers(X: pd.DataFrame, ids: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Percentiles and peer-group names, computed within each period separately."""
    industry = ids["industry"] if "industry" in ids.columns else pd.Series([None] * len(ids))
    industry = industry.reset_index(drop=True)
    if "period" not in ids.columns or ids["period"].nunique(dropna=False) <= 1:
        return peer_percentiles(X, industry), peer_groups(industry)
    percentiles = pd.DataFrame(np.nan, index=X.index, columns=X.columns)
    groups = pd.Series("", index=X.index, dtype=object)
    for _, index in ids.groupby("period", dropna=False, sort=False).groups.items():
        part = X.loc[index]
        percentiles.loc[index] = peer_percentiles(part, industry.loc[index]).to_numpy()
        groups.loc[index] = peer_groups(industry.loc[index]).to_numpy()
    return percentiles, groups
