from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.form.spec import Form, load_form

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def form() -> Form:
    return load_form()


OFFICIAL_FORMAT = REPO / "tests" / "data" / "official-format.md"  # a verbatim copy of shared/'s description
ZHANGWU_2022 = REPO / "samples" / "zhangwu-zhen-2022-published-report.txt"  # a copy of shared/'s sample
