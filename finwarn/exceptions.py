"""Exceptions raised by finwarn.

Every message names the thing that is wrong (file, column, row, company, period),
shows at most five offending values and says how to fix it.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataValidationError",
    "FinwarnError",
    "ModelCompatibilityError",
]


class FinwarnError(Exception):
    """Base class of every error finwarn raises on purpose."""


class DataValidationError(FinwarnError, ValueError):
    """Input data cannot be used as given (missing column, wrong type, bad file)."""


class ConfigError(FinwarnError, ValueError):
    """A configuration, mapping or catalog file is invalid."""


class ModelCompatibilityError(FinwarnError, ValueError):
    """A saved model cannot be applied to the data or cannot be loaded."""
