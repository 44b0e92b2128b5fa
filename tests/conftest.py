"""Shared fixtures.

Tests that read the public data sets use the ``shared_data`` fixture: in CI (``CI``
set) a missing ``../shared/data`` fails the test loudly; elsewhere the test is skipped
with a message saying where the data goes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from finwarn.data import find_shared_data

WHERE = (
    "put the public data sets in ../shared/data beside the finwarn checkout "
    "(or set FINWARN_DATA_DIR to their folder)"
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of the public data sets (../shared/data)."""
    path = find_shared_data()
    if path is None or not (path / "polish").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the shared data sets are missing: {WHERE}.")
        pytest.skip(f"shared data sets not found: {WHERE}.")
    return path
