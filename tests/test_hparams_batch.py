"""Critical batch size and steps to a loss (lawfit.hparams.batch, and the `lawfit batch` verb).

Reference values: Zhang et al. 2025, "How Does Critical Batch Size Scale in Pre-training?" (ICLR 2025,
arXiv:2410.21676), notebook ``plots/chinchilla.ipynb`` cell 5 of github.com/hlzhang109/critical-batch-size at commit
c5b509d8cf276bb40388172a08f9d6f644cf44dc; the table is tests/data/critical_batch_zhang2024/ (see its PROVENANCE.md).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lawfit.cli import main
from lawfit.errors import DataError, LawfitError
from lawfit.hparams.batch import BatchFit, BatchLaw, CriticalBatch, StepsToLoss, critical_batch

ZHANG = Path(__file__).parent / "data" / "critical_batch_zhang2024" / "cbs_chinchilla_steps_to_target.csv"

# Printed by the notebook's cell 5 (and in the data's PROVENANCE.md): model -> (S_min, E_min, CBS).
ZHANG_FITS = {
    "85M": (1293.8, 2.834e6, 745.3),
    "151M": (1752.4, 5.677e6, 955.2),
    "302M": (2095.3, 1.138e7, 1393.7),
    "604M": (2459.9, 1.945e7, 1888.5),
    "1.2B": (3897.3, 4.338e7, 2533.4),
}
ZHANG_LAW_LOG = (93.197, 0.4683)  # CBS = 93.197 M^0.4683, M = parameters in millions, least squares in log space
ZHANG_LAW_LINEAR = (99.51, 0.4576)  # the same in linear space


def _check_zhang_fits(fits: list[dict]) -> None:
    """Each model's S_min, E_min (4 significant digits) and CBS to the digits the notebook prints."""
    assert [f["model"] for f in fits] == list(ZHANG_FITS)
    for f in fits:
        s_min, e_min, cbs = ZHANG_FITS[f["model"]]
        assert round(f["S_min"], 1) == s_min
        assert float(f"{f['E_min']:.4g}") == e_min
        assert round(f["CBS"], 1) == cbs
        # McCandlish et al.'s B_crit is E_min / S_min of the same fit.
        assert f["B_crit"] == pytest.approx(f["E_min"] / f["S_min"], rel=1e-12)
        # Zhang's equation b - 5 a c + 5 a 1.2 256 = 0 (a = S_min, b = E_min, c = CBS) holds at the fitted values.
        a, b, c = f["S_min"], f["E_min"], f["CBS"]
        assert b - 5 * a * c + 5 * a * 1.2 * 256 == pytest.approx(0.0, abs=1e-6 * b)


def _check_zhang_law(law: dict) -> None:
    assert round(law["coefficient"], 3) == ZHANG_LAW_LOG[0]
    assert round(law["exponent"], 4) == ZHANG_LAW_LOG[1]
    assert round(law["coefficient_linear"], 2) == ZHANG_LAW_LINEAR[0]
    assert round(law["exponent_linear"], 4) == ZHANG_LAW_LINEAR[1]
    assert law["x"] == "N" and law["unit"] == 1e6


@pytest.fixture(scope="module")
def zhang() -> CriticalBatch:
    return critical_batch(ZHANG, n_resamples=300, seed=1)


def test_zhang_table_reproduced_through_the_api(zhang: CriticalBatch) -> None:
    _check_zhang_fits([f.to_dict() for f in zhang.fits])
    _check_zhang_law(zhang.laws["CBS"].to_dict())
    # N read from the nominal N_params column, the target from target_val_loss.
    assert [f.N for f in zhang.fits] == [85e6, 151e6, 302e6, 604e6, 1.2e9]
    assert [f.target_loss for f in zhang.fits] == [3.42, 3.24, 3.07, 2.92, 2.736]


def test_mccandlish_b_crit_from_the_published_table(zhang: CriticalBatch) -> None:
    # E_min / S_min of the published S_min and E_min: the fit's B_crit agrees within their rounding (E_min has 4
    # significant digits, up to 4.4e-4 relative for 1.138e7; S_min up to 4e-5).
    for f in zhang.fits:
        s_min, e_min, _ = ZHANG_FITS[f.model]
        assert f.B_crit == pytest.approx(e_min / s_min, rel=5e-4)
    # ... and its power law against N is steeper than CBS's (CBS = 307.2 + 0.2 B_crit is damped by the constant).
    assert zhang.laws["B_crit"].exponent > zhang.laws["CBS"].exponent + 0.1


def test_intervals_hold_the_estimates_and_widen_with_fewer_points(zhang: CriticalBatch) -> None:
    for f in zhang.fits:
        for name in ("S_min", "E_min", "B_crit", "CBS"):
            low, high = f.intervals[name]
            assert low < getattr(f, name) < high
    law = zhang.laws["CBS"]
    assert law.intervals["exponent"][0] < law.exponent < law.intervals["exponent"][1]
    # The percentiles are expanded for 9 points (Hesterberg 2015): wider than the plain 90% percentile interval.
    f = zhang.fits[0]
    plain = np.quantile(f.draws["S_min"][~np.isnan(f.draws["S_min"])], [0.05, 0.95])
    assert f.intervals["S_min"][0] < plain[0] and f.intervals["S_min"][1] > plain[1]


def test_tokens_column_with_seq_len_gives_the_same_fits() -> None:
    # tokens_to_target = steps x batch x 512 (PROVENANCE.md): steps recovered from tokens with --seq-len 512.
    table = pd.read_csv(ZHANG).drop(columns=["steps_to_target", "steps_to_target_wandb_query"])
    result = critical_batch(table, seq_len=512, n_resamples=0)
    _check_zhang_fits([f.to_dict() for f in result.fits])
    assert any("tokens to the target" in note for note in result.notes)


def test_log_space_law_is_lawfit_fit_of_a_power_law_with_mse_log(zhang: CriticalBatch) -> None:
    # The closed-form log-linear least squares is the same fit as lawfit.fit of the formula with the mse-log objective.
    import lawfit
    from lawfit.search import SearchOptions

    law = zhang.laws["CBS"]
    runs = lawfit.load_runs({"N": law.x_values, "loss": law.values})
    light = SearchOptions(n_explore=16, n_polish=2)  # two parameters: a light search finds it
    fit = lawfit.fit(runs, "a * (N / 1e6)**b", objective="mse-log", search_options=light)
    assert fit.params["a"] == pytest.approx(law.coefficient, rel=1e-8)
    assert fit.params["b"] == pytest.approx(law.exponent, rel=1e-8)


def test_runs_input_and_a_note_when_batches_look_like_tokens() -> None:
    import lawfit

    runs = lawfit.load_runs(_table().assign(batch=lambda t: t["batch"] * 512))
    result = critical_batch(runs, seq_len=512, n_resamples=0)
    assert [f.model for f in result.fits] == ["a", "b"]
    assert any("look like tokens rather than sequences" in note for note in result.notes)
    assert not any("look like tokens" in note for note in critical_batch(runs, n_resamples=0).notes)


def test_zhang_table_reproduced_through_the_cli(capsys) -> None:
    assert main(["batch", str(ZHANG), "--bootstrap", "200", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    _check_zhang_fits(record["fits"])
    _check_zhang_law(record["laws"]["CBS"])
    interval = record["fits"][0]["intervals"]["CBS"]
    assert set(interval) == {"value", "low", "high", "level"} and interval["level"] == 0.9
    assert record["non_finite"]["fits[0].D"] == "nan"  # the table has no D: null, named, strict JSON

    assert main(["batch", str(ZHANG), "--bootstrap", "0"]) == 0
    table = capsys.readouterr().out
    assert "CBS = 93.197 * (N / 1e+06)^0.4683" in table and "linear space: 99.506" in table
    assert "1293.8" in table and "745.32" in table


def test_cli_target_loss_and_steps_at_a_batch(capsys) -> None:
    argv = ["batch", str(ZHANG), "--target-loss", "3.42", "--seq-len", "512", "--bootstrap", "100"]
    assert main([*argv, "--at-batch", "1024", "--throughput", "2e6", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert [f["model"] for f in record["fits"]] == ["85M"] and record["laws"] == {}
    plan = record["at_batch"][0]
    s_min, e_min = record["fits"][0]["S_min"], record["fits"][0]["E_min"]
    assert plan["steps"] == [pytest.approx(s_min + e_min / 1024)]
    assert plan["tokens"] == [pytest.approx(plan["steps"][0] * 1024 * 512)]
    assert plan["seconds"] == [pytest.approx(plan["tokens"][0] / 2e6)]
    assert plan["intervals"]["steps"]["low"][0] < plan["steps"][0] < plan["intervals"]["steps"]["high"][0]


# ---------------------------------------------------------------------------------------------------------------
# Synthetic data: known S_min and E_min


def test_synthetic_intervals_cover_the_truth() -> None:
    # 100 replications of a sweep over 9 batch sizes (Zhang's design), steps with 5% log-normal noise, fitted at once
    # as 100 models. Each 90% interval should hold the truth in >= 80% of them (measured: about 86-92%).
    s_true, e_true, reps = 2000.0, 4e6, 100
    batch = 2.0 ** np.arange(5, 14)
    rng = np.random.default_rng(20250101)
    steps = (s_true + e_true / np.tile(batch, reps)) * np.exp(0.05 * rng.standard_normal(reps * batch.size))
    table = {
        "model": np.repeat([f"m{i}" for i in range(reps)], batch.size),
        "N": np.repeat(1e8 * (1 + np.arange(reps)), batch.size),
        "loss": 3.0,
        "batch": np.tile(batch, reps),
        "steps": steps,
    }
    result = critical_batch(table, n_resamples=200, seed=3)
    for name, truth in (("S_min", s_true), ("E_min", e_true), ("B_crit", e_true / s_true)):
        covered = np.mean([f.intervals[name][0] <= truth <= f.intervals[name][1] for f in result.fits])
        assert covered >= 0.8, (name, covered)
    # The estimates center on the truth.
    assert np.median([f.S_min for f in result.fits]) == pytest.approx(s_true, rel=0.05)
    assert np.median([f.E_min for f in result.fits]) == pytest.approx(e_true, rel=0.05)


def test_exact_hyperbola_and_power_law_in_the_loss() -> None:
    # Kaplan et al. 2020: B_crit(L) = B* / L^(1/alpha_B); with B* = 2e8 sequences-ish and 1/alpha_B = 4.8.
    losses = [3.5, 3.0, 2.6]
    batch = [32, 128, 512, 2048, 8192]
    rows = []
    for loss in losses:
        b_crit = 2e8 / loss**4.8
        s_min = 1000.0 * (3.5 / loss) ** 2
        rows += [{"loss": loss, "N": 1e8, "batch": b, "steps": s_min + s_min * b_crit / b} for b in batch]
    result = critical_batch(pd.DataFrame(rows), x="loss", n_resamples=0)
    assert [f.B_crit for f in result.fits] == pytest.approx([2e8 / loss**4.8 for loss in losses], rel=1e-8)
    law = result.laws["B_crit"]
    assert law.exponent == pytest.approx(-4.8, rel=1e-8) and law.coefficient == pytest.approx(2e8, rel=1e-7)
    assert law.formula.startswith("B_crit = 2e+08 * loss^-4.8000")
    assert law.predict(2.0) == pytest.approx(2e8 / 2.0**4.8, rel=1e-7)


def test_steps_tokens_and_wall_clock_to_reach_the_loss() -> None:
    fit = BatchFit.from_values(S_min=1000.0, E_min=1e6, model="m", target_loss=3.0)
    assert fit.B_crit == 1000.0 and fit.CBS == pytest.approx(1.2 * 256 + 0.2 * 1000.0)
    plan = fit.to_reach([500, 2000], seq_len=1024, throughput=lambda b: 1e5 * np.sqrt(b))
    assert plan.steps.tolist() == [3000.0, 1500.0]
    assert plan.tokens.tolist() == [3000.0 * 500 * 1024, 1500.0 * 2000 * 1024]
    assert plan.seconds == pytest.approx(plan.tokens / (1e5 * np.sqrt([500, 2000])))
    assert plan.intervals == {}  # no draws, no intervals
    no_clock = fit.to_reach(1000)
    assert no_clock.tokens.tolist() == [2e6] and math.isnan(no_clock.seconds[0])
    assert isinstance(plan, StepsToLoss) and "1500" in plan.summary()


def test_results_are_frozen_with_read_only_arrays(zhang: CriticalBatch) -> None:
    f = zhang.fits[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.S_min = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        f.steps[0] = 1.0
    with pytest.raises(TypeError):
        zhang.laws["CBS"] = None  # type: ignore[index]
    json.dumps(zhang.to_dict(), default=lambda v: None)  # JSON-ready apart from NaN
    assert isinstance(zhang.laws["CBS"], BatchLaw) and "CBS = 93.197" in zhang.summary()
    assert zhang.fit_for("302M").CBS == pytest.approx(1393.7, abs=0.05)
    with pytest.raises(LawfitError, match="no fit"):
        zhang.fit_for("7B")


# ---------------------------------------------------------------------------------------------------------------
# Bad input: one clear message each, in Python and on the command line


def _table(**changes) -> pd.DataFrame:
    batch = [64, 256, 1024, 4096]
    table = pd.DataFrame(
        {
            "model": ["a"] * 4 + ["b"] * 4,
            "N": [1e8] * 4 + [4e8] * 4,
            "loss": [3.0] * 8,
            "batch": batch * 2,
            "steps": [1000 + 1e6 / b for b in batch] + [2000 + 4e6 / b for b in batch],
        }
    )
    for column, (row, value) in changes.items():
        table[column] = table[column].astype(float)
        table.loc[row, column] = value
    return table


BAD = {
    "single batch size": (_table(batch=([4, 5, 6, 7], 64)), DataError, "single batch size"),
    "steps <= 0": (_table(steps=(2, -5.0)), DataError, "is <= 0"),
    "batch <= 0": (_table(batch=(1, 0.0)), DataError, "is <= 0"),
    "steps grow with batch": (
        _table(steps=([0, 1, 2, 3], [1000, 1500, 2200, 4000])),
        DataError,
        "do not fall as the batch grows",
    ),
    "missing batch column": (_table().drop(columns=["batch"]), DataError, "no batch column"),
    "missing steps column": (_table().drop(columns=["steps"]), DataError, "no steps column"),
    "missing target loss": (_table().drop(columns=["loss"]), DataError, "or give the one loss its steps reach"),
    "target not reached": (_table(steps=(6, np.nan)), DataError, "never reached the target loss"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_clear_message(case: str) -> None:
    table, error, needle = BAD[case]
    with pytest.raises(error, match=needle) as info:
        critical_batch(table, n_resamples=0)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_on_the_command_line(case: str, tmp_path: Path, capsys) -> None:
    table, _, needle = BAD[case]
    path = tmp_path / "steps.csv"
    table.to_csv(path, index=False)
    assert main(["batch", str(path), "--bootstrap", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lawfit: error:") and needle in err[0], err


def test_unreached_target_rows_dropped_on_request(capsys, tmp_path: Path) -> None:
    table = _table(steps=(6, np.nan))
    result = critical_batch(table, n_resamples=0, drop_bad=True)
    assert [f.batch.size for f in result.fits] == [4, 3]
    assert any("never reached the target loss" in note for note in result.notes)
    path = tmp_path / "steps.csv"
    table.to_csv(path, index=False)
    assert main(["batch", str(path), "--bootstrap", "0", "--drop-bad-rows"]) == 0
    assert "never reached" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--level", "1.5"], "--level must be a float in (0, 1)"),
        (["--seq-len", "0"], "--seq-len must be a number > 0"),
        (["--x", "D"], "--x names 'D', which the table lacks"),
        (["--col", "batch=nope"], "Cannot map batch to column 'nope'"),
        (["--col", "lr=batch_size_seqs"], "must map the names batch, steps, tokens, model"),
        (["--target-loss", "9"], "targets are 2.736, 2.92, 3.07, 3.24, 3.42"),
        (["--throughput", "1e6"], "give --at-batch"),
        (["--bootstrap", "1"], "--bootstrap must be 0 (no bootstrap) or an integer >= 2"),
    ],
)
def test_bad_options_one_line(argv: list[str], needle: str, capsys) -> None:
    assert main(["batch", str(ZHANG), "--bootstrap", "0", *argv]) == 2  # a later --bootstrap wins
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lawfit: error:") and needle in err[0], err


def test_bad_parameters_in_python() -> None:
    for bad in (-1, 1, 2.5):
        with pytest.raises(LawfitError, match=r"The 'n_resamples' parameter of critical_batch must be 0 \(no boot"):
            critical_batch(_table(), n_resamples=bad)
    with pytest.raises(
        LawfitError, match=re.escape("The 'throughput' parameter of BatchFit.to_reach must be a number > 0")
    ):
        BatchFit.from_values(S_min=1.0, E_min=1.0).to_reach(10, throughput=-1.0)
    with pytest.raises(LawfitError, match=re.escape("The 'batch' parameter of BatchFit.steps_at must be a number > 0")):
        BatchFit.from_values(S_min=1.0, E_min=1.0).steps_at(0)


def test_columns_mapped_or_found_by_alias_and_their_problems_in_one_error() -> None:
    table = _table().rename(columns={"batch": "B (seqs)", "steps": "optimizer_steps", "model": "arch"})
    mapped = critical_batch(table, columns={"batch": "B (seqs)"}, n_resamples=0)
    assert [f.model for f in mapped.fits] == ["a", "b"]
    assert "Read steps from column 'optimizer_steps'." in mapped.notes
    assert "Read model from column 'arch'." in mapped.notes
    # A bad batch, a bad step and a bad N are refused together, each named with its source column.
    bad = _table(steps=(2, -5.0), N=(3, np.nan)).astype({"batch": object})
    bad.loc[1, "batch"] = "big"
    with pytest.raises(DataError, match=r"have 3 problems: ") as info:
        critical_batch(bad, n_resamples=0)
    text = str(info.value)
    assert "column N of the DataFrame has NaN or inf in 1 row (index 3)" in text
    assert "column batch of the DataFrame must be numeric, but 1 row (index 1) is not, e.g. 'big'" in text
    assert "column steps of the DataFrame must be > 0, but 1 row (index 2) is <= 0" in text


def test_cli_writes_the_figure_checked_before_the_work(tmp_path: Path, capsys) -> None:
    from lawfit._files import lawfit_kind

    figure = tmp_path / "cbs.svg"
    argv = ["batch", str(ZHANG), "--seq-len", "512", "--bootstrap", "50", "-o", str(figure)]
    assert main(argv) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"figure     {figure}")
    assert lawfit_kind(figure) == "figure" and figure.read_text().count('id="hyperbola') == 5  # one line per model
    # The input itself is refused before any work, and left as it was.
    before = ZHANG.read_bytes()
    copy = tmp_path / "steps.png"
    copy.write_bytes(before)
    assert main(["batch", str(copy), "-o", str(copy)]) == 2
    assert "is an input of this command" in capsys.readouterr().err and copy.read_bytes() == before
