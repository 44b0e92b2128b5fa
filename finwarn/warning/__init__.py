"""Warning levels (C7): calibrated probabilities of distress turned into levels and ranks."""

from finwarn.warning._classifier import WarningClassifier, level_cutoffs
from finwarn.warning._config import (
    CalibrationConfig,
    CutoffConfig,
    WarningConfig,
    load_warning_config,
)
from finwarn.warning._warnings import WARNING_COLUMNS, Warnings, make_warnings

__all__ = [
    "WARNING_COLUMNS",
    "CalibrationConfig",
    "CutoffConfig",
    "WarningClassifier",
    "WarningConfig",
    "Warnings",
    "level_cutoffs",
    "load_warning_config",
    "make_warnings",
]
