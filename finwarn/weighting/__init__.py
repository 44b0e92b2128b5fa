"""Entropy weighting (C4, paper 004): indicator hierarchies, weights, scores and ranking.

An indicator hierarchy (:class:`Hierarchy`, data in YAML) groups indicators into
first-level elements under risk dimensions. :class:`EntropyWeighter` learns Shannon
entropy weights from the training data and turns indicators into element
quantities, dimension scores and a composite risk index. :func:`rank_risk` orders
firms by warning level, then by their dimension scores, and :func:`screen_elements`
picks, by principal-component analysis, the elements that carry most of the
variation in risk.

Examples
--------
>>> from finwarn.datasets import make_demo_panel
>>> from finwarn.indicators import compute_indicators
>>> from finwarn.weighting import EntropyWeighter
>>> X = compute_indicators(make_demo_panel(n_firms=30, n_years=3)).values
>>> weighter = EntropyWeighter(hierarchy="catalog", output="all").set_output(transform="pandas")
>>> scores = weighter.fit_transform(X)
>>> scores.columns[:2].tolist(), scores.columns[-1]
(['solvency__liquidity', 'solvency__leverage'], 'composite')
>>> bool(scores.stack().between(0, 1).all())
True
"""

from finwarn.weighting._entropy import OUTPUT_LEVELS, EntropyWeighter
from finwarn.weighting._hierarchy import (
    HIERARCHIES,
    RISK_DIRECTIONS,
    Element,
    Hierarchy,
    HierarchyIndicator,
    RiskDimension,
    default_hierarchy,
    load_hierarchy,
)
from finwarn.weighting._pca import ElementScreening, screen_elements
from finwarn.weighting._ranking import RiskRanking, rank_risk

__all__ = [
    "HIERARCHIES",
    "OUTPUT_LEVELS",
    "RISK_DIRECTIONS",
    "Element",
    "ElementScreening",
    "EntropyWeighter",
    "Hierarchy",
    "HierarchyIndicator",
    "RiskDimension",
    "RiskRanking",
    "default_hierarchy",
    "load_hierarchy",
    "rank_risk",
    "screen_elements",
]
