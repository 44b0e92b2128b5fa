"""Models (capability C5): the BP network, baselines and ready pipelines by name.

:class:`BPNetClassifier` is the backpropagation network with an adaptive
learning rate of papers 000, 002 and 004 (PyTorch, the ``finwarn[nn]`` extra);
:class:`BPGrader` grades records into k ordered risk levels with the same network
(paper 004's 3-bit output coding, softmax or ordinal outputs).
:func:`make_model` returns a cleaner-plus-estimator pipeline for each name in
:data:`MODEL_NAMES` (``"bp"``, ``"logit"``, ``"lightgbm"``) with measured defaults;
:func:`make_text_model` builds the models of :data:`TEXT_MODELS` that also read report
text (``finwarn.text``).
"""

from finwarn.models._baselines import make_lightgbm, make_logit
from finwarn.models._bp import BPNetClassifier
from finwarn.models._grader import ENCODINGS, BPGrader
from finwarn.models._registry import (
    DEFAULTS,
    MODEL_NAMES,
    TEXT_MODELS,
    make_model,
    make_text_model,
)

__all__ = [
    "DEFAULTS",
    "ENCODINGS",
    "MODEL_NAMES",
    "TEXT_MODELS",
    "BPGrader",
    "BPNetClassifier",
    "make_lightgbm",
    "make_logit",
    "make_model",
    "make_text_model",
]
