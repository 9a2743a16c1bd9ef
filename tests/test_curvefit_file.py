"""A CurveFit is a peer of Fit (issue 14): frozen with read-only parameters, saved as versioned JSON through the
same code as a Fit (schema ``lawfit.curve_fit``), read back field for field, its objective recorded and used by
``forecast``, and its options checked against its law."""

from __future__ import annotations

import dataclasses
import json
import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.signal import lfilter

import lawfit
from lawfit._files import lawfit_kind
from lawfit.cli import main
from lawfit.curves import Curve, CurveFit, annealing, fit_curves, forecast, load_curve_fit, schedule
from lawfit.curves import fit as curves_fit
from lawfit.curves.laws import multipower_fixed
from lawfit.objectives import Objective

LEGACY = Path(__file__).parent / "data" / "bad_fits" / "valid_curve.json"  # saved before the schema (version 1)
MPL = Path(__file__).parent / "data" / "mpl" / "csv_25"
SCHEDULE = "cosine:steps=2000,final=3e-5,warmup=100,peak=3e-4"


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


def _synthetic(lam: float = 0.999) -> Curve:
    """A cosine run that follows the annealing law with momentum ``lam``, plus a little structured noise."""
    lr = schedule("cosine", steps=4000, peak=1e-3, final=1e-4, warmup=200)
    steps = np.arange(300, 4001, 5)
    s2 = np.cumsum(lfilter([1.0], [1.0, -lam], np.r_[0, lr[:-1] - lr[1:]]))
    loss = 2.5 + 0.8 * np.cumsum(lr)[steps - 1] ** -0.5 - 0.3 * s2[steps - 1] + 0.002 * np.sin(steps / 90.0)
    return Curve("cos", lr, steps, loss)


def _awkward() -> CurveFit:
    """A curve fit whose every field is set, with floats that a careless writer would round."""
    rng = np.random.default_rng(3)
    params = {"L0": 0.1 + 0.2, "A": 1 / 3, "alpha": 2.0**-1074, "C": np.nextafter(2.0, 3.0)}
    draws = np.array([list(params.values())] * 3) * np.exp(rng.normal(0, 0.1, (3, 4)))
    draws[1, 2] = np.nan  # a draw that failed
    folds = {"cosine": 1 / 7, "wsd": np.inf}  # a fold that could not be scored
    rows = [
        {"law": law, "n_params": k, "loso_error": e, "folds": folds, "converged": k == 5, "chosen": k == 5}
        for law, k, e in (("multipower", 7, np.inf), ("multipower_fixed", 5, 0.1 / 3))
    ]
    return CurveFit(
        multipower_fixed(beta=0.61, gamma=0.7).fix(B=400 / 7),  # B held
        params,
        1 / 9,
        False,
        "did not converge: the best start reached the 200-step limit",
        ("cosine", "wsd"),
        123,
        objective_settings=Objective("mse-log", reduction="mean"),
        lawfit_version="0.0.9",
        draws=draws,
        selection=rows,
    )


def _same(a: CurveFit, b: CurveFit) -> None:
    """Every field of ``a`` and ``b`` equal: parameters and numbers bit for bit, draws NaN for NaN."""
    names = [f.name for f in dataclasses.fields(CurveFit)]
    assert names == [
        "law",
        "params",
        "objective",
        "converged",
        "message",
        "curves",
        "n_points",
        "objective_settings",
        "lawfit_version",
        "draws",
        "selection",
    ], "a new field: round-trip it here"
    assert (a.law.name, a.law.formula, dict(a.law.spec)) == (b.law.name, b.law.formula, dict(b.law.spec))
    assert list(a.params) == list(b.params)
    assert [_bits(v) for v in a.params.values()] == [_bits(v) for v in b.params.values()]
    assert _bits(a.objective) == _bits(b.objective)
    assert (a.converged, a.message, a.curves, a.n_points) == (b.converged, b.message, b.curves, b.n_points)
    assert a.objective_settings == b.objective_settings and a.lawfit_version == b.lawfit_version
    if a.draws is None:
        assert b.draws is None
    else:
        assert b.draws is not None and a.draws.tobytes() == b.draws.tobytes()
    assert (a.selection is None) == (b.selection is None)
    for row_a, row_b in zip(a.selection or (), b.selection or (), strict=True):
        assert {**row_a, "folds": dict(row_a["folds"])} == {**row_b, "folds": dict(row_b["folds"])}
        assert _bits(row_a["loso_error"]) == _bits(row_b["loso_error"])


def test_a_saved_curve_fit_round_trips_exactly(tmp_path: Path) -> None:
    f = _awkward()
    path = f.save(tmp_path / "curve.json")
    assert path == tmp_path / "curve.json"
    text = path.read_text()
    assert text.startswith('{\n  "schema": "lawfit.curve_fit",\n  "schema_version": 3,\n  "lawfit_version": "0.0.9"')
    assert lawfit_kind(path) == "curve_fit"
    again = load_curve_fit(path)
    _same(f, again)
    _same(f, CurveFit.from_dict(json.loads(text)))
    assert again.to_dict() == f.to_dict()
    assert again.save(path).read_text() == text  # saved over a curve fit without force; the same bytes
    assert json.loads(text)["objective_settings"] == {"name": "mse-log", "delta": 0.001, "reduction": "mean"}


def test_a_real_fit_records_its_objective_and_options(tmp_path: Path) -> None:
    curve = _synthetic(lam=0.99)
    f = fit_curves([curve], "annealing", objective="mse-log", lam=0.99)
    assert f.objective_settings == Objective("mse-log") and f.law.spec["lam"] == 0.99
    assert f.lawfit_version == lawfit.__version__
    assert "squared log residuals" in f.summary()
    again = load_curve_fit(f.save(tmp_path / "annealing.json"))
    _same(f, again)
    np.testing.assert_array_equal(again.predict(curve), f.predict(curve))


def test_a_newer_schema_is_refused_with_a_reason(tmp_path: Path, capsys) -> None:
    record = _awkward().to_dict()
    path = tmp_path / "future.json"
    path.write_text(json.dumps({**record, "schema_version": 4}))
    with pytest.raises(lawfit.FitFileError) as caught:
        load_curve_fit(path)
    message = str(caught.value)
    assert "schema version 4" in message and "upgrade lawfit" in message and str(path) in message
    assert main(["curve", "predict", str(path), "--schedule", SCHEDULE]) == 2
    assert capsys.readouterr().err == f"lawfit: error: {message}\n"
    with pytest.raises(lawfit.FitFileError, match="version 4, newer than this lawfit reads \\(3\\); upgrade lawfit"):
        CurveFit.from_dict({**record, "schema_version": 4})
    # Each kind says what the other one is, and how to read it.
    with pytest.raises(lawfit.FitFileError, match="is a loss-curve fit, not a fit of a law to runs"):
        lawfit.load_fit(_awkward().save(tmp_path / "curve.json"))


def test_a_file_saved_before_the_schema_still_loads() -> None:
    old = json.loads(LEGACY.read_text())
    assert "schema" not in old and old["lawfit_curve_fit"] == 1
    f = load_curve_fit(LEGACY)
    assert f.objective_settings == Objective("huber", delta=1e-3) and f.lawfit_version == old["lawfit_version"]
    assert f.law.spec["beta"] == 0.59 and f.params == old["params"] and f.selection is not None
    assert f.to_dict()["schema_version"] == 3
    # Its objective was saved in words: read back from them.
    described = {**old, "objective_name": Objective("huber", delta=0.01, reduction="mean").describe()}
    assert CurveFit.from_dict(described).objective_settings == Objective("huber", delta=0.01, reduction="mean")
    with pytest.raises(lawfit.FitFileError, match="Field 'objective_name'"):
        CurveFit.from_dict({**old, "objective_name": "absolute residuals"})


def _set(record: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    record = json.loads(json.dumps(record))
    *parents, last = path.split(".")
    node = record
    for key in parents:
        node = node[key]
    node[last] = value
    return record


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        ("schema_version", True, "Field 'schema_version'"),
        ("law.spec.builtin", "multipow", "Field 'law.spec.builtin'"),
        ("law.spec.beta", 7.0, "Field 'law.spec'"),
        ("objective_settings.delta", -1.0, "Field 'objective_settings.delta'"),
        ("objective_settings.name", "absolute", "Field 'objective_settings.name'"),
        ("draws", [[1.0, 2.0]], "Field 'draws[0]'"),
        ("params.L0", "nan", "Field 'params.L0'"),
        ("schema", "lawfit.curvefit", "field 'schema' must be 'lawfit.curve_fit'"),
    ],
)
def test_a_damaged_field_of_the_new_format_is_named(tmp_path: Path, path: str, value: Any, needle: str) -> None:
    damaged = tmp_path / "damaged.json"
    damaged.write_text(json.dumps(_set(_awkward().to_dict(), path, value)))
    with pytest.raises(lawfit.FitFileError) as caught:
        load_curve_fit(damaged)
    assert needle in str(caught.value) and str(damaged) in str(caught.value)


def test_parameters_draws_and_selection_are_read_only(tmp_path: Path) -> None:
    for f in (_awkward(), load_curve_fit(_awkward().save(tmp_path / "curve.json"))):
        with pytest.raises(TypeError):
            f.params["L0"] = 1.0  # type: ignore[index]
        with pytest.raises(ValueError, match="read-only"):
            f.draws[0, 0] = 1.0  # type: ignore[index]
        with pytest.raises(TypeError):
            f.selection[0]["folds"]["wsd"] = 0.0  # type: ignore[index]
        with pytest.raises(dataclasses.FrozenInstanceError):
            f.params = {}  # type: ignore[misc]
        assert isinstance(f.curves, tuple)
    with pytest.raises(lawfit.LawfitError, match=r"must be L0, A, alpha, C\. Got L0"):
        CurveFit(annealing(), {"L0": 2.5}, 0.0, True, "given", ("a",), 1)


def test_lam_for_a_law_without_it_is_refused(capsys) -> None:
    curves = [_synthetic()]
    with pytest.raises(
        lawfit.LawfitError, match=r"The multipower law takes no option 'lam' here \(its options: none\)"
    ):
        fit_curves(curves, "multipower", lam=0.99)
    with pytest.raises(lawfit.LawfitError, match=r"multipower_fixed law .*\(its options: beta, gamma\)"):
        fit_curves(curves, "multipower_fixed", lam=0.99)
    with pytest.raises(lawfit.LawfitError, match=r"annealing law .*its options: lam\); set it when making the law"):
        fit_curves(curves, annealing(), lam=0.99)  # a made law is not silently changed
    with pytest.raises(lawfit.LawfitError, match="no candidate of law='auto' takes it"):
        fit_curves([*curves, dataclasses.replace(curves[0], name="cos2")], "auto", lam=0.99, candidates=["multipower"])
    argv = ["curve", "fit", str(MPL / "cosine_24000.csv"), "--law", "multipower", "--lam", "0.9"]
    argv += ["--schedule", "cosine_24000=cosine:steps=24000,final=3e-5,warmup=2160,peak=3e-4"]
    assert main(argv) == 2
    assert "The multipower law takes no option 'lam'" in capsys.readouterr().err


def test_forecast_fits_refits_and_backtests_with_one_objective(monkeypatch) -> None:
    seen: list[Objective] = []
    polish, fit = curves_fit.polish_batch, curves_fit._fit

    def polish_batch(law: Any, objective: Objective, *args: Any) -> Any:
        seen.append(objective)
        return polish(law, objective, *args)

    def fit_(law: Any, objective: Objective, *args: Any) -> Any:
        seen.append(objective)
        return fit(law, objective, *args)

    monkeypatch.setattr(curves_fit, "polish_batch", polish_batch)
    monkeypatch.setattr(curves_fit, "_fit", fit_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lawfit.LawfitWarning)
        result = forecast(_synthetic(), fraction=0.6, n_resamples=8, backtests=3, objective="huber", delta=0.01)
    assert result.fit.objective_settings == Objective("huber", delta=0.01)
    assert len(seen) == 3 and set(seen) == {Objective("huber", delta=0.01)}  # the fit, the bootstrap, the back-tests
