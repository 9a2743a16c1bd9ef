"""``auto``: the law chosen by nested back-tests, on the bundled Chinchilla runs and on synthetic data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import lawfit
from lawfit.objectives import Objective
from lawfit.select import Candidate, default_candidates, select

TRUTH = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}


@pytest.fixture(scope="module")
def chinchilla_240() -> lawfit.Runs:
    return lawfit.datasets.chinchilla(drop_highest_loss=5)


@pytest.fixture(scope="module")
def blations() -> lawfit.Runs:
    """Muennighoff et al.'s 182 runs, with unique tokens U."""
    return lawfit.load_runs(
        "tests/data/datablations_fit_points.csv",
        columns={"N": "N_params", "D": "D_tokens", "U": "U_unique_tokens", "loss": "val_loss"},
    )


@pytest.fixture(scope="module")
def train_split(chinchilla_240: lawfit.Runs) -> tuple[lawfit.Runs, lawfit.Runs]:
    c = chinchilla_240.column("C")
    return chinchilla_240.select(c < 1e21), chinchilla_240.select(c >= 1e21)


@pytest.fixture(scope="module")
def auto_train(train_split) -> lawfit.Fit:
    return lawfit.fit(train_split[0], "auto")


def test_default_candidates_follow_the_columns(chinchilla_240: lawfit.Runs, blations: lawfit.Runs) -> None:
    names = [(c.name, c.weight_growth) for c in default_candidates(chinchilla_240)]
    # Chinchilla's tokens per parameter span far more than 10x: the tied law is Gadre et al.'s overtraining form.
    laws = ["chinchilla", "overtraining", "power", "kaplan", "bnsl"]
    assert names == [(law, g) for law in laws for g in (0.0, 0.25)]
    assert "data_constrained(tie=True)" in {c.name for c in default_candidates(blations)}
    few = {"N": np.logspace(8, 9, 5), "D": 20 * np.logspace(8, 9, 5), "loss": np.linspace(3.0, 2.5, 5)}
    assert "bnsl" not in {c.name for c in default_candidates(lawfit.load_runs(few))}  # 5 budgets, no bend to see


def test_auto_chooses_the_lowest_nested_error_and_records_the_table(auto_train: lawfit.Fit) -> None:
    rows = auto_train.selection
    scored = [row for row in rows if row["score"] is not None]
    chosen = [row for row in rows if row["chosen"]]
    assert len(chosen) == 1 and chosen[0]["score"] == min(row["score"] for row in scored)
    for row in scored:  # the score is the mean of the per-cut medians
        assert row["score"] == pytest.approx(np.mean(row["per_cut"])) and len(row["per_cut"]) == 4
    # The fit is the chosen law's own fit with the chosen weighting, and is calibrated from its nested back-tests.
    assert auto_train.law.name == chosen[0]["law"]
    assert auto_train.objective_settings.weight_growth == chosen[0]["weight_growth"]
    assert auto_train.calibration.calibrated
    text = auto_train.summary()
    assert "auto       chose" in text and "*  " + chosen[0]["law"] in text


def test_auto_beats_chinchilla_beyond_1e21_and_its_intervals_cover(train_split, auto_train: lawfit.Fit) -> None:
    # Issue 11's split, the selection run on the 217 runs below 1e21 only. Measured: auto chose the tied-exponent
    # law (overtraining) with weights growing as C^0.25: median |error| 0.65% and max 2.59% on the 23 runs at
    # C >= 1e21 (chinchilla itself: 0.87% and 2.78%; target max 2.5%, missed). Its 90% forecast intervals, calibrated
    # on the errors of the choosing itself (leave one cut out), cover 21 of the 23 with a median half-width of 1.61%,
    # 2.5 times the median error (target: at most 3 times).
    _, test = train_split
    n, d, actual = test.column("N"), test.column("D"), test.column("loss")
    predicted = auto_train.predict(N=n, D=d)
    error = np.abs(predicted - actual) / actual
    assert np.median(error) <= 0.0070
    assert np.max(error) <= 0.027
    low, high = auto_train.predict_interval(0.9, N=n, D=d)
    assert np.count_nonzero((low <= actual) & (actual <= high)) >= 19
    assert np.median((high - low) / 2 / predicted) <= 3.0 * np.median(error)


def test_auto_on_datablations_is_not_misled_by_a_law_whose_median_error_hides_its_tail(blations: lawfit.Runs) -> None:
    # Issue 11's datablations split: fit the 128 runs with N < 1e9 (with unique tokens U), predict the 54 above.
    # Scored by the median |error| beyond its nested cuts, auto (between these two, and among all its default
    # ones) chose kaplan (3.3-4.5% median inside, but large misses), which erred 6.97% (median) on the 54; scored by
    # the mean |error|, it chooses data_constrained with weights growing with scale: 2.72% median, 27.0% max, within
    # 11% of the best candidate in hindsight (chinchilla, 2.44%); issue 11's 1.5% / 10% are out of reach for every
    # candidate. Its 90% forecast intervals cover 53 of the 54 (98%).
    small = blations.column("N") < 1e9
    train, test = blations.select(small), blations.select(~small)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lawfit.LawfitWarning)
        # The two default candidates at stake (all of them: the benchmark; the choice among all: tests/test_cli.py).
        candidates = [
            Candidate("kaplan", lawfit.get_law("kaplan")),
            Candidate("data_constrained", lawfit.get_law("data_constrained"), weight_growth=0.25),
        ]
        auto = lawfit.fit(train, "auto", candidates=candidates)
        inputs = test.inputs(auto.law.inputs)
        predicted = auto.predict(**inputs)
        low, high = auto.predict_interval(0.9, **inputs)
    assert [row["law"] for row in auto.selection if row["chosen"]] != ["kaplan"]
    actual = test.column("loss")
    assert np.median(np.abs(predicted - actual) / actual) <= 0.03
    assert np.mean((low <= actual) & (actual <= high)) >= 0.8


def test_the_choice_sees_only_the_runs_not_their_names_or_order(train_split, auto_train: lawfit.Fit) -> None:
    train, _ = train_split
    table = train.table[["N", "C", "loss"]].rename(columns={"N": "params", "C": "flops", "loss": "final_loss"})
    shuffled = table.sample(frac=1.0, random_state=3).reset_index(drop=True)
    other = lawfit.fit(shuffled, "auto", columns={"N": "params", "C": "flops", "loss": "final_loss"})
    assert [row["law"] for row in other.selection if row["chosen"]] == [
        row["law"] for row in auto_train.selection if row["chosen"]
    ]
    assert other.objective_settings.weight_growth == auto_train.objective_settings.weight_growth
    assert other.params == pytest.approx(dict(auto_train.params), rel=1e-6)


def test_auto_recovers_the_true_law_on_synthetic_runs() -> None:
    # Noiseless runs of chinchilla at 7 budgets: chinchilla extrapolates exactly, so it must be chosen over the
    # laws that cannot express it (power in C, kaplan).
    n = np.concatenate([np.sqrt(c / 120.0) * np.logspace(-0.6, 0.6, 6) for c in np.logspace(17, 20, 7)])
    c = np.repeat(np.logspace(17, 20, 7), 6)
    d = c / (6.0 * n)
    runs = {"N": n, "D": d, "loss": lawfit.get_law("chinchilla").predict(TRUTH, N=n, D=d)}
    candidates = ["power", "chinchilla"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lawfit.LawfitWarning)
        f = lawfit.fit(runs, "auto", candidates=candidates)
    assert f.law.name == "chinchilla" and f.params["alpha"] == pytest.approx(0.34, rel=1e-4)
    assert [row["law"] for row in f.selection] == candidates


def test_select_breaks_ties_by_the_order_given(train_split) -> None:
    # Two names for one law score alike; with equal parameter counts the one given first wins the tie.
    train, _ = train_split
    law = lawfit.get_law("power")
    s = select(train, train.weights, Objective(), [Candidate("second", law), Candidate("first", law)])
    assert s.rows[0]["score"] == s.rows[1]["score"] and s.chosen.name == "second"


def test_auto_errors_and_options() -> None:
    few = pd.DataFrame({"N": [1e8, 2e8, 4e8, 8e8, 1.6e9], "D": [2e9, 4e9, 8e9, 1.6e10, 3.2e10]})
    few["loss"] = lawfit.get_law("chinchilla").predict(TRUTH, N=few["N"], D=few["D"])
    with pytest.raises(lawfit.LawfitError, match="needs runs at 3 or more budgets"):
        lawfit.fit(few, "auto", candidates=["power"])
    with pytest.raises(lawfit.LawfitError, match="applies to law='auto' only"):
        lawfit.fit(few, "chinchilla", candidates=["power"])
    with pytest.raises(lawfit.LawfitError, match="law options"):
        lawfit.fit(few, "auto", x="N")
    with pytest.raises(lawfit.LawfitError, match="chooses the weight growth per candidate"):
        lawfit.fit(few, "auto", weight_growth=0.25)
    with pytest.raises(lawfit.LawfitError, match="at least one law"):
        lawfit.fit(few, "auto", candidates=[])


def test_backtest_of_auto_chooses_below_the_cut_only(chinchilla_240: lawfit.Runs) -> None:
    bt = lawfit.backtest(chinchilla_240, "auto", cut=1e21)
    assert bt.law == "auto" and bt.train_fit.n_points == 217
    assert bt.train_fit.selection is not None
    assert "auto chose" in bt.summary()
