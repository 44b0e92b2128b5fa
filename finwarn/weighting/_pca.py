"""Principal-component screening of first-level elements (paper 004)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from finwarn._text import preview
from finwarn.weighting._hierarchy import SEP, Hierarchy

__all__ = ["ElementScreening", "screen_elements"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ElementScreening:
    """Which first-level elements carry most of the variation in risk.

    Attributes
    ----------
    explained_variance_ratio : numpy.ndarray
        Share of the total (standardised) variance explained by each component.
    n_components : int
        Components kept: the fewest whose cumulative share reaches ``variance``.
    variance : float
        The share of variance asked for.
    loadings : pandas.DataFrame
        One row per element, one column per kept component (``PC1``, ...): the
        correlation between the standardised element quantity and the component.
        Each component's sign is chosen so that its loadings sum to a positive value,
        i.e. a higher component score means more risk.
    contribution : pandas.Series
        Each element's share of the variance of the kept components,
        sum_k var_k * v_jk^2 / sum_k var_k (v the unit eigenvectors); sums to 1.
    dimensions : dict of str to str
        The dimension of each element column.
    selected : dict of str to tuple of str
        Per dimension, the elements with the largest contribution.
    n_samples : int
        Rows used (rows with a missing quantity are left out).
    n_dropped : int
        Rows left out because a quantity was missing.
    """

    explained_variance_ratio: np.ndarray
    n_components: int
    variance: float
    loadings: pd.DataFrame = field(repr=False)
    contribution: pd.Series = field(repr=False)
    dimensions: dict[str, str] = field(repr=False)
    selected: dict[str, tuple[str, ...]]
    n_samples: int
    n_dropped: int

    def table(self) -> pd.DataFrame:
        """One row per component: ``component``, ``explained_variance_ratio``,
        ``cumulative`` (share explained by it and the ones before) and ``kept``."""
        ratio = self.explained_variance_ratio
        return pd.DataFrame(
            {
                "component": [f"PC{i + 1}" for i in range(len(ratio))],
                "explained_variance_ratio": ratio,
                "cumulative": np.cumsum(ratio),
                "kept": np.arange(len(ratio)) < self.n_components,
            }
        )

    def loadings_table(self) -> pd.DataFrame:
        """One row per element: ``element`` (the quantity column), ``dimension``, the
        loadings on the kept components, ``contribution`` and ``selected``; sorted by
        dimension (in column order), then by contribution, largest first."""
        chosen = {e for elements in self.selected.values() for e in elements}
        table = self.loadings.copy()
        table.insert(0, "dimension", [self.dimensions[e] for e in table.index])
        table["contribution"] = self.contribution
        table["selected"] = [e in chosen for e in table.index]
        table = table.rename_axis("element").reset_index()
        order = {d: i for i, d in enumerate(dict.fromkeys(self.dimensions.values()))}
        table["_dim"] = table["dimension"].map(order)
        table = table.sort_values(["_dim", "contribution"], ascending=[True, False], kind="stable")
        return table.drop(columns="_dim").reset_index(drop=True)


def screen_elements(
    quantities: pd.DataFrame,
    *,
    variance: float = 0.9,
    per_dimension: int = 1,
    dimensions: Mapping[str, str] | Hierarchy | None = None,
) -> ElementScreening:
    """Screen first-level elements by principal-component analysis (paper 004).

    The element quantities are standardised, and scikit-learn's PCA keeps the fewest
    components that explain ``variance`` of their variance. Each element's
    contribution is its share of the variance of those components; within each
    dimension the ``per_dimension`` elements with the largest contribution are
    selected, as the elements that "mainly reflect the risk status" of the records.

    Parameters
    ----------
    quantities : pandas.DataFrame
        First-level element quantities, one column per element named
        ``dimension__element``, e.g. ``EntropyWeighter(output="elements")`` with pandas
        output. Rows with a missing value are left out (and counted).
    variance : float, default=0.9
        Share of variance, in (0, 1], the kept components must explain.
    per_dimension : int, default=1
        Elements selected per dimension.
    dimensions : mapping or Hierarchy, optional
        The dimension of each column, when the columns are not named
        ``dimension__element``; a :class:`Hierarchy` maps its element names.

    Returns
    -------
    ElementScreening

    Raises
    ------
    ValueError
        On a bad ``variance`` or ``per_dimension``, a column without a dimension,
        fewer than two complete rows, or columns that are all constant.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> risk = rng.uniform(size=200)
    >>> quantities = pd.DataFrame({
    ...     "solvency__leverage": risk + rng.normal(0, 0.1, 200),
    ...     "solvency__liquidity": rng.uniform(size=200),
    ...     "profitability__margins": risk + rng.normal(0, 0.1, 200)})
    >>> screening = screen_elements(quantities, variance=0.6)
    >>> screening.n_components, screening.selected
    (1, {'solvency': ('solvency__leverage',), 'profitability': ('profitability__margins',)})
    >>> screening.table().round(2).values.tolist()[0]
    ['PC1', 0.64, 0.64, True]
    """
    if not isinstance(quantities, pd.DataFrame):
        raise ValueError(
            f"quantities must be a pandas DataFrame of first-level element quantities, got "
            f"{type(quantities).__name__}; e.g. EntropyWeighter(output='elements')"
            ".set_output(transform='pandas').fit_transform(X)."
        )
    if not isinstance(variance, Real) or isinstance(variance, bool) or not 0 < variance <= 1:
        raise ValueError(
            f"variance is the share of variance the kept components explain, in (0, 1]; "
            f"got {variance!r}. For example variance=0.9."
        )
    if (
        not isinstance(per_dimension, Integral)
        or isinstance(per_dimension, bool)
        or (per_dimension < 1)
    ):
        raise ValueError(
            f"per_dimension is the number of elements selected per dimension, a whole "
            f"number of at least 1; got {per_dimension!r}."
        )
    columns = [str(c) for c in quantities.columns]
    dims = _dimensions(columns, dimensions)

    values = quantities.to_numpy(dtype=float)
    complete = ~np.isnan(values).any(axis=1)
    n_dropped = int((~complete).sum())
    if n_dropped:
        logger.info(
            "screen_elements: %d of %d rows have a missing quantity and are left out",
            n_dropped,
            len(values),
        )
    values = values[complete]
    if len(values) < 2:
        raise ValueError(
            f"screen_elements needs at least two rows without missing quantities; got "
            f"{len(values)} (of {len(quantities)}). Pass more firms."
        )
    spread = np.ptp(values, axis=0)
    if not (spread > 0).any():
        raise ValueError(
            "every element quantity is constant, so there is no variance to analyse; "
            "pass quantities that differ between firms."
        )
    standard = StandardScaler().fit_transform(values)
    pca = PCA(svd_solver="full").fit(standard)
    ratio = pca.explained_variance_ratio_
    # a relative tolerance so that variance=1.0 is reached despite rounding
    n_components = min(int(np.searchsorted(np.cumsum(ratio), variance - 1e-9) + 1), len(ratio))
    components = pca.components_[:n_components]
    signs = np.where(components.sum(axis=1) < 0, -1.0, 1.0)
    components = components * signs[:, None]
    # variances with divisor n, as StandardScaler's, so that loadings are correlations
    n = len(values)
    eigen = pca.explained_variance_[:n_components] * (n - 1) / n
    names = [f"PC{i + 1}" for i in range(n_components)]
    loadings = pd.DataFrame(components.T * np.sqrt(eigen), index=columns, columns=names)
    contribution = pd.Series(
        (components**2 * eigen[:, None]).sum(axis=0) / eigen.sum(),
        index=columns,
        name="contribution",
    )
    selected: dict[str, tuple[str, ...]] = {}
    for dim in dict.fromkeys(dims.values()):
        members = [c for c in columns if dims[c] == dim]
        ranked = contribution[members].sort_values(ascending=False, kind="stable")
        selected[dim] = tuple(ranked.index[:per_dimension])
    return ElementScreening(
        explained_variance_ratio=ratio,
        n_components=n_components,
        variance=float(variance),
        loadings=loadings,
        contribution=contribution,
        dimensions=dims,
        selected=selected,
        n_samples=len(values),
        n_dropped=n_dropped,
    )


def _dimensions(
    columns: list[str], dimensions: Mapping[str, str] | Hierarchy | None
) -> dict[str, str]:
    if isinstance(dimensions, Hierarchy):
        by_feature = {f: dimensions.elements[e] for e, f in dimensions.element_features.items()}
        mapping: Mapping[str, str] = {**dimensions.elements, **by_feature}
    elif dimensions is None:
        mapping = {c: c.split(SEP, 1)[0] for c in columns if SEP in c}
    else:
        mapping = {str(k): str(v) for k, v in dimensions.items()}
    unknown = [c for c in columns if c not in mapping]
    if unknown:
        raise ValueError(
            f"no dimension for the column(s) {preview(unknown)}: name the columns "
            f"'dimension{SEP}element' (as EntropyWeighter does), or pass dimensions= "
            "a mapping from column to dimension or a Hierarchy."
        )
    return {c: mapping[c] for c in columns}
