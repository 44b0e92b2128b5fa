"""Risk clusters (paper 000): k-means of firms in a space of dimension scores."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["DEFAULT_DIMENSIONS", "RiskClusters", "describe_centre"]

logger = logging.getLogger(__name__)

#: The three dimensions of paper 000's 3-D view.
DEFAULT_DIMENSIONS = ("solvency", "operating_capability", "profitability")


BANDS = ("very_low", "low", "middle", "high", "very_high")


@dataclass(frozen=True)
class _Words:
    bands: tuple[float, ...]
    dimensions: dict[str, dict[str, str]]


@lru_cache(maxsize=1)
def _words() -> _Words:
    text = resources.files("finwarn.clusters").joinpath("words.yaml").read_text("utf-8")
    content = yaml.safe_load(text)
    cuts = tuple(float(c) for c in content["bands"])
    if len(cuts) != len(BANDS) - 1:
        raise ValueError(f"words.yaml: 'bands' needs {len(BANDS) - 1} quantiles, got {cuts}")
    return _Words(cuts, content["dimensions"])


def describe_centre(centre: dict[str, float], cuts: dict[str, tuple[float, ...]]) -> str:
    """Describe a cluster centre in words, one phrase per dimension.

    Parameters
    ----------
    centre : dict
        Dimension -> risk-oriented score of the centre (higher = riskier).
    cuts : dict
        Dimension -> the four scores (quantiles of all firms, ``bands`` in
        ``words.yaml``) that separate very low, low, middle, high and very high risk.

    Examples
    --------
    >>> cuts = (0.1, 0.3, 0.6, 0.8)
    >>> describe_centre({"profitability": 0.7, "solvency": 0.5},
    ...                 {"profitability": cuts, "solvency": cuts})
    'weak profitability, average solvency'
    """
    words = _words().dimensions
    phrases = []
    for dimension, value in centre.items():
        band = BANDS[int(np.searchsorted(np.asarray(cuts[dimension]), value, side="right"))]
        vocabulary = words.get(dimension, {})
        fallback = f"{band.replace('_', ' ')} {dimension.replace('_', ' ')} risk"
        phrases.append(vocabulary.get(band, fallback))
    return ", ".join(phrases)


class RiskClusters(ClusterMixin, BaseEstimator):
    """Group firms by k-means on risk-oriented dimension scores, and describe each group.

    Clusters are numbered from the safest centre (1) to the riskiest (k), by the
    mean of the centre's scores, so numbers keep their meaning across fits.

    Parameters
    ----------
    n_clusters : int or "auto", default=3
        Number of clusters (paper 000 uses 3); ``"auto"`` picks the k in ``k_range``
        with the best silhouette score.
    k_range : tuple of int, default=(2, 6)
        Candidates for ``"auto"``; the silhouette of each is reported either way.
    n_init : int, default=10
        k-means restarts.
    random_state : int or None, default=None

    Attributes
    ----------
    n_clusters_ : int
    cluster_centers_ : ndarray of shape (n_clusters_, n_features)
    labels_ : ndarray of int
        Cluster number (1..k) of each training row.
    silhouette_ : float
        Silhouette score of the chosen clustering.
    silhouettes_ : pandas.DataFrame
        ``k`` and ``silhouette`` for every candidate k.
    descriptions_ : list of str
        Words for each cluster centre.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"solvency": [0.1, 0.15, 0.9, 0.85, 0.5, 0.55],
    ...                        "profitability": [0.2, 0.1, 0.8, 0.9, 0.5, 0.45]})
    >>> model = RiskClusters(n_clusters=3, random_state=0).fit(scores)
    >>> model.labels_.tolist()
    [1, 1, 3, 3, 2, 2]
    >>> model.descriptions_[0]
    'strong solvency, strong profitability'
    """

    _parameter_constraints: dict[str, list[Any]] = {  # noqa: RUF012 - sklearn convention
        "n_clusters": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "k_range": [tuple],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, n_clusters=3, k_range=(2, 6), n_init=10, random_state=None):
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.n_init = n_init
        self.random_state = random_state

    def _kmeans(self, k: int) -> KMeans:
        return KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state)

    def fit(self, X, y=None):
        """Cluster the rows of ``X`` (scores; NaN is not allowed: impute first)."""
        self._validate_params()
        names = list(X.columns) if isinstance(X, pd.DataFrame) else None
        X = validate_data(self, X, dtype=np.float64)
        candidates = [k for k in range(self.k_range[0], self.k_range[1] + 1) if 1 < k < len(X)]
        rows = []
        for k in candidates:
            labels = self._kmeans(k).fit_predict(X)
            quality = silhouette_score(X, labels) if len(np.unique(labels)) > 1 else np.nan
            rows.append({"k": k, "silhouette": float(quality)})
        self.silhouettes_ = pd.DataFrame(rows, columns=["k", "silhouette"])
        if self.n_clusters == "auto":
            if self.silhouettes_["silhouette"].notna().sum() == 0:
                raise ValueError(
                    f"n_clusters='auto' needs more rows than the smallest k in k_range "
                    f"{self.k_range}; got {len(X)} rows."
                )
            best = self.silhouettes_.sort_values("silhouette", ascending=False, kind="stable").iloc[
                0
            ]
            k = int(best["k"])
        else:
            k = int(self.n_clusters)
            if k > len(X):
                raise ValueError(f"n_clusters={k} is more than the {len(X)} rows to cluster.")
        model = self._kmeans(k).fit(X)
        order = np.argsort(model.cluster_centers_.mean(axis=1), kind="stable")
        relabel = np.empty(k, dtype=int)
        relabel[order] = np.arange(1, k + 1)
        self.kmeans_ = model
        self._relabel = relabel
        self.n_clusters_ = k
        self.cluster_centers_ = model.cluster_centers_[order]
        self.labels_ = relabel[model.labels_]
        distinct = len(np.unique(self.labels_))
        self.silhouette_ = (
            float(silhouette_score(X, self.labels_)) if 1 < distinct < len(X) else np.nan
        )
        dims = names or [f"x{i}" for i in range(X.shape[1])]
        bands = _words().bands
        cuts = {d: tuple(np.quantile(X[:, i], bands).tolist()) for i, d in enumerate(dims)}
        self.descriptions_ = [
            describe_centre(dict(zip(dims, centre, strict=True)), cuts)
            for centre in self.cluster_centers_
        ]
        self.sizes_ = np.bincount(self.labels_, minlength=k + 1)[1:]
        logger.info("k-means: %d clusters, silhouette %.3f", k, self.silhouette_)
        return self

    def predict(self, X) -> np.ndarray:
        """Cluster number (1 = safest centre) of each row."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self._relabel[self.kmeans_.predict(X)]

    def table(self) -> pd.DataFrame:
        """One row per cluster: number, size, share, centre per dimension, description."""
        check_is_fitted(self)
        dims = (
            list(self.feature_names_in_)
            if hasattr(self, "feature_names_in_")
            else [f"x{i}" for i in range(self.n_features_in_)]
        )
        frame = pd.DataFrame(self.cluster_centers_, columns=dims).round(4)
        frame.insert(0, "cluster", np.arange(1, self.n_clusters_ + 1))
        frame.insert(1, "firms", self.sizes_)
        frame.insert(2, "share", (self.sizes_ / self.sizes_.sum()).round(4))
        frame["description"] = self.descriptions_
        return frame
