"""The rank job: entropy weights, dimension scores, risk ranking, PCA screening, clusters."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from finwarn.clusters import DEFAULT_DIMENSIONS, RiskClusters
from finwarn.data import LoadResult
from finwarn.weighting import (
    ElementScreening,
    EntropyWeighter,
    Hierarchy,
    default_hierarchy,
    load_hierarchy,
    rank_risk,
    screen_elements,
)
from finwarn.workflow._features import build_features
from finwarn.workflow._jobs import TrainedModel, latest_rows

__all__ = ["RankResult", "rank"]

logger = logging.getLogger(__name__)

UNRATED = "unrated"


@dataclass(frozen=True)
class RankResult:
    """Everything ``finwarn rank`` computes; every part has a table.

    Attributes
    ----------
    weights : DataFrame
        Entropy weights at every level of the hierarchy.
    scores : DataFrame
        Per firm: ids, element quantities, dimension scores and the composite index
        (all risk-oriented: 1 = riskiest).
    ranking : DataFrame
        Paper 004's ranking: level first, then the dimension scores.
    clusters : DataFrame
        Per firm: ids, cluster number (1 = safest centre) and its description.
    cluster_summary : DataFrame
        Per cluster: size, centre, description.
    silhouettes : DataFrame
        Silhouette score of every k tried; ``silhouette`` is the chosen clustering's.
    screening : ElementScreening
        Principal-component screening of the first-level elements.
    view_dimensions : tuple of str
        The three dimensions of the 3-D view (empty when the data lacks them).
    notes : list of str
    """

    weights: pd.DataFrame
    scores: pd.DataFrame
    ranking: pd.DataFrame
    clusters: pd.DataFrame
    cluster_summary: pd.DataFrame
    silhouettes: pd.DataFrame
    silhouette: float
    screening: ElementScreening | None
    view_dimensions: tuple[str, ...]
    notes: list[str] = field(default_factory=list)


def _hierarchy(spec: str | Path | Hierarchy | None, columns: list[str]) -> Hierarchy:
    if spec is None:
        return default_hierarchy(columns)
    if isinstance(spec, Hierarchy):
        return spec
    return load_hierarchy(spec)


def rank(
    loaded: LoadResult,
    *,
    hierarchy: str | Path | Hierarchy | None = None,
    model: TrainedModel | None = None,
    n_clusters: int | str = 3,
    random_state: int | None = 0,
) -> RankResult:
    """Weigh, score, rank and cluster the firms of a loaded file.

    The entropy weights are fitted on every accepted row of the file (they describe
    this data set; no label is used). Firms are then ranked on each firm's latest
    period: by warning level when a trained warning ``model`` is given, then by the
    number of dimensions on which they score above the level's median, then by the
    composite index. Without a model every firm is ``unrated`` and only the scores
    order them.

    Parameters
    ----------
    loaded : LoadResult
    hierarchy : name, path or Hierarchy, optional
        Default: the built-in hierarchy that covers the data's columns.
    model : TrainedModel, optional
        A warning model whose levels rank first.
    n_clusters : int or "auto"
        k-means clusters in the solvency / operating capability / profitability space.
    random_state : int or None
    """
    notes: list[str] = []
    prepared = build_features(loaded) if model is None else build_features(loaded, spec=model.spec)
    tree = _hierarchy(hierarchy, list(prepared.X.columns)).restrict(prepared.X.columns)
    weighter = EntropyWeighter(hierarchy=tree, output="all").set_output(transform="pandas")
    weighter.fit(prepared.X)
    keep = latest_rows(prepared.ids, "latest_per_firm")
    ids = prepared.ids[keep].reset_index(drop=True)
    values = weighter.transform(prepared.X[keep]).reset_index(drop=True)
    dimensions = [d for d in weighter.hierarchy_.dimensions if d in values.columns]

    if model is not None:
        proba = model.classifier.predict_proba(prepared.model_input(keep))[:, 1]
        levels = pd.Series(model.classifier.levels_[model.classifier.level_index(proba)])
        order = list(model.classifier.levels_)
    else:
        levels = pd.Series([UNRATED] * len(ids))
        order = [UNRATED]
        notes.append("no warning model given: every firm is 'unrated' and ranked by its scores")
    ranking = rank_risk(
        levels.to_numpy(),
        values[[*dimensions, "composite"]],
        level_order=order,
        ids=ids["entity"].tolist(),
        dimensions=dimensions,
    ).table()
    if "period" in ids.columns:
        ranking.insert(
            1, "period", ids.set_index("entity").loc[ranking["entity"], "period"].to_numpy()
        )

    elements = [c for c in values.columns if "__" in c]
    screening = None
    try:
        screening = screen_elements(values[elements], dimensions=weighter.hierarchy_)
    except ValueError as exc:  # too few complete rows or elements: report, don't fail
        notes.append(f"no principal-component screening: {exc}")

    view = tuple(d for d in DEFAULT_DIMENSIONS if d in values.columns)
    space = values[list(view)] if view else values[dimensions]
    missing = int(space.isna().any(axis=1).sum())
    if missing:
        notes.append(f"{missing} firms miss a dimension score; clustered at the median there")
    clusterer = RiskClusters(n_clusters=n_clusters, random_state=random_state)
    clusterer.fit(space.fillna(space.median()))
    clusters = ids.copy()
    clusters["cluster"] = clusterer.labels_
    clusters["description"] = np.asarray(clusterer.descriptions_, dtype=object)[
        clusterer.labels_ - 1
    ]
    if len(view) < 3:
        notes.append(
            f"the 3-D view needs solvency, operating capability and profitability scores; "
            f"this data has {list(view)}"
        )
    scores = pd.concat([ids, values], axis=1)
    return RankResult(
        weights=weighter.table(),
        scores=scores,
        ranking=ranking,
        clusters=clusters,
        cluster_summary=clusterer.table(),
        silhouettes=clusterer.silhouettes_,
        silhouette=clusterer.silhouette_,
        screening=screening,
        view_dimensions=view if len(view) == 3 else (),
        notes=notes,
    )
