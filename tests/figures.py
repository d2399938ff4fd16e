"""Figures for tests: random but consistent sets for the 2021 form, as a unit would really report."""

from __future__ import annotations

import random

from nianbao.form import Form


def consistent_inputs(form: Form, rng: random.Random) -> dict[str, float]:
    """Random input figures for which every rule holds (S1 per column, 规章 zero for P1)."""
    values: dict[str, float] = {}
    for cell in form.inputs:
        values[cell.code] = round(rng.uniform(0, 80), 4) if cell.type == "amount" else float(rng.randint(0, 9))
    t3 = form.table("T3")
    details = t3.row_codes[t3.row_codes.index("R03") : t3.row_codes.index("R23") + 1]
    for col in t3.col_codes[:-1]:  # C7 is a total
        handled = sum(values[f"T3.{r}.{col}"] for r in details) + values[f"T3.R25.{col}"]
        new = float(rng.randint(0, int(handled)))
        values[f"T3.R01.{col}"], values[f"T3.R02.{col}"] = new, handled - new
    for col in ("C1", "C2", "C3"):
        values[f"T2.R01.{col}"] = 0.0
    return values
