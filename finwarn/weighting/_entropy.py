"""Shannon entropy weights over an indicator hierarchy (paper 004) as a transformer."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from finwarn._text import did_you_mean, preview
from finwarn.weighting._hierarchy import (
    COMPOSITE,
    Element,
    Hierarchy,
    HierarchyIndicator,
    RiskDimension,
    load_hierarchy,
)

__all__ = ["OUTPUT_LEVELS", "EntropyWeighter"]

logger = logging.getLogger(__name__)

#: Values of ``EntropyWeighter(output=...)``.
OUTPUT_LEVELS: tuple[str, ...] = ("elements", "dimensions", "composite", "all")
#: Dimension and element of ``hierarchy=None``: every column under one element.
FLAT = "all"
# A divergence below this is rounding noise of a constant column (entropy 1 - 1e-16).
_NOISE = 1e-12
# Normalised value of an indicator that was constant in training: it carries weight 0,
# and the mid-point keeps an element made only of constant indicators neutral.
_CONSTANT_VALUE = 0.5

TABLE_COLUMNS = (
    "level",
    "dimension",
    "element",
    "indicator",
    "direction",
    "entropy",
    "divergence",
    "weight",
    "global_weight",
)


class EntropyWeighter(TransformerMixin, BaseEstimator):
    """Entropy-weighted risk quantities of an indicator hierarchy (paper 004).

    Fitting learns, from the training data alone, how to turn indicators into risk
    quantities on three levels:

    1. every indicator is clipped at its training quantiles ``clip`` and min-max
       normalised to [0, 1] in the risk orientation (1 = riskiest):
       ``riskier``: b = (x - min) / (max - min); ``safer``: b = (max - x) / (max - min);
    2. its Shannon entropy over the training firms, with p_ij = b_ij / sum_i b_ij, is
       e_j = -(1 / ln n) sum_i p_ij ln p_ij (0 ln 0 = 0, n the number of observed
       values), its divergence d_j = 1 - e_j, and its weight within its first-level
       element w_j = d_j / sum d (summed over the element's indicators);
    3. a first-level element's risk quantity is sum_j w_j b_ij; a dimension's score is
       the weighted sum of its elements' quantities and the composite index the
       weighted sum of the dimension scores. With ``level_weights="entropy"`` these
       upper weights come from the same entropy formula applied to the training
       quantities (which are already in [0, 1] and risk-oriented, so they are not
       normalised again); with ``"equal"`` they are equal.

    Every output lies in [0, 1] and is higher for riskier firms. The method is
    unsupervised: ``y`` is ignored.

    Parameters
    ----------
    hierarchy : Hierarchy, str, path-like or None, default=None
        The indicator hierarchy: a :class:`~finwarn.weighting.Hierarchy`, a built-in
        name (``"catalog"``, ``"polish"``, ``"taiwan"``) or a YAML file. Indicators
        absent from the training data are left out (see :meth:`Hierarchy.restrict`),
        and ``X`` must be a DataFrame whose columns are the indicator ids; other
        columns are ignored. ``None`` makes every column of ``X`` (by position) a
        ``riskier`` indicator of one element ``all`` in one dimension ``all``.
    output : {"elements", "dimensions", "composite", "all"}, default="elements"
        What :meth:`transform` returns: one column per first-level element
        (``dimension__element``), one per dimension, the composite index, or all of
        them in that order.
    normalize : {"minmax"}, default="minmax"
        Normalisation of the indicators: min-max in the risk orientation, as in
        paper 004 (the only method so far).
    clip : tuple of (float, float) or None, default=(0.01, 0.99)
        Lower and upper quantiles, fitted on the training data, at which indicators
        are clipped before min-max normalisation; ``None`` uses the raw minimum and
        maximum (paper 004). Financial ratios have extreme values (a near-zero
        denominator): without clipping one firm sets the range, every other firm's
        value is squeezed near one end, and the entropy weights reward the most
        extreme indicators rather than the informative ones.
        ``docs/benchmarks/entropy_index.md`` measures both settings.
    level_weights : {"equal", "entropy"}, default="equal"
        How elements are weighted within a dimension and dimensions within the
        composite index. Equal weights add the measures up as paper 004 does; entropy
        weights at these levels reward the most unevenly spread quantity, not the
        most informative one, and separated bankrupt firms worse on three of the four
        public data sets (``docs/benchmarks/entropy_index.md``).

    Attributes
    ----------
    hierarchy_ : Hierarchy
        The hierarchy used: the given one restricted to the training columns.
    min_ : pandas.Series
        Lower normalisation bound per indicator (the ``clip[0]`` training quantile).
    max_ : pandas.Series
        Upper normalisation bound per indicator (the ``clip[1]`` training quantile).
    entropy_ : pandas.Series
        Entropy e_j of each indicator on the training data.
    weights_ : pandas.Series
        Weight of each indicator within its first-level element (each element's
        weights sum to 1).
    element_entropy_ : pandas.Series
        Entropy of each element's training quantities.
    element_weights_ : pandas.Series
        Weight of each first-level element within its dimension.
    dimension_entropy_ : pandas.Series
        Entropy of each dimension's training scores.
    dimension_weights_ : pandas.Series
        Weight of each dimension in the composite index.
    n_features_in_ : int
        Number of input columns used.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the columns used (with a hierarchy: its indicators present in the
        training data, in the data's order; without: every column, when ``X`` was a
        DataFrame with string column names).

    Notes
    -----
    Missing values (NaN) are ignored when fitting. At transform time a missing
    indicator is left out of its element's weighted sum and the weights of the
    present ones are renormalised; an element with no present indicator (or only
    indicators of weight 0) is NaN, and the same rule applies to dimensions and
    the composite index. An indicator constant in the training data gets weight 0
    (logged as a warning); if every indicator of an element is constant, they get
    equal weights.

    Examples
    --------
    >>> import numpy as np
    >>> from finwarn.weighting import EntropyWeighter
    >>> X = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [10.0, 40.0]])
    >>> weighter = EntropyWeighter(clip=None, output="composite").fit(X)
    >>> weighter.weights_.round(3).tolist()
    [0.324, 0.676]
    >>> weighter.transform(np.array([[10.0, 40.0], [1.0, 10.0]])).ravel().tolist()
    [1.0, 0.0]

    On indicators computed from the demo panel, with finwarn's catalog hierarchy:

    >>> from finwarn.datasets import make_demo_panel
    >>> from finwarn.indicators import compute_indicators
    >>> X = compute_indicators(make_demo_panel(n_firms=30, n_years=3)).values
    >>> weighter = EntropyWeighter(hierarchy="catalog", output="dimensions").fit(X)
    >>> weighter.get_feature_names_out().tolist()
    ['solvency', 'profitability', 'operating_capability', 'growth', 'cash_flow']
    >>> float(weighter.dimension_weights_.sum())
    1.0
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "hierarchy": [Hierarchy, str, os.PathLike, None],
        "output": [StrOptions(set(OUTPUT_LEVELS))],
        "normalize": [StrOptions({"minmax"})],
        "clip": [tuple, None],
        "level_weights": [StrOptions({"entropy", "equal"})],
    }

    def __init__(
        self,
        *,
        hierarchy: Hierarchy | str | os.PathLike[str] | None = None,
        output: str = "elements",
        normalize: str = "minmax",
        clip: tuple[float, float] | None = (0.01, 0.99),
        level_weights: str = "equal",
    ) -> None:
        self.hierarchy = hierarchy
        self.output = output
        self.normalize = normalize
        self.clip = clip
        self.level_weights = level_weights

    # ------------------------------------------------------------------ fitting

    def fit(self, X, y=None) -> EntropyWeighter:
        """Fit the normalisation bounds and the entropy weights on ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Training indicators; NaN marks a missing value. A DataFrame whose
            columns are the indicator ids when ``hierarchy`` is set.
        y : None
            Ignored (the method is unsupervised).

        Returns
        -------
        self : EntropyWeighter
            The fitted transformer.

        Raises
        ------
        ValueError
            If ``clip`` is not two quantiles with ``0 <= lower < upper <= 1``, if
            ``hierarchy`` is set and ``X`` is not a DataFrame, or if none of the
            hierarchy's indicators is a column of ``X``.
        ConfigError
            If ``hierarchy`` names no built-in hierarchy or file, or the file is invalid.
        """
        self._validate_params()
        clip = self._check_clip()
        if self.hierarchy is None:
            values = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
            names = getattr(self, "feature_names_in_", None)
            columns = (
                [str(c) for c in names]
                if names is not None
                else [f"x{i}" for i in range(values.shape[1])]
            )
            hierarchy = _flat_hierarchy(columns)
        else:
            given = (
                self.hierarchy
                if isinstance(self.hierarchy, Hierarchy)
                else load_hierarchy(self.hierarchy)
            )
            frame = self._require_frame(X, given)
            hierarchy = given.restrict(frame.columns)
            columns = [str(c) for c in frame.columns if str(c) in hierarchy.indicators]
            values = validate_data(
                self, frame[columns], ensure_all_finite="allow-nan", dtype=np.float64
            )
        self.hierarchy_ = hierarchy

        with warnings.catch_warnings():
            # an all-NaN column warns "All-NaN slice encountered"; it is treated as constant
            warnings.simplefilter("ignore", RuntimeWarning)
            if clip is None:
                low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
            else:
                low, high = np.nanquantile(values, clip, axis=0)
        # fitted Series follow the hierarchy's order; arrays follow the data's columns
        order = list(hierarchy.indicators)
        self.min_ = pd.Series(low, index=columns, name="min")[order]
        self.max_ = pd.Series(high, index=columns, name="max")[order]

        b = self._normalise(values)
        constant = ~(high > low)
        entropy, divergence = _entropy(b)
        divergence[constant] = 0.0
        for name, lo in zip(np.asarray(columns)[constant], low[constant], strict=True):
            logger.warning(
                "indicator '%s' is constant in the training data%s; it gets weight 0. "
                "Check the column, or remove it from the hierarchy.",
                name,
                " (no value at all)" if np.isnan(lo) else f" (value {lo:g} after clipping)",
            )
        element_of = hierarchy.indicators
        weights = _group_weights(
            divergence, [element_of[c] for c in columns], "element", "indicators"
        )
        self.entropy_ = pd.Series(entropy, index=columns, name="entropy")[order]
        self._divergence_ = pd.Series(divergence, index=columns, name="divergence")[order]
        self.weights_ = pd.Series(weights, index=columns, name="weight")[order]

        elements = list(hierarchy.elements)
        quantities = _weighted_sum(b, self._indicator_matrix(columns))
        entropy, divergence = _entropy(quantities)
        groups = [hierarchy.elements[e] for e in elements]
        self.element_entropy_ = pd.Series(entropy, index=elements, name="entropy")
        self._element_divergence_ = pd.Series(divergence, index=elements, name="divergence")
        self.element_weights_ = pd.Series(
            self._level_weights(divergence, groups, "dimension", "elements"),
            index=elements,
            name="weight",
        )

        dimensions = list(hierarchy.dimensions)
        scores = _weighted_sum(quantities, self._element_matrix())
        entropy, divergence = _entropy(scores)
        self.dimension_entropy_ = pd.Series(entropy, index=dimensions, name="entropy")
        self._dimension_divergence_ = pd.Series(divergence, index=dimensions, name="divergence")
        self.dimension_weights_ = pd.Series(
            self._level_weights(divergence, [COMPOSITE] * len(dimensions), "index", "dimensions"),
            index=dimensions,
            name="weight",
        )
        return self

    def _check_clip(self) -> tuple[float, float] | None:
        if self.clip is None:
            return None
        clip = self.clip
        valid = (
            len(clip) == 2
            and all(isinstance(q, int | float) and not isinstance(q, bool) for q in clip)
            and 0 <= clip[0] < clip[1] <= 1
        )
        if not valid:
            raise ValueError(
                f"EntropyWeighter needs clip=(lower, upper) quantiles with "
                f"0 <= lower < upper <= 1, got clip={clip!r}; for example clip=(0.01, 0.99), "
                "or clip=None for the raw minimum and maximum."
            )
        return (float(clip[0]), float(clip[1]))

    def _require_frame(self, X, hierarchy: Hierarchy) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            example = ", ".join(f"'{c}'" for c in list(hierarchy.indicators)[:2])
            raise ValueError(
                f"EntropyWeighter(hierarchy='{hierarchy.name}') finds the indicators by "
                f"column name, so X must be a pandas DataFrame with columns such as "
                f"{example}; got {type(X).__name__}. Pass a DataFrame, or hierarchy=None "
                "to weight every column (by position) as one element."
            )
        return X

    def _level_weights(
        self, divergence: np.ndarray, groups: Sequence[str], group_kind: str, what: str
    ) -> np.ndarray:
        if self.level_weights == "equal":
            return _group_weights(np.ones_like(divergence), groups, group_kind, what, quiet=True)
        return _group_weights(divergence, groups, group_kind, what)

    # ------------------------------------------------------------------ layout

    def _indicator_matrix(self, columns: Sequence[str]) -> np.ndarray:
        """Weights as an (indicators in column order) x (elements) matrix."""
        elements = list(self.hierarchy_.elements)
        element_of = self.hierarchy_.indicators
        matrix = np.zeros((len(columns), len(elements)))
        for i, col in enumerate(columns):
            matrix[i, elements.index(element_of[col])] = self.weights_[col]
        return matrix

    def _element_matrix(self) -> np.ndarray:
        """Element weights as an (elements) x (dimensions) matrix."""
        dimensions = list(self.hierarchy_.dimensions)
        elements = self.hierarchy_.elements
        matrix = np.zeros((len(elements), len(dimensions)))
        for i, (element, dim) in enumerate(elements.items()):
            matrix[i, dimensions.index(dim)] = self.element_weights_[element]
        return matrix

    def _columns(self) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return [f"x{i}" for i in range(self.n_features_in_)]
        return [str(c) for c in names]

    # ------------------------------------------------------------------ transform

    def _normalise(self, values: np.ndarray) -> np.ndarray:
        """Clip at the fitted bounds and min-max normalise in the risk orientation."""
        columns = self._columns()
        low = self.min_[columns].to_numpy()
        high = self.max_[columns].to_numpy()
        span = high - low
        constant = ~(span > 0)
        with np.errstate(invalid="ignore"):
            b = (np.clip(values, low, high) - low) / np.where(constant, 1.0, span)
        directions = self.hierarchy_.directions
        safer = np.array([directions[c] == "safer" for c in columns], dtype=bool)
        b[:, safer] = 1.0 - b[:, safer]
        b[:, constant] = np.where(np.isnan(values[:, constant]), np.nan, _CONSTANT_VALUE)
        return b

    def _levels(self, X) -> dict[str, np.ndarray]:
        check_is_fitted(self)
        if self.hierarchy is None:
            values = validate_data(
                self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
            )
        else:
            frame = self._require_frame(X, self.hierarchy_)
            columns = self._columns()
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise ValueError(
                    f"X lacks {len(missing)} of the {len(columns)} indicator columns the "
                    f"EntropyWeighter was fitted on: {preview(missing)}."
                    f"{did_you_mean(missing[0], [str(c) for c in frame.columns])} Pass the "
                    "same indicator columns as in fit (other columns are ignored)."
                )
            values = validate_data(
                self, frame[columns], ensure_all_finite="allow-nan", dtype=np.float64, reset=False
            )
        columns = self._columns()
        quantities = _weighted_sum(self._normalise(values), self._indicator_matrix(columns))
        scores = _weighted_sum(quantities, self._element_matrix())
        composite = _weighted_sum(scores, self.dimension_weights_.to_numpy()[:, None])
        return {"elements": quantities, "dimensions": scores, "composite": composite}

    def transform(self, X):
        """Risk quantities of ``X`` at the level chosen by ``output``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Indicators, with the columns used in :meth:`fit`.

        Returns
        -------
        X_risk : ndarray of shape (n_samples, n_outputs)
            Values in [0, 1], higher for riskier firms; column names from
            :meth:`get_feature_names_out`.

        Raises
        ------
        ValueError
            If a fitted indicator column is missing (with "did you mean").
        """
        levels = self._levels(X)
        if self.output == "all":
            return np.hstack([levels["elements"], levels["dimensions"], levels["composite"]])
        return levels[self.output]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Output column names: ``dimension__element``, ``dimension`` or ``composite``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the input columns seen in :meth:`fit`; otherwise unused.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        elements = list(self.hierarchy_.element_features.values())
        dimensions = list(self.hierarchy_.dimensions)
        names = {
            "elements": elements,
            "dimensions": dimensions,
            "composite": [COMPOSITE],
            "all": [*elements, *dimensions, COMPOSITE],
        }[self.output]
        return np.asarray(names, dtype=object)

    # ------------------------------------------------------------------ reporting

    def table(self) -> pd.DataFrame:
        """The fitted weights at every level, as a tidy DataFrame.

        One row per dimension, then its elements, each followed by its indicators.
        Columns: ``level`` (``dimension``/``element``/``indicator``), ``dimension``,
        ``element``, ``indicator``, ``direction``, ``entropy``, ``divergence``
        (1 - entropy; 0 for a constant column), ``weight`` (within the parent) and
        ``global_weight`` (the product of the weights down the tree, i.e. the weight in
        the composite index; the indicators' global weights sum to 1).

        Examples
        --------
        >>> import numpy as np
        >>> X = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [10.0, 40.0]])
        >>> table = EntropyWeighter(clip=None).fit(X).table()
        >>> table[["level", "indicator", "weight"]].round(3).values.tolist()
        [['dimension', None, 1.0], ['element', None, 1.0], ['indicator', 'x0', 0.324], \
['indicator', 'x1', 0.676]]
        """
        check_is_fitted(self)
        rows = []
        for dim in self.hierarchy_.tree:
            dim_weight = float(self.dimension_weights_[dim.name])
            rows.append(
                _row(
                    "dimension",
                    dim.name,
                    None,
                    None,
                    None,
                    self.dimension_entropy_[dim.name],
                    self._dimension_divergence_[dim.name],
                    dim_weight,
                    dim_weight,
                )
            )
            for el in dim.elements:
                el_weight = float(self.element_weights_[el.name])
                rows.append(
                    _row(
                        "element",
                        dim.name,
                        el.name,
                        None,
                        None,
                        self.element_entropy_[el.name],
                        self._element_divergence_[el.name],
                        el_weight,
                        dim_weight * el_weight,
                    )
                )
                for ind in el.indicators:
                    weight = float(self.weights_[ind.id])
                    rows.append(
                        _row(
                            "indicator",
                            dim.name,
                            el.name,
                            ind.id,
                            ind.direction,
                            self.entropy_[ind.id],
                            self._divergence_[ind.id],
                            weight,
                            dim_weight * el_weight * weight,
                        )
                    )
        return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _row(*values) -> dict[str, object]:
    return dict(zip(TABLE_COLUMNS, values, strict=True))


# --------------------------------------------------------------------------- numerics


def _entropy(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column-wise Shannon entropy (normalised by ln n) and divergence of ``b >= 0``.

    NaN is ignored; n is the number of observed values of the column. A column with
    fewer than two observed values or summing to 0 has entropy 1 (no information),
    or NaN if it has no value at all; its divergence is 0.
    """
    observed = (~np.isnan(b)).sum(axis=0)
    total = np.nansum(b, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = b / total
        plogp = np.where(p > 0, p * np.log(p), 0.0)
        entropy = -plogp.sum(axis=0) / np.log(observed)
    degenerate = (observed < 2) | ~(total > 0)
    entropy = np.where(degenerate, 1.0, np.clip(entropy, 0.0, 1.0))
    entropy[observed == 0] = np.nan
    divergence = 1.0 - np.nan_to_num(entropy, nan=1.0)
    divergence[divergence < _NOISE] = 0.0
    return entropy, divergence


def _group_weights(
    divergence: np.ndarray,
    groups: Sequence[str],
    group_kind: str,
    what: str,
    *,
    quiet: bool = False,
) -> np.ndarray:
    """Divergences normalised to sum to 1 within each group (equal if all are 0)."""
    weights = np.zeros_like(divergence, dtype=float)
    labels = np.asarray(groups, dtype=object)
    for group in dict.fromkeys(groups):
        members = labels == group
        total = divergence[members].sum()
        if total > 0:
            weights[members] = divergence[members] / total
        else:
            weights[members] = 1.0 / members.sum()
            if members.sum() > 1 and not quiet:
                logger.warning(
                    "every one of the %d %s of %s '%s' is constant in the training data; "
                    "they get equal weights.",
                    members.sum(),
                    what,
                    group_kind,
                    group,
                )
    return weights


def _weighted_sum(values: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``values @ matrix`` over the present (non-NaN) values, weights renormalised.

    A result with no present value of positive weight is NaN.
    """
    present = ~np.isnan(values)
    numerator = np.where(present, values, 0.0) @ matrix
    denominator = present.astype(float) @ matrix
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def _flat_hierarchy(columns: Sequence[str]) -> Hierarchy:
    """Every column a ``riskier`` indicator of element ``all`` in dimension ``all``."""
    element = Element(
        name=FLAT,
        meaning="Every input column.",
        indicators=tuple(HierarchyIndicator(id=c, direction="riskier") for c in columns),
    )
    return Hierarchy(
        name=FLAT,
        description="Every input column under one element (hierarchy=None).",
        tree=(RiskDimension(name=FLAT, elements=(element,)),),
    )
