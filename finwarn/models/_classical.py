"""The classical distress scores as estimators: Altman Z, Altman Z'' and Ohlson O.

The formulas are the published ones; their coefficients, cut-offs and zones, and the
columns each input is looked for in, live in ``classical.yaml`` beside this module
(read and validated by ``_classical_config``).
Nothing about a formula is learned: ``fit`` only finds the input columns, learns
clipping bounds and fill values for the inputs, and maps the score to a probability.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from finwarn._text import did_you_mean, preview
from finwarn.exceptions import DataValidationError
from finwarn.models._classical_config import (
    _PREV_COLUMNS,
    CLASSICAL_SCORES,
    _Bounded,
    _config,
    _describe_entry,
    _entry_text,
    _FlagFormula,
    _formula,
    _numeric,
    _Score,
    _Source,
    _Term,
    _vocabulary,
)

__all__ = ["CLASSICAL_SCORES", "ClassicalScoreClassifier"]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- estimator


class ClassicalScoreClassifier(ClassifierMixin, BaseEstimator):
    """Altman Z, Altman Z'' or Ohlson O as a scikit-learn classifier.

    The score is the published formula with its published coefficients
    (``finwarn/models/classical.yaml``); nothing about the formula is learned.
    ``fit`` only learns how to read the inputs and how to turn the score into a
    probability:

    * which column feeds each input (found by name, see below);
    * clipping bounds for each input at the training quantiles ``clip``: the
      ratio data sets hold extreme values (near-zero denominators) that would
      otherwise decide a linear score on their own;
    * the training median of each clipped input, which fills its missing values
      (NaN or infinite) when scoring; ``score_frame`` counts the filled inputs
      of each row;
    * a logistic regression of ``y`` on the score (one variable), so that
      ``predict_proba`` gives probabilities. Ranking always follows the
      published formula: if the fitted slope is not positive, the score does not
      separate the training classes in the published direction; a warning is
      logged and a small positive slope (``min_slope_per_sd`` of
      ``classical.yaml``, in log-odds per training standard deviation of the
      score) is kept, with the intercept at the training base rate. Every
      probability then stays close to the base rate while still ranking as the
      formula does. (The best fit under the constraint of a non-negative slope
      would be a slope of 0: every company at the base rate, no ranking left.)

    ``predict`` is the published cut-off, not a fitted one: distress when
    Altman Z < 1.81, Altman Z'' < 1.10, or Ohlson O > 0 (probability above 0.5
    in Ohlson's logit). ``decision_function`` is the risk-oriented distance from
    that cut-off (1.81 - Z, 1.10 - Z'', O), so ``predict`` is distress exactly
    where ``decision_function`` is positive.

    The scores:

    ``"altman_z"`` (Altman 1968)
        Z = 1.2 X1 + 1.4 X2 + 3.3 X3 + 0.6 X4 + 1.0 X5 with X1 = working capital /
        total assets, X2 = retained earnings / total assets, X3 = EBIT / total
        assets, X4 = market value of equity / total liabilities, X5 = sales /
        total assets. Zones: distress below 1.81, grey to 2.99, safe above. Where
        no market value of equity is found (unlisted firms, the Polish data),
        book equity stands in for X4, as is common practice for private firms;
        a note is logged. Altman (1983) re-estimated the model for private firms
        with book equity, Z' = 0.717 X1 + 0.847 X2 + 3.107 X3 + 0.420 X4 +
        0.998 X5 (distress below 1.23); this class keeps the original 1968
        coefficients.
    ``"altman_z2"`` (Altman's Z'' of 1995, for non-manufacturers and emerging markets)
        Z'' = 6.56 X1 + 3.26 X2 + 6.72 X3 + 1.05 X4 with X4 = book equity / total
        liabilities and no sales term. Zones: distress below 1.10, grey to 2.60,
        safe above. The emerging-market version adds 3.25 to every score; it is
        **not** added here. The constant shifts every score and the zone bounds
        alike, so it changes no ranking and no decision.
    ``"ohlson_o"`` (Ohlson 1980, model 1)
        O = -1.32 - 0.407 SIZE + 6.03 TLTA - 1.43 WCTA + 0.0757 CLCA - 1.72 OENEG
        - 2.37 NITA - 1.83 FUTL + 0.285 INTWO - 0.521 CHIN, P(distress) =
        1 / (1 + exp(-O)). SIZE = log(total assets), TLTA = total liabilities /
        total assets, WCTA = working capital / total assets, CLCA = current
        liabilities / current assets, OENEG = 1 if total liabilities exceed total
        assets (derived from TLTA), NITA = net income / total assets, FUTL = funds
        from operations (net income + depreciation) / total liabilities, INTWO = 1
        if net income was negative in each of the last two years, CHIN = change in
        net income over the sum of both years' absolute net income. SIZE is the
        natural log of total assets in the data's own currency unit, without
        Ohlson's GNP price-level deflator: the unit shifts every O alike (no
        ranking changes) but moves the O > 0 decision. INTWO and CHIN need the
        previous period; where it cannot be read (the Polish data has no prior
        year; a panel needs ``entity`` and ``period`` columns) they are left out
        with a logged note and listed in ``terms_missing_``, and O is the sum of
        the other terms.

    Where the inputs come from: with ``inputs=None`` each input is found in a
    DataFrame by column name, in the vocabularies of ``classical.yaml``, first
    match wins:

    * the Polish bankruptcy data (``Attr1``..``Attr64``; e.g. X1 = ``Attr3``,
      X4 = ``Attr8``, CLCA = ``1 / Attr4``);
    * finwarn's indicator catalog, as named by
      :func:`finwarn.indicators.compute_indicators` (``working_capital_to_assets``,
      ``debt_ratio``, ...);
    * raw statement items (``finwarn/data/raw_items.yaml``, the demo panel), read
      with the indicator formula language, e.g. X1 =
      ``(current_assets - current_liabilities) / total_assets``.

    The 22-column Taiwan subset holds none of the inputs (see the note in
    ``classical.yaml``). ``inputs`` may map some inputs to columns by name (the
    rest are still found by name), or map every input to a column position, which
    also works on numpy arrays. Inputs that are not found raise
    :class:`~finwarn.exceptions.DataValidationError` naming each missing input,
    its meaning and the columns looked for.

    Parameters
    ----------
    formula : {"altman_z", "altman_z2", "ohlson_o"}, default="altman_z"
        The published score to compute. (Not called ``score``: that name is
        scikit-learn's accuracy method.)
    inputs : dict or None, default=None
        Input name (``"X1"``, ``"SIZE"``, ...) to the column that holds it: column
        names (str) for a DataFrame, or column positions (int) for an array or a
        DataFrame, not a mix. Positions must cover every required input. None
        finds every input by column name.
    clip : tuple of (float, float) or None, default=(0.01, 0.99)
        Quantiles of the training values at which each input is clipped (0/1
        flags are never clipped); None does not clip.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels; ``classes_[1]`` (the larger, e.g. 1) is distress.
    inputs_ : dict
        Input name to what it was read from: a column name, a column position,
        a formula over columns, or a derivation (``"TLTA > 1"``).
    terms_ : list of str
        The terms of the score that are computed, in formula order.
    terms_missing_ : list of str
        Optional terms (Ohlson's INTWO and CHIN) left out because their inputs
        were not found or have no training values.
    coefficients_ : ndarray of shape (n_terms,)
        Published coefficients of ``terms_``.
    constant_ : float
        Published constant of the score.
    clip_bounds_ : ndarray of shape (n_terms, 2)
        Lower and upper clipping bound of each term (infinite when not clipped).
    fill_values_ : ndarray of shape (n_terms,)
        Training median of each clipped term; fills its missing values.
    base_rate_ : float
        Share of ``classes_[1]`` in the training data.
    calibration_intercept_, calibration_slope_ : float
        ``predict_proba`` is ``expit(intercept + slope * decision_function(X))``;
        the slope is always positive.
    direction_holds_ : bool
        Whether the fitted slope was positive, i.e. the training classes are
        separated in the published direction.
    notes_ : list of str
        What ``fit`` decided on the user's behalf (stand-in inputs, left-out terms).
    n_features_in_ : int
        Number of columns of the training X.
    feature_names_in_ : ndarray of str
        Column names of the training X, when they are all strings.

    See Also
    --------
    finwarn.models.make_model : Learned models (BP network, logit, LightGBM).

    Notes
    -----
    The decision and the ranking of each company come from the published
    formula only; the fitted parts are the data handling and the probability.
    With ``inputs`` given as column names, or found by name, ``predict`` selects
    the same columns by name, so the frame scored may hold other columns in any
    order. With positions, X must have the training number of columns.

    References
    ----------
    Altman, E. I. (1968). Financial ratios, discriminant analysis and the
    prediction of corporate bankruptcy. Journal of Finance 23(4), 589-609.

    Altman, E. I. (2000). Predicting financial distress of companies: revisiting
    the Z-score and ZETA models. Working paper, NYU Stern.

    Ohlson, J. A. (1980). Financial ratios and the probabilistic prediction of
    bankruptcy. Journal of Accounting Research 18(1), 109-131.

    Examples
    --------
    >>> from finwarn.datasets import make_demo_panel
    >>> panel = make_demo_panel(n_firms=200, n_years=4).dropna(subset=["label"])
    >>> X, y = panel.drop(columns="label"), panel["label"]
    >>> model = ClassicalScoreClassifier("altman_z").fit(X, y)
    >>> model.inputs_["X1"]
    '(current_assets - current_liabilities) / total_assets'
    >>> model.score_frame(X).columns.tolist()
    ['X1', 'X2', 'X3', 'X4', 'X5', 'n_filled', 'score', 'zone']
    >>> bool(model.direction_holds_)
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "formula": [str],
        "inputs": [None, dict],
        "clip": [None, tuple, list],
    }

    def __init__(self, formula: str = "altman_z", *, inputs=None, clip=(0.01, 0.99)):
        self.formula = formula
        self.inputs = inputs
        self.clip = clip

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True
        return tags

    # ------------------------------------------------------------------ parameters

    def _spec(self) -> _Score:
        scores = _config().scores
        if self.formula not in scores:
            raise ValueError(
                f"formula={self.formula!r} is not a classical score; choose one of "
                f"{', '.join(repr(s) for s in scores)}.{did_you_mean(str(self.formula), scores)}"
            )
        return scores[self.formula]

    def _clip_quantiles(self) -> tuple[float, float] | None:
        if self.clip is None:
            return None
        clip = tuple(self.clip)
        valid = (
            len(clip) == 2
            and all(isinstance(q, int | float) and not isinstance(q, bool) for q in clip)
            and 0.0 <= clip[0] < clip[1] <= 1.0
        )
        if not valid:
            raise ValueError(
                f"clip must be None or two quantiles (low, high) with 0 <= low < high <= 1, "
                f"got {self.clip!r}. Use e.g. clip=(0.01, 0.99), or clip=None not to clip."
            )
        return float(clip[0]), float(clip[1])

    def _by_position(self, spec: _Score) -> bool:
        """Whether ``inputs`` maps to column positions (True) or names (False)."""
        if not self.inputs:
            return False
        names = [t.name for t in spec.terms]
        for key in self.inputs:
            if key not in names:
                raise ValueError(
                    f"inputs names {key!r}, which is not an input of {self._title(spec)}."
                    f"{did_you_mean(str(key), names)} Its inputs: {', '.join(names)}."
                )
        values = list(self.inputs.values())
        positions = [isinstance(v, Integral) and not isinstance(v, bool) for v in values]
        if all(positions):
            return True
        if all(isinstance(v, str) for v in values):
            return False
        raise ValueError(
            "inputs must map every input to a column name (str) or every input to a column "
            f"position (int), not a mix; got {self.inputs!r}."
        )

    def _title(self, spec: _Score) -> str:
        return f"{spec.name} ('{self.formula}')"

    # ------------------------------------------------------------------ fit

    def fit(self, X, y):
        """Find the inputs, learn their clipping bounds and fill values, calibrate.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The companies' ratios or raw statement items. An array needs
            ``inputs`` mapping every input to a column position.
        y : array-like of shape (n_samples,)
            Two classes; the larger label (e.g. 1) is distress.

        Returns
        -------
        self : ClassicalScoreClassifier
            The fitted estimator.

        Raises
        ------
        DataValidationError
            If a required input is not found in X, a named column is absent, or
            an input has no value in any training row.
        ValueError
            On an unknown ``formula``, bad ``inputs`` or ``clip``, or a ``y`` that
            does not hold exactly two classes.
        """
        self._validate_params()
        spec = self._spec()
        quantiles = self._clip_quantiles()
        by_position = self._by_position(spec)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        data = self._check_X(X, spec, by_position, reset=True)
        # NaN or infinite labels are refused here, before type_of_target casts them
        y = check_array(column_or_1d(y, warn=True), ensure_2d=False, dtype=None, input_name="y")
        check_consistent_length(data, y)
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"{self._title(spec)} needs distressed and healthy rows in y, but y has one "
                f"class ({classes.tolist()[0]!r}) in {len(y)} rows."
            )
        y_type = type_of_target(y, input_name="y")
        if y_type != "binary":
            raise ValueError(
                f"Only binary classification is supported. The type of the target is "
                f"{y_type!r}: y has {len(classes)} classes ({preview(classes.tolist())}); "
                "label distress 1 and every other row 0."
            )
        notes: list[str] = []
        sources, missing = self._resolve(data, spec, by_position, notes)
        raw = self._raw_values(data, sources)

        empty = [j for j in range(raw.shape[1]) if np.isnan(raw[:, j]).all()]
        terms = {t.name: t for t in spec.terms}
        config = _config()
        for j in empty:
            source = sources[j]
            term = terms[source.term]
            why = (
                f"{source.term} ({config.meaning(term)}), read from {source.label!r}, has no "
                f"value in any of the {len(raw)} training rows"
            )
            if term.required:
                raise DataValidationError(
                    f"{self._title(spec)}: {why}. Map the input to a column that holds values "
                    f"with inputs={{'{source.term}': ...}}."
                )
            missing.append(source.term)
            notes.append(f"{why}; {source.term} is left out of the score")
        keep = [j for j in range(raw.shape[1]) if j not in empty]
        sources = [sources[j] for j in keep]
        raw = raw[:, keep]
        for note in notes:
            logger.info("%s: %s", self.formula, note)

        flags = np.array([config.is_flag(terms[s.term]) for s in sources], dtype=bool)
        bounds = np.tile([-np.inf, np.inf], (len(sources), 1))
        if quantiles is not None:
            for col in np.flatnonzero(~flags):
                bounds[col] = np.nanquantile(raw[:, col], quantiles)
        clipped = np.clip(raw, bounds[:, 0], bounds[:, 1])

        self.classes_ = classes
        self._by_position_ = by_position
        self._sources_ = sources
        self.inputs_ = {s.term: s.label for s in sources}
        self.terms_ = [s.term for s in sources]
        self.terms_missing_ = [t.name for t in spec.terms if t.name in missing]
        self.coefficients_ = np.array([terms[s.term].coefficient for s in sources])
        self.constant_ = float(spec.constant)
        self.clip_bounds_ = bounds
        self.fill_values_ = np.nanmedian(clipped, axis=0)
        self._risk_sign_ = spec.sign
        self._cutoff_ = spec.cutoff
        self._zone_names_ = [z.name for z in spec.zones]
        self._zone_bounds_ = np.array([z.bound for z in spec.zones[:-1]], dtype=float)
        self._train_missing_ = np.isnan(raw).sum(axis=0)
        self.notes_ = notes
        logger.info(
            "%s: inputs %s",
            self.formula,
            ", ".join(f"{k}={v!r}" for k, v in self.inputs_.items()),
        )

        filled = np.where(np.isnan(clipped), self.fill_values_, clipped)
        self._calibrate(self._margin(filled), y == classes[1], spec)
        return self

    def _check_X(self, X, spec: _Score, by_position: bool, *, reset: bool):
        """X as a DataFrame (inputs by name) or a float array (inputs by position)."""
        if by_position:
            data = validate_data(self, X, reset=reset, ensure_all_finite=False, dtype=np.float64)
            return np.where(np.isfinite(data), data, np.nan)
        if not isinstance(X, pd.DataFrame):
            listed = ", ".join(
                f"{t.name} = {_config().meaning(t)}" for t in spec.terms if t.derived is None
            )
            example = ", ".join(
                f"'{t.name}': {i}" for i, t in enumerate(t for t in spec.terms if t.derived is None)
            )
            kind = "numpy array" if isinstance(X, np.ndarray) else type(X).__name__
            raise DataValidationError(
                f"X is a {kind} without column names, so the inputs of "
                f"{self._title(spec)} cannot be found by name ({listed}). Pass a pandas "
                "DataFrame with named columns, or map every input to a column position: "
                f"inputs={{{example}}}."
            )
        if len(X) == 0:
            raise ValueError(f"X has 0 rows; {self._title(spec)} needs at least one.")
        if reset:
            self.n_features_in_ = X.shape[1]
            if all(isinstance(c, str) for c in X.columns):
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        return X

    def _resolve(
        self, data, spec: _Score, by_position: bool, notes: list[str]
    ) -> tuple[list[_Source], list[str]]:
        """Where each term comes from; the optional terms not found; notes."""
        config = _config()
        given: Mapping[str, Any] = self.inputs or {}
        sources: list[_Source] = []
        not_found: list[_Term] = []
        found: set[str] = set()
        for term in spec.terms:
            source: _Source | None = None
            if term.name in given:
                source = self._given_source(data, spec, term, given[term.name], by_position)
            elif term.derived is not None:
                if term.derived.term in found:
                    rule = _Bounded(above=term.derived.above, below=term.derived.below)
                    source = _Source(term.name, "derived", term.derived.term, "derived", rule)
            elif not by_position:
                source = self._find(data, spec, term, notes)
            if source is None:
                not_found.append(term)
                continue
            sources.append(source)
            found.add(term.name)
        missing = [t.name for t in not_found]
        # a derived term whose base is missing is reported through its base
        required = [
            t
            for t in not_found
            if t.required and (t.derived is None or t.derived.term not in missing)
        ]
        if required:
            raise DataValidationError(self._missing_message(data, spec, required, by_position))
        for term in not_found:
            if by_position:
                notes.append(
                    f"{term.name} ({config.meaning(term)}) is not mapped to a column position; "
                    f"{term.name} is left out of the score"
                )
                continue
            looked = [
                _describe_entry(config, s, e)
                for r in term.ratios
                for s, e in config.ratios[r].look_for.items()
            ]
            where = f"looked for {', '.join(looked)}" if looked else "no column is known for it"
            if any(
                _formula(_entry_text(e), s).uses_prev
                for r in term.ratios
                for s, e in config.ratios[r].look_for.items()
            ):
                where += " with the previous period (columns 'entity' and 'period')"
            notes.append(
                f"{term.name} ({config.meaning(term)}) not found ({where}); {term.name} is left "
                f"out of the score"
            )
        return sources, missing

    def _given_source(self, data, spec: _Score, term: _Term, ref, by_position: bool) -> _Source:
        where = f"inputs['{term.name}']"
        if by_position:
            n = data.shape[1]
            if not 0 <= ref < n:
                raise DataValidationError(
                    f"{where} = {ref} is not a column position of X, which has {n} feature(s) "
                    f"(positions 0 to {n - 1}). Map {term.name} ({_config().meaning(term)}) to "
                    "one of them."
                )
            return _Source(term.name, "position", int(ref), "inputs")
        if ref not in data.columns:
            columns = [str(c) for c in data.columns]
            raise DataValidationError(
                f"{where} names column {ref!r}, which X does not have.{did_you_mean(ref, columns)}"
                f" {term.name} of {self._title(spec)} is {_config().meaning(term)}; X has "
                f"{len(columns)} column(s): {preview(columns)}."
            )
        return _Source(term.name, "column", ref, "inputs")

    def _find(self, data: pd.DataFrame, spec: _Score, term: _Term, notes: list[str]):
        """The first look_for entry whose columns X has, or None."""
        config = _config()
        columns = {c for c in data.columns if isinstance(c, str)}
        for rank, rid in enumerate(term.ratios):
            for set_name, entry in config.ratios[rid].look_for.items():
                formula = _formula(_entry_text(entry), set_name)
                needed = set(formula.inputs) | (set(_PREV_COLUMNS) if formula.uses_prev else set())
                if not needed <= columns:
                    continue
                rule = None
                if isinstance(entry, _FlagFormula):
                    rule = _Bounded(above=entry.above, below=entry.below)
                source = _Source(term.name, "formula", formula.text, set_name, rule)
                if rank > 0:
                    preferred = " or ".join(config.ratios[r].meaning for r in term.ratios[:rank])
                    note = (
                        f"{term.name} reads {config.ratios[rid].meaning} from "
                        f"{_describe_entry(config, set_name, entry)}: no {preferred} was found"
                    )
                    notes.append(note)
                return source
        return None

    def _missing_message(self, data, spec: _Score, missing: list[_Term], by_position: bool) -> str:
        config = _config()
        n_inputs = sum(t.derived is None for t in spec.terms)
        placeholder = "<position>" if by_position else "<column>"
        fix = ", ".join(f"'{t.name}': {placeholder}" for t in missing)
        if by_position:
            listed = ", ".join(f"{t.name} ({config.meaning(t)})" for t in missing)
            return (
                f"{self._title(spec)} cannot be computed: inputs maps no column position to "
                f"{listed}. Map every input to a position, e.g. inputs={{..., {fix}}}."
            )
        parts = []
        for term in missing:
            looked = [
                _describe_entry(config, s, e)
                for r in term.ratios
                for s, e in config.ratios[r].look_for.items()
            ]
            parts.append(f"{term.name} ({config.meaning(term)}): looked for {', '.join(looked)}")
        message = (
            f"{self._title(spec)} cannot be computed: {len(missing)} of its {n_inputs} inputs "
            f"were not found in X: {'; '.join(parts)}. Name the columns that hold them, e.g. "
            f"ClassicalScoreClassifier({self.formula!r}, inputs={{{fix}}})."
        )
        columns = [c for c in data.columns if isinstance(c, str)]
        for set_name, input_set in config.input_sets.items():
            known = set(_vocabulary(set_name))
            if input_set.note and columns and sum(c in known for c in columns) * 2 >= len(columns):
                message += f" X looks like the {input_set.name}: {input_set.note}."
        return message

    # ------------------------------------------------------------------ scoring

    def _raw_values(self, data, sources: list[_Source]) -> np.ndarray:
        """Unclipped term values, NaN where missing or infinite."""
        out = np.full((data.shape[0], len(sources)), np.nan)
        index = {s.term: j for j, s in enumerate(sources)}
        for j, source in enumerate(sources):
            if source.kind == "position":
                values = np.asarray(data[:, source.ref], dtype=float)
            elif source.kind == "column":
                values = _numeric(data, source.ref, f"inputs['{source.term}']")
            elif source.kind == "formula":
                evaluated, _ = _formula(source.ref, source.origin).evaluate(data)
                values = evaluated.to_numpy(dtype=float)
            else:
                values = out[:, index[source.ref]]
            values = np.where(np.isfinite(values), values, np.nan)
            out[:, j] = source.rule.flag(values) if source.rule is not None else values
        return out

    def _values(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Clipped, filled term values of X and how many were filled per row."""
        check_is_fitted(self)
        spec = self._spec()
        data = self._check_X(X, spec, self._by_position_, reset=False)
        if not self._by_position_:
            self._check_columns(data, spec)
        raw = self._raw_values(data, self._sources_)
        clipped = np.clip(raw, self.clip_bounds_[:, 0], self.clip_bounds_[:, 1])
        missing = np.isnan(clipped)
        return np.where(missing, self.fill_values_, clipped), missing.sum(axis=1)

    def _check_columns(self, data: pd.DataFrame, spec: _Score) -> None:
        config = _config()
        terms = {t.name: t for t in spec.terms}
        lacking = []
        for source in self._sources_:
            absent = [c for c in source.columns() if c not in data.columns]
            if absent:
                lacking.append(
                    f"{source.term} ({config.meaning(terms[source.term])}) reads {preview(absent)}"
                )
        if lacking:
            raise DataValidationError(
                f"X lacks columns that {self._title(spec)} was fitted to read: "
                f"{'; '.join(lacking)}. Score a table with the training columns, or refit on "
                "this table's columns."
            )

    def _score(self, values: np.ndarray) -> np.ndarray:
        return self.constant_ + values @ self.coefficients_

    def _margin(self, values: np.ndarray) -> np.ndarray:
        return self._risk_sign_ * (self._score(values) - self._cutoff_)

    def _calibrate(self, margin: np.ndarray, positive: np.ndarray, spec: _Score) -> None:
        settings = _config().calibration
        centre = float(margin.mean())
        spread = float(margin.std())
        spread = spread if spread > 0 else 1.0
        z = ((margin - centre) / spread).reshape(-1, 1)
        model = LogisticRegression(C=settings.C).fit(z, positive.astype(int))
        slope, intercept = float(model.coef_[0, 0]), float(model.intercept_[0])
        self.base_rate_ = float(positive.mean())
        self.direction_holds_ = slope > 0
        if not self.direction_holds_:
            logger.warning(
                "%s does not separate the training classes in the published direction: "
                "rows of class %s do not score riskier (fitted slope %.3g per standard "
                "deviation of the score). predict_proba keeps the published ranking with a "
                "slope of %g per standard deviation, so every probability stays close to the "
                "training base rate %.1f%%; predict still uses the published cut-off.",
                self._title(spec),
                self.classes_[1],
                slope,
                settings.min_slope_per_sd,
                100 * self.base_rate_,
            )
            slope = settings.min_slope_per_sd
            intercept = float(logit(self.base_rate_))
        self.calibration_slope_ = slope / spread
        self.calibration_intercept_ = intercept - slope * centre / spread

    def decision_function(self, X) -> np.ndarray:
        """Risk-oriented distance of each score from the published cut-off.

        1.81 - Z for Altman Z, 1.10 - Z'' for Altman Z'', O for Ohlson O:
        positive inside the distress zone, larger for riskier companies.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Data with the columns read in ``fit``.

        Returns
        -------
        margin : ndarray of shape (n_samples,)
        """
        values, _ = self._values(X)
        return self._margin(values)

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class, increasing in risk as the formula ranks it.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Data with the columns read in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns ordered as ``classes_``; column 1 is distress.
        """
        margin = self.decision_function(X)
        p = expit(self.calibration_intercept_ + self.calibration_slope_ * margin)
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        """Distress (``classes_[1]``) inside the published distress zone.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Data with the columns read in ``fit``.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        distress = self.decision_function(X) > 0
        return self.classes_[distress.astype(int)]

    def score_frame(self, X) -> pd.DataFrame:
        """Each company's input values, score and published zone, for explanations.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Data with the columns read in ``fit``.

        Returns
        -------
        DataFrame
            Index of X (a range for arrays). One column per term of ``terms_`` with
            the value that entered the score (clipped, missing values filled with
            the training median), ``n_filled`` (how many of the row's inputs were
            filled), ``score`` (the published score: Z, Z'' or O) and ``zone``
            (``distress``, ``grey`` or ``safe`` as published).
        """
        values, n_filled = self._values(X)
        score = self._score(values)
        risk = self._risk_sign_ * score
        # from the safest bounded zone to the riskiest, each overriding the one before
        zones = np.full(len(score), self._zone_names_[-1], dtype=object)
        for name, bound in reversed(list(zip(self._zone_names_, self._zone_bounds_, strict=False))):
            zones[risk > self._risk_sign_ * bound] = name
        index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(score))
        frame = pd.DataFrame(values, index=index, columns=self.terms_)
        frame["n_filled"] = n_filled
        frame["score"] = score
        frame["zone"] = zones
        return frame

    def table(self) -> pd.DataFrame:
        """The fitted score term by term: coefficient, input, clipping and fill value.

        Returns
        -------
        DataFrame
            One row per term of the published formula, with ``term``, ``meaning``,
            ``coefficient``, ``status`` (``used`` or ``left out``), ``input`` (what
            it was read from), ``clip_low``, ``clip_high``, ``fill_value`` (training
            median) and ``train_missing`` (training rows without a value).
        """
        check_is_fitted(self)
        spec = self._spec()
        config = _config()
        rows = []
        for term in spec.terms:
            row: dict[str, Any] = {
                "term": term.name,
                "meaning": config.meaning(term),
                "coefficient": term.coefficient,
            }
            if term.name in self.terms_:
                j = self.terms_.index(term.name)
                row |= {
                    "status": "used",
                    "input": self.inputs_[term.name],
                    "clip_low": self.clip_bounds_[j, 0],
                    "clip_high": self.clip_bounds_[j, 1],
                    "fill_value": self.fill_values_[j],
                    "train_missing": int(self._train_missing_[j]),
                }
            else:
                row |= {"status": "left out", "input": None}
            rows.append(row)
        columns = [
            "term",
            "meaning",
            "coefficient",
            "status",
            "input",
            "clip_low",
            "clip_high",
            "fill_value",
            "train_missing",
        ]
        return pd.DataFrame(rows, columns=columns)
