"""``auto``: the law chosen by nested back-tests, on the bundled Chinchilla runs and on synthetic data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import lawfit
from lawfit.calibration import NestedBacktests
from lawfit.objectives import Objective
from lawfit.select import Candidate, _Ways, default_candidates, select

TRUTH = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}


@pytest.fixture(scope="module")
def chinchilla_240() -> lawfit.Runs:
    return lawfit.datasets.chinchilla(drop_highest_loss=5)


@pytest.fixture(scope="module")
def train_split(chinchilla_240: lawfit.Runs) -> tuple[lawfit.Runs, lawfit.Runs]:
    c = chinchilla_240.column("C")
    return chinchilla_240.select(c < 1e21), chinchilla_240.select(c >= 1e21)


@pytest.fixture(scope="module")
def auto_train(train_split) -> lawfit.Fit:
    return lawfit.fit(train_split[0], "auto")


def test_default_candidates_follow_the_columns(chinchilla_240: lawfit.Runs) -> None:
    names = [(c.name, c.weight_growth) for c in default_candidates(chinchilla_240)]
    # Chinchilla's tokens per parameter span far more than 10x: the tied law is Gadre et al.'s overtraining form.
    laws = ["chinchilla", "overtraining", "power", "kaplan", "bnsl"]
    assert names == [(law, g) for law in laws for g in (0.0, 0.25)]
    blations = lawfit.load_runs(
        "tests/data/datablations_fit_points.csv",
        columns={"N": "N_params", "D": "D_tokens", "U": "U_unique_tokens", "loss": "val_loss"},
    )
    assert "data_constrained(tie=True)" in {c.name for c in default_candidates(blations)}
    few = {"N": np.logspace(8, 9, 5), "D": 20 * np.logspace(8, 9, 5), "loss": np.linspace(3.0, 2.5, 5)}
    assert "bnsl" not in {c.name for c in default_candidates(lawfit.load_runs(few))}  # 5 budgets, no bend to see


def test_auto_records_the_table_and_forecasts_with_the_way_that_erred_less(auto_train: lawfit.Fit) -> None:
    rows = auto_train.selection
    scored = [row for row in rows if row["score"] is not None]
    for row in scored:  # the score is the mean of the per-cut medians
        assert row["score"] == pytest.approx(np.mean(row["per_cut"])) and len(row["per_cut"]) == 4
    chosen = [row for row in rows if row["chosen"]]
    assert sum(row["weight"] for row in rows) == pytest.approx(1.0)
    assert all(row["chosen"] == (row["weight"] > 0) for row in rows)
    report = auto_train.search_report["auto"]
    # Below 1e21 the average erred less forward in scale than choosing one (measured: 0.56% against 0.60%).
    assert report["how"] == "average" and report["errors"]["average"] < report["errors"]["choose"]
    assert len(chosen) == len(scored) and auto_train.law.name.startswith("average(")
    # Bates and Granger: weights in inverse proportion to the mean squared error; the best scorers weigh most.
    heaviest = max(chosen, key=lambda row: row["weight"])
    assert heaviest["score"] <= np.median([row["score"] for row in scored])
    # The forecast is the weighted average of the members' predictions.
    members = lawfit.laws.members_of(auto_train.law)
    n, d = np.array([1e9, 7e9]), np.array([2e10, 1.4e11])
    by_member = [
        m.law.predict(
            {k[len(f"m{i + 1}_") :]: v for k, v in auto_train.params.items() if k.startswith(f"m{i + 1}_")},
            N=n,
            D=d,
            C=6 * n * d,
        )
        for i, m in enumerate(members)
    ]
    weights = [m.weight for m in members]
    assert weights == pytest.approx([row["weight"] for row in chosen])
    assert auto_train.predict(N=n, D=d) == pytest.approx(np.average(by_member, axis=0, weights=weights), rel=1e-12)
    assert auto_train.calibration.calibrated
    text = auto_train.summary()
    assert "auto       chose an average of" in text and "which erred less" in text


def test_auto_beats_chinchilla_beyond_1e21_and_its_intervals_cover(train_split, auto_train: lawfit.Fit) -> None:
    # Issue 11's split, the selection run on the 217 runs below 1e21 only. Measured: auto averaged its 10 candidates
    # (forward in scale, the average erred 0.56% against 0.60% for choosing one): median |error| 0.69% and max
    # 1.97% on the 23 runs at C >= 1e21 (chinchilla itself: 0.87% and 2.78%; targets 0.70% and 2.5%). Its 90%
    # forecast intervals, calibrated on the procedure's own forward back-tests, cover 19 of the 23 with a median
    # half-width of 1.49%, 2.2 times the median error (target: >= 19 and <= 3x).
    _, test = train_split
    n, d, actual = test.column("N"), test.column("D"), test.column("loss")
    with warnings.catch_warnings():  # C up to 13x the largest fitted: the average has a law of C among its members
        warnings.simplefilter("ignore", lawfit.ExtrapolationWarning)
        predicted = auto_train.predict(N=n, D=d)
        low, high = auto_train.predict_interval(0.9, N=n, D=d)
    error = np.abs(predicted - actual) / actual
    assert np.median(error) <= 0.0070
    assert np.max(error) <= 0.025
    assert np.count_nonzero((low <= actual) & (actual <= high)) >= 19
    assert np.median((high - low) / 2 / predicted) <= 3.0 * np.median(error)


def test_an_averaged_fit_saves_loads_and_bootstraps_member_by_member(
    tmp_path, train_split, auto_train: lawfit.Fit
) -> None:
    path = auto_train.save(tmp_path / "auto.json")
    again = lawfit.load_fit(path)
    n, d = np.array([1e9, 7e9]), np.array([2e10, 1.4e11])
    assert again.law.name == auto_train.law.name
    assert np.array_equal(again.predict(N=n, D=d), auto_train.predict(N=n, D=d))
    assert [dict(r) for r in again.selection] == [dict(r) for r in auto_train.selection]
    members = lawfit.laws.members_of(again.law)
    # Each member is refitted on the same resamples with its own weighting: a draw is the members' side by side.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lawfit.LawfitWarning)
        drawn = lawfit.bootstrap(auto_train, train_split[0], n_resamples=20, seed=2)
    assert drawn.bootstrap.draws.shape == (20, sum(len(m.law.params) for m in members))
    first = members[0]
    alone = lawfit.fit(train_split[0], first.law, weight_growth=first.weight_growth)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lawfit.LawfitWarning)
        own = lawfit.bootstrap(alone, train_split[0], n_resamples=20, seed=2)
    k = len(first.law.params)
    converged = own.bootstrap.converged & drawn.bootstrap.converged
    assert np.allclose(drawn.bootstrap.draws[converged, :k], own.bootstrap.draws[converged, :k], rtol=1e-3)


def test_the_choice_sees_only_the_runs_not_their_names_or_order(train_split, auto_train: lawfit.Fit) -> None:
    train, _ = train_split
    table = train.table[["N", "C", "loss"]].rename(columns={"N": "params", "C": "flops", "loss": "final_loss"})
    shuffled = table.sample(frac=1.0, random_state=3).reset_index(drop=True)
    other = lawfit.fit(shuffled, "auto", columns={"N": "params", "C": "flops", "loss": "final_loss"})
    assert [row["law"] for row in other.selection if row["chosen"]] == [
        row["law"] for row in auto_train.selection if row["chosen"]
    ]
    assert other.objective_settings.weight_growth == auto_train.objective_settings.weight_growth
    assert other.params == pytest.approx(dict(auto_train.params), rel=1e-6, abs=1e-9)  # bnsl f1 sits at ~1e-11


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


def _fake_nested(errors_per_cut: list[np.ndarray], cuts: tuple[float, ...]) -> NestedBacktests:
    return NestedBacktests(
        full=None,  # type: ignore[arg-type]
        by="C",
        cuts=cuts,
        results=(None,) * len(cuts),  # type: ignore[arg-type]
        distance=np.concatenate([np.linspace(0.1, 1.0, e.size) for e in errors_per_cut]),
        error=np.concatenate(errors_per_cut),
        cut_index=np.concatenate([np.full(e.size, j) for j, e in enumerate(errors_per_cut)]),
    )


def test_the_ways_learn_only_from_the_cuts_and_runs_below_where_they_are_scored() -> None:
    # Three cuts at scales 10, 20, 30 of runs at 10..40; cut j holds out every run at or above its scale. The
    # weights used at cut 2 may see cuts 0 and 1, but only their runs below 30: changing the errors of the runs at
    # 30 and 40 anywhere must not change them, and changing those below 30 must.
    cuts = (10.0, 20.0, 30.0)
    scales = [np.array([10.0, 20.0, 30.0, 40.0]), np.array([20.0, 30.0, 40.0]), np.array([30.0, 40.0])]
    rng = np.random.default_rng(0)
    base = [[rng.normal(0, 0.01 * (m + 1), s.size) for s in scales] for m in range(2)]

    def ways(errors: list[list[np.ndarray]]) -> _Ways:
        nested = {m: _fake_nested(errors[m], cuts) for m in range(2)}
        return _Ways(nested, [0, 1], [3, 5], scales)

    reference = ways(base).weights([0, 1], 30.0)
    moved = [[e.copy() for e in per] for per in base]
    for per in moved:
        for s, e in zip(scales, per, strict=True):
            e[s >= 30.0] += 0.5  # the runs at and above the cut where the weights are used
    assert np.allclose(ways(moved).weights([0, 1], 30.0), reference)
    assert ways(moved).choose_one([0, 1], 30.0).tolist() == ways(base).choose_one([0, 1], 30.0).tolist()
    moved[1][0][scales[0] < 30.0] += 0.5  # the second candidate now errs more below 30
    assert ways(moved).weights([0, 1], 30.0)[1] < reference[1]
    # Forward scoring: the lowest cut is never scored (nothing below it to learn from).
    w = ways(base)
    assert w.forward(w.weights, [0]) != w.forward(w.weights, [0])  # NaN: one cut cannot be scored forward
    errors, heaviest = w.procedure()
    assert errors[0].size == 0 and [e.size for e in errors[1:]] == [3, 2] and len(heaviest) == 3
