"""Ready-made model pipelines by name: a cleaner plus an estimator.

The default hyperparameters of every model live in :data:`DEFAULTS`, chosen by
measurement (``benchmarks/bp_tuning.py``: ROC-AUC over 5-fold stratified CV
repeated twice on Polish 5year, Polish 1year and Taiwan). What decided them:

* quantile scaling to a normal distribution beats paper 001's winsorize + min-max
  by 2-5 points of ROC-AUC for the network (plain min-max: 4-10 points), and
  winsorizing before it only ties the informative extremes together;
* missing-value flags add 6-10 points on the Polish data (a missing Attr21 marks
  96% bankrupt firms in 5year), so the network and the logit get them; LightGBM
  sees NaN itself;
* 60 epochs on all training rows beat early stopping on an inner validation
  split by 0.5-1.1 points (the split costs a fifth of the few distressed firms,
  and the validation loss rises with over-confidence while the ranking still
  improves); averaging three networks then adds nothing measurable, so one
  network keeps a fit near 1.5 s on about 4,700 rows;
* the Adam optimiser with the plateau schedule or a constant rate scores alike;
  the bold-driver schedule costs about 0.8 points on Polish data (a noisy
  mini-batch loss keeps cutting the rate); width, depth, dropout, batch norm and
  weight decay move the mean by less than the spread across folds.

LightGBM's defaults come from an exploratory 700-second Optuna search on Polish 1year
and 5year (inner 5-fold CV on other splits than the benchmark's; the script was not
kept), rounded to one setting for all data sets: slower learning with more, smaller
trees, small leaves allowed and a moderate weight on distressed rows. Because they were
chosen on these data, ``benchmarks/accuracy.py`` also reports a search nested inside
each training fold, whose figure is not the tuning figure.

The ensemble averages LightGBM and the BP network on the log-odds scale. In
``docs/benchmarks/accuracy.md`` it has the best mean ROC-AUC on all four data sets,
0.2-0.7 points above LightGBM. In the same exploratory runs, log-odds averaging ranked
better than averaging probabilities (the class-weighted network's probabilities crowd
near 0 and 1), and adding the random forest, the SVM or the CNN to the pair lowered
ROC-AUC on the Polish data, so they stay out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from sklearn.pipeline import Pipeline

from finwarn._text import did_you_mean
from finwarn.cleaning import make_cleaner
from finwarn.models._baselines import SVMClassifier, make_lightgbm, make_logit, make_random_forest
from finwarn.models._bp import BPNetClassifier
from finwarn.models._classical import CLASSICAL_SCORES, ClassicalScoreClassifier
from finwarn.models._ensemble import AveragingEnsemble
from finwarn.models._search import TunedClassifier

__all__ = [
    "CLASSICAL",
    "DEFAULTS",
    "ENSEMBLE",
    "IMBALANCE",
    "MODEL_NAMES",
    "SEARCH_SPACES",
    "TEXT_MODELS",
    "check_imbalance",
    "make_model",
    "make_text_model",
    "make_tuned_model",
]

_CLEAN_PREFIX = "clean__"


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(
        {k: _frozen(v) if isinstance(v, Mapping) else v for k, v in mapping.items()}
    )


# The three cleaners (``make_cleaner`` arguments); paper 001's rule drops features over
# 30% missing in all of them.
# networks, linear models and kernels: missing values filled and flagged, quantile-scaled
_SCALED = {
    "max_feature_missing": 0.3,
    "imputer": "median",
    "missing_indicator": True,
    "winsorize": None,
    "scaler": "quantile",
}
# trees that need complete input: filled and flagged, not scaled
_IMPUTED = {**_SCALED, "scaler": None}
# models that handle missing values themselves (LightGBM, the CNN)
_RAW = {**_IMPUTED, "imputer": None, "missing_indicator": False}

#: Default cleaner (``make_cleaner`` arguments) and estimator parameters per model.
DEFAULTS: Mapping[str, Mapping[str, Mapping[str, Any]]] = _frozen(
    {
        "bp": {
            "cleaner": _SCALED,
            "model": {
                "hidden_layer_sizes": (128,),
                "activation": "tanh",
                "batch_norm": False,
                "dropout": 0.1,
                "optimizer": "adam",
                "learning_rate": 1e-3,
                "lr_schedule": "plateau",
                "lr_decay": 0.5,
                "lr_patience": 5,
                "weight_decay": 1e-4,
                "batch_size": 256,
                "max_epochs": 60,
                "early_stopping": False,
                "validation_fraction": 0.2,
                "patience": 20,
                "class_weight": "balanced",
                "n_networks": 1,
            },
        },
        "logit": {
            "cleaner": _SCALED,
            "model": {
                "C": 0.1,
                "class_weight": "balanced",
                "solver": "newton-cholesky",
                "max_iter": 1000,
            },
        },
        "lightgbm": {
            "cleaner": _RAW,
            "model": {
                "n_estimators": 600,
                "learning_rate": 0.03,
                "num_leaves": 24,
                "min_child_samples": 5,
                "subsample": 0.95,
                "subsample_freq": 1,
                "colsample_bytree": 0.7,
                "reg_lambda": 0.1,
                # distressed rows weigh 5 times a healthy one, as the search chose, rather
                # than "balanced" (14-30 times on these data)
                "class_weight": None,
                "scale_pos_weight": 5.0,
            },
        },
        "svm": {
            "cleaner": _SCALED,
            "model": {"C": 1.0, "kernel": "rbf", "gamma": "scale", "class_weight": "balanced"},
        },
        "random_forest": {
            "cleaner": _IMPUTED,
            "model": {
                "n_estimators": 300,
                "min_samples_leaf": 2,
                "max_features": "sqrt",
                "class_weight": "balanced_subsample",
            },
        },
        "cnn": {
            "cleaner": _RAW,  # the network scales, fills and flags missing values itself
            "model": {
                "financial": "cnn",
                "text_column": None,
                "channels": 16,
                "kernel_size": 3,
                "dropout": 0.2,
                "epochs": 10,
                "batch_size": 64,
                "learning_rate": 2e-3,
                "class_weight": "balanced",
            },
        },
    }
)

#: The ensemble's members (models of :data:`DEFAULTS`) and how it averages them.
ENSEMBLE: Mapping[str, Any] = MappingProxyType(
    {"members": ("lightgbm", "bp"), "average": "logit", "weights": None}
)

#: Hyperparameter search spaces (estimator parameters) for :func:`make_tuned_model`.
SEARCH_SPACES: Mapping[str, Mapping[str, Mapping[str, Any]]] = _frozen(
    {
        "lightgbm": {
            "n_estimators": {"type": "int", "low": 100, "high": 1500, "log": True},
            "learning_rate": {"type": "float", "low": 0.01, "high": 0.2, "log": True},
            "num_leaves": {"type": "int", "low": 4, "high": 128, "log": True},
            "min_child_samples": {"type": "int", "low": 2, "high": 100, "log": True},
            "subsample": {"type": "float", "low": 0.5, "high": 1.0},
            "colsample_bytree": {"type": "float", "low": 0.2, "high": 1.0},
            "reg_lambda": {"type": "float", "low": 1e-3, "high": 30.0, "log": True},
        },
        "bp": {
            "learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
            "max_epochs": {"type": "int", "low": 20, "high": 120},
            "dropout": {"type": "float", "low": 0.0, "high": 0.5},
            "weight_decay": {"type": "float", "low": 1e-6, "high": 1e-2, "log": True},
        },
        "logit": {"C": {"type": "float", "low": 1e-3, "high": 10.0, "log": True}},
        "svm": {
            "C": {"type": "float", "low": 0.01, "high": 100.0, "log": True},
            "gamma": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
        },
        "random_forest": {
            "min_samples_leaf": {"type": "int", "low": 1, "high": 20, "log": True},
            "max_features": {"type": "float", "low": 0.05, "high": 0.8},
        },
    }
)


def _make_cnn(*, random_state=None, **params: Any):
    from finwarn.text import FusedClassifier

    return FusedClassifier(random_state=random_state, **params)


_BUILDERS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {
        "bp": BPNetClassifier,
        "logit": make_logit,
        "lightgbm": make_lightgbm,
        "svm": SVMClassifier,
        "random_forest": make_random_forest,
        "cnn": _make_cnn,
    }
)

# estimator settings that switch class weighting off, for the other imbalance strategies
_UNWEIGHTED: Mapping[str, Any] = MappingProxyType({"class_weight": None, "scale_pos_weight": 1.0})

#: Fixed-formula scores (``finwarn.models.ClassicalScoreClassifier``): nothing to clean.
CLASSICAL: tuple[str, ...] = CLASSICAL_SCORES

#: Names accepted by :func:`make_model`, from the simplest model to the ensemble.
MODEL_NAMES: tuple[str, ...] = (
    *CLASSICAL,
    "logit",
    "svm",
    "random_forest",
    "lightgbm",
    "bp",
    "cnn",
    "ensemble",
)

#: How training handles the few distressed firms (inside the training fold only):
#: ``weights`` weighs classes inversely to their frequency (the default), ``none`` does
#: not, ``undersample`` drops healthy rows at random down to the distressed count
#: (paper 001), ``smote`` adds synthetic distressed rows (imbalanced-learn's SMOTE).
IMBALANCE: tuple[str, ...] = ("weights", "none", "undersample", "smote")


def check_imbalance(imbalance: str) -> None:
    """Raise ``ValueError`` unless ``imbalance`` is one of :data:`IMBALANCE`.

    Examples
    --------
    >>> check_imbalance("smote")
    """
    if imbalance not in IMBALANCE:
        raise ValueError(
            f"Unknown imbalance strategy {imbalance!r}; choose one of {', '.join(IMBALANCE)}."
            + did_you_mean(str(imbalance), IMBALANCE)
        )


def make_model(
    name: str,
    *,
    random_state=None,
    imbalance: str = "weights",
    dimensions: Mapping[str, str] | None = None,
    **params: Any,
) -> Pipeline:
    """Build a model pipeline by name: its cleaner, then the estimator.

    Parameters
    ----------
    name : str
        Which model; see :data:`MODEL_NAMES`: the classical scores ``altman_z``,
        ``altman_z2`` and ``ohlson_o`` (published formulas, nothing learned but a
        probability scale), ``bp``, ``logit``, ``lightgbm``, ``svm``, ``random_forest``,
        ``cnn`` (paper 001's convolution over the indicators arranged by dimension) and
        ``ensemble`` (the members of :data:`ENSEMBLE` averaged on the log-odds scale).
    random_state : int, RandomState instance or None, default=None
        Seeds the estimator and the stochastic cleaning steps.
    imbalance : {"weights", "none", "undersample", "smote"}, default="weights"
        How the few distressed rows are handled (see :data:`IMBALANCE`); resampling
        runs only when the pipeline is fitted, so inside a training fold it never
        touches the test fold. The classical scores take only ``"weights"``, which
        leaves them unchanged.
    dimensions : mapping of str to str, optional
        Feature -> dimension, the rows of the ``cnn`` model's matrix (and of the
        ensemble's CNN member, if any). Without it the features form one row.
    **params
        Overrides of the defaults in :data:`DEFAULTS`. A plain name sets an
        estimator parameter (``max_epochs=50``); a ``clean__`` prefix sets a
        :func:`finwarn.cleaning.make_cleaner` argument (``clean__scaler="minmax"``).
        The ensemble takes ``members`` (model names), ``average`` and ``weights``.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline or imblearn.pipeline.Pipeline
        Unfitted pipeline with steps ``clean`` (except for the classical scores and
        the ensemble, whose members clean for themselves), ``resample`` (with
        ``undersample`` or ``smote``) and ``model``.

    Raises
    ------
    ValueError
        If ``name``, ``imbalance`` or a parameter name is unknown.

    Examples
    --------
    >>> from finwarn.models import make_model
    >>> pipe = make_model("logit", random_state=0, C=1.0)
    >>> [step for step, _ in pipe.steps]
    ['clean', 'model']
    >>> pipe.named_steps["model"].C
    1.0
    >>> [step for step, _ in make_model("lightgbm", imbalance="undersample").steps]
    ['clean', 'resample', 'model']
    """
    if name not in MODEL_NAMES:
        raise ValueError(
            f"Unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}."
            + did_you_mean(str(name), MODEL_NAMES)
        )
    check_imbalance(imbalance)
    if name in CLASSICAL:
        if imbalance != "weights":
            raise ValueError(
                f"{name} is a published formula with nothing to train, so imbalance="
                f"{imbalance!r} does not apply; leave the default."
            )
        known = [key for key in ClassicalScoreClassifier().get_params() if key != "formula"]
        unknown = [key for key in params if key not in known]
        if unknown:
            raise ValueError(
                f"Unknown parameter {unknown[0]!r} for model {name!r}; the score takes "
                f"{', '.join(known)}." + did_you_mean(unknown[0], known)
            )
        return Pipeline([("model", ClassicalScoreClassifier(name, **params))])
    if name == "ensemble":
        return _make_ensemble(random_state, imbalance, dimensions, **params)
    defaults = DEFAULTS[name]
    cleaner_args = dict(defaults["cleaner"])
    model_args = dict(defaults["model"])
    if name == "cnn" and dimensions is not None:
        model_args["dimensions"] = dict(dimensions)
    model_params = set(_BUILDERS[name](**model_args).get_params())
    for key, value in params.items():
        if key.startswith(_CLEAN_PREFIX):
            arg = key.removeprefix(_CLEAN_PREFIX)
            if arg not in cleaner_args:
                raise ValueError(
                    f"Unknown cleaner argument {key!r} for model {name!r}; the cleaner takes "
                    f"{', '.join(_CLEAN_PREFIX + a for a in cleaner_args)}."
                    + did_you_mean(arg, cleaner_args)
                )
            cleaner_args[arg] = value
        elif key in model_params and key != "random_state":
            model_args[key] = value
        else:
            raise ValueError(
                f"Unknown parameter {key!r} for model {name!r}; pass random_state "
                "separately, an estimator parameter by its name, or a cleaner argument "
                f"with the {_CLEAN_PREFIX!r} prefix." + did_you_mean(key, model_params)
            )
    if imbalance != "weights":
        clash = [key for key in _UNWEIGHTED if key in params]
        if clash:
            raise ValueError(
                f"{clash[0]} weighs the classes, which imbalance={imbalance!r} replaces; "
                "drop it, or use imbalance='weights' to weigh the classes yourself."
            )
        model_args.update({key: value for key, value in _UNWEIGHTED.items() if key in model_params})
    if imbalance == "smote" and cleaner_args.get("imputer") is None:
        # SMOTE interpolates between neighbours and cannot work with missing values
        cleaner_args.update(imputer="median", missing_indicator=True)
    clean = make_cleaner(random_state=random_state, **cleaner_args)
    if name == "cnn":
        # the network finds its dimension rows by column name
        clean.set_output(transform="pandas")
    model = _BUILDERS[name](random_state=random_state, **model_args)
    if imbalance in ("weights", "none"):
        return Pipeline([("clean", clean), ("model", model)])
    return _resampling_pipeline(clean, imbalance, random_state, model)


def _resampling_pipeline(clean, imbalance: str, random_state, model):
    from imblearn.over_sampling import SMOTE
    from imblearn.under_sampling import RandomUnderSampler

    from finwarn.models._resample import ResamplingPipeline

    sampler = (
        SMOTE(random_state=random_state)
        if imbalance == "smote"
        else RandomUnderSampler(random_state=random_state)
    )
    # imbalanced-learn's own Pipeline refuses the cleaner (a Pipeline) as a step
    return ResamplingPipeline([("clean", clean), ("resample", sampler), ("model", model)])


def _make_ensemble(random_state, imbalance, dimensions, **params: Any) -> Pipeline:
    settings = dict(ENSEMBLE)
    unknown = [key for key in params if key not in settings]
    if unknown:
        raise ValueError(
            f"Unknown parameter {unknown[0]!r} for model 'ensemble'; it takes "
            f"{', '.join(settings)}." + did_you_mean(unknown[0], settings)
        )
    settings.update(params)
    given = settings["members"]
    members = [given] if isinstance(given, str) else list(given)
    bad = [m for m in members if m not in DEFAULTS]
    if bad or not members:
        raise ValueError(
            f"ensemble members must be trained models among {', '.join(DEFAULTS)}; got "
            f"{members!r}." + (did_you_mean(str(bad[0]), DEFAULTS) if bad else "")
        )
    estimators = [
        (
            member,
            make_model(
                member, random_state=random_state, imbalance=imbalance, dimensions=dimensions
            ),
        )
        for member in members
    ]
    ensemble = AveragingEnsemble(
        estimators, average=settings["average"], weights=settings["weights"]
    )
    return Pipeline([("model", ensemble)])


def make_tuned_model(
    name: str,
    *,
    budget_seconds: float = 60.0,
    cv: int = 3,
    random_state=None,
    **params: Any,
) -> TunedClassifier:
    """A model whose hyperparameters are searched within a time budget when it is fitted.

    Parameters
    ----------
    name : str
        A model of :data:`SEARCH_SPACES`.
    budget_seconds : float, default=60.0
        Search time per fit (see :class:`~finwarn.models.TunedClassifier`).
    cv : int, default=3
        Inner folds per candidate.
    random_state : int or None
    **params
        Passed to :func:`make_model` (e.g. ``imbalance``).

    Examples
    --------
    >>> tuned = make_tuned_model("logit", budget_seconds=5, random_state=0)
    >>> sorted(tuned.space)
    ['model__C']
    """
    if name not in SEARCH_SPACES:
        raise ValueError(
            f"No search space for model {name!r}; tunable models are "
            f"{', '.join(SEARCH_SPACES)}." + did_you_mean(str(name), SEARCH_SPACES)
        )
    space = {f"model__{key}": dict(spec) for key, spec in SEARCH_SPACES[name].items()}
    return TunedClassifier(
        make_model(name, random_state=random_state, **params),
        space=space,
        budget_seconds=budget_seconds,
        cv=cv,
        random_state=random_state,
    )


#: Models that read the report text (``finwarn.text``): paper 001's fused text + data
#: model with a single-layer or a CNN financial branch, and the text-only LSTM.
TEXT_MODELS: tuple[str, ...] = ("fused", "fused_cnn", "lstm")


def make_text_model(
    name: str,
    *,
    random_state=None,
    dimensions: Mapping[str, str] | None = None,
    **params: Any,
) -> Any:
    """Build a text model by name (needs the ``finwarn[text]`` and ``finwarn[nn]`` extras).

    The estimators take a DataFrame of numeric features plus a ``text`` column.

    Parameters
    ----------
    name : {"fused", "fused_cnn", "lstm"}
        ``fused``: paper 001's fused model with a single-layer financial branch;
        ``fused_cnn``: the same with a CNN over the indicators arranged by dimension;
        ``lstm``: the LSTM with attention over the text alone.
    random_state : int or None
    dimensions : mapping of str to str, optional
        Feature -> dimension, for the CNN's arrangement.
    **params
        Estimator parameters.
    """
    if name not in TEXT_MODELS:
        raise ValueError(
            f"Unknown text model {name!r}; choose one of {', '.join(TEXT_MODELS)}."
            + did_you_mean(str(name), TEXT_MODELS)
        )
    from finwarn.text import FusedClassifier, LSTMAttentionClassifier

    if name == "lstm":
        return LSTMAttentionClassifier(text_column="text", random_state=random_state, **params)
    financial = "cnn" if name == "fused_cnn" else "dense"
    return FusedClassifier(
        financial=financial,
        dimensions=dict(dimensions) if dimensions is not None and financial == "cnn" else None,
        text_column="text",
        random_state=random_state,
        **params,
    )
