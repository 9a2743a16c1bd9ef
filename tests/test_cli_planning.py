"""The planning verbs of the `lawfit` command: optimal, target, inference, isoflop, suggest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lawfit
from lawfit.cli import main

LLAMA3 = Path(__file__).parent / "data" / "llama3_isoflops_points.csv"  # see tests/data/PROVENANCE.md
LLAMA3_COLS = ["--col", "C=compute_budget", "--col", "D=training_tokens", "--col", "loss=validation_loss"]


@pytest.fixture(scope="module")
def saved_fit(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("plan") / "chinchilla.json"
    runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    lawfit.fit(runs, "chinchilla", n_resamples=300, seed=0).save(path)
    return str(path)


def _json(argv: list[str], capsys) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_optimal_gives_the_frontier_with_intervals(saved_fit: str, capsys) -> None:
    record = _json(["optimal", saved_fit, "--compute", "1e21,1e24"], capsys)
    assert record["C"] == [1e21, 1e24]
    # Besiroglu et al.'s refit: N* exponent beta/(alpha+beta) = 0.513; N*(1e21) = 2.79e9 on the 240 runs.
    assert record["N_exponent"][0] == pytest.approx(0.513, abs=0.01)
    assert record["N"][0] == pytest.approx(2.79e9, rel=0.01)
    interval = record["intervals"]["N"]
    assert interval["low"][1] < record["N"][1] == interval["value"][1] < interval["high"][1]
    assert main(["optimal", saved_fit, "--compute", "1e24"]) == 0
    table = capsys.readouterr().out
    assert "N* exponent" in table and "90% bootstrap percentile intervals over 300 draws" in table


def test_target_inverts_optimal(saved_fit: str, capsys) -> None:
    record = _json(["target", saved_fit, "--target-loss", "2.0"], capsys)
    assert record["loss"] == [pytest.approx(2.0, abs=1e-9)]
    back = _json(["optimal", saved_fit, "--compute", repr(record["C"][0])], capsys)
    assert back["loss"][0] == pytest.approx(2.0, abs=1e-9)
    assert main(["target", saved_fit, "--target-loss", "1.5"]) == 2
    assert "out of reach" in capsys.readouterr().err


def test_inference_prefers_a_smaller_model(saved_fit: str, capsys) -> None:
    record = _json(["inference", saved_fit, "--target-loss", "2.1", "--inference-tokens", "1e13"], capsys)
    assert record["N"] < record["compute_optimal"]["N"] and record["saving"] > 0.2


def test_isoflop_json_has_tokens_params_and_optima(capsys) -> None:
    record = _json(["isoflop", str(LLAMA3), *LLAMA3_COLS, "--x", "D", "--compute", "3.8e25"], capsys)
    # The Llama 3 paper: D* = 0.29 * C^0.53; 16.55T tokens at 3.8e25 FLOPs.
    assert record["tokens"]["exponent"] == pytest.approx(0.537, abs=0.02)
    assert record["tokens"]["coefficient"] == pytest.approx(0.299, abs=0.05)
    assert record["params"]["exponent"] == pytest.approx(1 - record["tokens"]["exponent"], abs=1e-9)
    assert len(record["optima"]) == 10 and all(row["used"] for row in record["optima"])
    assert record["optimal"]["D"][0] == pytest.approx(1.6e13, rel=0.05)


def test_isoflop_table_with_bootstrap(capsys) -> None:
    argv = ["isoflop", str(LLAMA3), *LLAMA3_COLS, "--x", "D", "--bootstrap", "200", "--compute", "3.8e25"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "parabola in log D: 10 budgets, 10 used" in out and "exponent 90% interval" in out
    assert "at C = 3.8e+25: N* = " in out and "D* = 1.61e+13 [" in out


def test_suggest_lists_runs_with_reasons(saved_fit: str, capsys) -> None:
    record = _json(["suggest", saved_fit, "--compute", "1e24", "--runs", "3", "--spend", "1e21"], capsys)
    runs = record["runs"]
    assert len(runs) == 3 and sum(run["C"] for run in runs) <= 1e21 * (1 + 1e-9)
    assert all(run["reason"].startswith("cuts the sd by") for run in runs)
    assert runs[-1]["sd_after"] < record["sd_before"]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["optimal", "{fit}", "--compute", "lots"], "Expected a number or a comma list of numbers. Got 'lots'"),
        (["optimal", "{fit}", "--compute=-1e21"], "must be positive"),
        (["suggest", "{fit}", "--compute", "1e24", "--spend", "0"], "--spend must be a positive number"),
        (["optimal", "missing.json", "--compute", "1e21"], "missing.json"),
        (["isoflop", str(LLAMA3), *LLAMA3_COLS, "--rtol=-1"], "rtol must be a number in [0, 1)"),
    ],
)
def test_planning_errors_are_one_line(argv: list[str], needle: str, saved_fit: str, capsys) -> None:
    assert main([arg.replace("{fit}", saved_fit) for arg in argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_suggest_needs_bootstrap_draws(tmp_path: Path, capsys) -> None:
    path = tmp_path / "plain.json"
    lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla").save(path)
    assert main(["suggest", str(path), "--compute", "1e24", "--spend", "1e21"]) == 2
    err = capsys.readouterr().err
    assert "needs a fit with bootstrap draws: lawfit fit ... --bootstrap 1000 -o FIT.json" in err
