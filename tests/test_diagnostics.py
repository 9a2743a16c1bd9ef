"""Diagnostics: typed warnings with their figures, in the fit, in the saved fit and on the command line."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import lawfit
from lawfit.cli import main
from lawfit.diagnostics import identifiability


def _quiet_fit(*args, **kwargs) -> lawfit.Fit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lawfit.LawfitWarning)
        return lawfit.fit(*args, **kwargs)


def test_parameter_at_a_bound_is_named() -> None:
    n = np.logspace(7, 10, 12)
    data = {"N": n, "loss": 1.8 + 400.0 * n**-0.32}
    law = lawfit.formula_law("E + A*N**-alpha", params={"E": {"upper": 1.5}})
    with pytest.warns(lawfit.BoundWarning, match="Parameters at a bound: E") as caught:
        f = lawfit.fit(data, law, objective="mse-log")
    assert caught[0].message.data == {"params": ["E"]}
    assert [type(w).__name__ for w in f.diagnostics] == ["BoundWarning"]


def test_a_product_of_two_parameters_is_flagged_as_not_identifiable() -> None:
    # A and B enter only as A*B: the objective is flat along A*B = const.
    n = np.logspace(7, 10, 12)
    data = {"N": n, "loss": 1.8 + 400.0 * n**-0.32}
    with pytest.warns(lawfit.IdentifiabilityWarning, match="flat along a direction of A, B") as caught:
        f = lawfit.fit(data, "E + A*B*N**-alpha", objective="mse-log")
    assert caught[0].message.data["flat"] == ["A", "B"]
    assert f.converged  # the fit itself is fine: only the split of A*B is unknown
    assert f.params["A"] * f.params["B"] == pytest.approx(400.0, rel=1e-6)


def test_well_posed_fit_has_no_diagnostics(chinchilla_fit) -> None:
    assert chinchilla_fit.diagnostics == ()


def test_correlated_draws_are_named_with_their_correlation() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=500)
    draws = np.column_stack([a, a + 1e-4 * rng.normal(size=500), rng.normal(size=500)])
    warning = identifiability(["p", "q", "r"], np.zeros(3, bool), draws=draws)
    assert warning is not None and [pair[:2] for pair in warning.data["pairs"]] == [["p", "q"]]
    assert warning.data["pairs"][0][2] > 0.9999
    assert identifiability(["p", "q", "r"], np.zeros(3, bool), draws=rng.normal(size=(500, 3))) is None


def test_extrapolation_warning_carries_its_figures(chinchilla_fit) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chinchilla_fit.predict(N=1e11, D=2e12)  # within 10x of the data: no warning
    with pytest.warns(lawfit.ExtrapolationWarning, match="beyond the 10x limit") as caught:
        chinchilla_fit.predict(N=1e13, D=2e13)
    data = caught[0].message.data
    assert data["input"] == "N" and data["value"] == 1e13 and data["limit"] == 10.0
    assert data["largest"] == pytest.approx(16.183e9, rel=1e-3)
    chinchilla_fit.predict(N=1e13, D=2e13, extrapolation_limit=1e4)  # a stated wider limit: silent


def test_tokens_per_parameter_outside_the_runs_span_warn(chinchilla_fit) -> None:
    """N and D each within 10x of the runs, but their ratio far outside the runs' D/N: the law was not fitted in
    that regime (the undertrained 1.1B model on 1e8 tokens of the datablations runs, D/N = 0.09, is such a case)."""
    low, high = chinchilla_fit.runs_summary["ranges"]["D/N"]
    n = 1e8  # N and D stay within 10x of the runs' largest
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chinchilla_fit.predict(N=n, D=n * high * 5)  # 5x the largest ratio: within the limit
        chinchilla_fit.predict(N=n, D=n * low / 5)
    with pytest.warns(lawfit.ExtrapolationWarning, match="times the largest of the runs") as caught:
        chinchilla_fit.predict(N=n, D=n * high * 20)
    data = caught[0].message.data
    assert data["input"] == "D/N" and data["largest"] == high and data["value"] == pytest.approx(20 * high)
    with pytest.warns(lawfit.ExtrapolationWarning, match="of the smallest of the runs") as caught:
        chinchilla_fit.predict(N=n, D=n * low / 20)
    data = caught[0].message.data
    assert data["input"] == "D/N" and data["smallest"] == low and data["value"] == pytest.approx(low / 20)


def test_diagnostics_survive_save_and_load(tmp_path) -> None:
    n = np.logspace(7, 10, 12)
    f = _quiet_fit({"N": n, "loss": 1.8 + 400.0 * n**-0.32}, "E + A*B*N**-alpha", objective="mse-log")
    loaded = lawfit.load_fit(f.save(tmp_path / "f.json"))
    assert [type(w) for w in loaded.diagnostics] == [lawfit.IdentifiabilityWarning]
    assert loaded.diagnostics[0].data == f.diagnostics[0].data
    assert str(loaded.diagnostics[0]) == str(f.diagnostics[0])


def test_cli_shows_diagnostics_in_the_table_the_json_and_on_stderr(tmp_path, capsys) -> None:
    n = np.logspace(7, 10, 12)
    path = tmp_path / "runs.csv"
    path.write_text("N,loss\n" + "".join(f"{a},{1.8 + 400.0 * a**-0.32}\n" for a in n))
    assert main(["fit", str(path), "--formula", "E + A*B*N**-alpha", "--loss", "mse-log"]) == 0
    out = capsys.readouterr()
    assert "warning    IdentifiabilityWarning: Weakly identified parameters" in out.out
    assert "lawfit: warning: IdentifiabilityWarning" in out.err and "Traceback" not in out.err
    assert main(["fit", str(path), "--formula", "E + A*B*N**-alpha", "--loss", "mse-log", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["diagnostics"][0]["kind"] == "IdentifiabilityWarning"
    assert record["diagnostics"][0]["data"]["flat"] == ["A", "B"]
