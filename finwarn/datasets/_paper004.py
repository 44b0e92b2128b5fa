"""Paper 004's simulated risk records: levels that follow from present or absent risk elements.

Paper 004 validates its entropy-weighted BP grader on 8 x 1,000 records
"simulated and generated based on the presence or absence of secondary
measurement elements", without saying more. :func:`make_paper004_records`
makes records of that kind, by a construction spelled out in its docstring.
The data is **simulated**: no record describes a real bank or company.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from finwarn.datasets._demo import RandomState, _check_count

__all__ = ["make_paper004_records"]

logger = logging.getLogger(__name__)


def make_paper004_records(
    n_per_level: int = 1000,
    *,
    n_levels: int = 8,
    n_elements: int = 2,
    n_indicators: int = 4,
    n_safer: int = 1,
    n_continuous: int = 0,
    noise: float = 0.03,
    random_state: RandomState = 0,
) -> tuple[pd.DataFrame, np.ndarray, dict[str, Any]]:
    """Generate **simulated** risk records graded into levels, as in paper 004.

    The records are made up; they describe no real entity. Their construction:

    * There are ``n_dims = ceil(log2 n_levels)`` risk dimensions ``F1``, ``F2``,
      ...; each has ``n_elements`` first-level elements (``F1_L1``, ``F1_L2``,
      ...), and each element ``n_indicators`` second-level indicators
      (``F1_L1_l1``, ...), each of which is a risk signal that is present or
      absent. A dimension holds ``m = n_elements * n_indicators`` indicators.
    * Every level 0 .. ``n_levels - 1`` gets ``n_per_level`` records. The level
      index written in binary over ``n_dims`` bits, most significant first, says
      which dimensions are *at risk*: level 5 = 101 puts ``F1`` and ``F3`` at
      risk, ``F2`` not. So ``F1`` weighs most (level 4, ``F1`` alone, is above
      level 3, ``F2`` and ``F3`` together), and (0, 0, 0) is the lowest level,
      (1, 1, 1) the highest, as in the paper's 3-bit output.
    * In a dimension at risk, most signals are present: their number is drawn
      uniformly from ``floor(m / 2) + 1`` .. ``m``; in a dimension not at risk,
      from ``0`` .. ``ceil(m / 2) - 1``; which ones are present is drawn
      uniformly. Without noise, a dimension is at risk exactly when more than
      half its signals are present, and the level is the binary number of those
      flags.
    * Noise: every signal is then recorded wrongly (present as absent or absent
      as present) with probability ``noise``, independently; the level stays the
      one the record was generated for. With the defaults (``m = 8``,
      ``noise=0.03``) the generating rule applied to the recorded signals grades
      about 94% of the records right (a tie, exactly half present, counted as a
      coin flip), so grading is learnable but not trivially separable.
    * Directions: the last ``n_safer`` indicators of each element are recorded
      the other way round, as safeguards: 1 means the risk signal is *absent*
      (``direction: safer`` in the hierarchy). The first ``n_continuous``
      indicators of each element are recorded as a continuous intensity rather
      than 0/1: ``(signal + u) / 2`` with ``u ~ Beta(2, 2)``, so a present
      signal reads in (0.5, 1) and an absent one in (0, 0.5) (reversed for a
      safeguard).
    * Rows are shuffled.

    Parameters
    ----------
    n_per_level : int, default=1000
        Records per level (paper 004: 1,000).
    n_levels : int, default=8
        Number of levels, at least 2 (paper 004: 8). When it is not a power of
        two, the levels are the first ``n_levels`` binary codes over ``n_dims`` bits.
    n_elements : int, default=2
        First-level elements per dimension.
    n_indicators : int, default=4
        Second-level indicators per element.
    n_safer : int, default=1
        Indicators per element recorded as safeguards (1 = signal absent).
    n_continuous : int, default=0
        Indicators per element recorded as a continuous intensity in (0, 1).
    noise : float, default=0.03
        Probability, in [0, 0.5), that a signal is recorded wrongly.
    random_state : int, numpy Generator or None, default=0
        Seed; the same seed gives the same records.

    Returns
    -------
    X : pandas.DataFrame of shape (n_levels * n_per_level, n_dims * m)
        One column per second-level indicator, in hierarchy order.
        ``attrs["simulated"]`` is True and ``attrs["description"]`` says how the
        frame was made.
    y : ndarray of shape (n_levels * n_per_level,)
        Level of each record, 0 (lowest risk) to ``n_levels - 1``.
    hierarchy : dict
        The indicator hierarchy in the layout :meth:`finwarn.weighting.Hierarchy.from_dict`
        reads: ``{"name": ..., "description": ..., "dimensions": {dim: {"meaning": ...,
        "elements": {element: {"meaning": ..., "indicators": {column: "riskier" |
        "safer"}}}}}}``.

    Raises
    ------
    ValueError
        If a count is not a positive integer (``n_safer`` and ``n_continuous``
        may be 0 but not above ``n_indicators``), ``noise`` is outside [0, 0.5),
        or ``random_state`` is of the wrong type.

    Examples
    --------
    >>> from finwarn.datasets import make_paper004_records
    >>> X, y, hierarchy = make_paper004_records(n_per_level=10, random_state=0)
    >>> X.shape, np.bincount(y).tolist()
    ((80, 24), [10, 10, 10, 10, 10, 10, 10, 10])
    >>> list(hierarchy["dimensions"])
    ['F1', 'F2', 'F3']
    >>> hierarchy["dimensions"]["F1"]["elements"]["F1_L1"]["indicators"]
    {'F1_L1_l1': 'riskier', 'F1_L1_l2': 'riskier', 'F1_L1_l3': 'riskier', 'F1_L1_l4': 'safer'}
    """
    n_per_level = _check_count("n_per_level", n_per_level, 1)
    n_levels = _check_count("n_levels", n_levels, 2)
    n_elements = _check_count("n_elements", n_elements, 1)
    n_indicators = _check_count("n_indicators", n_indicators, 1)
    n_safer = _check_count("n_safer", n_safer, 0)
    n_continuous = _check_count("n_continuous", n_continuous, 0)
    for name, value in (("n_safer", n_safer), ("n_continuous", n_continuous)):
        if value > n_indicators:
            raise ValueError(
                f"{name}={value} is more than the {n_indicators} indicators of an element; "
                f"choose {name} between 0 and n_indicators."
            )
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise < 0.5:
        raise ValueError(
            f"noise must be a probability in [0, 0.5), got {noise!r}; at 0.5 the recorded "
            "signals would say nothing about the level."
        )
    if random_state is not None and not isinstance(
        random_state, int | np.integer | np.random.Generator
    ):
        raise ValueError(
            f"random_state must be an int, a numpy Generator or None, got {random_state!r}."
        )
    rng = np.random.default_rng(random_state)

    n_dims = max(1, (n_levels - 1).bit_length())
    m = n_elements * n_indicators
    n = n_levels * n_per_level
    y = np.repeat(np.arange(n_levels), n_per_level)
    at_risk = (y[:, None] >> np.arange(n_dims)[::-1][None, :]) & 1  # (n, n_dims)

    # how many signals each dimension of each record has present, then which ones
    low = rng.integers(0, (m + 1) // 2, size=(n, n_dims))  # 0 .. ceil(m/2) - 1
    high = rng.integers(m // 2 + 1, m + 1, size=(n, n_dims))  # floor(m/2) + 1 .. m
    n_present = np.where(at_risk == 1, high, low)
    rank = rng.random((n, n_dims, m)).argsort(axis=2).argsort(axis=2)
    signal = (rank < n_present[:, :, None]).astype(float)  # (n, n_dims, m)
    flipped = rng.random(signal.shape) < noise
    recorded = np.where(flipped, 1.0 - signal, signal)

    position = np.arange(m) % n_indicators  # indicator's position within its element
    continuous = position < n_continuous
    values = np.where(
        continuous[None, None, :],
        (recorded + rng.beta(2.0, 2.0, size=recorded.shape)) / 2,
        recorded,
    )
    safer = position >= n_indicators - n_safer
    values = np.where(safer[None, None, :], 1.0 - values, values)

    dims: dict[str, Any] = {}
    columns: list[str] = []
    for d in range(n_dims):
        dim = f"F{d + 1}"
        elements: dict[str, Any] = {}
        for e in range(n_elements):
            element = f"{dim}_L{e + 1}"
            indicators = {}
            for i in range(n_indicators):
                column = f"{element}_l{i + 1}"
                indicators[column] = "safer" if i >= n_indicators - n_safer else "riskier"
                columns.append(column)
            elements[element] = {
                "meaning": f"Risk signals {element}_l1..l{n_indicators} (simulated).",
                "indicators": indicators,
            }
        dims[dim] = {
            "meaning": f"Risk dimension {d + 1}, worth {2 ** (n_dims - 1 - d)} level(s) when "
            "at risk (simulated).",
            "elements": elements,
        }

    order = rng.permutation(n)
    X = pd.DataFrame(values.reshape(n, n_dims * m)[order], columns=columns)
    if n_continuous == 0:
        X = X.astype(np.int64)
    y = y[order]
    X.attrs["simulated"] = True
    X.attrs["description"] = (
        f"Simulated (not real) risk records, {n_per_level} per level over {n_levels} levels, "
        f"made by finwarn.datasets.make_paper004_records(noise={noise!r}, "
        f"random_state={random_state!r}); {noise:.0%} of the signals recorded wrongly."
    )
    logger.info(
        "Simulated %d records over %d levels: %d dimensions x %d elements x %d indicators, "
        "%.1f%% of signals flipped.",
        n,
        n_levels,
        n_dims,
        n_elements,
        n_indicators,
        100 * flipped.mean(),
    )
    hierarchy = {
        "name": "paper004",
        "description": "Simulated risk records of paper 004 (make_paper004_records).",
        "dimensions": dims,
    }
    return X, y, hierarchy
