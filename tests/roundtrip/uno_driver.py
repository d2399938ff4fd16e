"""Drive LibreOffice Calc through UNO as a person would: open a workbook, type into cells, recalculate,
read what the cells show, save as .xlsx/.xls/.ods.

Runs under Debian's /usr/bin/python3 (the only Python that imports `uno`), so it imports nothing from
nianbao. Usage: uno_driver.py JOBS.json  — prints one JSON result per job, as a JSON list, on stdout.

A job: {"src": path, "type": {"Sheet!A1": 5 or "5件", ...}, "read": ["Sheet!A1", ...],
        "inspect": true, "save": [{"path": ..., "filter": "Calc MS Excel 2007 XML", "password": optional}]}
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

FORMULA = 16  # com.sun.star.sheet.CellFlags.FORMULA


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def start_office(profile):
    pipe = "nianbao" + uuid.uuid4().hex[:8]
    office = subprocess.Popen(
        [
            shutil.which("soffice") or "soffice",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            f"-env:UserInstallation=file://{profile}",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.time() + 60
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            if time.time() > deadline or office.poll() is not None:
                office.kill()
                raise RuntimeError("LibreOffice did not start") from None
            time.sleep(0.3)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    return office, desktop


def cell_at(doc, ref):
    sheet_name, _, address = ref.rpartition("!")
    return doc.Sheets.getByName(sheet_name).getCellRangeByName(address)


def inspect(doc):
    """What LibreOffice sees: protection, sheet visibility, and every formula cell's shown text."""
    sheets = {}
    for i in range(doc.Sheets.Count):
        sheet = doc.Sheets.getByIndex(i)
        shown = []
        formulas = sheet.queryContentCells(FORMULA)
        for r in range(formulas.Count):
            block = formulas.getByIndex(r)
            addr = block.RangeAddress
            for row in range(addr.StartRow, addr.EndRow + 1):
                for col in range(addr.StartColumn, addr.EndColumn + 1):
                    cell = sheet.getCellByPosition(col, row)
                    shown.append([row, col, cell.getString(), cell.getValue(), cell.getError()])
        sheets[sheet.Name] = {"protected": sheet.isProtected(), "visible": sheet.IsVisible, "formulas": shown}
    return sheets


def run_job(desktop, job):
    url = uno.systemPathToFileUrl(os.path.abspath(job["src"]))
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
    try:
        for ref, value in job.get("type", {}).items():
            cell = cell_at(doc, ref)
            if value is None:
                cell.setString("")
            elif isinstance(value, str):
                cell.setString(value)
            else:
                cell.setValue(value)
        for ref, formula in job.get("formulas", {}).items():  # typed as a unit types "=1/0" into a cell
            cell_at(doc, ref).setFormula(formula)
        doc.calculateAll()
        result = {"cells": {}}
        for ref in job.get("read", []):
            cell = cell_at(doc, ref)
            result["cells"][ref] = {
                "value": cell.getValue(),
                "string": cell.getString(),
                "error": cell.getError(),
                "locked": cell.CellProtection.IsLocked,
                "formula": cell.getFormula(),
            }
        if job.get("inspect"):
            result["sheets"] = inspect(doc)
        for target in job.get("save", []):
            out = uno.systemPathToFileUrl(os.path.abspath(target["path"]))
            args = [prop("FilterName", target["filter"])]
            if target.get("password"):  # honoured for .xls and .ods (not for .xlsx through this API)
                args.append(prop("Password", target["password"]))
            doc.storeToURL(out, tuple(args))
        return result
    finally:
        doc.close(True)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        jobs = json.load(f)
    profile = tempfile.mkdtemp(prefix="nianbao-lo-")
    office, desktop = start_office(profile)
    try:
        results = [run_job(desktop, job) for job in jobs]
    finally:
        with contextlib.suppress(Exception):
            desktop.terminate()
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()
        shutil.rmtree(profile, ignore_errors=True)
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
