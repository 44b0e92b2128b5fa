"""Models (capability C5): the BP network, baselines and ready pipelines by name.

:class:`BPNetClassifier` is the backpropagation network with an adaptive
learning rate of papers 000, 002 and 004 (PyTorch, the ``finwarn[nn]`` extra);
:class:`BPGrader` grades records into k ordered risk levels with the same network
(paper 004's 3-bit output coding, softmax or ordinal outputs).
:func:`make_model` returns a cleaner-plus-estimator pipeline for each name in
:data:`MODEL_NAMES` (the classical scores, ``"logit"``, ``"svm"``, ``"random_forest"``,
``"lightgbm"``, ``"bp"``, ``"cnn"`` and the ``"ensemble"``) with measured defaults and a
choice of imbalance handling (:data:`IMBALANCE`); :func:`make_tuned_model` wraps one in a
time-budgeted hyperparameter search (:class:`TunedClassifier`);
:func:`make_text_model` builds the models of :data:`TEXT_MODELS` that also read report
text (``finwarn.text``).
:class:`ClassicalScoreClassifier` computes the published Altman Z, Altman Z'' and Ohlson O
scores (:data:`CLASSICAL_SCORES`, coefficients in ``classical.yaml``) as estimators.
"""

from finwarn.models._baselines import SVMClassifier, make_lightgbm, make_logit, make_random_forest
from finwarn.models._bp import BPNetClassifier
from finwarn.models._classical import CLASSICAL_SCORES, ClassicalScoreClassifier
from finwarn.models._ensemble import AveragingEnsemble
from finwarn.models._grader import ENCODINGS, BPGrader
from finwarn.models._registry import (
    CLASSICAL,
    DEFAULTS,
    ENSEMBLE,
    IMBALANCE,
    MODEL_NAMES,
    SEARCH_SPACES,
    TEXT_MODELS,
    check_imbalance,
    make_model,
    make_text_model,
    make_tuned_model,
)
from finwarn.models._search import TunedClassifier, check_space

__all__ = [
    "CLASSICAL",
    "CLASSICAL_SCORES",
    "DEFAULTS",
    "ENCODINGS",
    "ENSEMBLE",
    "IMBALANCE",
    "MODEL_NAMES",
    "SEARCH_SPACES",
    "TEXT_MODELS",
    "AveragingEnsemble",
    "BPGrader",
    "BPNetClassifier",
    "ClassicalScoreClassifier",
    "SVMClassifier",
    "TunedClassifier",
    "check_imbalance",
    "check_space",
    "make_lightgbm",
    "make_logit",
    "make_model",
    "make_random_forest",
    "make_text_model",
    "make_tuned_model",
]
