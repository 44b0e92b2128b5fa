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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from sklearn.pipeline import Pipeline

from finwarn._text import did_you_mean
from finwarn.cleaning import make_cleaner
from finwarn.models._baselines import make_lightgbm, make_logit
from finwarn.models._bp import BPNetClassifier

__all__ = ["DEFAULTS", "MODEL_NAMES", "TEXT_MODELS", "make_model", "make_text_model"]

_CLEAN_PREFIX = "clean__"


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(
        {k: _frozen(v) if isinstance(v, Mapping) else v for k, v in mapping.items()}
    )


#: Default cleaner (``make_cleaner`` arguments) and estimator parameters per model.
DEFAULTS: Mapping[str, Mapping[str, Mapping[str, Any]]] = _frozen(
    {
        "bp": {
            "cleaner": {
                "max_feature_missing": 0.3,
                "imputer": "median",
                "missing_indicator": True,
                "winsorize": None,
                "scaler": "quantile",
            },
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
            "cleaner": {
                "max_feature_missing": 0.3,
                "imputer": "median",
                "missing_indicator": True,
                "winsorize": None,
                "scaler": "quantile",
            },
            "model": {
                "C": 0.1,
                "class_weight": "balanced",
                "solver": "newton-cholesky",
                "max_iter": 1000,
            },
        },
        "lightgbm": {
            "cleaner": {
                "max_feature_missing": 0.3,
                "imputer": None,
                "missing_indicator": False,
                "winsorize": None,
                "scaler": None,
            },
            "model": {
                "n_estimators": 300,
                "learning_rate": 0.05,
                "num_leaves": 31,
                "min_child_samples": 20,
                "subsample": 0.8,
                "subsample_freq": 1,
                "colsample_bytree": 0.8,
                "class_weight": "balanced",
            },
        },
    }
)

_BUILDERS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {"bp": BPNetClassifier, "logit": make_logit, "lightgbm": make_lightgbm}
)

#: Names accepted by :func:`make_model`.
MODEL_NAMES: tuple[str, ...] = tuple(DEFAULTS)


def make_model(name: str, *, random_state=None, **params: Any) -> Pipeline:
    """Build a model pipeline by name: its cleaner, then the estimator.

    Parameters
    ----------
    name : {"bp", "logit", "lightgbm"}
        Which model; see :data:`MODEL_NAMES`.
    random_state : int, RandomState instance or None, default=None
        Seeds the estimator and the stochastic cleaning steps.
    **params
        Overrides of the defaults in :data:`DEFAULTS`. A plain name sets an
        estimator parameter (``max_epochs=50``); a ``clean__`` prefix sets a
        :func:`finwarn.cleaning.make_cleaner` argument (``clean__scaler="minmax"``).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Unfitted pipeline with steps ``clean`` and ``model``; tune it with
        ``set_params(model__learning_rate=...)`` or inside ``GridSearchCV``.

    Raises
    ------
    ValueError
        If ``name`` or a parameter name is unknown.

    Examples
    --------
    >>> from finwarn.models import make_model
    >>> pipe = make_model("logit", random_state=0, C=1.0)
    >>> [step for step, _ in pipe.steps]
    ['clean', 'model']
    >>> pipe.named_steps["model"].C
    1.0
    """
    if name not in DEFAULTS:
        raise ValueError(
            f"Unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}."
            + did_you_mean(str(name), MODEL_NAMES)
        )
    defaults = DEFAULTS[name]
    cleaner_args = dict(defaults["cleaner"])
    model_args = dict(defaults["model"])
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
    return Pipeline(
        [
            ("clean", make_cleaner(random_state=random_state, **cleaner_args)),
            ("model", _BUILDERS[name](random_state=random_state, **model_args)),
        ]
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
