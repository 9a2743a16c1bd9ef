"""Runs from real exports: units in headers, more names, all bad rows at once, dropping them, suspect data, and a
W&B-style export fitted in one command."""

from __future__ import annotations

import argparse
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lawfit
from lawfit import load_runs
from lawfit.cli import main
from lawfit.cli._common import add_runs_options, load_runs_from
from lawfit.errors import DataError, DataWarning

# Five runs as a tracker would show them: N in millions, D in billions.
N_M = [70.0, 160.0, 410.0, 1000.0, 2800.0]
D_B = [1.4, 3.2, 8.2, 20.0, 56.0]
LOSS = [3.41, 3.10, 2.85, 2.62, 2.41]


def _rows(n_label: str, d_label: str) -> dict[str, list[float]]:
    return {n_label: N_M, d_label: D_B, "loss": LOSS}


# --- units in headers ----------------------------------------------------------------------------------------


def test_a_tsv_with_params_in_millions_and_tokens_in_billions_is_scaled_and_noted(tmp_path: Path) -> None:
    # Before: read as N = 70 and D = 1.4, so C = 6ND was 1e15 too small and D*/N* came out 0.0068.
    path = tmp_path / "runs.tsv"
    pd.DataFrame(_rows("Params (M)", "Tokens (B)")).to_csv(path, sep="\t", index=False)
    runs = load_runs(path)
    np.testing.assert_allclose(runs.column("N"), np.array(N_M) * 1e6, rtol=1e-15)
    np.testing.assert_allclose(runs.column("D"), np.array(D_B) * 1e9, rtol=1e-15)
    np.testing.assert_allclose(runs.column("C"), 6 * np.array(N_M) * np.array(D_B) * 1e15, rtol=1e-15)
    assert "Read N (parameters) from column 'Params (M)' in millions (x 1e+06)." in runs.notes
    assert "Read D (tokens) from column 'Tokens (B)' in billions (x 1e+09)." in runs.notes


@pytest.mark.parametrize(
    ("label", "factor", "said"),
    [
        ("Params (K)", 1e3, "in thousands"),
        ("params (M)", 1e6, "in millions"),
        ("N_M", 1e6, "in millions"),
        ("N_millions", 1e6, "in millions"),
        ("n_params_B", 1e9, "in billions"),
        ("params in billions", 1e9, "in billions"),
        ("Model Size (1e9)", 1e9, "in billions"),
        ("N [x 10^6]", 1e6, "in millions"),
        ("Parameters (B params)", 1e9, "in billions"),
        ("params (T)", 1e12, "in trillions"),
    ],
)
def test_unit_suffixes_of_n_are_applied(label: str, factor: float, said: str) -> None:
    runs = load_runs({label: N_M, "tokens": np.array(D_B) * 1e9, "loss": LOSS})
    np.testing.assert_allclose(runs.column("N"), np.array(N_M) * factor, rtol=1e-15)
    assert any(said in note and repr(label) in note for note in runs.notes)


@pytest.mark.parametrize(
    ("label", "factor"), [("Tokens (B)", 1e9), ("tokens_B", 1e9), ("D (T)", 1e12), ("total_tokens_billions", 1e9)]
)
def test_unit_suffixes_of_d_are_applied(label: str, factor: float) -> None:
    runs = load_runs({"params": np.array(N_M) * 1e6, label: D_B, "loss": LOSS})
    np.testing.assert_allclose(runs.column("D"), np.array(D_B) * factor, rtol=1e-15)


def test_compute_in_pf_days_is_converted_to_flops() -> None:
    runs = load_runs({"params": np.array(N_M) * 1e6, "Compute (PF-days)": [1.0, 2.0, 4.0, 8.0, 16.0], "loss": LOSS})
    np.testing.assert_allclose(runs.column("C"), np.array([1.0, 2.0, 4.0, 8.0, 16.0]) * 8.64e19, rtol=1e-15)
    assert any("in PF-days" in note for note in runs.notes)


def test_a_unit_on_the_loss_or_a_word_that_is_no_unit_changes_nothing() -> None:
    runs = load_runs({"N (params)": np.array(N_M) * 1e6, "loss (M)": LOSS, "tokens_seen": np.array(D_B) * 1e9})
    np.testing.assert_array_equal(runs.column("loss"), LOSS)
    np.testing.assert_allclose(runs.column("N"), np.array(N_M) * 1e6)
    assert not any("millions" in note for note in runs.notes)


def test_an_explicit_mapping_keeps_the_unit_of_its_column() -> None:
    runs = load_runs({"size_B": [0.07, 0.16, 0.41, 1.0, 2.8], "D": np.array(D_B) * 1e9, "loss": LOSS},
                     columns={"N": "size_B"})  # fmt: skip
    np.testing.assert_allclose(runs.column("N"), np.array(N_M) * 1e6, rtol=1e-12)


# --- values that look like millions or billions -------------------------------------------------------------


def test_small_sizes_without_a_unit_warn(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    pd.DataFrame(_rows("params", "tokens")).to_csv(path, index=False)
    with pytest.warns(DataWarning) as caught:
        runs = load_runs(path)
    assert len(caught) == 2
    first, second = (record.message for record in caught)
    assert first.data["input"] == "N" and first.data["largest"] == 2800.0 and first.data["column"] == "params"
    assert second.data["input"] == "D" and second.data["largest"] == 56.0
    assert "millions or billions" in first.message and "'params (M)'" in first.message
    np.testing.assert_array_equal(runs.column("N"), N_M)  # warned, not changed


def test_no_warning_for_counts_for_a_named_unit_or_for_lawfits_own_names() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_runs({"params": np.array(N_M) * 1e6, "tokens": np.array(D_B) * 1e9, "loss": LOSS})
        load_runs(_rows("Params (M)", "Tokens (B)"))
        load_runs({"N": [1.0, 2.0], "loss": [3.0, 2.0]})  # Python's N and D are counts in lawfit's vocabulary


# --- names ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("train/loss", "loss"),
        ("eval/loss", "loss"),
        ("val_loss", "loss"),
        ("n_parameters", "N"),
        ("non_embedding_params", "N"),
        ("total_tokens", "D"),
        ("dataset_size", "D"),
    ],
)
def test_more_aliases(label: str, name: str) -> None:
    columns = {"N": np.array(N_M) * 1e6, "D": np.array(D_B) * 1e9, "loss": LOSS}
    values = columns.pop(name)
    runs = load_runs({**columns, label: values})
    np.testing.assert_array_equal(runs.column(name), values)


def test_a_missing_column_error_lists_every_missing_input_and_the_available_columns() -> None:
    with pytest.raises(DataError) as excinfo:
        load_runs({"Name": ["a", "b"], "State": ["finished", "finished"], "score": [1.0, 2.0]})
    text = str(excinfo.value)
    assert "no loss column" in text and "none of N (parameters), D (tokens), C (FLOPs)" in text
    assert "--col loss=COLUMN" in text and "--col N=COLUMN" in text
    assert "Available columns: 'Name', 'State', 'score'" in text

    runs = load_runs({"C": [1e18, 1e19], "loss": [3.0, 2.8]})
    with pytest.raises(DataError) as excinfo:
        runs.inputs(["N", "D"])
    text = str(excinfo.value)
    assert "needs columns N (parameters), D (tokens)" in text and "--col N=COLUMN --col D=COLUMN" in text
    assert "Available columns: 'C', 'loss'" in text


def test_of_a_trackers_name_and_id_the_name_is_the_run_id() -> None:
    runs = load_runs({"ID": ["3f9a", "8c2e"], "Name": ["small", "large"], "N": [1e8, 2e8], "loss": [3.0, 2.9]})
    assert runs.table["run"].tolist() == ["small", "large"] and "ID" in runs.columns
    assert runs.notes == (
        "Read run (run id) from column 'Name' rather than 'ID'; choose another with --col run=COLUMN.",
    )


# --- file types ----------------------------------------------------------------------------------------------


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_runs_options(parser)
    return parser.parse_args(argv)


def test_format_option_reads_a_file_whose_name_does_not_say_its_type(tmp_path: Path) -> None:
    path = tmp_path / "runs.txt"
    pd.DataFrame(_rows("Params (M)", "Tokens (B)")).to_csv(path, sep="\t", index=False)
    with pytest.raises(DataError, match=r"unknown file type '\.txt'.*--format csv, tsv, parquet, json or jsonl"):
        load_runs_from(_args([str(path)]))
    assert len(load_runs_from(_args([str(path), "--format", "tsv"]))) == 5
    with pytest.raises(lawfit.LawfitError, match="--format names the type of a runs FILE"):
        load_runs_from(_args(["--dataset", "chinchilla", "--format", "csv"]))


def test_json_lines_in_a_json_file_are_read(tmp_path: Path) -> None:
    path = tmp_path / "runs.json"
    path.write_text("".join(json.dumps({"params": n * 1e6, "tokens": d * 1e9, "loss": x}) + "\n"
                            for n, d, x in zip(N_M, D_B, LOSS, strict=True)))  # fmt: skip
    runs = load_runs(path)
    assert len(runs) == 5 and runs.notes[0] == f"Read {str(path)!r} as JSON Lines (one object per line)."
    # A JSON document over several lines is still JSON.
    path.write_text(json.dumps([{"params": 1e8, "loss": 3.0}, {"params": 2e8, "loss": 2.9}], indent=2))
    assert len(load_runs(path)) == 2


# --- bad rows ------------------------------------------------------------------------------------------------

BAD = {
    "N": [1e8, 2e8, -4e8, 8e8, 1.6e9, 3.2e9, 6.4e9],
    "D": [2e9, 4e9, 8e9, 1.6e10, 3.2e10, 6.4e10, 1.28e11],
    "loss": [3.2, np.nan, 2.9, np.nan, 2.7, 0.0, 2.5],
}


def test_every_bad_row_is_reported_at_once() -> None:
    with pytest.raises(DataError) as excinfo:
        load_runs(BAD)
    text = str(excinfo.value)
    assert text.startswith("The runs from the mapping have 3 problems: ")
    assert "column N of the mapping must be > 0" in text and "1 row (data row 3) is <= 0" in text
    assert "column loss of the mapping has NaN or inf in 2 rows (data rows 2, 4)" in text
    assert "1 row (data row 6) is <= 0, e.g. 0.0" in text
    assert "--drop-bad-rows" in text and "drop_bad=True" in text


def test_drop_bad_drops_them_and_says_how_many_and_why() -> None:
    runs = load_runs(BAD, drop_bad=True)
    np.testing.assert_array_equal(runs.column("N"), [1e8, 1.6e9, 6.4e9])
    assert runs.notes[0] == (
        "Dropped 4 of 7 rows that a fit cannot use: 1 row (data row 3) with N <= 0; 2 rows (data rows 2, 4) with "
        "NaN or inf loss; 1 row (data row 6) with loss <= 0."
    )
    with pytest.raises(DataError, match="Every one of the 2 rows"):
        load_runs({"N": [1e8, 2e8], "loss": [np.nan, -1.0]}, drop_bad=True)


def test_rows_keep_their_file_numbers_in_the_notes_after_a_drop() -> None:
    runs = load_runs({"N": [1e8, 2e8, 4e8, 4e8], "D": [2e9, 4e9, 8e9, 8e9], "loss": [3.2, np.nan, 2.9, 2.9]},
                     drop_bad=True)  # fmt: skip
    assert runs.notes[-1].startswith("1 row (data row 4) repeats an earlier row's N, D, C, loss exactly")


def test_text_in_a_number_column_is_a_bad_row_too(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("params,loss\n1e8,3.2\n7B,2.9\n1e9,diverged\n4e9,2.5\n")
    with pytest.raises(DataError) as excinfo:
        load_runs(path)
    assert "'7B'" in str(excinfo.value) and "'diverged'" in str(excinfo.value) and "2 problems" in str(excinfo.value)
    runs = load_runs(path, drop_bad=True)
    assert runs.column("N").tolist() == [1e8, 4e9]
    assert "with text in N (e.g. '7B')" in runs.notes[-1] and "with text in loss (e.g. 'diverged')" in runs.notes[-1]


def test_crashed_runs_are_noted_and_dropped_on_request() -> None:
    table = {"N": [1e8, 2e8, 4e8], "loss": [3.2, 3.0, 2.8], "State": ["finished", "crashed", "finished"]}
    note = load_runs(table).notes[0]
    assert "Column 'State' of the mapping says 1 row (data row 2) was 'crashed'" in note and "--drop-bad-rows" in note
    assert load_runs(table, drop_bad=True).column("N").tolist() == [1e8, 4e8]


# --- suspect data --------------------------------------------------------------------------------------------


def test_exact_repeats_are_noted_with_their_count() -> None:
    runs = load_runs({"N": [1e8, 1e8, 2e8, 2e8, 2e8], "D": [2e9, 2e9, 4e9, 4e9, 4e9],
                      "loss": [3.2, 3.2, 3.0, 3.0, 3.01]})  # fmt: skip
    repeats = [note for note in runs.notes if "repeat" in note]
    assert repeats == [
        "2 rows (data rows 2, 4) repeat an earlier row's N, D, C, loss exactly, so each such run counts twice in a "
        "fit; drop the copies if one run was exported twice."
    ]
    # Seeds (same size, another loss) are not noted.
    assert not any("repeat" in note for note in load_runs({"N": [1e8, 1e8], "loss": [3.2, 3.1]}).notes)


def test_flops_counted_as_8nd_are_noted_with_the_factor() -> None:
    n, d = np.array(BAD["N"][:2] + BAD["N"][3:]), np.array(BAD["D"][:2] + BAD["D"][3:])
    runs = load_runs({"N": n, "D": d, "C": 8 * n * d, "loss": np.linspace(3.2, 2.5, n.size)})
    assert runs.notes == (
        "C is 1.33 times 6 N D in the median row (C = 8 N D), so C counts FLOPs otherwise than lawfit's C = 6 N D; "
        "the columns are kept as given, and laws of C see budgets 1.33 times those of laws of N and D.",
    )


def test_a_single_row_off_from_6nd_is_listed_with_its_factor() -> None:
    n, d = np.array([1e8, 2e8, 4e8, 8e8, 1.6e9]), np.array([2e9, 4e9, 8e9, 1.6e10, 3.2e10])
    c = 6 * n * d
    c[3] *= 3
    runs = load_runs({"N": n, "D": d, "C": c, "loss": [3.2, 3.0, 2.9, 2.7, 2.6]})
    assert runs.notes == (
        "C / 6ND differs from the other rows' (1) by more than a factor of 2 in 1 row (data row 4): 3x. "
        "Check C, N and D of those runs.",
    )


# --- the command line ----------------------------------------------------------------------------------------


def test_a_wandb_export_fits_in_one_command(tmp_path: Path, capsys) -> None:
    law = lawfit.get_law("chinchilla")
    truth = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
    n_m = np.repeat([60.0, 150.0, 400.0, 1000.0], 5)
    d_b = np.tile([1.0, 2.5, 6.0, 15.0, 40.0], 4)
    loss = law.predict(truth, N=n_m * 1e6, D=d_b * 1e9) * np.exp(0.003 * np.random.default_rng(1).standard_normal(20))
    table = pd.DataFrame(
        {
            "Name": [f"run-{i}" for i in range(20)],
            "ID": [f"{i:08x}" for i in range(20)],
            "State": ["finished"] * 20,
            "Params (M)": n_m,
            "Tokens (B)": d_b,
            "train/loss": [f"{x:.5f}" for x in loss],
        }
    )
    # Three crashed runs: one with no loss, one NaN, one stopped early at a loss that is not final.
    crashed = pd.DataFrame(
        {
            "Name": ["run-x", "run-y", "run-z"],
            "ID": ["a1", "a2", "a3"],
            "State": ["crashed"] * 3,
            "Params (M)": [400.0, 1000.0, 150.0],
            "Tokens (B)": [15.0, 40.0, 6.0],
            "train/loss": ["", "NaN", "7.5"],
        }
    )
    path = tmp_path / "export.csv"
    pd.concat([table.iloc[:7], crashed, table.iloc[7:]]).to_csv(path, index=False)

    assert main(["fit", str(path), "--law", "chinchilla"]) == 2  # refused, saying how to go on
    err = capsys.readouterr().err
    assert "NaN or inf in 2 rows (data rows 8, 9)" in err and "--drop-bad-rows" in err

    assert main(["fit", str(path), "--law", "chinchilla", "--drop-bad-rows"]) == 0
    out = capsys.readouterr().out
    assert "20 runs" in out
    assert "Read N (parameters) from column 'Params (M)' in millions (x 1e+06)." in out
    assert "Read D (tokens) from column 'Tokens (B)' in billions (x 1e+09)." in out
    assert "Read loss (final loss) from column 'train/loss'." in out
    assert (
        "Dropped 3 of 23 rows that a fit cannot use: 2 rows (data rows 8, 9) with NaN or inf loss; 3 rows "
        "(data rows 8, 9, 10) with State 'crashed'." in out
    )
    fitted = dict(re.findall(r"^  (\w+) +(\S+)$", out, flags=re.MULTILINE))  # the parameter table
    assert float(fitted["alpha"]) == pytest.approx(0.34, abs=0.05)
    assert float(fitted["beta"]) == pytest.approx(0.28, abs=0.05)
