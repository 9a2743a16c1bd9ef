"""A fast start: the verbs that only read a saved fit, and ``--help`` and ``--version``, import neither JAX nor pandas.

Each check runs in a fresh interpreter (a subprocess), since this test process has long imported both.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import lawfit

# Runs the CLI's main() on argv, then prints (on the last line) its status and which heavy libraries it imported.
_PROBE = """
import json, sys
from lawfit.cli import main
status = main(sys.argv[1:])
sys.stdout.flush()
print(json.dumps({"status": status, "loaded": sorted(m for m in ("jax", "pandas", "scipy") if m in sys.modules)}))
"""


def _probe(*argv: str, cwd: Path) -> tuple[int, list[str], str]:
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", _PROBE, *argv], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    *lines, last = out.stdout.rstrip("\n").split("\n")
    report = json.loads(last)
    return report["status"], report["loaded"], "\n".join(lines)


@pytest.fixture(scope="module")
def fit_files(tmp_path_factory, chinchilla_fit, chinchilla_240) -> Path:
    """A saved chinchilla fit with bootstrap draws, and the same as a formula law (same parameters)."""
    folder = tmp_path_factory.mktemp("startup")
    drawn = lawfit.bootstrap(chinchilla_fit, chinchilla_240, n_resamples=50)  # the batch size of other tests: shared
    drawn.save(folder / "fit.json")
    record = json.loads((folder / "fit.json").read_text())
    formula = "E + A/N**alpha + B/D**beta"
    record["law"] = {"name": "formula", "formula": formula, "spec": {"formula": formula}}
    (folder / "formula.json").write_text(json.dumps(record))
    return folder


VERBS = {
    "help": ["--help"],
    "version": ["--version"],
    "predict": ["predict", "fit.json", "N=70e9", "D=1.4e12"],
    "predict law interval": ["predict", "fit.json", "N=70e9,1e9", "D=1.4e12", "--of", "law", "--json"],
    "predict formula": ["predict", "formula.json", "N=70e9", "D=1.4e12", "--of", "law"],
    "optimal": ["optimal", "fit.json", "--compute", "1e21,1e22"],
    "optimal formula": ["optimal", "formula.json", "--compute", "1e21"],
    "target": ["target", "fit.json", "--target-loss", "2.0"],
    "inference": ["inference", "fit.json", "--target-loss", "2.0", "--inference-tokens", "1e12"],
    "datasets": ["datasets"],
}


@pytest.mark.parametrize("verb", list(VERBS))
def test_verbs_on_a_saved_fit_import_neither_jax_nor_pandas(verb: str, fit_files: Path) -> None:
    status, loaded, output = _probe(*VERBS[verb], cwd=fit_files)
    assert status == 0 and output.strip()
    assert loaded == []


# Verbs on fits without bootstrap draws: the plain fit of `lawfit fit --law NAME`, and the calibrated one of
# `lawfit fit` (law auto), whose forecast interval predict prints.
LIGHT_VERBS = {
    "predict": ["predict", "plain.json", "N=70e9", "D=1.4e12"],
    "optimal": ["optimal", "plain.json", "--compute", "1e21,1e22"],
    "target": ["target", "plain.json", "--target-loss", "2.0"],
    "inference": ["inference", "plain.json", "--target-loss", "2.0", "--inference-tokens", "1e12"],
    "predict calibrated": ["predict", "calibrated.json", "N=70e9", "D=1.4e12", "--json"],
}


@pytest.fixture(scope="module")
def light_files(tmp_path_factory, chinchilla_fit, chinchilla_240) -> Path:
    folder = tmp_path_factory.mktemp("light")
    assert chinchilla_fit.bootstrap is None and chinchilla_fit.calibration is None
    chinchilla_fit.save(folder / "plain.json")
    calibrated = lawfit.calibrate(chinchilla_fit, chinchilla_240)
    assert calibrated.calibration.calibrated
    calibrated.save(folder / "calibrated.json")
    return folder


@pytest.mark.parametrize("verb", list(LIGHT_VERBS))
def test_verbs_on_a_fit_without_draws_skip_the_search_and_the_bootstrap(verb: str, light_files: Path) -> None:
    """On a fit without draws, the verbs that read it evaluate the law (and a forecast interval from the saved
    calibration): lawfit's search, its selection, the runs' reader and the bootstrap (and hashlib, for the compile
    cache's keys) stay unimported, and the calibration's module unless the fit has one; each costs start-up time
    that bench_cli's ratios count."""
    heavy = ["lawfit.search", "lawfit.select", "lawfit.data", "lawfit.uncertainty", "hashlib"]
    if "calibrated.json" not in LIGHT_VERBS[verb]:
        heavy.append("lawfit.calibration")
    probe = (
        "import sys\nfrom lawfit.cli import main\n"
        f"status = main({LIGHT_VERBS[verb]!r})\n"
        f"print(status, sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=light_files, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    *lines, last = out.stdout.rstrip("\n").split("\n")
    assert last == "0 []"
    if verb == "predict calibrated":
        assert json.loads("\n".join(lines))["of"] == "forecast"


def test_predictions_without_jax_equal_the_fitted_law(fit_files: Path, chinchilla_fit) -> None:
    """The numpy path of the CLI gives the loss the fit gives in this process (where JAX is loaded)."""
    _, loaded, output = _probe("predict", "fit.json", "N=70e9,1e9", "D=1.4e12,2e10", "--json", cwd=fit_files)
    assert loaded == []
    expected = lawfit.load_fit(fit_files / "fit.json").predict(N=[70e9, 1e9], D=[1.4e12, 2e10])
    assert json.loads(output)["loss"] == pytest.approx(list(expected), rel=1e-12)
    assert json.loads(output)["loss"] == pytest.approx(list(chinchilla_fit.predict(N=[70e9, 1e9], D=[1.4e12, 2e10])))


def test_version(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from lawfit.cli import main; sys.exit(main())", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (out.returncode, out.stdout, out.stderr) == (0, f"lawfit {lawfit.__version__}\n", "")
    assert lawfit.__version__.count(".") == 2


def test_import_lawfit_is_light_and_the_api_resolves_on_use(tmp_path: Path) -> None:
    script = """
import sys
import lawfit
light = not any(m in sys.modules for m in ("jax", "pandas", "lawfit.fit", "lawfit.curves"))
import lawfit.fit, lawfit.chain, lawfit.plan.isoflop, lawfit.plan.suggest
from lawfit.plan import isoflop, suggest
names = [lawfit.fit, lawfit.chain, isoflop, suggest]
print(light, all(callable(f) and type(f).__name__ == "function" for f in names), "jax" in sys.modules)
print(sorted(set(dir(lawfit)) & set(lawfit.__all__)) == sorted(lawfit.__all__))
lawfit.Fit, lawfit.curves.fit_curves, lawfit.plan.compute_optimal
"""
    out = subprocess.run([sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "False", "True"]


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        lawfit.nope  # noqa: B018
    assert not hasattr(lawfit.plan, "nope")
