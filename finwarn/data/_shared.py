"""Ready-made loaders for the public data sets in ``../shared/data``."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from finwarn._text import did_you_mean
from finwarn.data._validate import LoadResult, load_data
from finwarn.exceptions import DataValidationError

__all__ = ["POLISH_HORIZONS", "find_shared_data", "load_polish", "load_taiwan"]

DATA_ENV = "FINWARN_DATA_DIR"

# file, years between the statements and the bankruptcy status (UCI's description)
POLISH_HORIZONS: dict[str, tuple[str, int]] = {
    "1year": ("1year.arff", 5),
    "3year": ("3year_2009_dedup.json.gz", 3),
    "5year": ("5year.arff", 1),
}
POLISH_COLUMNS = tuple(f"Attr{i}" for i in range(1, 65))


def find_shared_data() -> Path | None:
    """The folder of the shared public data sets, or ``None`` if it is not found.

    Looked for in ``$FINWARN_DATA_DIR``, then ``../shared/data`` beside the current
    folder and beside the finwarn checkout.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env) if Path(env).is_dir() else None
    roots = [Path.cwd(), Path(__file__).resolve().parents[2]]
    for root in roots:
        candidate = (root / ".." / "shared" / "data").resolve()
        if candidate.is_dir():
            return candidate
    return None


def _require(relative: str) -> Path:
    base = find_shared_data()
    if base is None:
        raise DataValidationError(
            "the shared data folder was not found: put the public data sets in "
            f"../shared/data beside the finwarn checkout, or set {DATA_ENV} to their folder."
        )
    path = base / relative
    if not path.exists():
        raise DataValidationError(f"{path}: not found in the shared data folder {base}.")
    return path


def load_polish(horizon: str = "5year") -> LoadResult:
    """Load one horizon of the Polish bankruptcy data (UCI 365), ratios ``Attr1..Attr64``.

    Parameters
    ----------
    horizon : {"1year", "3year", "5year"}
        The UCI file name: ``1year`` holds statements from 5 years before the status,
        ``3year`` from 3 years, ``5year`` from 1 year before.

    Returns
    -------
    LoadResult
        ``meta["years_to_outcome"]`` gives the forecasting horizon in years.
    """
    if horizon not in POLISH_HORIZONS:
        raise DataValidationError(
            f"unknown Polish horizon {horizon!r}; choose one of {list(POLISH_HORIZONS)}."
            f"{did_you_mean(horizon, list(POLISH_HORIZONS))}"
        )
    filename, years = POLISH_HORIZONS[horizon]
    result = load_data(_require(f"polish/{filename}"), known_columns=POLISH_COLUMNS)
    meta = {"dataset": f"polish-{horizon}", "ratio_set": "polish", "years_to_outcome": years}
    return dataclasses.replace(result, meta=meta)


def load_taiwan() -> LoadResult:
    """Load the 22-ratio subset of the Taiwanese bankruptcy data (UCI 572)."""
    result = load_data(_require("taiwan/taiwan_vif22.parquet"))
    return dataclasses.replace(result, meta={"dataset": "taiwan-vif22", "ratio_set": "taiwan"})
