"""From a canonical table to the feature matrix a model sees.

Two kinds of input are accepted:

* raw statement items (``total_assets``, ``revenue``, ...): finwarn computes the
  indicators of its catalog from them (C2), and the raw amounts themselves are not
  used as features;
* pre-computed ratios (the Polish and Taiwan data sets): used as they are.

Other numeric columns are used as given in both cases. The recipe (which kind, which
features, the indicator definitions) is kept in a :class:`FeatureSpec` so that data
scored later goes through exactly the same steps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from finwarn._text import did_you_mean, preview
from finwarn.data import LoadResult, raw_items
from finwarn.exceptions import ModelCompatibilityError
from finwarn.indicators import (
    RATIO_SETS,
    IndicatorCatalog,
    assign_dimensions,
    catalog_from_records,
    compute_indicators,
    load_catalog,
    load_ratio_set,
)

__all__ = [
    "ID_COLUMNS",
    "TEXT_COLUMN",
    "FeatureSpec",
    "Prepared",
    "build_features",
    "known_columns",
]

logger = logging.getLogger(__name__)

ID_COLUMNS = ("entity", "period", "industry")
#: The canonical name of the report-text column (a ``text:`` entry of a mapping file).
TEXT_COLUMN = "text"


@dataclass(frozen=True)
class FeatureSpec:
    """How the features of a model are made from a canonical table.

    Attributes
    ----------
    source : {"indicators", "columns"}
        ``indicators``: computed from raw statement items by the catalog;
        ``columns``: numeric columns used as given.
    features : tuple of str
        The model's feature columns, in order.
    dimensions : dict
        Feature -> dimension (``solvency``, ..., ``other``).
    indicators : tuple of dict
        The indicator definitions used (``indicators`` source only), so that scoring
        recomputes exactly what training saw even if the catalog changes later.
    text : bool
        Whether the model also reads the report text (the ``text`` column).
    """

    source: Literal["indicators", "columns"]
    features: tuple[str, ...]
    dimensions: dict[str, str]
    indicators: tuple[dict[str, Any], ...] = ()
    text: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored in a saved model's metadata."""
        return {
            "source": self.source,
            "features": list(self.features),
            "dimensions": dict(self.dimensions),
            "indicators": [dict(d) for d in self.indicators],
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> FeatureSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(
            source=payload["source"],
            features=tuple(payload["features"]),
            dimensions=dict(payload["dimensions"]),
            indicators=tuple(payload.get("indicators", ())),
            text=bool(payload.get("text", False)),
        )


@dataclass(frozen=True)
class Prepared:
    """Features, labels and ids of the accepted rows of one data file.

    Attributes
    ----------
    ids : pandas.DataFrame
        ``entity`` and, where present, ``period`` and ``industry``.
    X : pandas.DataFrame
        The feature matrix (NaN where a value is missing or undefined).
    y : numpy.ndarray or None
        Labels as float (1, 0, NaN = unknown); ``None`` without a label column.
    spec : FeatureSpec
    indicator_notes : pandas.DataFrame
        Why indicator values are NaN (indicator source only; empty otherwise).
    text : pandas.Series or None
        The report text of each row (``""`` where a row has none); ``None`` when the
        file has no text column.
    """

    ids: pd.DataFrame
    X: pd.DataFrame
    y: np.ndarray | None
    spec: FeatureSpec
    indicator_notes: pd.DataFrame = field(default_factory=pd.DataFrame)
    text: pd.Series | None = None

    def for_model(self, spec: FeatureSpec) -> Prepared:
        """The same rows under a trained model's recipe (e.g. one that reads the text)."""
        return replace(self, spec=spec)

    def model_input(self, rows: np.ndarray | None = None) -> pd.DataFrame:
        """What the model reads: the features, plus the ``text`` column if it uses text.

        Parameters
        ----------
        rows : ndarray of bool, optional
            Only these rows.
        """
        X = self.X if rows is None else self.X[rows]
        if not self.spec.text:
            return X
        assert self.text is not None  # build_features refuses a text model without text
        text = self.text if rows is None else self.text[rows]
        return X.assign(**{TEXT_COLUMN: text.to_numpy(dtype=object)})


def known_columns() -> list[str]:
    """Feature names finwarn recognises in other spellings when loading a file.

    Raw statement items, the catalog's indicator ids and the columns of the built-in
    ratio sets (so ``Attr_1`` in the Polish JSON file becomes ``Attr1``).
    """
    names = set(raw_items()) | set(load_catalog().ids)
    for ratio_set in RATIO_SETS:
        names |= set(load_ratio_set(ratio_set).dimensions)
    return sorted(names)


def _has_raw_items(columns: list[str]) -> bool:
    return any(c in raw_items() for c in columns)


def build_features(
    loaded: LoadResult,
    *,
    catalog: IndicatorCatalog | None = None,
    spec: FeatureSpec | None = None,
) -> Prepared:
    """Build the feature matrix of a loaded file.

    Parameters
    ----------
    loaded : LoadResult
        Output of :func:`finwarn.data.load_data`.
    catalog : IndicatorCatalog, optional
        Indicators to compute from raw items (default: the built-in catalog).
        Ignored when ``spec`` is given.
    spec : FeatureSpec, optional
        The recipe of a trained model: the same features are rebuilt, and a missing
        feature raises :class:`~finwarn.exceptions.ModelCompatibilityError`.
    """
    data = loaded.data
    ids = data[[c for c in ID_COLUMNS if c in data.columns]].copy()
    text = data[TEXT_COLUMN].fillna("").astype(object) if TEXT_COLUMN in data.columns else None
    if spec is not None and spec.text and text is None:
        raise ModelCompatibilityError(
            f"{loaded.source}: the model reads report text, but the file has no text column. "
            "Name it under 'text:' in a mapping file (e.g. text: annual_report)."
        )
    y = data["label"].to_numpy(dtype=float) if "label" in data.columns else None
    raw_present = _has_raw_items(loaded.features)
    notes = pd.DataFrame()
    if spec is not None and spec.source == "indicators":
        if not raw_present:
            raise ModelCompatibilityError(
                f"{loaded.source}: the model computes indicators from raw statement items "
                f"(total_assets, revenue, ...), but the file has none; columns found: "
                f"{preview(loaded.features, 8)}."
            )
        catalog = catalog_from_records(spec.indicators)
    if (spec is None and raw_present) or (spec is not None and spec.source == "indicators"):
        catalog = catalog or load_catalog()
        result = compute_indicators(data, catalog)
        extra = [c for c in loaded.features if c not in raw_items()]
        X = pd.concat([result.values, data[extra]], axis=1)
        if spec is None:
            X = X.loc[:, X.notna().any()]
        notes = result.notes
        used = [d for d in catalog.records() if d["id"] in X.columns]
        source: Literal["indicators", "columns"] = "indicators"
    else:
        X = data[loaded.features]
        used = []
        source = "columns"
    if spec is not None:
        X = _select(X, spec, loaded.source)
        return Prepared(ids=ids, X=X, y=y, spec=spec, indicator_notes=notes, text=text)
    new_spec = FeatureSpec(
        source=source,
        features=tuple(X.columns),
        dimensions=assign_dimensions(list(X.columns)),
        indicators=tuple(used),
    )
    logger.info("%d features from %s (%s)", X.shape[1], loaded.source, source)
    return Prepared(
        ids=ids, X=X.astype(float), y=y, spec=new_spec, indicator_notes=notes, text=text
    )


def _select(X: pd.DataFrame, spec: FeatureSpec, source: str) -> pd.DataFrame:
    missing = [f for f in spec.features if f not in X.columns]
    if missing:
        available = [c for c in X.columns if c not in spec.features]
        hint = did_you_mean(missing[0], available) if available else ""
        raise ModelCompatibilityError(
            f"{source}: the model was trained on {len(spec.features)} features, and "
            f"{len(missing)} of them are not in this data: {preview(missing)}.{hint} "
            "Score data with the same columns as the training data (a mapping file can "
            "rename yours), or train a model on this data with `finwarn train`."
        )
    return X[list(spec.features)].astype(float)
