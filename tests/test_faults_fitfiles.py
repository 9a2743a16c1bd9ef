"""Damaged and hand-edited fit files, loaded fits that did not converge, intervals where no draw is finite, and the
compile cache's trust (issue 12).

Every damaged file in ``tests/data/bad_fits`` (made from ``valid.json`` and ``valid_curve.json`` there by
:func:`write_corpus`; run ``python tests/test_faults_fitfiles.py`` to make them again) must give one
:class:`lawfit.FitFileError` naming the file and the damaged field, from Python and from the command line (exit 2,
one line on stderr, no traceback).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lawfit
from lawfit import search as search_module
from lawfit.cli import main
from lawfit.curves import CurveFit, load_curve_fit
from lawfit.curves.laws import multipower_fixed

CORPUS = Path(__file__).parent / "data" / "bad_fits"
VALID = CORPUS / "valid.json"
VALID_CURVE = CORPUS / "valid_curve.json"
SCHEDULE = "cosine:steps=2000,final=3e-5,warmup=100,peak=3e-4"


# ---------------------------------------------------------------------------------------------------------------
# The corpus: how each damaged file is made, and what its error must name.


def _edit(change: Callable[[dict[str, Any]], Any]) -> Callable[[str], str]:
    """A damage made on the parsed record, written back as JSON."""

    def damage(text: str) -> str:
        record = json.loads(text)
        change(record)
        return json.dumps(record, indent=1)

    return damage


def _set(path: str, value: Any) -> Callable[[str], str]:
    """Set the field at ``path`` (dots and [i] as in the error messages) to ``value``; ``...`` deletes it."""

    def change(record: dict[str, Any]) -> None:
        *parents, last = path.replace("[", ".").replace("]", "").split(".")
        node: Any = record
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        key: Any = int(last) if isinstance(node, list) else last
        if value is ...:
            del node[key]
        else:
            node[key] = value

    return _edit(change)


def _rename_params(record: dict[str, Any]) -> None:
    record["params"] = {name.lower(): value for name, value in record["params"].items()}


def _nest(depth: int) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        deep: Any = 1
        for _ in range(depth):
            deep = [deep]
        record["runs_summary"]["notes"] = deep

    return change


# name -> (damage done to valid.json's text, what the error message must name)
FIT_DAMAGE: dict[str, tuple[Callable[[str], str | bytes], str]] = {
    "empty.json": (lambda text: "", "is empty"),
    "truncated.json": (lambda text: text[: len(text) // 2], "not valid JSON"),
    "binary_garbage.json": (lambda text: bytes(range(256)) * 8, "not UTF-8 text (byte 0x80 at offset 128)"),
    "bom.json": (lambda text: b"\xef\xbb\xbf" + text.encode(), "byte-order mark"),
    "utf16.json": (lambda text: text.encode("utf-16"), "UTF-16"),
    "latin1_message.json": (
        lambda text: text.replace('"converged in', '"conv\u00e9rged in').encode("latin-1"),
        "not UTF-8 text (byte 0xe9",
    ),
    "list_top_level.json": (lambda text: f"[{text}]", "JSON list at the top"),
    "long_integer.json": (lambda text: text.replace('"n_points": 25', '"n_points": ' + "9" * 5000), "not valid JSON"),
    "nested_40_deep.json": (_edit(_nest(40)), "deeper than 32 levels"),
    "not_a_fit.json": (lambda text: '{"hello": "world"}', "field 'schema' must be 'lawfit.fit'"),
    "newer_version.json": (_set("schema_version", 3), "upgrade lawfit"),
    "version_zero.json": (_set("schema_version", 0), "Field 'schema_version'"),
    "version_true.json": (_set("schema_version", True), "Field 'schema_version'"),
    "missing_law.json": (_set("law", ...), "Field 'law' of"),
    "unknown_law.json": (_set("law.spec.builtin", "chinchila"), "Field 'law.spec.builtin'"),
    "formula_refused.json": (_set("law.spec", {"formula": "E + __import__('os')"}), "Field 'law.spec'"),
    "nan_param.json": (_set("params.alpha", "nan"), "Field 'params.alpha'"),
    "infinity_param.json": (
        lambda text: re.sub(r'"alpha": [^,\s]+', '"alpha": Infinity', text, count=1),
        "Field 'params.alpha'",
    ),
    "string_param.json": (_set("params.beta", "0.3"), "Field 'params.beta'"),
    "missing_param.json": (_set("params.E", ...), "Field 'params.E'"),
    "renamed_params.json": (_edit(_rename_params), "Field 'params.e'"),
    "negative_n_points.json": (_set("n_points", -25), "Field 'n_points'"),
    "converged_string.json": (_set("converged", "yes"), "Field 'converged'"),
    "objective_negative.json": (_set("objective", -1.0), "Field 'objective'"),
    "objective_delta_negative.json": (_set("objective_settings.delta", -0.001), "Field 'objective_settings.delta'"),
    "objective_name_unknown.json": (_set("objective_settings.name", "absolute"), "Field 'objective_settings.name'"),
    "ranges_reversed.json": (_set("runs_summary.ranges.N", [1e9, 1e7]), "Field 'runs_summary.ranges.N'"),
    "draws_too_narrow.json": (_edit(lambda r: [d.pop() for d in r["bootstrap"]["draws"]]), "'bootstrap.draws[0]'"),
    "draws_too_few.json": (_edit(lambda r: r["bootstrap"]["draws"].pop()), "Field 'bootstrap.draws'"),
    "draws_nested.json": (_set("bootstrap.draws[1][2]", [1.0]), "Field 'bootstrap.draws[1][2]'"),
    "draws_flags_short.json": (_edit(lambda r: r["bootstrap"]["converged"].pop()), "Field 'bootstrap.converged'"),
    "bootstrap_seed_negative.json": (_set("bootstrap.seed", -1), "Field 'bootstrap.seed'"),
    "calibration_error_short.json": (_edit(lambda r: r["calibration"]["error"].pop()), "'calibration.error'"),
    "calibration_cut_index.json": (_set("calibration.cut_index[0]", 99), "Field 'calibration.cut_index[0]'"),
    "calibration_top_nan.json": (_set("calibration.top", "nan"), "Field 'calibration.top'"),
    "calibration_by_unknown.json": (_set("calibration.by", "U"), "Field 'calibration.by'"),
    "diagnostics_not_list.json": (_set("diagnostics", {"kind": "ConvergenceWarning"}), "Field 'diagnostics'"),
    "selection_bad_row.json": (_set("selection", [1]), "Field 'selection[0]'"),
}

CURVE_DAMAGE: dict[str, tuple[Callable[[str], str | bytes], str]] = {
    "curve_truncated.json": (lambda text: text[:100], "not valid JSON"),
    "curve_newer_version.json": (_set("lawfit_curve_fit", 2), "upgrade lawfit"),
    "curve_not_a_curve_fit.json": (lambda text: VALID.read_text(), "not a loss-curve fit"),
    "curve_unknown_law.json": (_set("spec.builtin", "multipow"), "Field 'spec.builtin'"),
    "curve_held_out_of_range.json": (_set("spec.beta", 7.0), "Field 'spec'"),
    "curve_nan_param.json": (_set("params.L0", "nan"), "Field 'params.L0'"),
    "curve_extra_param.json": (_set("params.beta", 0.5), "Field 'params.beta'"),
    "curve_curves_not_strings.json": (_set("curves", [1, 2]), "Field 'curves[0]'"),
    "curve_selection_folds.json": (_set("selection[1].folds", {"other": 0.01}), "Field 'selection[1].folds'"),
}


def _valid_fit() -> lawfit.Fit:
    """A small real fit: chinchilla on 25 synthetic runs, with 4 bootstrap draws and a calibration."""
    rng = np.random.default_rng(0)
    n = np.repeat([1e7, 3e7, 1e8, 3e8, 1e9], 5)
    d = n * np.tile([5.0, 10.0, 20.0, 40.0, 80.0], 5)
    loss = (1.7 + 400 * n**-0.34 + 410 * d**-0.28) * np.exp(rng.normal(0, 0.01, n.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lawfit.fit({"N": n, "D": d, "loss": loss}, "chinchilla", n_resamples=4, seed=0)


def _valid_curve_fit() -> CurveFit:
    """A curve fit as fit_curves(..., "auto") saves one: the multi-power law with beta, gamma held, and its table."""
    params = {"L0": 2.8, "A": 0.5, "alpha": 0.5, "B": 400.0, "C": 2.0}
    folds = {"cosine": 0.004, "wsd": 0.006}
    rows = [
        {"law": law, "n_params": k, "loso_error": e, "folds": folds, "converged": True, "chosen": k == 5}
        for law, k, e in (("multipower", 7, 0.006), ("multipower_fixed", 5, 0.005))
    ]
    return CurveFit(multipower_fixed(), params, 1e-4, True, "converged", ("cosine", "wsd"), 200, selection=rows)


def write_corpus() -> None:
    """Write the damaged files from the valid ones (made first if missing)."""
    if not VALID.exists():
        _valid_fit().save(VALID)
    if not VALID_CURVE.exists():
        _valid_curve_fit().save(VALID_CURVE)
    for base, table in ((VALID, FIT_DAMAGE), (VALID_CURVE, CURVE_DAMAGE)):
        text = base.read_text()
        for name, (damage, _) in table.items():
            made = damage(text)
            (CORPUS / name).write_bytes(made if isinstance(made, bytes) else made.encode())


def test_the_corpus_is_complete_and_the_valid_files_load() -> None:
    stored = {p.name for p in CORPUS.glob("*.json")} - {VALID.name, VALID_CURVE.name}
    assert stored == set(FIT_DAMAGE) | set(CURVE_DAMAGE), "run `python tests/test_faults_fitfiles.py`"
    f = lawfit.load_fit(VALID)
    assert f.converged and f.bootstrap is not None and f.calibration is not None and f.calibration.calibrated
    assert np.isfinite(f.predict(N=1e9, D=2e10))
    assert load_curve_fit(VALID_CURVE).selection[1]["chosen"] is True


@pytest.mark.parametrize("name", sorted(FIT_DAMAGE))
def test_a_damaged_fit_file_is_one_error_naming_the_field(name: str, capsys) -> None:
    path = CORPUS / name
    needle = FIT_DAMAGE[name][1]
    with pytest.raises(lawfit.FitFileError) as caught:
        lawfit.load_fit(path)
    message = str(caught.value)
    assert needle in message and str(path) in message and "\n" not in message
    assert main(["predict", str(path), "N=1e9", "D=2e10"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"lawfit: error: {message}\n"


@pytest.mark.parametrize("name", sorted(CURVE_DAMAGE))
def test_a_damaged_curve_fit_file_is_one_error_naming_the_field(name: str, capsys) -> None:
    path = CORPUS / name
    needle = CURVE_DAMAGE[name][1]
    with pytest.raises(lawfit.FitFileError) as caught:
        load_curve_fit(path)
    message = str(caught.value)
    assert needle in message and str(path) in message and "\n" not in message
    assert main(["curve", "predict", str(path), "--schedule", SCHEDULE]) == 2
    assert capsys.readouterr().err == f"lawfit: error: {message}\n"


def test_nesting_100k_deep_and_files_over_64_mb_are_refused(tmp_path: Path, capsys) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(lawfit.FitFileError, match="nests JSON deeper than 32 levels"):
        lawfit.load_fit(deep)
    deep_object = tmp_path / "deep_object.json"
    deep_object.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    with pytest.raises(lawfit.FitFileError, match="nests JSON deeper"):
        load_curve_fit(deep_object)
    big = tmp_path / "big.json"
    with open(big, "wb") as file:
        file.truncate(65 * 2**20)  # sparse: refused by its size, before a byte is read
    with pytest.raises(lawfit.FitFileError, match=r"is 65\.0 MB; lawfit reads files up to 64\.0 MB"):
        lawfit.load_fit(big)
    assert main(["predict", str(big), "N=1e9", "D=2e10"]) == 2
    assert "64.0 MB" in capsys.readouterr().err
    with pytest.raises(lawfit.FitFileError, match="Cannot read the fit file"):
        lawfit.load_fit(tmp_path)  # a folder


def test_from_dict_names_the_field_without_a_file() -> None:
    record = json.loads(VALID.read_text())
    record["bootstrap"]["draws"][2] = [1.0, 2.0]
    with pytest.raises(lawfit.FitFileError, match=r"Field 'bootstrap\.draws\[2\]' of the saved fit must be a list"):
        lawfit.Fit.from_dict(record)
    with pytest.raises(lawfit.FitFileError, match="is 'x', not an object"):
        lawfit.Fit.from_dict("x")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------------
# A loaded fit that did not converge says so whenever it predicts.


def _unconverged(tmp_path: Path) -> Path:
    record = json.loads(VALID.read_text())
    record["converged"] = False
    record["message"] = "did not converge: the best start reached the 2000-step limit with gradient norm 0.3"
    path = tmp_path / "unconverged.json"
    path.write_text(json.dumps(record))
    return path


def test_a_loaded_fit_that_did_not_converge_warns_when_it_predicts(tmp_path: Path, capsys) -> None:
    path = _unconverged(tmp_path)
    f = lawfit.load_fit(path)
    expected = "did not converge: the best start reached the 2000-step limit .*fit the runs again"
    with pytest.warns(lawfit.ConvergenceWarning, match=expected) as w:
        f.predict(N=1e9, D=2e10)
    assert str(path) in str(w[0].message) and w[0].filename == __file__
    with pytest.warns(lawfit.ConvergenceWarning):
        f.predict_interval(N=1e9, D=2e10, of="law")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lawfit.load_fit(VALID).predict(N=1e9, D=2e10)  # a converged fit says nothing
    assert main(["predict", str(path), "N=1e9", "D=2e10"]) == 0
    err = capsys.readouterr().err
    assert err.count("lawfit: warning: ConvergenceWarning: ") == 1 and "2000-step limit" in err, err


# ---------------------------------------------------------------------------------------------------------------
# An interval where no bootstrap draw is finite is NaN, with a warning: not an IndexError.


def test_interval_where_no_draw_is_finite_is_nan_with_a_warning(tmp_path: Path, capsys) -> None:
    law = lawfit.formula_law("E + A*log(N)**-alpha")  # infinite at N = 1 for every draw
    rng = np.random.default_rng(0)
    truth = np.array([1.9, 8.0, 0.5])
    draws = truth * np.exp(rng.normal(0, 0.05, (8, 3)))
    f = lawfit.Fit(
        law=law,
        params=dict(zip(law.param_names, truth, strict=True)),
        objective=1e-4,
        n_points=12,
        converged=True,
        message="converged",
        runs_summary={"ranges": {"N": [1e6, 1e9], "loss": [2.2, 2.6]}},
        bootstrap=lawfit.Bootstrap(draws, np.ones(8, dtype=bool), 0, "run", rng.normal(0, 0.01, 12)),
    )
    assert f.predict(N=1.0) == np.inf
    for of in ("law", "run"):
        with pytest.warns(lawfit.LawfitWarning, match="No bootstrap draw is finite at 1 of 1 point"):
            low, high = f.predict_interval(N=1.0, of=of)
        assert np.isnan(low) and np.isnan(high)
    with pytest.warns(lawfit.LawfitWarning, match="at 1 of 2 point"):
        low, high = f.predict_interval(N=np.array([1.0, 1e8]), of="law")
    assert np.isnan(low[0]) and low[1] < f.predict(N=1e8) < high[1]
    path = f.save(tmp_path / "log.json")
    assert main(["predict", str(path), "N=1", "--json"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and json.loads(captured.out)["intervals"]["loss"]["low"] == [None]
    assert "No bootstrap draw is finite at 1 of 1 point" in captured.err  # the CLI passes the note on


# ---------------------------------------------------------------------------------------------------------------
# The compile cache: private folders only, and entries checked against their hashes.

_PROBE = (
    "import warnings; warnings.simplefilter('always'); import lawfit._jax as j; "
    "print(j.jax.config.jax_compilation_cache_dir, j.cache_folder('searches'))"
)


def _python(code: str, cache: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAWFIT_CACHE_DIR": str(cache)}
    env.pop("LAWFIT_NO_DISK_CACHE", None)
    return subprocess.run([sys.executable, *extra, "-c", code], capture_output=True, text=True, env=env, check=True)


def test_a_cache_folder_writable_by_others_is_not_used(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o777)
    out = _python(_PROBE, cache)
    assert out.stdout.split() == ["None", "None"]  # neither JAX's cache nor lawfit's
    assert out.stderr.count("CacheWarning") == 1 and "is writable by group and others (mode 0777)" in out.stderr
    assert "chmod go-w" in out.stderr
    assert sorted(p.name for p in cache.iterdir()) == []  # nothing created in it
    env = {**os.environ, "LAWFIT_CACHE_DIR": str(cache)}
    lawfit_command = str(Path(sys.executable).parent / "lawfit")
    # predict runs in numpy: it never opens the cache, so it has nothing to say about it.
    run = subprocess.run(
        [lawfit_command, "predict", str(VALID), "N=1e9", "D=2e10"], capture_output=True, text=True, env=env
    )
    assert run.returncode == 0 and run.stderr == "", run.stderr
    # fit compiles a search: it would use the cache, and says once why it does not.
    run = subprocess.run(
        [lawfit_command, "fit", "--dataset", "chinchilla", "--law", "power(x=N)", "-q"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if "CacheWarning" in line]
    assert len(lines) == 1 and lines[0].startswith("lawfit: warning: CacheWarning: lawfit does not use its disk cache")
    assert sorted(p.name for p in cache.iterdir()) == []


def test_a_cache_folder_of_another_user_is_not_used(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    code = f"import os; os.getuid = lambda: {os.getuid() + 4242}; " + _PROBE  # as if another user owned it
    out = _python(code, cache)
    assert out.stdout.split() == ["None", "None"]
    assert out.stderr.count("CacheWarning") == 1 and "belongs to another user" in out.stderr


def test_a_private_cache_folder_is_made_private_and_used(tmp_path: Path) -> None:
    cache = tmp_path / "new" / "cache"
    out = _python(_PROBE, cache)
    assert out.stdout.split() == [str(cache / "jax"), str(cache / "searches")] and out.stderr == ""
    for folder in (cache, cache / "jax", cache / "searches"):
        assert folder.stat().st_mode & 0o777 == 0o700


def test_damaged_jax_cache_entries_leak_no_warnings(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    code = "import lawfit._jax as j; print(float((j.jnp.sin(j.jnp.arange(3.0)) * 2).sum()))"
    first = _python(code, cache, "-W", "always")
    entries = list((cache / "jax").iterdir())
    assert entries and first.stderr == ""
    for entry in entries:
        entry.write_bytes(b"damaged")  # JAX would warn: Error reading persistent compilation cache entry
    (cache / "jax").chmod(0o500)  # and could not write (when not root)
    try:
        again = _python(code, cache, "-W", "always")
    finally:
        (cache / "jax").chmod(0o700)
    assert again.stdout == first.stdout and again.stderr == ""


def test_a_tampered_export_entry_is_traced_again(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LAWFIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(search_module, "_COMPILED", {})
    n = np.logspace(6, 9, 12)
    runs = {"N": n, "loss": 2.0 + 300 * n**-0.3}
    first = lawfit.fit(runs, "power", x="N", objective="mse-log")
    entries = sorted((tmp_path / "cache" / "searches").glob("*.jaxexport"))
    assert entries and all(search_module._load_exported(e) is not None for e in entries)
    blob = bytearray(entries[0].read_bytes())
    blob[-10] ^= 0xFF  # a flipped byte in the program
    entries[0].write_bytes(bytes(blob))
    assert search_module._load_exported(entries[0]) is None
    monkeypatch.setattr(search_module, "_COMPILED", {})
    traced = []
    original = search_module._save_exported
    monkeypatch.setattr(search_module, "_save_exported", lambda p, e: (traced.append(p), original(p, e)))
    again = lawfit.fit(runs, "power", x="N", objective="mse-log")
    assert traced == [entries[0]] and again.params == first.params
    assert search_module._load_exported(entries[0]) is not None  # overwritten with a whole entry
    # An entry under another key's name is refused too.
    other = entries[0].with_name("0" * 64 + ".jaxexport")
    other.write_bytes(entries[0].read_bytes())
    assert search_module._load_exported(other) is None


if __name__ == "__main__":
    write_corpus()
