"""lawfit.hparams: sweeps, cell optima, hyperparameter laws, published laws and Marin's sweeps."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lawfit
from lawfit import hparams
from lawfit.errors import DataError, DataWarning, EdgeWarning, LawfitError

MARIN = Path(__file__).parent / "data" / "hparam_sweeps_marin"  # see its PROVENANCE.md (Apache-2.0)
N_12B = 1207959552.0


# -- published laws ---------------------------------------------------------------------------------------------------
# Step Law: Li et al. 2025, "Predictable Scale: Part I", arXiv:2503.04715, eq. for eta(N, D) and B(D):
# lr* = 1.79 N^-0.713 D^0.307, batch* = 0.58 D^0.571 (tokens). Values by hand in log10:
# lr(1e9, 1e11): log10 1.79 - 0.713*9 + 0.307*11 = 0.252853 - 6.417 + 3.377 = -2.787147 -> 1.63250e-3
# batch(1e11): log10 0.58 + 0.571*11 = -0.236572 + 6.281 = 6.044428 -> 1.10771e6
# lr(7e9, 1e12): 0.252853 - 0.713*9.845098 + 0.307*12 = -3.082680 -> 8.26605e-4
# DeepSeek LLM: arXiv:2401.02954, section 3.1: lr_opt = 0.3118 C^-0.1250, B_opt = 0.2920 C^0.3271 (tokens).
# lr(1e20) = 0.3118 * 10^-2.5 = 9.8600e-4; B(1e20): log10 0.292 + 6.542 = 6.007383 -> 1.01714e6
# lr(1e23) = 0.3118 * 10^-2.875 = 4.1579e-4; B(1e23): -0.534617 + 7.5233 = 6.988683 -> 9.74278e6
@pytest.mark.parametrize(
    ("name", "hparam", "inputs", "expected"),
    [
        ("step-law", "lr", {"N": 1e9, "D": 1e11}, 1.63250e-3),
        ("step-law", "lr", {"N": 7e9, "D": 1e12}, 8.26605e-4),
        ("step-law", "batch", {"D": 1e11}, 1.10771e6),
        ("deepseek", "lr", {"C": 1e20}, 9.8600e-4),
        ("deepseek", "batch", {"C": 1e20}, 1.01714e6),
        ("deepseek", "lr", {"C": 1e23}, 4.1579e-4),
        ("deepseek", "batch", {"C": 1e23}, 9.74278e6),
    ],
)
def test_published_laws_reproduce_values_by_hand(name, hparam, inputs, expected) -> None:
    law = hparams.published(name)
    assert float(law.predict(hparam, **inputs)) == pytest.approx(expected, rel=2e-5)


def test_published_laws_carry_sources_and_formulas() -> None:
    step = hparams.published("Step Law")
    assert "2503.04715" in step.source and step.formula("lr") == "1.79 * N**-0.713 * D**0.307"
    deepseek = hparams.published("deepseek")
    assert "2401.02954" in deepseek.source and deepseek.formula("batch") == "0.292 * C**0.3271"
    # A law of C given N and D reads C = 6ND.
    assert float(deepseek.lr(N=1e9, D=2e10)) == pytest.approx(float(deepseek.lr(C=1.2e20)), rel=1e-12)
    json.dumps(deepseek.to_dict())
    with pytest.raises(LawfitError, match="'name' parameter of published must be one of"):
        hparams.published("chinchilla")
    with pytest.raises(LawfitError, match="needs N, D"):
        step.lr(N=1e9)


# -- cell optima -------------------------------------------------------------------------------------------------------
def _parabola_sweep(best=4e-3, k=0.05, base=3.0, grid=None, noise=0.0, seed=0, n=1e8, d=2e9):
    grid = 2.0 ** np.arange(-11, -4) if grid is None else np.asarray(grid)
    rng = np.random.default_rng(seed)
    loss = base + k * np.log(grid / best) ** 2 + noise * rng.standard_normal(grid.size)
    return {"N": [n] * grid.size, "D": [d] * grid.size, "lr": grid, "loss": loss}


def test_an_exact_parabola_gives_its_vertex_not_the_argmin() -> None:
    optima = hparams.cell_optima(hparams.load_sweep(_parabola_sweep(best=3e-3)), noise=1e-4, n_resamples=200)
    (c,) = optima.cells
    # The grid's argmin is 2^-8 = 3.9e-3; the vertex of the parabola is the true 3e-3.
    assert c.best_value == pytest.approx(2.0**-8)
    assert c.value == pytest.approx(3e-3, rel=1e-9) and c.method == "quadratic" and not c.at_edge
    assert c.low < 3e-3 < c.high and c.loss == pytest.approx(3.0, abs=1e-9)


def test_near_optimal_region_is_the_settings_within_x_of_the_best() -> None:
    sweep = hparams.load_sweep(_parabola_sweep(best=4e-3, k=0.05))
    (c,) = hparams.cell_optima(sweep, near=0.01, noise=1e-4, n_resamples=50).cells
    # 0.05 * log(2)^2 = 0.024 above 3.0 is 0.8% (inside 1%); two steps, 0.096 (3.2%), is outside.
    assert (c.near_low, c.near_high) == (pytest.approx(2e-3 * 2.0**-0.0, rel=0.03), pytest.approx(8e-3, rel=0.03))
    (wide,) = hparams.cell_optima(sweep, near=0.05, noise=1e-4, n_resamples=50).cells
    assert wide.near_low < c.near_low and wide.near_high > c.near_high


def test_optima_are_deterministic_for_a_seed_and_frozen() -> None:
    sweep = hparams.load_sweep(_parabola_sweep(noise=0.003, seed=3))
    a = hparams.cell_optima(sweep, n_resamples=300, seed=7).cells[0]
    b = hparams.cell_optima(sweep, n_resamples=300, seed=7).cells[0]
    other = hparams.cell_optima(sweep, n_resamples=300, seed=8).cells[0]
    assert (a.low, a.high) == (b.low, b.high) and (a.low, a.high) != (other.low, other.high)
    with pytest.raises(AttributeError):
        a.value = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        a.draws[0] = 0.0
    json.dumps(hparams.cell_optima(sweep, n_resamples=20).to_dict())


def test_diverged_runs_do_not_pull_the_optimum() -> None:
    data = _parabola_sweep(best=3e-3)
    data["loss"] = np.where(data["lr"] > 2e-2, 7.5, data["loss"])  # the largest rates diverged
    (c,) = hparams.cell_optima(hparams.load_sweep(data), noise=1e-4, n_resamples=50).cells
    assert c.value == pytest.approx(3e-3, rel=1e-3) and c.method == "quadratic"


def test_a_grid_cell_gets_a_2d_quadratic_with_its_cross_term() -> None:
    lr, batch = np.meshgrid(2.0 ** np.arange(-11, -5), 2.0 ** np.arange(17, 23))
    lr, batch = lr.ravel(), batch.ravel()
    x, y = np.log(lr / 2e-3), np.log(batch / 5e5)
    loss = 3.0 + 0.04 * x**2 + 0.03 * y**2 - 0.02 * x * y  # optimum at (2e-3, 5e5)
    sweep = hparams.load_sweep({"N": 1e8, "D": 2e9, "lr": lr, "batch_tokens": batch, "loss": loss})
    optima = hparams.cell_optima(sweep, noise=1e-4, n_resamples=100)
    (lr_opt,), (batch_opt,) = optima.of("lr"), optima.of("batch")
    assert lr_opt.method == "quadratic-2d" and lr_opt.value == pytest.approx(2e-3, rel=1e-6)
    assert batch_opt.value == pytest.approx(5e5, rel=1e-6)


# -- synthetic sweeps: recovery of the truth ------------------------------------------------------------------------
TRUE = {"a": 3e-3, "alpha_N": -0.5, "alpha_D": 0.3}  # lr* = a (N/1e8)^alpha_N (D/2e9)^alpha_D, in the test's units


def _true_lr(N, D):
    return TRUE["a"] * (N / 1e8) ** TRUE["alpha_N"] * (D / 2e9) ** TRUE["alpha_D"]


def _synthetic_sweep(rng, noise=0.003, k=0.03):
    """Cells N x D (4 x 3), each a 9-point lr grid (factor sqrt 2) with a random offset about the true optimum;
    L = L0(N, D) + k (log lr - log lr*(N, D))^2 + noise."""
    N, D = np.meshgrid([1e8, 2e8, 4e8, 8e8], [2e9, 8e9, 3.2e10])
    N, D = N.ravel(), D.ravel()
    best = _true_lr(N, D)
    steps = np.log(2) / 2 * (np.arange(9) - 4)
    offset = rng.uniform(-1, 1, size=N.size) * np.log(2) / 2
    log_lr = np.log(best)[:, None] + offset[:, None] + steps[None, :]
    L0 = 1.7 + 400 / N**0.34 + 400 / D**0.28
    loss = L0[:, None] + k * (log_lr - np.log(best)[:, None]) ** 2 + noise * rng.standard_normal(log_lr.shape)
    table = {
        "N": np.repeat(N, 9),
        "D": np.repeat(D, 9),
        "lr": np.exp(log_lr).ravel(),
        "loss": loss.ravel(),
    }
    return hparams.load_sweep(table), best


def _recovery(replications: int, seed: int = 0) -> tuple[float, float, float]:
    rng = np.random.default_rng(seed)
    optimum_hits, alpha_n_hits, alpha_d_hits = [], 0, 0
    for r in range(replications):
        sweep, best = _synthetic_sweep(rng)
        optima = hparams.cell_optima(sweep, n_resamples=400, seed=r)
        values = np.array([[c.low, c.high] for c in optima.cells])
        optimum_hits.append(np.mean((values[:, 0] <= best) & (best <= values[:, 1])))
        law = hparams.fit_law(optima, "lr", "N,D")
        alpha_n_hits += law.intervals["alpha_N"][0] <= TRUE["alpha_N"] <= law.intervals["alpha_N"][1]
        alpha_d_hits += law.intervals["alpha_D"][0] <= TRUE["alpha_D"] <= law.intervals["alpha_D"][1]
    return float(np.mean(optimum_hits)), alpha_n_hits / replications, alpha_d_hits / replications


def test_synthetic_sweeps_recover_optima_and_exponents_in_100_replications() -> None:
    # 100 replications take about 3 s (vectorised bootstraps), so this runs unmarked.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeWarning)
        optima_cover, alpha_n, alpha_d = _recovery(100)
    assert optima_cover >= 0.8 and alpha_n >= 0.8 and alpha_d >= 0.8, (optima_cover, alpha_n, alpha_d)


# -- laws -------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic_optima() -> hparams.Optima:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeWarning)
        sweep, _ = _synthetic_sweep(np.random.default_rng(42))
        return hparams.cell_optima(sweep, n_resamples=400, seed=0)


def test_the_formula_path_through_the_engine_matches_the_closed_form(synthetic_optima) -> None:
    closed = hparams.fit_law(synthetic_optima, "lr", "N,D")
    engine = hparams.fit_law(synthetic_optima, "lr", "a * N**alpha_N * D**alpha_D", n_resamples=50)
    assert engine.method.startswith("lawfit.fit")
    for name in ("alpha_N", "alpha_D"):
        assert engine.params[name] == pytest.approx(closed.params[name], abs=1e-4)
    assert engine.params["a"] == pytest.approx(closed.params["a"], rel=2e-3)
    point = {"N": 1.6e9, "D": 6.4e10}
    assert float(engine.predict(**point)) == pytest.approx(float(closed.predict(**point)), rel=1e-3)
    low, high = engine.predict_interval(**point)
    assert low < float(engine.predict(**point)) < high


def test_laws_of_compute_and_back_test_by_scale(synthetic_optima) -> None:
    law = hparams.fit_law(synthetic_optima, "lr", "C")
    assert set(law.params) == {"a", "alpha_C"} and law.inputs == ("C",)
    # C = 6ND is derived for a prediction from N and D.
    assert float(law.predict(N=1e9, D=2e10)) == pytest.approx(float(law.predict(C=1.2e20)))
    bt = hparams.backtest_law(synthetic_optima, "lr", "N,D", by="N")
    assert len(bt.rows) == 3 and bt.cut == pytest.approx(8e8)
    truth = _true_lr(np.array([r["N"] for r in bt.rows]), np.array([r["D"] for r in bt.rows]))
    predicted = np.array([r["predicted"] for r in bt.rows])
    # Fitted on N <= 4e8, the law extrapolates to 8e8 within 10% of the truth.
    assert np.max(np.abs(predicted / truth - 1)) < 0.1
    assert "back-test" in bt.summary()
    json.dumps(bt.to_dict())


def test_a_law_warns_beyond_ten_times_its_largest_cell(synthetic_optima) -> None:
    law = hparams.fit_law(synthetic_optima, "lr", "N,D")  # cells up to N = 8e8, D = 3.2e10
    law.predict(N=8e9, D=3.2e11)  # 10x: no warning
    with pytest.warns(lawfit.ExtrapolationWarning, match="N = 1e\\+10 is 12.5 times the largest"):
        law.predict(N=1e10, D=3.2e10)


def test_the_critical_batch_names_are_re_exported() -> None:
    from lawfit.hparams import batch

    for name in batch.__all__:
        assert getattr(hparams, name) is getattr(batch, name) and name in hparams.__all__


def test_a_law_needs_more_cells_than_parameters() -> None:
    sweep = hparams.load_sweep(_parabola_sweep())
    optima = hparams.cell_optima(sweep, noise=1e-3, n_resamples=20)
    with pytest.raises(DataError, match="has 3 parameters, but the 1 cell optima are too few"):
        hparams.fit_law(optima, "lr", "N,D")
    with pytest.raises(LawfitError, match="'hparam' parameter of fit_law must be 'lr' or 'batch'"):
        hparams.fit_law(optima, "wd", "N")


# -- bad input -------------------------------------------------------------------------------------------------------
def test_a_cell_with_a_single_learning_rate_is_an_error_or_skipped() -> None:
    data = {"N": [1e8] * 3 + [2e8], "D": [2e9] * 4, "lr": [1e-3, 2e-3, 4e-3, 2e-3], "loss": [3.3, 3.2, 3.25, 3.1]}
    sweep = hparams.load_sweep(data)
    with pytest.raises(DataError, match=r"single learning rate \(0.002\).*--skip-single"):
        hparams.cell_optima(sweep)
    optima = hparams.cell_optima(sweep, skip_single=True, noise=1e-3, n_resamples=20)
    assert len(optima.cells) == 1 and "single learning rate" in optima.skipped[0]


def test_an_optimum_at_the_edge_of_the_sweep_warns() -> None:
    data = _parabola_sweep(best=1e-1)  # far above the largest rate tried
    with pytest.warns(EdgeWarning, match="at the edge of the values swept") as caught:
        (c,) = hparams.cell_optima(hparams.load_sweep(data), noise=1e-3, n_resamples=20).cells
    assert c.at_edge and c.value == pytest.approx(2.0**-5)
    assert caught[0].message.data["cells"][0]["hparam"] == "lr"


@pytest.mark.parametrize("bad", [0.0, -1e-3, float("nan"), "fast"])
def test_non_positive_learning_rates_are_refused(bad) -> None:
    data = {"N": [1e8] * 3, "D": [2e9] * 3, "lr": [1e-3, bad, 4e-3], "loss": [3.3, 3.2, 3.25]}
    with pytest.raises(DataError, match=r"Column lr of the mapping .*data row 2"):
        hparams.load_sweep(data)
    dropped = hparams.load_sweep(data, drop_bad=True)
    assert len(dropped) == 2 and any("Dropped 1 of 3 rows" in note for note in dropped.notes)


def test_non_positive_batch_sizes_are_refused() -> None:
    data = {"N": [1e8] * 2, "D": [2e9] * 2, "lr": [1e-3] * 2, "batch_tokens": [5e5, -1], "loss": [3.3, 3.2]}
    with pytest.raises(DataError, match=r"Column batch \(source column 'batch_tokens' of the mapping\) must be > 0"):
        hparams.load_sweep(data)


def test_batch_in_sequences_warns_and_seq_len_converts() -> None:
    data = {"N": [1e8] * 3, "D": [2e9] * 3, "lr": [1e-3] * 3, "batch_size": [128, 256, 512], "loss": [3.3, 3.2, 3.3]}
    with pytest.warns(DataWarning, match="look like sequences, not tokens. Give the sequence length with --seq-len"):
        hparams.load_sweep(data)
    sweep = hparams.load_sweep(data, seq_len=4096)
    assert sweep.column("batch").tolist() == [128 * 4096.0, 256 * 4096.0, 512 * 4096.0]
    with pytest.raises(DataError, match="already counts tokens"):
        hparams.load_sweep({**data, "batch_tokens": data.pop("batch_size")}, seq_len=4096)
    with pytest.raises(DataError, match="'seq_len' parameter of load_sweep must be a number > 0"):
        hparams.load_sweep(data, seq_len=0)


def test_missing_columns_are_named() -> None:
    with pytest.raises(DataError, match=r"no learning-rate or batch-size column.*--col lr=COLUMN"):
        hparams.load_sweep({"N": [1e8], "D": [2e9], "loss": [3.0]})
    with pytest.raises(DataError, match="no loss column"):
        hparams.load_sweep({"N": [1e8], "lr": [1e-3]})
    with pytest.raises(DataError, match="Cannot map lr to column 'eta0'"):
        hparams.load_sweep({"N": [1e8], "lr": [1e-3], "loss": [3.0]}, columns={"lr": "eta0"})
    with pytest.raises(DataError, match="'cell_by' parameter of load_sweep must name columns"):
        hparams.load_sweep({"N": [1e8], "lr": [1e-3], "loss": [3.0]}, cell_by=["optimizer"])


# -- Marin ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["adamw", "muon", "nadamw", "soape"])
@pytest.mark.parametrize("column", ["learning_rate", "train_batch_size"])
def test_marin_fit_reproduces_marins_published_1p2b_predictions(optimizer, column) -> None:
    # PROVENANCE (tests/data/hparam_sweeps_marin): Marin's fit on results_best_configs.csv reproduces
    # predicted_1p2b_configs.csv within 5.5e-4 relative; we hold it to 1e-3 at C = 1, 2, 4, 8.
    best = pd.read_csv(MARIN / "results_best_configs.csv")
    predicted = pd.read_csv(MARIN / "predicted_1p2b_configs.csv")
    fit = hparams.marin_fit(best[best["optimizer"] == optimizer], column)
    assert fit.n_points == 10 and fit.converged
    published = predicted[predicted["optimizer"] == optimizer].sort_values("chinchilla")[column].to_numpy()
    ours = fit.predict(N_12B, np.array([1.0, 2.0, 4.0, 8.0]))
    np.testing.assert_allclose(ours, published, rtol=1e-3)


@pytest.fixture(scope="module")
def marin_table() -> pd.DataFrame:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    try:
        from bench_hparams import marin_comparison
    finally:
        sys.path.pop(0)
    return marin_comparison(n_resamples=400)


def test_marin_adamw_laws_predict_the_1p2b_settings(marin_table) -> None:
    # The 1.2B AdamW runs used lr 0.002 (the best of 0.002, 0.004, 0.008 at 1x; the only rate at 2-8x) and batch
    # 256 x 4096 tokens; the learning rate was swept on a factor-2 grid, so we judge within one grid step.
    lr = marin_table[(marin_table.optimizer == "adamw") & (marin_table.hparam == "lr")]
    assert np.all(np.abs(np.log2(lr["ratio_to_best"])) <= 1)
    # And within 25% of Marin's own predictions (0.0029-0.0031), from a different procedure.
    assert np.all(np.abs(lr["lawfit"] / lr["marin"] - 1) < 0.25)
    batch = marin_table[(marin_table.optimizer == "adamw") & (marin_table.hparam == "batch")]
    assert np.all(np.abs(np.log2(batch["ratio_to_best"])) <= 1)


def test_marin_muon_learning_rate_undershoots_the_1p2b_runs(marin_table) -> None:
    # Said plainly: lawfit's muon lr*(N, D), fitted on optima that are mostly bounds (edge optima of two-point
    # PhaseII sweeps), predicts 0.0016-0.0031 at 1.2B, while the best measured is 0.008 at 1x and 0.004 at 2-8x
    # (only 0.004 and 0.008 were tried): within one grid step at 2x, at its border (ratio 0.50) at 4x, beyond it at
    # 1x and 8x (8x has a single rate, so its "best" is no optimum). Marin's form predicts ~0.006.
    lr = marin_table[(marin_table.optimizer == "muon") & (marin_table.hparam == "lr")].set_index("C")
    assert abs(math.log2(lr.loc[2, "ratio_to_best"])) <= 1
    assert np.all(lr["ratio_to_best"] < 0.75) and abs(math.log2(lr.loc[1, "ratio_to_best"])) > 1
    # The loss of the 1.2B point nearest the prediction is within 0.2% of the best 1.2B loss at every C.
    assert np.all((lr["nearest_loss"] - lr["best_loss"]) / lr["best_loss"] < 0.002)


def test_marin_sweep_loads_with_its_columns_and_cells() -> None:
    sweep = hparams.load_sweep(
        MARIN / "sweep_lr_batch.csv",
        columns={"N": "N_nonembed", "D": "D_target_tokens"},
        cell_by=("optimizer", "N", "D"),
    )
    assert sweep.hparams == ("lr", "batch") and sweep.families == ("optimizer",)
    assert sweep.n_cells == 36  # 2 optimizers x (130m, 300m: 5 budgets; 520m, 1.2b: 4)
    assert any("batch_size_tokens" in note for note in sweep.notes)


def test_hparams_is_a_lawfit_subpackage() -> None:
    assert lawfit.hparams is hparams and "published" in hparams.__all__
    assert math.isclose(float(lawfit.hparams.published("step-law").batch(D=1e11)), 1.10771e6, rel_tol=2e-5)
