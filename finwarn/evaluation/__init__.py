"""Honest evaluation (C6): protocols and metrics, fitted steps inside training folds only.

Protocols, each returning an :class:`EvaluationResult` (per-fold metrics, summary
``table()``, pooled ``confusion()`` and ``calibration()``):

- :func:`cross_validate`: repeated stratified k-fold;
- :func:`temporal_evaluate`: train on the periods up to ``p_i``, test on a later period
  (an expanding window), as the model would have been used;
- :func:`compare_models`: several models on exactly the same splits of either
  protocol, as a :class:`Comparison`.

:func:`binary_metrics` gives the figures of :data:`METRICS`: ranking (ROC-AUC, PR-AUC,
KS), calibration (Brier), alert budgets (recall and precision among the top
:data:`ALERT_BUDGETS` shares of predictions) and the decision (F1, F2, recall,
specificity, precision, accuracy, type I and II errors).
:func:`calibration_table` compares predicted and observed distress rates.

:func:`grading_metrics` scores a k-level risk grading (paper 004): accuracy, the
misjudgment rate and the misjudgment deviation rate, per level and overall.
"""

from finwarn.evaluation._compare import PROTOCOLS, Comparison, compare_models
from finwarn.evaluation._cv import EvaluationResult, cross_validate
from finwarn.evaluation._grading import GradingResult, grading_metrics
from finwarn.evaluation._metrics import ALERT_BUDGETS, METRICS, binary_metrics, calibration_table
from finwarn.evaluation._temporal import temporal_evaluate

__all__ = [
    "ALERT_BUDGETS",
    "METRICS",
    "PROTOCOLS",
    "Comparison",
    "EvaluationResult",
    "GradingResult",
    "binary_metrics",
    "calibration_table",
    "compare_models",
    "cross_validate",
    "grading_metrics",
    "temporal_evaluate",
]
