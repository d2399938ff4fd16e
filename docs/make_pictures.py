"""Make the README's pictures from the current code, so they stay true:

    python docs/make_pictures.py      (needs LibreOffice, Chromium and poppler-utils)

- docs/images/workbook-table3.png: a township's workbook as LibreOffice shows it (表三 with its live checks);
- docs/images/report.png: the first page of the report rendered from it, as Chromium shows the HTML;
- docs/images/board.png, docs/images/unit.png: `nianbao serve`'s board and a unit page, taken during the browser
  test's round (tests/test_web_browser.py, with NIANBAO_PICTURES set to the folder).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.roundtrip.office

from tests.roundtrip.office import CHROMIUM

from nianbao.form import data_dir
from nianbao.form.spec import load_form
from nianbao.operations.report import render_report

IMAGES = Path(__file__).resolve().parent / "images"


def main() -> None:
    missing = [p for p in ("soffice", "chromium", "pdftoppm") if not shutil.which(p)]
    if missing:
        sys.exit(f"needs {', '.join(missing)}")
    IMAGES.mkdir(exist_ok=True)
    form = load_form()
    source = next(p for p in sorted((data_dir("samples") / "filled").glob("*.xlsx")) if "彰武镇" in p.name)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{work / 'lo'}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(work),
                str(source),
            ],
            check=True,
            capture_output=True,
        )
        page = 1 + [s for s in form.sheets].index(form.table("T3").sheet)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "80",
                "-png",
                "-singlefile",
                "-f",
                str(page),
                "-l",
                str(page),
                str(work / f"{source.stem}.pdf"),
                str(IMAGES / "workbook-table3"),
            ],
            check=True,
        )
        html = work / "report.html"
        render_report(source, html)
        subprocess.run(
            [
                *CHROMIUM,
                "--hide-scrollbars",
                f"--user-data-dir={work / 'chromium'}",
                "--window-size=900,1300",
                f"--screenshot={IMAGES / 'report.png'}",
                html.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
    browser_test = Path(__file__).resolve().parents[1] / "tests" / "test_web_browser.py"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(browser_test)],
        env={**os.environ, "NIANBAO_PICTURES": str(IMAGES)},
        check=True,
    )
    print(f"pictures in {IMAGES}")


if __name__ == "__main__":
    main()
