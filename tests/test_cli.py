"""The `lawfit` command: tables, JSON, saved fits, predictions, and one-line errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lawfit
from lawfit.cli import main

LAWFIT = str(Path(sys.executable).parent / "lawfit")


def _bundled_240_csv(tmp_path: Path) -> Path:
    table = pd.read_csv(lawfit.datasets.path("chinchilla"))
    keep = table["loss"] < np.sort(table["loss"])[-5]  # Besiroglu et al.'s rule
    path = tmp_path / "chinchilla_240.csv"
    table[keep].to_csv(path, index=False)
    return path


def test_fit_json_from_the_shell_reproduces_approach3(tmp_path: Path) -> None:
    path = _bundled_240_csv(tmp_path)
    out = subprocess.run(
        [
            LAWFIT,
            "fit",
            str(path),
            "--law",
            "chinchilla",
            "--col",
            "N=Model Size",
            "--col",
            "C=Training FLOP",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
    )
    record = json.loads(out.stdout)
    assert set(record) >= {"law", "params", "objective", "n_points", "converged"}
    assert record["law"]["name"] == "chinchilla" and record["n_points"] == 240 and record["converged"] is True
    assert record["params"]["alpha"] == pytest.approx(0.3473, abs=1e-3)
    assert record["params"]["beta"] == pytest.approx(0.3672, abs=1e-3)
    assert record["params"]["E"] == pytest.approx(1.8172, abs=1e-3)
    assert record["objective"] <= 1.01830e-3


def test_fit_table_save_and_predict(tmp_path: Path, capsys) -> None:
    fit_path = tmp_path / "fit.json"
    assert (
        main(
            [
                "fit",
                "--dataset",
                "chinchilla",
                "--drop-highest-loss",
                "5",
                "--law",
                "chinchilla",
                "-o",
                str(fit_path),
            ]
        )
        == 0
    )
    table = capsys.readouterr().out
    assert "chinchilla" in table and "alpha" in table and "converged" in table
    assert "Derived D" in table  # tokens derived from C = 6ND, and the table says so
    assert main(["predict", str(fit_path), "N=7e10", "D=1.4e12,2.8e12", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    expected = lawfit.load_fit(fit_path).predict(N=7e10, D=np.array([1.4e12, 2.8e12]))
    assert record["loss"] == pytest.approx(expected.tolist(), rel=1e-12)
    assert main(["predict", str(fit_path), "N=7e10", "D=1.4e12"]) == 0
    assert f"{float(expected[0]):.6f}" in capsys.readouterr().out


def test_fit_with_formula_and_power_law(tmp_path: Path, capsys) -> None:
    n = np.logspace(6, 9, 10)
    pd.DataFrame({"params": n, "final_loss": 2.0 + 300 * n**-0.3}).to_csv(tmp_path / "runs.csv", index=False)
    assert (
        main(["fit", str(tmp_path / "runs.csv"), "--formula", "E + A*N**-alpha", "--objective", "mse-log", "--json"])
        == 0
    )
    record = json.loads(capsys.readouterr().out)
    assert record["params"]["alpha"] == pytest.approx(0.3, rel=1e-6)
    assert main(["fit", str(tmp_path / "runs.csv"), "--law", "power", "--x", "N", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["params"]["alpha"] == pytest.approx(0.3, rel=1e-6)


def test_demo_prints_the_table_and_writes_a_figure_and_a_report(tmp_path: Path, monkeypatch, capsys) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)  # the demo writes into ./lawfit-demo/, here a temporary folder
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "240 runs" in out and "alpha" in out and "Besiroglu" in out
    # The frontier row at Chinchilla's budget: about 73B parameters on 1.3T tokens under the refit.
    assert "5.76e+23     7.319e+10     1.312e+12" in out
    assert "figure     lawfit-demo/fit.png" in out and "report     lawfit-demo/report.html" in out
    assert (tmp_path / "lawfit-demo" / "fit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (tmp_path / "lawfit-demo" / "report.html").read_text(encoding="utf-8")
    assert "lawfit demo: Chinchilla Approach 3" in report and "1,000 resamples of runs (seed 0)" in report


def test_error_is_one_line_without_traceback_from_the_shell(tmp_path: Path) -> None:
    (tmp_path / "runs.csv").write_text("N,loss\n1e8,3.0\n-1e9,2.5\n1e10,2.2\n1e11,2.0\n")
    out = subprocess.run(
        [LAWFIT, "fit", str(tmp_path / "runs.csv"), "--law", "power", "--x", "N"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lawfit: error:") and "N" in lines[0]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["fit", "missing.csv", "--law", "chinchilla"], "missing.csv"),
        (["fit", "--dataset", "chinchilla", "--law", "chinchila"], "Unknown law"),
        (["fit", "--dataset", "nope", "--law", "chinchilla"], "Unknown bundled data set"),
        (["fit", "--dataset", "chinchilla", "--formula", "__import__('os')"], "__import__"),
        (["fit", "--dataset", "chinchilla", "--law", "chinchilla", "--col", "N"], "NAME=VALUE"),
        (["fit", "--dataset", "chinchilla", "--law", "chinchilla", "--delta", "-1"], "--delta must be"),
        (["predict", "nofit.json", "N=1e9"], "nofit.json"),
    ],
)
def test_errors_exit_2_with_one_line(argv: list[str], needle: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lawfit: error:") and needle in err[0]


CHINCHILLA_240 = ["--dataset", "chinchilla", "--drop-highest-loss", "5"]


def test_backtest_verb_prints_the_split_and_errors(capsys) -> None:
    assert main(["backtest", *CHINCHILLA_240, "--law", "chinchilla", "--holdout", "2", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["by"] == "C" and record["n_test"] + record["n_train"] == 240 and record["n_test"] >= 2
    assert 0 < record["median_abs_rel_error"] <= record["max_abs_rel_error"] < 0.1
    assert len(record["table"]) == record["n_test"]
    assert main(["backtest", *CHINCHILLA_240, "--law", "power(x=N)", "--by", "N", "--cut", "5e9"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("back-test  power(x=N) fitted on") and "with N >= 5e+09" in out


def test_compare_verb_ranks_laws_by_backtest_error(capsys) -> None:
    argv = ["compare", *CHINCHILLA_240, "--law", "chinchilla", "--law", "kaplan", "--formula", "E + A/N**a + B/D**a"]
    assert main([*argv, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    rows = record["rows"]
    assert [row["rank"] for row in rows] == [1, 2, 3]
    assert {row["law"] for row in rows} == {"chinchilla", "kaplan", "E + A/N**a + B/D**a"}
    errors = [row["median_abs_rel_error"] for row in rows]
    assert errors == sorted(errors)
    assert main(argv) == 0
    assert "median |err|" in capsys.readouterr().out
    assert main(["compare", *CHINCHILLA_240]) == 2
    assert "Name the laws to compare" in capsys.readouterr().err


def test_predict_prints_an_interval_when_the_fit_has_draws(tmp_path: Path, capsys) -> None:
    fit_path = tmp_path / "fit.json"
    assert main(["fit", *CHINCHILLA_240, "--law", "chinchilla", "--bootstrap", "50", "-o", str(fit_path)]) == 0
    capsys.readouterr()
    assert main(["predict", str(fit_path), "N=7e10", "D=1.4e12", "--level", "0.9", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    interval = record["intervals"]["loss"]
    assert interval["low"][0] < record["loss"][0] == interval["value"][0] < interval["high"][0]
    assert interval["level"] == 0.9
    assert main(["predict", str(fit_path), "N=1e13", "D=1e14"]) == 0
    out = capsys.readouterr()
    assert "90% low" in out.out
    assert "lawfit: warning: ExtrapolationWarning: Extrapolation: N = 1e+13" in out.err


def test_predict_says_which_interval_and_when_it_is_uncalibrated(tmp_path: Path, capsys) -> None:
    fit_path = tmp_path / "fit.json"
    assert main(["fit", *CHINCHILLA_240, "--law", "chinchilla", "--bootstrap", "50", "-o", str(fit_path)]) == 0
    capsys.readouterr()
    assert main(["predict", str(fit_path), "N=7e10", "D=1.4e12", "--level", "0.9", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["of"] == "forecast" and record["calibrated"] and record["intervals"]["loss"]["level"] == 0.9
    assert set(record) >= {"loss", "intervals", "of"} and set(record["intervals"]["loss"]) == {
        "value",
        "low",
        "high",
        "level",
    }
    assert main(["predict", str(fit_path), "N=7e10", "D=1.4e12", "--of", "law"]) == 0
    assert "interval of the law" in capsys.readouterr().out
    # Runs at three budgets cannot calibrate: the forecast falls back to the run interval, marked uncalibrated.
    n = np.concatenate([np.sqrt(c / 120.0) * np.logspace(-0.6, 0.6, 8) for c in (1e18, 1e19, 1e20)])
    d = np.repeat([1e18, 1e19, 1e20], 8) / (6.0 * n)
    loss = lawfit.get_law("chinchilla").predict(
        {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}, N=n, D=d
    )
    loss = loss * np.exp(0.005 * np.random.default_rng(0).standard_normal(n.size))
    pd.DataFrame({"N": n, "D": d, "loss": loss}).to_csv(tmp_path / "few.csv", index=False)
    few_fit = tmp_path / "few.json"
    argv = ["fit", str(tmp_path / "few.csv"), "--law", "chinchilla", "--bootstrap", "50", "-o", str(few_fit)]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["predict", str(few_fit), "N=1e10", "D=2e11", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["of"] == "run" and not record["calibrated"] and record["note"].startswith("uncalibrated:")


def test_fit_without_a_law_is_auto_and_says_what_it_chose(capsys) -> None:
    assert main(["fit", *CHINCHILLA_240, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    chosen = [row for row in record["selection"] if row["chosen"]]
    assert len(chosen) == 1 and chosen[0]["law"] == record["law"]["name"] and record["calibration"]["calibrated"]
    assert main(["fit", *CHINCHILLA_240, "--candidates", "chinchilla;E + A/N**alpha + B/D**alpha"]) == 0
    out = capsys.readouterr().out
    assert "auto       chose" in out and "E + A/N**alpha + B/D**alpha" in out
    assert main(["fit", *CHINCHILLA_240, "--law", "chinchilla", "--candidates", "power"]) == 2


@pytest.mark.parametrize(
    ("law", "needle"),
    [
        ("power(x=Q)", "power law's input must be"),
        ("power(x)", "options of --law power as NAME=VALUE"),
        ("a+b", "--formula"),
    ],
)
def test_bad_law_options_are_explained(law: str, needle: str, capsys) -> None:
    assert main(["fit", *CHINCHILLA_240, "--law", law]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
