"""The LibreOffice fixture: runs uno_driver.py under Debian's Python, or skips with the reason (fails in CI)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from tests.roundtrip.office import ODS, XLS, XLSX, run_jobs, unavailable

__all__ = ["ODS", "XLS", "XLSX"]


@pytest.fixture(scope="session")
def libreoffice() -> Callable[[list[dict]], list[dict]]:
    reason = unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the LibreOffice tests: {reason}")
        pytest.skip(reason)
    return run_jobs
