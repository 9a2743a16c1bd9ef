"""Loss -> downstream chains: composition, the joint bootstrap carrying the loss uncertainty, real Pythia data."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lawfit

PYTHIA = Path(__file__).parent / "data" / "pythia_zero_shot_evals.csv"  # see tests/data/PROVENANCE.md
TASKS = ["arc_easy", "arc_challenge", "piqa", "sciq", "winogrande"]


def _synthetic(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = np.repeat(np.logspace(7, 9, 6), 5)
    d = np.tile(np.logspace(9, 11, 5), 6)
    loss = (1.8 + 400 / n**0.34 + 400 / d**0.28) * np.exp(0.005 * rng.standard_normal(30))
    error = 0.75 - 2.0 * np.exp(-1.2 * loss) + 0.003 * rng.standard_normal(30)
    return {"N": n, "D": d, "loss": loss, "error": error}


@pytest.fixture(scope="module")
def synthetic_chain() -> lawfit.Chain:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lawfit.LawfitWarning)
        return lawfit.chain(_synthetic(), "chinchilla", n_resamples=300, seed=1, metric_options={"objective": "mse"})


def test_chain_prediction_is_the_composition_of_the_two_fits(synthetic_chain: lawfit.Chain) -> None:
    loss, error = synthetic_chain.predict(N=3e9, D=6e10)
    assert loss == pytest.approx(float(synthetic_chain.loss_fit.predict(N=3e9, D=6e10)), rel=1e-12)
    assert error == pytest.approx(float(synthetic_chain.metric_fit.predict(loss=loss)), rel=1e-12)
    truth_loss = 1.8 + 400 / 3e9**0.34 + 400 / 6e10**0.28
    assert loss == pytest.approx(truth_loss, rel=0.01)
    assert error == pytest.approx(0.75 - 2.0 * np.exp(-1.2 * truth_loss), abs=0.01)


def test_joint_bootstrap_pairs_the_same_resamples(synthetic_chain: lawfit.Chain) -> None:
    assert synthetic_chain.joint and synthetic_chain.metric == "error"
    a, b = synthetic_chain.loss_fit.bootstrap, synthetic_chain.metric_fit.bootstrap
    assert a.seed == b.seed and a.n_resamples == b.n_resamples == 300


def test_loss_uncertainty_is_carried_into_the_metric(synthetic_chain: lawfit.Chain) -> None:
    # The error interval of the chain must be wider than that of the metric law alone at the point loss.
    c = synthetic_chain
    loss, error = c.predict(N=3e9, D=6e10)
    bands = c.predict_interval(0.9, N=3e9, D=6e10)
    low, high = bands["error"]
    assert low < error < high and bands["loss"][0] < loss < bands["loss"][1]
    alone_low, alone_high = c.metric_fit.predict_interval(0.9, loss=loss)
    assert high - low > 1.2 * (alone_high - alone_low)


def test_chain_on_pythia_predicts_the_12b_error_from_models_up_to_1_4b() -> None:
    # Real data: the five-task average zero-shot error of Pythia, with log LAMBADA perplexity as the loss (the
    # repository has no validation loss). Fitted on the 70M-1.4B checkpoints from step 13000 on, the chain
    # predicts the final 12B checkpoint (8.4x the largest N). Measured: loss 1.469 (truth 1.367), error 0.370
    # (truth 0.336).
    table = pd.read_csv(PYTHIA)
    table["loss"] = np.log(table["lambada_openai/ppl"])
    table["error"] = 1.0 - table[[f"{t}/acc" for t in TASKS]].mean(axis=1)
    table = table[table["step"] >= 13000]
    small = table[table["N_params"] < 2e9]
    target = table[(table["N_params"] > 1e10) & (table["step"] == 143000)].iloc[0]
    data = {
        "N": small["N_params"].to_numpy(float),
        "D": small["tokens"].to_numpy(float),
        "loss": small["loss"].to_numpy(),
        "error": small["error"].to_numpy(),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lawfit.LawfitWarning)
        c = lawfit.chain(data, "chinchilla", n_resamples=200, metric_options={"objective": "mse"})
    loss, error = c.predict(N=float(target["N_params"]), D=float(target["tokens"]))
    assert loss == pytest.approx(target["loss"], rel=0.1)
    assert error == pytest.approx(target["error"], abs=0.05)
    # And far better than assuming the error stays at the 1.4B model's.
    last_small = small[small["N_params"] == small["N_params"].max()].sort_values("step")["error"].iloc[-1]
    assert abs(error - target["error"]) < 0.6 * abs(last_small - target["error"])


def test_chain_refuses_a_metric_law_that_does_not_take_the_loss(synthetic_chain) -> None:
    with pytest.raises(lawfit.LawfitError, match="must take the loss as its only input"):
        lawfit.Chain(synthetic_chain.loss_fit, synthetic_chain.loss_fit)
    with pytest.raises(lawfit.LawfitError, match="'n_resamples' parameter of chain must be an integer >= 2"):
        lawfit.chain(_synthetic(), n_resamples=0)
    with pytest.raises(lawfit.LawfitError, match="cannot set 'seed'"):
        lawfit.chain(_synthetic(), n_resamples=10, loss_options={"seed": 3})
    no_draws = lawfit.Chain(synthetic_chain.loss_fit, lawfit.fit(_synthetic(), "downstream", objective="mse"))
    with pytest.raises(lawfit.LawfitError, match="metric fit of this chain has no bootstrap draws"):
        no_draws.predict_interval(N=1e9, D=1e10)
