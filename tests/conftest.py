"""Shared fixtures.

Tests that read the public data sets use the ``shared_data`` fixture: in CI (``CI``
set) a missing ``../shared/data`` fails the test loudly; elsewhere the test is skipped
with a message saying where the data goes.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
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


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Headless Debian Chromium driven by Playwright (no downloaded browser)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but chromium is missing: .ci/run installs Debian's chromium.")
        pytest.skip("chromium not found: apt-get install chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as driver:
        instance = driver.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
