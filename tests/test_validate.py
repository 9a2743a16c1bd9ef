"""Back-tests by scale and comparisons of laws, on the bundled Chinchilla runs and on synthetic data."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

import lawfit
from lawfit import Fit, LawfitError
from lawfit.data import budget_groups
from lawfit.validate import Backtest, Comparison, _information_criteria, backtest, compare

# Hoffmann et al. 2022's published Approach 3 parameters, as the truth of the synthetic data.
TRUTH = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}


def _chinchilla_grid(noise: float = 0.0, seed: int = 0) -> dict[str, np.ndarray]:
    """49 runs on a 7 x 7 grid of N and D with equal log steps, so C = 6ND takes 13 values (the grid's diagonals)."""
    nn, dd = (a.ravel() for a in np.meshgrid(np.logspace(7, 10, 7), np.logspace(9, 12, 7)))
    loss = lawfit.get_law("chinchilla").predict(TRUTH, N=nn, D=dd)
    if noise:
        loss = loss * np.exp(noise * np.random.default_rng(seed).standard_normal(loss.shape))
    return {"N": nn, "D": dd, "loss": loss}


def _power_in_n(n_runs: int = 12) -> dict[str, np.ndarray]:
    """Runs with parameters and loss only: no tokens, so no FLOPs either."""
    n = np.logspace(7, 10, n_runs)
    noise = np.exp(0.002 * np.random.default_rng(1).standard_normal(n_runs))
    return {"N": n, "loss": (1.8 + 400.0 * n**-0.34) * noise}


@pytest.fixture(scope="module")
def chinchilla_240() -> lawfit.Runs:
    return lawfit.datasets.chinchilla(drop_highest_loss=5)


@pytest.fixture(scope="module")
def real_backtest(chinchilla_240: lawfit.Runs) -> Backtest:
    return backtest(chinchilla_240, "chinchilla")


@pytest.fixture(scope="module")
def noiseless_backtest() -> Backtest:
    return backtest(_chinchilla_grid(), "chinchilla", objective="mse-log")


@pytest.fixture(scope="module")
def synthetic_comparison() -> Comparison:
    laws = ["chinchilla", lawfit.get_law("power", x="C"), "E + A/N**alpha"]
    return compare(_chinchilla_grid(noise=0.005), laws, objective="mse-log")


# -- budgets ------------------------------------------------------------------------------------------------------


def test_budget_groups_join_scattered_values_and_chain_close_ones() -> None:
    values = np.array([6.1e20, 1e18, 5.9e20, 6.0e20, 1.04e18, 1.08e18, 3e19])
    assert budget_groups(values, 0.05).tolist() == [2, 0, 2, 2, 0, 0, 1]
    # 1e18 -> 1.04e18 -> 1.08e18 chain into one budget, though the ends differ by 8%.
    assert budget_groups(np.array([1.0, 1.04, 1.08]), 0.05).tolist() == [0, 0, 0]
    assert budget_groups(np.array([1.0, 1.04, 1.08]), 0.03).tolist() == [0, 1, 2]


# -- backtest -----------------------------------------------------------------------------------------------------


def test_backtest_on_chinchilla_holds_out_the_largest_budgets(
    real_backtest: Backtest, chinchilla_240: lawfit.Runs
) -> None:
    bt = real_backtest
    c = chinchilla_240.column("C")
    assert bt.n_train + bt.n_test == 240
    assert bt.n_test == np.count_nonzero(c >= bt.cut) and bt.n_train == bt.train_fit.n_points
    # The default holds out at least a fifth of the runs, the largest budgets.
    assert 48 <= bt.n_test < 120
    assert bt.table["C"].min() == bt.cut > c[c < bt.cut].max()
    assert bt.train_fit.n_points == np.count_nonzero(c < bt.cut)
    assert bt.by == "C" and bt.law == "chinchilla"
    # Without a bootstrap the coverage is that of the forecast intervals, calibrated inside the 187 train runs.
    assert bt.interval == "forecast" and bt.train_fit.calibration.calibrated
    assert bt.train_fit.converged


def test_backtest_relative_errors_are_recomputed_from_the_train_fit(real_backtest: Backtest) -> None:
    bt = real_backtest
    row = bt.table.iloc[-1]  # the largest run
    predicted = float(bt.train_fit.predict(N=row["N"], D=row["D"]))
    assert row["predicted"] == pytest.approx(predicted, rel=1e-12)
    assert row["rel_error"] == pytest.approx((predicted - row["actual"]) / row["actual"], rel=1e-12)
    errors = bt.table["rel_error"].to_numpy()
    assert bt.median_abs_rel_error == pytest.approx(np.median(np.abs(errors)))
    assert bt.max_abs_rel_error == pytest.approx(np.max(np.abs(errors)))
    assert bt.bias == pytest.approx(np.mean(errors))
    # A law fitted below 5e20 FLOPs predicts Hoffmann's largest runs to within a few percent.
    assert bt.median_abs_rel_error < 0.02 and bt.max_abs_rel_error < 0.06
    # The train fit is calibrated by nested cuts inside its runs: each held-out run gets its forecast interval.
    assert list(bt.table.columns) == ["C", "N", "D", "actual", "predicted", "rel_error", "low", "high", "covered"]


def test_backtest_holdout_counts_budgets_not_runs(chinchilla_240: lawfit.Runs) -> None:
    c = chinchilla_240.column("C")
    bt = backtest(chinchilla_240, "chinchilla", holdout=4)
    # Hoffmann's largest three runs stand alone; the fourth budget is the eight runs near 3e21 FLOPs.
    assert bt.n_test == 11
    assert sorted(c[c >= bt.cut]) == sorted(bt.table["C"])
    assert bt.cut == pytest.approx(2.876e21, rel=1e-3)


def test_noiseless_backtest_predicts_exactly(noiseless_backtest: Backtest) -> None:
    bt = noiseless_backtest
    # C takes 13 values; the top four diagonals (1 + 2 + 3 + 4 runs) are the fewest that make up a fifth of 49 runs.
    assert (bt.n_train, bt.n_test) == (39, 10)
    assert bt.max_abs_rel_error < 1e-6 and abs(bt.bias) < 1e-6


def test_backtest_by_n_with_a_cut() -> None:
    data = _chinchilla_grid()
    bt = backtest(data, "chinchilla", by="N", cut=3e9, objective="mse-log")
    assert bt.cut == 3e9 and bt.by == "N"
    assert (bt.n_train, bt.n_test) == (35, 14)
    assert bt.table["N"].min() >= 3e9 and bt.train_fit.runs_summary["ranges"]["N"][1] < 3e9  # N is an input here
    assert list(bt.table.columns) == ["N", "D", "actual", "predicted", "rel_error", "low", "high", "covered"]
    assert bt.max_abs_rel_error < 1e-6


def test_backtest_passes_weights_of_the_train_runs() -> None:
    data = _chinchilla_grid()
    weights = np.ones(49)
    weights[0] = 0.0  # N = 1e7, D = 1e9: the smallest run, always in the train set
    bt = backtest(data, "chinchilla", objective="mse-log", weights=weights)
    assert bt.n_train == 39 and bt.max_abs_rel_error < 1e-6


def test_backtest_summary_and_to_dict(real_backtest: Backtest) -> None:
    text = real_backtest.summary()
    assert f"fitted on {real_backtest.n_train} runs with C <" in text
    assert "median |error|" in text and "more rows in .table" in text
    record = json.loads(json.dumps(real_backtest.to_dict()))
    assert record["n_test"] == real_backtest.n_test and len(record["table"]) == real_backtest.n_test
    assert record["train_fit"]["params"]["alpha"] == pytest.approx(real_backtest.train_fit.params["alpha"])
    _assert_plain(real_backtest.to_dict())


def _assert_plain(value: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            assert type(k) is str
            _assert_plain(v)
    elif isinstance(value, list):
        for v in value:
            _assert_plain(v)
    else:
        assert value is None or type(value) in (str, int, float, bool), type(value)


def test_backtest_coverage_of_forecast_intervals_on_chinchilla(chinchilla_240: lawfit.Runs) -> None:
    # Held-out runs scatter about the law: the 90% intervals of the law alone covered 7 of the 53 (13%); the
    # uncalibrated intervals for a new run (law draws plus resampled training residuals) 27 (51%, seed 0). The
    # forecast intervals, calibrated by nested back-tests inside the 187 train runs, cover 36 (67.9%) with the
    # bootstrap's variance on top: better, still short of 90%, as the runs beyond this cut deviate from chinchilla
    # more than the runs below it foretold (auto's choice covers 46, 86.8%: tests/test_report.py).
    bt = backtest(chinchilla_240, "chinchilla", n_resamples=200, level=0.9)
    inside = (bt.table["low"] <= bt.table["actual"]) & (bt.table["actual"] <= bt.table["high"])
    assert bt.table["covered"].tolist() == inside.tolist()
    assert bt.coverage == pytest.approx(inside.mean())
    assert bt.interval == "forecast"
    assert 0.6 <= bt.coverage <= 0.8
    uncalibrated = backtest(chinchilla_240, "chinchilla", n_resamples=200, level=0.9, calibrate=False)
    assert uncalibrated.interval == "run" and uncalibrated.coverage < bt.coverage - 0.05
    assert "interval for a new run, uncalibrated" in uncalibrated.summary()
    assert "forecast interval" in bt.summary()
    assert "fewer held-out runs inside their intervals than the level" in uncalibrated.summary()
    _assert_plain(bt.to_dict())


# -- backtest errors ----------------------------------------------------------------------------------------------


def test_backtest_refuses_a_cut_above_every_run(chinchilla_240: lawfit.Runs) -> None:
    with pytest.raises(LawfitError, match=r"leaves no runs to test.*largest is 1\.296e\+22.*Lower 'cut'"):
        backtest(chinchilla_240, "chinchilla", cut=1e23)


def test_backtest_refuses_too_few_runs_below_the_cut(chinchilla_240: lawfit.Runs) -> None:
    with pytest.raises(LawfitError, match=r"fits on 2 runs with C < cut = 2e\+18.*fewer than its 5 parameters.*raise"):
        backtest(chinchilla_240, "chinchilla", cut=2e18)
    with pytest.raises(LawfitError, match=r"fits on 0 runs"):
        backtest(chinchilla_240, "power", cut=1e18)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"by": "loss"}, r"The 'by' parameter of backtest must be one of 'C', 'N', 'D'\. Got 'loss' instead\."),
        ({"cut": 1e20, "holdout": 2}, r"give one of them"),
        ({"cut": -1.0}, r"The 'cut' parameter of backtest must be a number > 0 or None\. Got -1\.0 instead\."),
        ({"holdout": 0}, r"The 'holdout' parameter of backtest must be an integer >= 1 or None\. Got 0 instead\."),
        ({"holdout": 58}, r"must be below the number of budgets of C \(58; values of C within 5%"),
        ({"level": 1.5}, r"The 'level' parameter of backtest must be a float in \(0, 1\)\. Got 1\.5 instead\."),
        (
            {"n_resamples": 1},
            r"The 'n_resamples' parameter of backtest must be 0 \(no bootstrap\) or an integer >= 2\.",
        ),
    ],
)
def test_backtest_refuses_bad_options(chinchilla_240: lawfit.Runs, options: dict[str, Any], match: str) -> None:
    with pytest.raises(LawfitError, match=match):
        backtest(chinchilla_240, "chinchilla", **options)


def test_backtest_needs_the_scale_column() -> None:
    with pytest.raises(LawfitError, match=r"no column C \(FLOPs\)"):
        backtest(_power_in_n(), "power", x="N")


# -- compare ------------------------------------------------------------------------------------------------------


def test_compare_ranks_the_true_law_first(synthetic_comparison: Comparison) -> None:
    c = synthetic_comparison
    ranks = {row["law"]: row["rank"] for row in c.rows}
    assert ranks["chinchilla"] == 1 and {ranks["power(x=C)"], ranks["E + A/N**alpha"]} == {2, 3}
    best = c.rows[0]
    assert best["n_params"] == 5 and best["converged"] and best["note"] == ""
    assert best["bic"] < min(row["bic"] for row in c.rows[1:])
    assert best["median_abs_rel_error"] < 0.01
    # Every law is back-tested on the same split.
    assert {bt.cut for bt in c.backtests.values()} == {c.cut}
    assert c.n_train + c.n_test == c.n_runs == 49


def test_compare_information_criteria_follow_the_formula(synthetic_comparison: Comparison) -> None:
    data = lawfit.load_runs(_chinchilla_grid(noise=0.005))
    for row in synthetic_comparison.rows:
        f = synthetic_comparison.fits[row["law"]]
        r = np.log(data.column("loss")) - np.log(f.predict(N=data.column("N"), D=data.column("D")))
        n, k = 49, row["n_params"]
        assert row["aic"] == pytest.approx(n * np.log(np.sum(r**2) / n) + 2 * k, rel=1e-9)
        assert row["bic"] == pytest.approx(n * np.log(np.sum(r**2) / n) + k * np.log(n), rel=1e-9)
        assert row["objective"] == f.objective


def test_information_criteria_by_hand() -> None:
    # power in N at E = A = alpha = 1 predicts 1 + 1/N = 2 at N = 1; log residuals 0.1, -0.1, 0.2, 0.
    law = lawfit.get_law("power", x="N")
    f = Fit(law=law, params={"E": 1.0, "A": 1.0, "alpha": 1.0}, objective=0.0, n_points=4, converged=True, message="")
    runs = lawfit.load_runs({"N": [1.0] * 4, "loss": 2.0 * np.exp([0.1, -0.1, 0.2, 0.0])})
    aic, bic = _information_criteria(f, runs, np.ones(4))
    # RSS = 0.01 + 0.01 + 0.04 = 0.06, n = 4, k = 3.
    assert aic == pytest.approx(4 * math.log(0.06 / 4) + 6, rel=1e-12)
    assert bic == pytest.approx(4 * math.log(0.06 / 4) + 3 * math.log(4), rel=1e-12)
    # A weight of 2 counts a run twice.
    aic2, _ = _information_criteria(f, runs, np.array([2.0, 1.0, 1.0, 1.0]))
    assert aic2 == pytest.approx(5 * math.log(0.07 / 5) + 6, rel=1e-12)


def test_compare_reports_a_failing_law_instead_of_raising() -> None:
    c = compare(_power_in_n(), {"kaplan": "kaplan", "power in N": lawfit.get_law("power", x="N")}, by="N")
    assert [row["law"] for row in c.rows] == ["power in N", "kaplan"]
    power_row, kaplan_row = c.rows
    assert power_row["rank"] == 1 and power_row["converged"] and power_row["median_abs_rel_error"] < 0.01
    assert kaplan_row["rank"] is None and kaplan_row["aic"] is None and kaplan_row["converged"] is None
    assert "D (tokens)" in kaplan_row["note"] and kaplan_row["n_params"] == 4
    assert set(c.fits) == set(c.backtests) == {"power in N"}
    text = c.summary()
    assert "kaplan: The law needs column D (tokens)" in text
    _assert_plain(c.to_dict())
    assert json.loads(json.dumps(c.to_dict()))["rows"][1]["rank"] is None


def test_compare_flags_a_fit_that_did_not_converge() -> None:
    # One BFGS step cannot converge; compare says so in the row instead of warning (warnings are errors here).
    short = lawfit.SearchOptions(n_explore=1, explore_steps=1, n_polish=1, max_steps=1)
    c = compare(_power_in_n(), [lawfit.get_law("power", x="N")], by="N", search_options=short)
    (row,) = c.rows
    assert row["converged"] is False and row["rank"] == 1
    assert "ConvergenceWarning (fit on all runs): did not converge" in row["note"]
    assert "NO" in c.summary()


def test_compare_names_laws_and_numbers_repeats() -> None:
    from lawfit.validate import _named_laws

    named = _named_laws(["power", lawfit.get_law("power", x="N"), "power", lawfit.formula_law("E + A/N**alpha")])
    assert list(named) == ["power", "power(x=N)", "power (2)", "E + A/N**alpha"]


@pytest.mark.parametrize(
    ("laws", "options", "match"),
    [
        (["power"], {"x": "N"}, r"The 'x' parameter of compare must be a keyword of lawfit\.fit"),
        ([], {}, r"must name at least one law"),
        ("power", {}, r"The 'laws' parameter of compare must be a sequence of laws"),
        ([3], {}, r"must hold names, formulas or Law values\. Got int"),
        (["power"], {"by": "X"}, r"The 'by' parameter of compare must be one of"),
    ],
)
def test_compare_refuses_bad_arguments(laws: Any, options: dict[str, Any], match: str) -> None:
    with pytest.raises(LawfitError, match=match):
        compare(_power_in_n(), laws, **options)


def test_compare_summary_is_one_table(synthetic_comparison: Comparison) -> None:
    text = synthetic_comparison.summary()
    header = next(line for line in text.splitlines() if line.split()[:1] == ["rank"])
    assert header.split()[:3] == ["rank", "law", "params"]
    assert "compare    3 laws on 49 runs" in text
    frame = synthetic_comparison.table
    assert frame["law"].iloc[0] == "chinchilla" and len(frame) == 3
