"""The `lawfit curve` verbs: fit (with test curves and a saved fit), predict, forecast, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lawfit.cli import main

MPL = Path(__file__).parent / "data" / "mpl" / "csv_25"  # see tests/data/mpl/PROVENANCE.md
W = "warmup=2160,peak=3e-4"
COSINE = f"cosine:steps=24000,final=3e-5,{W}"
CONSTANT = f"constant:steps=24000,{W}"
WSD = f"wsd:steps=24000,final=3e-5,decay_start=20000,decay=geometric,{W}"


def test_fit_annealing_scores_test_curves_and_saves(tmp_path: Path, capsys) -> None:
    out = tmp_path / "curve.json"
    argv = ["curve", "fit", str(MPL / "cosine_24000.csv"), str(MPL / "constant_24000.csv"), "--law", "annealing"]
    argv += ["--schedule", f"cosine_24000={COSINE}", "--schedule", f"constant_24000={CONSTANT}"]
    argv += ["--test", str(MPL / "wsd_20000_24000.csv"), "--schedule", f"wsd_20000_24000={WSD}", "-o", str(out)]
    assert main([*argv, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    # The team's reference fit (tests/data/mpl/PROVENANCE.md): L0 3.0672, A 0.4918, alpha 0.5743, C 0.4028.
    assert record["params"]["L0"] == pytest.approx(3.0672, abs=2e-3) and record["converged"] is True
    assert record["test"][0]["curve"] == "wsd_20000_24000" and record["test"][0]["mean_rel"] < 0.002
    assert main(["curve", "predict", str(out), "--schedule", WSD, "--at-step", "20000,24000", "--json"]) == 0
    predicted = json.loads(capsys.readouterr().out)
    assert predicted["step"] == [20000, 24000]  # a schedule of 24000 steps covers steps 1..24000
    assert predicted["loss"][1] < predicted["loss"][0] - 0.05  # the decay's drop in loss
    assert main(["curve", "predict", str(out), "--schedule", WSD]) == 0
    assert "24000" in capsys.readouterr().out


def test_forecast_from_the_first_half(capsys) -> None:
    argv = ["curve", "forecast", str(MPL / "cosine_72000.csv"), "--schedule", f"cosine:steps=72000,final=3e-5,{W}"]
    assert main([*argv, "--fraction", "0.5", "--bootstrap", "50", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["step"] == 72000 and record["observed_until"] == 36000
    assert record["loss"] == pytest.approx(3.2038, rel=0.01)  # the run's last logged loss
    interval = record["intervals"]["loss"]
    assert interval["low"] < record["loss"] == interval["value"] < interval["high"] and interval["level"] == 0.9


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["curve", "fit", str(MPL / "cosine_24000.csv"), "--schedule", "cosine:steps=24000"], "needs peak=..."),
        (["curve", "fit", str(MPL / "cosine_24000.csv"), "--schedule", "nope=cosine:steps=9,peak=1"], "not in the"),
        (["curve", "fit", "missing.csv"], "No such file"),
        (["curve", "predict", "missing.json", "--schedule", COSINE], "Cannot read the curve fit"),
        (["curve", "forecast", str(MPL / "wsdcon_3.csv"), "--until", "2200"], "a forecast needs at least 8"),
    ],
)
def test_curve_errors_are_one_line(argv: list[str], needle: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err
