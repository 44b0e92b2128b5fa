"""Honest evaluation (C6): protocols and metrics, fitted steps inside training folds only."""

from finwarn.evaluation._cv import EvaluationResult, cross_validate
from finwarn.evaluation._metrics import METRICS, binary_metrics

__all__ = ["METRICS", "EvaluationResult", "binary_metrics", "cross_validate"]
