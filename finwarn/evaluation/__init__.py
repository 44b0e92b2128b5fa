"""Honest evaluation (C6): protocols and metrics, fitted steps inside training folds only.

:func:`grading_metrics` scores a k-level risk grading (paper 004): accuracy, the
misjudgment rate and the misjudgment deviation rate, per level and overall.
"""

from finwarn.evaluation._cv import EvaluationResult, cross_validate
from finwarn.evaluation._grading import GradingResult, grading_metrics
from finwarn.evaluation._metrics import METRICS, binary_metrics, calibration_table

__all__ = [
    "METRICS",
    "EvaluationResult",
    "GradingResult",
    "binary_metrics",
    "calibration_table",
    "cross_validate",
    "grading_metrics",
]
