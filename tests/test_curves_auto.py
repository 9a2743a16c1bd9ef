"""``fit_curves(curves, "auto")``: the curve law chosen by leave-one-schedule-out error on Luo et al.'s curves
(tests/data/mpl/PROVENANCE.md), its table, and the `lawfit curve fit --law auto` verb."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import lawfit
from lawfit.cli import main
from lawfit.curves import Curve, fit_curves, load_curve_fit
from test_curves import MPL, SCHEDULES, TEST, TRAIN, _curve

# Measured on the six test schedules with the law "auto" chose from the three train curves (annealing, both sizes).
# The target, mean <= 0.13% and worst point <= 0.6%, is NOT reached: leave-one-schedule-out prefers the
# annealing law, which predicts the 72k-step and wsdcon_3 curves worse than the multi-power laws do.
CHOSEN = {"25": ("annealing", 0.00152, 0.00955), "100": ("annealing", 0.00140, 0.01185)}


@pytest.mark.parametrize("size", ["25", "100"])
def test_auto_chooses_the_law_that_best_predicts_left_out_schedules(size: str) -> None:
    train = [_curve(size, name) for name in TRAIN]
    f = fit_curves(train, "auto")
    assert f.converged, f.message
    rows = {row["law"]: row for row in f.selection}
    assert list(rows) == ["multipower", "multipower_fixed", "annealing"]
    assert [row["n_params"] for row in f.selection] == [7, 5, 4]
    chosen = [row["law"] for row in f.selection if row["chosen"]]
    assert chosen == [f.law.name] == [min(rows, key=lambda name: rows[name]["loso_error"])]
    # Each fold is a plain fit on the other curves, scored on the left-out one.
    for row in f.selection:
        assert row["loso_error"] == pytest.approx(np.mean(list(row["folds"].values())), rel=1e-12)
    left_out = train[1]
    alone = fit_curves([c for c in train if c is not left_out], "annealing")
    fold = alone.evaluate([left_out])["mean_rel"].iloc[0]
    assert rows["annealing"]["folds"][left_out.name] == pytest.approx(fold, rel=1e-4)
    # The chosen fit is the plain fit of the chosen law on all train curves.
    assert f.objective == pytest.approx(fit_curves(train, f.law.name).objective, rel=1e-8)
    law, mean_rel, worst = CHOSEN[size]
    errors = f.evaluate([_curve(size, name) for name in TEST])
    assert f.law.name == law
    assert errors["mean_rel"].mean() == pytest.approx(mean_rel, abs=3e-5)
    assert errors["worst_rel"].max() == pytest.approx(worst, abs=3e-5)


def test_auto_sees_only_the_curves_not_their_names_or_order() -> None:
    train = [_curve("25", name) for name in TRAIN]
    f = fit_curves(train, "auto")
    renamed = [Curve(f"run{i}", c.lr, c.step, c.loss) for i, c in enumerate(reversed(train))]
    g = fit_curves(renamed, "auto")
    assert g.law.name == f.law.name
    for a, b in zip(f.selection, g.selection, strict=True):
        folds = list(a["folds"].values())
        assert list(b["folds"].values())[::-1] == pytest.approx(folds, rel=1e-6)


def test_selection_is_saved_and_read_only(tmp_path: Path) -> None:
    train = [_curve("25", name) for name in TRAIN]
    f = fit_curves(train, "auto", candidates=("annealing", "multipower_fixed"))
    assert [row["law"] for row in f.selection] == ["annealing", "multipower_fixed"]
    with pytest.raises(TypeError):
        f.selection[0]["chosen"] = False  # type: ignore[index]
    with pytest.raises(TypeError):
        f.selection[0]["folds"]["wsdcon_9"] = 0.0  # type: ignore[index]
    f.save(tmp_path / "auto.json")
    again = load_curve_fit(tmp_path / "auto.json")
    assert [dict(row) | {"folds": dict(row["folds"])} for row in again.selection] == [
        dict(row) | {"folds": dict(row["folds"])} for row in f.selection
    ]
    assert "leave-one-schedule-out" in again.summary() and again.law.name == f.law.name


def test_auto_needs_two_curves() -> None:
    with pytest.raises(lawfit.LawfitError, match="it needs 2 curves or more; got 1"):
        fit_curves([_curve("25", "wsdcon_9")], "auto")


def test_cli_fit_auto_prints_and_saves_the_table(tmp_path: Path, capsys) -> None:
    files = [str(MPL / "csv_25" / f"{name}.csv") for name in TRAIN]
    argv = ["curve", "fit", *files, "--law", "auto", "-o", str(tmp_path / "fit.json")]
    for name in TRAIN:
        argv += ["--schedule", f"{name}={SCHEDULES[name]}"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "selection  annealing, by leave-one-schedule-out error" in out
    assert "* annealing" in out and "  multipower_fixed" in out
    assert main([*argv, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert [row["law"] for row in record["selection"] if row["chosen"]] == ["annealing"]
    assert set(record["selection"][0]["folds"]) == set(TRAIN)
