from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.form.spec import Form, load_form

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def form() -> Form:
    return load_form()


ZHANGWU_2022 = REPO / "samples" / "zhangwu-zhen-2022-published-report.txt"  # a copy of shared/'s sample


def shared_file(name: str) -> Path:
    """A file of the project's shared/ folder (beside the repository), or a skip saying it is absent."""
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{path} not found: shared/ should sit beside the repository")
    return path
