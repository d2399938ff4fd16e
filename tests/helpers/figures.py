"""Figures for tests: random but consistent sets for the 2021 form, as a unit would really report."""

from __future__ import annotations

import random

from nianbao.form.spec import Form


def consistent_inputs(form: Form, rng: random.Random) -> dict[str, float]:
    """Random input figures for which every rule holds (S1 per column, 规章 zero for P1)."""
    values: dict[str, float] = {}
    for cell in form.inputs:
        decimals = cell.type.decimals
        values[cell.code] = round(rng.uniform(0, 80), decimals) if decimals else float(rng.randint(0, 9))
    t3 = form.table("T3")
    details = t3.row_codes[t3.row_codes.index("R03") : t3.row_codes.index("R23") + 1]
    for col in t3.col_codes[:-1]:  # C7 is a total
        handled = sum(values[f"T3.{r}.{col}"] for r in details) + values[f"T3.R25.{col}"]
        new = float(rng.randint(0, int(handled)))
        values[f"T3.R01.{col}"], values[f"T3.R02.{col}"] = new, handled - new
    for col in ("C1", "C2", "C3"):
        values[f"T2.R01.{col}"] = 0.0
    return values


def township_inputs(form: Form, rng: random.Random) -> dict[str, float]:
    """Figures a township really reports: mostly zeros, a few documents and decisions, a handful of
    applications (most from individuals and granted), all rules holding."""
    values = dict.fromkeys((c.code for c in form.inputs), 0.0)
    values["T2.R02.C1"] = float(rng.choice([0, 0, 1, 2, 3]))
    values["T2.R02.C2"] = float(rng.choice([0, 0, 0, 1]))
    values["T2.R02.C3"] = values["T2.R02.C1"] + float(rng.randint(0, 12))
    values["T2.R03.C1"] = float(rng.choice([0, 3, 12, 25, 48]))
    values["T2.R04.C1"] = float(rng.choice([0, 0, 2, 5, 17]))
    values["T2.R05.C1"] = float(rng.choice([0, 0, 0, 1]))
    values["T2.R06.C1"] = rng.choice([0.0, 0.0, 0.35, 1.2, 4.8625])
    outcomes = ["R03", "R03", "R03", "R04", "R13", "R13", "R14", "R16", "R17", "R23"]
    for col, weights in (("C1", [0, 0, 1, 1, 2, 3, 5]), ("C2", [0, 0, 0, 0, 1]), ("C6", [0, 0, 0, 0, 0, 1])):
        handled = rng.choice(weights)
        for _ in range(handled):
            values[f"T3.{rng.choice(outcomes)}.{col}"] += 1
        carried_over = float(rng.choice([0, 0, 0, 1])) if handled else 0.0
        values[f"T3.R25.{col}"] = carried_over
        from_last_year = float(min(rng.choice([0, 0, 1]), handled + carried_over))
        values[f"T3.R02.{col}"] = from_last_year
        values[f"T3.R01.{col}"] = handled + carried_over - from_last_year
    if rng.random() < 0.2:
        values[f"T4.R01.C{rng.choice([1, 2, 3, 4])}"] = 1.0
    return values
