"""Cleaning of financial indicators (capability C3, paper 001).

Every step is a scikit-learn transformer fitted on training data only, so a
test set never leaks into the statistics used to clean it:
:class:`DropSparseColumns` (indicators missing in over 30% of rows),
:class:`Winsorizer` (extreme ratios), :class:`Imputer` (median or paper 001's
mean-plus-noise fill), :class:`IndicatorScaler` (min-max, standard or quantile), and
:func:`make_cleaner` composing them. :func:`sparse_rows` flags samples missing
over half of their indicators, with a reason, so the caller can quarantine them.
"""

from finwarn.cleaning._cleaner import make_cleaner
from finwarn.cleaning._impute import Imputer
from finwarn.cleaning._scale import IndicatorScaler
from finwarn.cleaning._sparse import DropSparseColumns, sparse_rows
from finwarn.cleaning._winsorize import Winsorizer

__all__ = [
    "DropSparseColumns",
    "Imputer",
    "IndicatorScaler",
    "Winsorizer",
    "make_cleaner",
    "sparse_rows",
]
