"""The downstream-error law (Gadre et al. 2024): recovery, a fit on Pythia's evaluations, options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lawfit
from lawfit._jax import jnp

PYTHIA = Path(__file__).parent / "data" / "pythia_zero_shot_evals.csv"
# LAMBADA accuracy is left out: it is scored on the same tokens as the loss that stands in for the model's loss.
TASKS = ("arc_easy", "arc_challenge", "piqa", "sciq", "winogrande")
# Chance-level top-1 error of each task: 4 choices for ARC and SciQ, 2 for PIQA and Winogrande.
CHANCE_ERROR = np.mean([0.75, 0.75, 0.5, 0.75, 0.5])
TRUTH = {"eps": 0.72, "k": 1.9, "gamma": 0.85}


@pytest.mark.parametrize("loss", ["mse-log", "mse"])
def test_noiseless_data_recovers_the_parameters(loss: str) -> None:
    law = lawfit.get_law("downstream")
    losses = np.linspace(1.5, 6.0, 30)
    # Runs need a size column; the downstream law reads only the loss.
    data = {"N": np.full(30, 1e9), "loss": losses, "error": law.predict(TRUTH, loss=losses)}
    f = lawfit.fit(data, law, objective=loss)
    assert f.converged, f.message
    for name, value in TRUTH.items():
        assert f.params[name] == pytest.approx(value, rel=1e-6), name


def test_fit_on_pythia_average_error_against_lambada_loss() -> None:
    # All 189 zero-shot checkpoints of 7 Pythia sizes; log LAMBADA perplexity stands in for the loss (the
    # repository has no validation loss; tests/data/PROVENANCE.md). Gadre et al. fit by least squares: objective="mse".
    table = pd.read_csv(PYTHIA)
    data = {
        "N": table["N_params"].to_numpy(float),
        "loss": np.log(table["lambada_openai/ppl"].to_numpy()),
        "error": 1.0 - table[[f"{t}/acc" for t in TASKS]].mean(axis=1).to_numpy(),
    }
    f = lawfit.fit(data, "downstream", objective="mse", target="error")
    assert f.converged, f.message
    grid = np.linspace(data["loss"].min(), data["loss"].max(), 200)
    curve = f.predict(loss=grid)
    assert np.all(np.diff(curve) > 0)  # lower loss, lower error
    # Untrained checkpoints sit at chance: the ceiling eps must be near chance-level error.
    assert f.params["eps"] == pytest.approx(CHANCE_ERROR, abs=0.03)
    prediction = f.predict(loss=data["loss"])
    r2 = 1 - np.sum((data["error"] - prediction) ** 2) / np.sum((data["error"] - data["error"].mean()) ** 2)
    assert r2 > 0.98


def test_log_fn_is_the_log_of_fn() -> None:
    law = lawfit.get_law("downstream")
    params = {k: jnp.asarray(v) for k, v in TRUTH.items()}
    losses = {"loss": jnp.asarray(np.linspace(1.5, 20.0, 40))}
    np.testing.assert_allclose(law.log_fn(params, losses), np.log(law.fn(params, losses)), rtol=1e-12)


def test_target_option_names_the_predicted_column(tmp_path: Path) -> None:
    law = lawfit.get_law("downstream", target="avg_err")
    assert (law.inputs, law.target) == (("loss",), "avg_err")
    assert law.spec == {"builtin": "downstream", "target": "avg_err"}
    losses = np.linspace(2.0, 5.0, 8)
    data = {"N": np.full(8, 1e9), "loss": losses, "avg_err": law.predict(TRUTH, loss=losses)}
    f = lawfit.fit(data, law, objective="mse")
    loaded = lawfit.load_fit(f.save(tmp_path / "downstream.json"))
    assert loaded.law.target == "avg_err"
    assert loaded.predict(loss=3.0) == pytest.approx(f.predict(loss=3.0), rel=1e-12)


@pytest.mark.parametrize("bad", ["loss", "avg err", 3])
def test_bad_target_is_refused(bad: object) -> None:
    with pytest.raises(lawfit.LawfitError, match="The 'target' option of downstream must be a column name"):
        lawfit.get_law("downstream", target=bad)
