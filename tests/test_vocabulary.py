"""One vocabulary in the Python API (issue 14, item 5): the words of the command (README, "The command's
vocabulary"). Each old public name still works for one release with a DeprecationWarning that names the new one and
points at the caller; the new names do not warn; an old name given with its new one is one clear error. Fits saved
before the renaming (fit schema version 1, curve fit schema version 2) still load.
"""

from __future__ import annotations

import inspect
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lawfit
from lawfit import calibration, curves, plan, validate
from lawfit.cli import main
from lawfit.curves import CurveFit, annealing
from lawfit.objectives import Objective
from lawfit.report import write_report, write_sweep_report
from lawfit.report.gather import gather as gather_report
from lawfit.report.gather_sweep import gather_critical_batch, gather_sweep
from lawfit.search import SearchOptions

DATA = Path(__file__).parent / "data"
FIT_SCHEMA_1 = DATA / "fit_schema_1.json"  # tests/data/bad_fits/valid.json as lawfit 0.1.0 saved it (PROVENANCE.md)

# Every renamed keyword: function -> {old: new}. The function's signature has the new names and not the old ones.
RENAMED = {
    lawfit.fit: {"loss": "objective", "bootstrap": "n_resamples"},
    lawfit.backtest: {"n_bootstrap": "n_resamples", "bootstrap": "n_resamples", "loss": "objective"},
    lawfit.compare: {"loss": "objective"},
    lawfit.bootstrap: {"by": "resample", "options": "search_options"},
    lawfit.chain: {"bootstrap": "n_resamples"},
    plan.isoflop: {"n_bootstrap": "n_resamples"},
    plan.compute_for_loss: {"loss": "target_loss"},
    plan.inference_optimal: {"loss": "target_loss"},
    curves.fit_curves: {"loss": "objective"},
    curves.forecast: {"bootstrap": "n_resamples", "loss": "objective"},
    calibration.nested_backtests: {"options": "search_options"},
    calibration.nested_backtests_batch: {"options": "search_options"},
    write_report: {"loss": "objective", "bootstrap": "n_resamples"},
    gather_report: {"loss": "objective", "bootstrap": "n_resamples"},
    write_sweep_report: {"bootstrap": "n_resamples"},
    gather_sweep: {"bootstrap": "n_resamples"},
    gather_critical_batch: {"bootstrap": "n_resamples"},
}


def _runs(seed: int = 0) -> dict[str, np.ndarray]:
    """Twelve runs of a power law in N with 1% noise: cheap to fit, back-test and bootstrap."""
    n = np.logspace(6, 9, 12)
    noise = np.exp(0.01 * np.random.default_rng(seed).standard_normal(n.size))
    return {"N": n, "loss": (2.0 + 300.0 * n**-0.3) * noise}


def _deprecations(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]


def _call(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    return result, caught


@pytest.fixture(scope="module")
def power_fit() -> lawfit.Fit:
    return lawfit.fit(_runs(), "power", x="N", objective="mse-log", n_resamples=20, seed=0)


@pytest.mark.parametrize("function", list(RENAMED), ids=lambda f: f.__qualname__)
def test_signatures_have_the_new_names_only(function: Any) -> None:
    parameters = inspect.signature(function).parameters
    passed_to_fit = inspect.signature(lawfit.fit).parameters if "fit_options" in parameters else {}
    for old, new in RENAMED[function].items():
        assert (new in parameters or new in passed_to_fit) and old not in parameters, (old, new)
    assert function.__deprecated_names__ == RENAMED[function]


@pytest.mark.parametrize("function", list(RENAMED), ids=lambda f: f.__qualname__)
def test_an_old_name_with_its_new_one_is_one_error(function: Any) -> None:
    old, new = next(iter(RENAMED[function].items()))
    name = function.__qualname__
    with pytest.raises(lawfit.LawfitError, match=rf"^Give '{new}' to {name}, not also its deprecated name '{old}'\.$"):
        function(None, **{old: 1, new: 1})


def test_fit_reads_loss_and_bootstrap_with_a_warning_at_the_caller(power_fit: lawfit.Fit) -> None:
    old, caught = _call(lawfit.fit, _runs(), "power", x="N", loss="mse-log", bootstrap=20, seed=0)
    assert _deprecations(caught) == [
        "The 'loss' parameter of fit is deprecated; use 'objective' (the old name works until the next release).",
        "The 'bootstrap' parameter of fit is deprecated; use 'n_resamples' (the old name works until the next "
        "release).",
    ]
    assert {w.filename for w in caught if issubclass(w.category, DeprecationWarning)} == {__file__}
    assert old.objective_settings == Objective("mse-log") == power_fit.objective_settings
    assert old.params == power_fit.params and old.bootstrap.draws.tobytes() == power_fit.bootstrap.draws.tobytes()


def test_new_names_do_not_warn(power_fit: lawfit.Fit) -> None:
    runs = _runs()
    calls = [
        (lawfit.fit, (runs, "power"), {"x": "N", "objective": Objective("mse-log"), "n_resamples": 0}),
        (lawfit.bootstrap, (power_fit, runs), {"n_resamples": 10, "resample": "run", "search_options": None}),
        (lawfit.backtest, (runs, "power"), {"x": "N", "by": "N", "holdout": 1, "objective": "mse-log"}),
        (power_fit.quantity_interval, (lambda p: p["alpha"],), {}),
    ]
    for function, args, kwargs in calls:
        _, caught = _call(function, *args, **kwargs)
        assert _deprecations(caught) == [], function
    _, caught = _call(lambda: (power_fit.objective_settings, power_fit.runs_summary, power_fit.search_report))
    assert _deprecations(caught) == []


def test_an_objective_given_as_an_objective_carries_its_own_settings() -> None:
    with pytest.raises(lawfit.LawfitError, match=r"carries its own delta; set delta on the Objective"):
        lawfit.fit(_runs(), "power", x="N", objective=Objective("huber"), delta=0.1)
    with pytest.raises(lawfit.LawfitError, match=r"'objective' parameter of fit must be one of huber, mse-log, mse"):
        lawfit.fit(_runs(), "power", x="N", objective="absolute")


_POWER = lawfit.laws.resolve_law("power", x="N")


def test_the_report_reads_bootstrap_and_loss_with_a_warning_and_refuses_both(tmp_path: Path) -> None:
    page, caught = _call(write_report, _runs(), _POWER, tmp_path / "old.html", bootstrap=0, loss="mse-log")
    assert _deprecations(caught) == [
        "The 'loss' parameter of write_report is deprecated; use 'objective' (the old name works until the next "
        "release).",
        "The 'bootstrap' parameter of write_report is deprecated; use 'n_resamples' (the old name works until the "
        "next release).",
    ]
    assert {w.filename for w in caught if issubclass(w.category, DeprecationWarning)} == {__file__}
    text = page.read_text(encoding="utf-8")
    assert Objective("mse-log").describe() in text and "need n_resamples &gt; 0" in text
    new, caught = _call(gather_report, _runs(), _POWER, n_resamples=0, objective=Objective("mse-log"))
    assert _deprecations(caught) == [] and new.section("fit").blocks[0].rows[2][1].startswith("squared log")
    for old, new_name, value in (("bootstrap", "n_resamples", 0), ("loss", "objective", "mse-log")):
        message = rf"^Give '{new_name}' to write_report, not also its deprecated name '{old}'\.$"
        with pytest.raises(lawfit.LawfitError, match=message):
            write_report(_runs(), _POWER, tmp_path / "both.html", **{old: value, new_name: value})
    assert not (tmp_path / "both.html").exists()


def test_bootstrap_reads_by_and_options(power_fit: lawfit.Fit) -> None:
    runs = _runs()
    new = lawfit.bootstrap(power_fit, runs, n_resamples=10, resample="run", search_options=SearchOptions())
    old, caught = _call(lawfit.bootstrap, power_fit, runs, n_resamples=10, by="run", options=SearchOptions())
    assert [m.split(";")[0] for m in _deprecations(caught)] == [
        "The 'by' parameter of bootstrap is deprecated",
        "The 'options' parameter of bootstrap is deprecated",
    ]
    assert old.bootstrap.draws.tobytes() == new.bootstrap.draws.tobytes() and old.bootstrap.resample == "run"


def test_backtest_reads_n_bootstrap_bootstrap_and_loss() -> None:
    runs = _runs()
    new = lawfit.backtest(runs, "power", x="N", by="N", holdout=1, n_resamples=10, objective="mse-log")
    for old_name in ("n_bootstrap", "bootstrap"):
        old, caught = _call(lawfit.backtest, runs, "power", x="N", by="N", holdout=1, loss="mse-log", **{old_name: 10})
        said = _deprecations(caught)
        assert f"The '{old_name}' parameter of backtest is deprecated; use 'n_resamples'" in said[0]
        assert "The 'loss' parameter of backtest is deprecated; use 'objective'" in said[1]
        assert old.table.equals(new.table) and old.coverage == new.coverage


def test_a_target_loss_keyword_reads_loss(power_fit: lawfit.Fit) -> None:
    f = lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla")
    new = plan.compute_for_loss(f, target_loss=2.0)
    old, caught = _call(plan.compute_for_loss, f, loss=2.0)
    assert _deprecations(caught)[0].startswith("The 'loss' parameter of compute_for_loss is deprecated; use 'target")
    assert old.C.tolist() == new.C.tolist() == plan.compute_for_loss(f, 2.0).C.tolist()  # positional: unaffected
    new_plan = plan.inference_optimal(f, target_loss=2.1, inference_tokens=1e12)
    old_plan, caught = _call(plan.inference_optimal, f, loss=2.1, inference_tokens=1e12)
    assert _deprecations(caught)[0].startswith("The 'loss' parameter of inference_optimal is deprecated")
    assert (old_plan.N, old_plan.D) == (new_plan.N, new_plan.D)


def test_isoflop_reads_n_bootstrap() -> None:
    c = np.repeat([1e18, 1e19, 1e20], 7)
    n = np.sqrt(c / 120) * np.tile(np.logspace(-0.6, 0.6, 7), 3)
    runs = {"C": c, "N": n, "loss": (1.69 + 406.4 / n**0.34 + 410.7 / (c / (6 * n)) ** 0.28) * (1 + 0.001 * np.sin(n))}
    new = plan.isoflop(runs, n_resamples=30, seed=1)
    old, caught = _call(plan.isoflop, runs, n_bootstrap=30, seed=1)
    assert _deprecations(caught)[0].startswith("The 'n_bootstrap' parameter of isoflop is deprecated")
    assert old.params.draws.tobytes() == new.params.draws.tobytes() and new.level == 0.9


def test_fit_attributes_have_new_names_and_old_ones_warn(power_fit: lawfit.Fit) -> None:
    for old, new in (("loss", "objective_settings"), ("data", "runs_summary"), ("search", "search_report")):
        value, caught = _call(getattr, power_fit, old)
        assert value == getattr(power_fit, new)
        assert _deprecations(caught) == [
            f"The '{old}' attribute of Fit is deprecated; use '{new}' (the old name works until the next release)."
        ]
        with pytest.raises(AttributeError):
            setattr(power_fit, old, None)  # read-only, like every field of a Fit
    quantity = lambda p: p["alpha"] * 2  # noqa: E731
    value, caught = _call(power_fit.interval, quantity)
    assert value == power_fit.quantity_interval(quantity, 0.9)
    assert _deprecations(caught)[0].startswith("The 'interval' method of Fit is deprecated; use 'quantity_interval'")
    assert lawfit.search.__name__ == "lawfit.search"  # the module, no longer shadowed by a Fit attribute of its name


def test_results_built_with_old_field_names_warn(power_fit: lawfit.Fit) -> None:
    kwargs = {name: getattr(power_fit, name) for name in ("law", "params", "objective", "n_points", "converged")}
    rebuilt, caught = _call(
        lawfit.Fit,
        **kwargs,
        message="m",
        loss=Objective("mse"),
        data={"source": "x"},
        search={"n_starts": 3},
    )
    assert len(_deprecations(caught)) == 3
    assert rebuilt.objective_settings == Objective("mse") and rebuilt.runs_summary["source"] == "x"
    assert rebuilt.search_report["n_starts"] == 3
    draws, caught = _call(lawfit.Bootstrap, np.ones((2, 3)), np.ones(2, dtype=bool), 0, by="group")
    assert draws.resample == "group" and len(_deprecations(caught)) == 1
    by, caught = _call(getattr, draws, "by")
    assert by == "group" and _deprecations(caught)[0].startswith("The 'by' attribute of Bootstrap is deprecated")
    params = {"L0": 2.5, "A": 0.8, "alpha": 0.5, "C": 0.3}
    curve_fit, caught = _call(CurveFit, annealing(), params, 0.0, True, "given", ("cos",), 0, loss=Objective("mse"))
    assert curve_fit.objective_settings == Objective("mse") and len(_deprecations(caught)) == 1
    value, caught = _call(getattr, curve_fit, "loss")
    assert value == Objective("mse") and _deprecations(caught)[0].startswith("The 'loss' attribute of CurveFit")


def test_the_default_level_is_0_9(power_fit: lawfit.Fit) -> None:
    """As the command's (README, "Why 0.9")."""
    for function in (
        lawfit.Fit.intervals,
        lawfit.Fit.predict_interval,
        lawfit.Fit.quantity_interval,
        lawfit.Fit.summary,
        lawfit.Chain.predict_interval,
        validate.backtest,
        plan.compute_optimal,
        plan.compute_for_loss,
        plan.inference_optimal,
        plan.isoflop,
        curves.forecast,
    ):
        assert inspect.signature(function).parameters["level"].default == 0.9, function
    assert power_fit.intervals() == power_fit.intervals(0.9) != power_fit.intervals(0.95)
    assert "90% interval" in power_fit.summary()


def test_a_fit_saved_in_schema_version_1_still_loads() -> None:
    """tests/data/fit_schema_1.json: saved by lawfit 0.1.0 with the keys loss, data, search and bootstrap.by."""
    saved = json.loads(FIT_SCHEMA_1.read_text())
    assert saved["schema_version"] == 1 and {"loss", "data", "search"} <= set(saved)
    f = lawfit.load_fit(FIT_SCHEMA_1)
    assert dict(f.params) == saved["params"] and f.objective_settings == Objective.from_dict(saved["loss"])
    assert f.runs_summary["ranges"] == saved["data"]["ranges"] and f.search_report == saved["search"]
    assert f.bootstrap is not None and f.bootstrap.resample == saved["bootstrap"]["by"] == "run"
    record = f.to_dict()  # written again in the new words
    assert record["schema_version"] == 2 and not {"loss", "data", "search"} & set(record)
    assert record["objective_settings"] == {"name": "huber", "delta": 0.001, "reduction": "sum"}
    assert record["bootstrap"]["resample"] == "run" and "by" not in record["bootstrap"]
    again = lawfit.Fit.from_dict(json.loads(json.dumps(record)))
    assert again.params == f.params and again.runs_summary == f.runs_summary and again.search_report == f.search_report
    with pytest.raises(lawfit.FitFileError, match=r"Field 'objective_settings' of the saved fit must be"):
        lawfit.Fit.from_dict({**record, "schema_version": 2, "objective_settings": None})
    with pytest.raises(lawfit.FitFileError, match=r"Field 'loss' of the saved fit must be"):
        lawfit.Fit.from_dict({**saved, "loss": None})


def test_a_curve_fit_in_schema_version_2_still_loads() -> None:
    params = {"L0": 2.5, "A": 0.8, "alpha": 0.5, "C": 0.3}
    f = CurveFit(annealing(), params, 0.0, True, "given", ("cos",), 0, Objective("mse-log", reduction="mean"))
    record = f.to_dict()
    assert record["schema_version"] == 3
    # Version 2 (lawfit 0.1.0) kept the objective under "loss", its name under "loss" too.
    settings = record.pop("objective_settings")
    old = {**record, "schema_version": 2, "loss": {"loss": settings.pop("name"), **settings}}
    assert CurveFit.from_dict(old).objective_settings == f.objective_settings
    assert CurveFit.from_dict(record | {"objective_settings": {"name": "mse-log"}}).objective_settings == Objective(
        "mse-log"
    )


def test_fit_json_is_the_saved_record(tmp_path: Path, capsys) -> None:
    path = tmp_path / "runs.csv"
    runs = _runs()
    rows = zip(runs["N"].tolist(), runs["loss"].tolist(), strict=True)
    path.write_text("N,loss\n" + "".join(f"{n!r},{y!r}\n" for n, y in rows))
    out = tmp_path / "fit.json"
    argv = ["fit", str(path), "--law", "power", "--x", "N", "--bootstrap", "20", "--json", "-o", str(out)]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out.split("\nsaved to")[0])
    saved = json.loads(out.read_text())
    assert set(saved) <= set(printed) and set(printed) - set(saved) == {"stderr", "intervals"}
    for key in ("schema", "schema_version", "law", "params", "objective", "objective_settings", "search_report"):
        assert printed[key] == saved[key], key
    assert printed["runs_summary"] == saved["runs_summary"] and printed["bootstrap"] == saved["bootstrap"]
    assert printed["intervals"]["alpha"]["level"] == 0.9


def test_library_messages_speak_python_and_the_command_translates(capsys) -> None:
    with pytest.raises(lawfit.LawfitError, match=r"The 'n_resamples' parameter of backtest must be 0"):
        lawfit.backtest(_runs(), "power", x="N", by="N", n_resamples=1)
    argv = ["backtest", "--dataset", "chinchilla", "--law", "chinchilla", "--bootstrap", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--bootstrap must be 0 (no bootstrap) or an integer >= 2" in err and "n_resamples" not in err
