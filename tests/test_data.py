"""Tests of lawfit.data: loading, column mapping, derivation from C = 6ND, validation messages."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import lawfit.data
from lawfit.data import Extra, Runs, SourceTable, load_runs, match_columns, read_table
from lawfit.errors import DataError, LawfitError

CHINCHILLA = Path(lawfit.data.__file__).parent / "datasets" / "chinchilla_epoch.csv"
MAPPING = {"N": "Model Size", "C": "Training FLOP"}
EXTRA = ["x", "y", "color", "hex_color"]


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(CHINCHILLA)


def small(**overrides) -> dict[str, list]:
    """Three valid runs with N, D and loss; keyword arguments replace or add columns."""
    columns = {"N": [1e8, 4e8, 1e9], "D": [2e9, 8e9, 2e10], "loss": [3.2, 2.9, 2.7]}
    columns.update(overrides)
    return columns


def message(excinfo: pytest.ExceptionInfo) -> str:
    return str(excinfo.value)


# --- the bundled Chinchilla data ----------------------------------------------------------------------------


def test_bundled_csv_with_explicit_mapping(raw):
    runs = load_runs(CHINCHILLA, columns=MAPPING)
    assert len(runs) == 245
    assert runs.columns == ("N", "D", "C", "loss", *EXTRA)
    assert runs.source == str(CHINCHILLA)
    n, c = raw["Model Size"].to_numpy(), raw["Training FLOP"].to_numpy()
    np.testing.assert_allclose(runs.column("N"), n, rtol=0)
    np.testing.assert_allclose(runs.column("C"), c, rtol=0)
    np.testing.assert_allclose(runs.column("D"), c / (6 * n), rtol=1e-12)
    np.testing.assert_allclose(runs.column("loss"), raw["loss"].to_numpy(), rtol=0)
    assert dict(runs.derived) == {"D": "D = C / (6 N)"}
    derivation = [note for note in runs.notes if note.startswith("Derived D")]
    assert len(derivation) == 1 and "C = 6 N D" in derivation[0]
    assert all(runs.table[name].dtype == np.float64 for name in ("N", "D", "C", "loss"))


def test_bundled_csv_by_aliases_matches_explicit_mapping():
    by_alias = load_runs(CHINCHILLA)
    explicit = load_runs(CHINCHILLA, columns=MAPPING)
    pd.testing.assert_frame_equal(by_alias.table, explicit.table)
    assert dict(by_alias.derived) == {"D": "D = C / (6 N)"}
    text = " ".join(by_alias.notes)
    assert "'Model Size'" in text and "'Training FLOP'" in text


def test_extra_columns_kept_unchanged_after_canonical(raw):
    runs = load_runs(raw, columns=MAPPING)
    assert runs.columns[4:] == tuple(EXTRA)
    for name in EXTRA:
        pd.testing.assert_series_equal(runs.table[name], raw[name])


# --- file formats and in-memory sources ---------------------------------------------------------------------


def _write_csv(df, path):
    df.to_csv(path, index=False)


def _write_tsv(df, path):
    df.to_csv(path, sep="\t", index=False)


def _write_parquet(df, path):
    df.to_parquet(path, index=False)


def _write_json(df, path):
    # json.dumps writes floats with repr, which reads back exactly (pandas' to_json rounds to 15 digits).
    path.write_text(json.dumps(df.to_dict(orient="records")))


def _write_json_columns(df, path):
    path.write_text(json.dumps(df.to_dict(orient="list")))


def _write_jsonl(df, path):
    path.write_text("\n".join(json.dumps(record) for record in df.to_dict(orient="records")) + "\n")


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("runs.csv", _write_csv),
        ("runs.csv.gz", _write_csv),
        ("runs.tsv", _write_tsv),
        ("runs.parquet", _write_parquet),
        ("runs.pq", _write_parquet),
        ("runs.json", _write_json),
        ("columns.json", _write_json_columns),
        ("runs.jsonl", _write_jsonl),
        ("runs.ndjson", _write_jsonl),
    ],
)
def test_file_formats_round_trip_to_identical_tables(raw, tmp_path, name, write):
    reference = load_runs(CHINCHILLA, columns=MAPPING)
    path = tmp_path / name
    write(raw, path)
    runs = load_runs(path, columns=MAPPING)
    pd.testing.assert_frame_equal(runs.table, reference.table)
    assert runs.source == str(path)
    assert dict(runs.derived) == dict(reference.derived)


@pytest.mark.parametrize("convert", [lambda df: df, lambda df: df.to_dict(orient="list")], ids=["frame", "dict"])
def test_dataframe_and_dict_give_identical_tables(raw, convert):
    reference = load_runs(CHINCHILLA, columns=MAPPING)
    runs = load_runs(convert(raw), columns=MAPPING)
    pd.testing.assert_frame_equal(runs.table, reference.table)
    assert runs.source in ("<DataFrame>", "<mapping>")


def test_format_overrides_suffix(raw, tmp_path):
    path = tmp_path / "runs.txt"
    raw.to_csv(path, sep="\t", index=False)
    runs = load_runs(path, columns=MAPPING, format="tsv")
    assert len(runs) == 245


def test_loading_leaves_the_source_frame_alone(raw):
    before = raw.copy()
    runs = load_runs(raw, columns=MAPPING)
    runs.column("N")[:] = -1.0
    pd.testing.assert_frame_equal(raw, before)
    assert (runs.column("N") > 0).all()


def test_runs_passes_through_and_can_be_remapped():
    runs = load_runs(small(val_loss=[3.0, 2.8, 2.6]), columns={"loss": "loss"})
    assert load_runs(runs) is runs
    remapped = load_runs(runs, columns={"loss": "val_loss"})
    np.testing.assert_array_equal(remapped.column("loss"), [3.0, 2.8, 2.6])
    # The derived C is recomputed, not read back as a given column.
    assert dict(remapped.derived) == {"C": "C = 6 N D"}
    assert remapped.source == runs.source


# --- file errors --------------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(DataError) as excinfo:
        load_runs(path)
    assert str(path) in message(excinfo) and "no such file" in message(excinfo)


def test_unknown_suffix(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(DataError) as excinfo:
        load_runs(path)
    text = message(excinfo)
    assert "Cannot read runs from" in text and "x.xlsx" in text
    assert "unknown file type '.xlsx'" in text and "format=" in text


def test_no_suffix(tmp_path):
    path = tmp_path / "runs"
    path.write_text("N,loss\n1e8,2\n")
    with pytest.raises(DataError, match="no file type"):
        load_runs(path)
    assert len(load_runs(path, format="csv")) == 1


def test_bad_format_parameter(tmp_path):
    with pytest.raises(DataError) as excinfo:
        load_runs(tmp_path / "runs.csv", format="xlsx")
    assert "The file type (--format, Python: format=) must be one of" in message(excinfo)
    assert "Got 'xlsx' instead." in message(excinfo)


def test_format_with_a_table_is_refused():
    with pytest.raises(DataError, match="file paths only"):
        load_runs(pd.DataFrame(small()), format="csv")


def test_directory(tmp_path):
    path = tmp_path / "dir.csv"
    path.mkdir()
    with pytest.raises(DataError, match="directory"):
        load_runs(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataError) as excinfo:
        load_runs(path)
    assert "empty.csv" in message(excinfo) and "empty" in message(excinfo)


@pytest.mark.parametrize("name", ["header.csv", "records.json"])
def test_no_rows(tmp_path, name):
    path = tmp_path / name
    path.write_text("N,loss\n" if name.endswith(".csv") else "[]")
    with pytest.raises(DataError) as excinfo:
        load_runs(path)
    assert name in message(excinfo) and "no rows" in message(excinfo)


def test_no_rows_in_a_frame():
    with pytest.raises(DataError, match="no rows"):
        load_runs(pd.DataFrame({"N": [], "loss": []}))


@pytest.mark.parametrize(
    ("name", "content"),
    [("bad.parquet", b"this is not parquet"), ("bad.json", b"{not json"), ("bad.csv", b"\xff\xfe\x00\x81")],
)
def test_parse_failure(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as excinfo:
        load_runs(path)
    text = message(excinfo)
    assert "Cannot read runs from" in text and name in text and "format=" in text


def test_parquet_without_pyarrow(tmp_path, monkeypatch):
    path = tmp_path / "runs.parquet"
    pd.DataFrame(small()).to_parquet(path)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(DataError) as excinfo:
        load_runs(path)
    assert "lawfit[parquet]" in message(excinfo) and "runs.parquet" in message(excinfo)


def test_unsupported_source_type():
    with pytest.raises(DataError, match="The 'source' parameter of load_runs must be"):
        load_runs([1, 2, 3])


def test_mapping_of_unequal_lengths():
    with pytest.raises(DataError, match="same length"):
        load_runs({"N": [1e8, 2e8], "loss": [3.0]})


def test_errors_are_value_errors():
    assert issubclass(DataError, LawfitError) and issubclass(DataError, ValueError)


# --- column mapping -----------------------------------------------------------------------------------------

SPEC_ALIASES = {
    "N": [
        "n", "params", "parameters", "model size", "model_size", "n_params", "num_params", "nparams",
        "param_count", "non_embedding_params", "size",
    ],
    "D": [
        "d", "tokens", "n_tokens", "num_tokens", "training tokens", "train_tokens", "data", "dataset size",
        "data size", "tokens_seen",
    ],
    "C": ["c", "flops", "flop", "compute", "training flop", "training flops", "train_flops", "total_flops"],
    "loss": [
        "loss", "l", "final loss", "final_loss", "eval loss", "eval_loss", "val_loss", "validation loss",
        "valid_loss", "test_loss", "train_loss", "training loss",
    ],
    "run": ["run", "run_id", "run_name", "name", "id"],
    "group": ["group", "family", "series"],
    "weight": ["weight", "weights", "w"],
}  # fmt: skip
BASE = {"N": "params", "loss": "loss"}


@pytest.mark.parametrize(
    ("name", "alias"), [(name, alias) for name, aliases in SPEC_ALIASES.items() for alias in aliases]
)
def test_every_alias_is_recognised(name, alias):
    values = {"N": [1e8, 4e8], "D": [2e9, 8e9], "C": [1.2e18, 1.92e19], "loss": [3.2, 2.9]}
    values |= {"run": ["a", "b"], "group": ["g", "g"], "weight": [1.0, 2.0]}
    source = {BASE[key]: values[key] for key in BASE if key != name}
    source[alias] = values[name]
    runs = load_runs(source)
    if name in ("run", "group"):
        assert runs.table[name].tolist() == values[name]
    else:
        np.testing.assert_array_equal(runs.column(name), values[name])


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("Model-Size", "N"),
        ("MODEL.SIZE", "N"),
        ("Tokens [count]", "D"),
        ("loss [nats]", "loss"),
        (" FLOPs ", "C"),
        ("train/loss", "loss"),
    ],
)
def test_aliases_ignore_case_separators_and_units(label, name):
    # Units that are not factors (a count, nats) are ignored; "Tokens (B)" is multiplied (test_data_units.py).
    source = {"loss": [3.2, 2.9]} if name != "loss" else {"N": [1e8, 4e8]}
    values = [1.0, 2.0] if name == "loss" else [1e9, 2e9]
    source[label] = values
    np.testing.assert_array_equal(load_runs(source).column(name), values)


def test_explicit_mapping_beats_alias():
    runs = load_runs(small(size=[7e8, 8e8, 9e8]), columns={"N": "size"})
    np.testing.assert_array_equal(runs.column("N"), [7e8, 8e8, 9e8])
    # The source column named N no longer names the canonical N, so it is kept under another name.
    assert "N_unmapped" in runs.columns
    np.testing.assert_array_equal(runs.column("N_unmapped"), [1e8, 4e8, 1e9])
    assert any("'N_unmapped'" in note for note in runs.notes)


def test_ambiguous_aliases_refused():
    with pytest.raises(DataError) as excinfo:
        load_runs(small(val_loss=[3.0, 2.8, 2.6]))
    text = message(excinfo)
    assert "'loss', 'val_loss'" in text and "both look like loss" in text and "--col loss=COLUMN" in text


def test_explicit_mapping_resolves_ambiguity():
    runs = load_runs(small(val_loss=[3.0, 2.8, 2.6]), columns={"loss": "val_loss"})
    np.testing.assert_array_equal(runs.column("loss"), [3.0, 2.8, 2.6])


def test_mapping_to_missing_source_column_lists_available():
    with pytest.raises(DataError) as excinfo:
        load_runs(small(), columns={"N": "Model Sise"})
    text = message(excinfo)
    assert "'Model Sise'" in text and "Available columns: 'N', 'D', 'loss'" in text


def test_mapping_with_unknown_canonical_name():
    with pytest.raises(DataError, match="The 'columns' parameter of load_runs must map canonical names"):
        load_runs(small(), columns={"params": "N"})


def test_missing_loss():
    with pytest.raises(DataError) as excinfo:
        load_runs({"N": [1e8, 2e8], "accuracy": [0.5, 0.6]})
    text = message(excinfo)
    assert "loss" in text and "--col loss=COLUMN" in text and "'N', 'accuracy'" in text


def test_missing_all_sizes():
    with pytest.raises(DataError) as excinfo:
        load_runs({"lr": [1e-3, 2e-3], "loss": [3.0, 2.9]})
    text = message(excinfo)
    assert "none of N (parameters), D (tokens), C (FLOPs)" in text
    assert "--col N=COLUMN" in text and "'lr', 'loss'" in text


def test_run_and_group_kept_as_strings():
    runs = load_runs(small(run_id=[1, 2, 3], family=["a", "a", "b"]))
    assert runs.columns == ("N", "D", "C", "loss", "run", "group")
    assert runs.table["run"].tolist() == ["1", "2", "3"]
    assert runs.table["group"].tolist() == ["a", "a", "b"]


# --- validation ---------------------------------------------------------------------------------------------


def test_non_numeric_value_named_with_row(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("params,loss\n1e8,3.2\n7B,2.9\n1e9,2.7\n")
    with pytest.raises(DataError) as excinfo:
        load_runs(path)
    text = message(excinfo)
    assert "Column N" in text and "'params'" in text and "numeric" in text
    assert "1 row (data row 2) is not" in text and "'7B'" in text


@pytest.mark.parametrize("name", ["N", "D", "loss", "weight"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf(name, bad):
    columns = small(weight=[1.0, 1.0, 1.0])
    columns[name] = [columns[name][0], bad, bad]
    with pytest.raises(DataError) as excinfo:
        load_runs(columns)
    text = message(excinfo)
    assert f"Column {name}" in text and "NaN or inf" in text
    assert "2 rows (data rows 2, 3)" in text and "Drop those rows" in text


def test_nan_in_c_when_all_three_given():
    with pytest.raises(DataError, match=r"Column C .*NaN or inf in 1 row \(data row 1\)"):
        load_runs(small(C=[np.nan, 1.92e19, 1.2e20]))


def test_rows_named_by_index_label_for_a_dataframe():
    frame = pd.DataFrame(small(), index=["a", "b", "c"])
    frame.loc["c", "loss"] = np.nan
    with pytest.raises(DataError, match=r"1 row \(index c\)"):
        load_runs(frame)


def test_many_bad_rows_show_the_first_few():
    loss = [-1.0] * 8
    with pytest.raises(DataError, match=r"8 rows \(data rows 1, 2, 3, 4, 5, \.\.\.\)"):
        load_runs({"N": list(np.geomspace(1e6, 1e9, 8)), "loss": loss})


@pytest.mark.parametrize("name", ["N", "D", "C", "loss"])
@pytest.mark.parametrize("bad", [0.0, -2.0])
def test_non_positive(name, bad):
    columns = small(C=[1.2e18, 1.92e19, 1.2e20])
    columns[name] = [bad, *columns[name][1:]]
    with pytest.raises(DataError) as excinfo:
        load_runs(columns)
    text = message(excinfo)
    assert f"Column {name}" in text and "must be > 0" in text and "positive sizes" in text
    assert "1 row (data row 1)" in text and repr(bad) in text


def test_negative_weight():
    with pytest.raises(DataError) as excinfo:
        load_runs(small(w=[1.0, -1.0, 1.0]))
    text = message(excinfo)
    assert "Column weight" in text and "'w'" in text and ">= 0" in text and "data row 2" in text


def test_all_weights_zero():
    with pytest.raises(DataError) as excinfo:
        load_runs(small(weight=[0.0, 0.0, 0.0]))
    assert "Column weight" in message(excinfo) and "zero in every row" in message(excinfo)


def test_weights_property():
    assert load_runs(small()).weights.tolist() == [1.0, 1.0, 1.0]
    assert load_runs(small(weight=[0, 1, 2])).weights.tolist() == [0.0, 1.0, 2.0]


def test_duplicate_column_names_refused():
    frame = pd.DataFrame([[1e8, 3.0, 2.0]], columns=["N", "loss", "loss"])
    with pytest.raises(DataError, match="duplicate column names 'loss'"):
        load_runs(frame)


# --- derivation from C = 6 N D ------------------------------------------------------------------------------


def test_derive_n_from_c_and_d():
    runs = load_runs({"D": [2e9, 8e9], "C": [1.2e18, 1.92e19], "loss": [3.2, 2.9]})
    assert runs.columns == ("N", "D", "C", "loss")
    np.testing.assert_allclose(runs.column("N"), [1e8, 4e8], rtol=1e-12)
    assert dict(runs.derived) == {"N": "N = C / (6 D)"}


def test_three_sizes_kept_as_given_without_note_when_consistent():
    runs = load_runs(small(C=[1.3e18, 1.92e19, 1.2e20]))
    assert dict(runs.derived) == {} and runs.notes == ()
    np.testing.assert_array_equal(runs.column("C"), [1.3e18, 1.92e19, 1.2e20])


def test_three_sizes_inconsistent_get_a_note_not_an_error():
    runs = load_runs(small(C=[1.2e19, 1.92e20, 1.2e20]))
    assert dict(runs.derived) == {}
    assert len(runs.notes) == 1 and "factor of 2" in runs.notes[0] and "2 of 3 rows" in runs.notes[0]


def test_one_size_derives_nothing():
    runs = load_runs({"N": [1e8, 4e8], "loss": [3.2, 2.9]})
    assert runs.columns == ("N", "loss") and dict(runs.derived) == {}
    assert set(runs.inputs(["N"])) == {"N"}


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=20).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, n, elements=st.floats(1e3, 1e13, allow_nan=False, allow_infinity=False)),
            arrays(np.float64, n, elements=st.floats(1e3, 1e14, allow_nan=False, allow_infinity=False)),
        )
    )
)
def test_c_is_derived_as_6nd(sizes):
    n, d = sizes
    runs = load_runs({"N": n, "D": d, "loss": np.full(n.size, 2.5)})
    np.testing.assert_allclose(runs.column("C"), 6 * n * d, rtol=1e-12)
    assert dict(runs.derived) == {"C": "C = 6 N D"}


# --- Runs methods -------------------------------------------------------------------------------------------


def test_inputs_missing_column_message():
    runs = load_runs({"N": [1e8, 4e8], "loss": [3.2, 2.9]})
    with pytest.raises(DataError) as excinfo:
        runs.inputs(["N", "D"])
    assert message(excinfo) == (
        "The law needs column D (tokens), which the runs lack. Map it with --col D=COLUMN "
        "(Python: columns={'D': 'COLUMN'}), or give two of N, D, C so the third is derived from C = 6ND. "
        "Available columns: 'N', 'loss'."
    )


def test_inputs_returns_float64_copies_of_other_columns_too():
    runs = load_runs(small(step=[10, 20, 30]))
    got = runs.inputs(["N", "step"])
    assert got["step"].dtype == np.float64 and got["step"].tolist() == [10.0, 20.0, 30.0]
    got["N"][:] = 0.0
    assert (runs.column("N") > 0).all()


def test_inputs_refuses_nan_in_an_unvalidated_column():
    runs = load_runs(small(step=[10, None, 30]))
    with pytest.raises(DataError, match=r"Column 'step' has NaN or inf in 1 row"):
        runs.inputs(["step"])


def test_column_missing_and_text():
    runs = load_runs(small(run=["a", "b", "c"]))
    with pytest.raises(DataError, match=r"no column C \(FLOPs\)") as excinfo:
        load_runs({"N": [1e8], "loss": [3.0]}).column("C")
    assert "--col C=COLUMN" in message(excinfo)
    with pytest.raises(DataError, match="not numbers"):
        runs.column("run")
    with pytest.raises(DataError, match="no column 'accuracy'"):
        runs.column("accuracy")


def test_select_keeps_metadata():
    runs = load_runs(CHINCHILLA, columns=MAPPING)
    mask = runs.column("N") < 1e9
    subset = runs.select(mask)
    assert len(subset) == int(mask.sum())
    assert subset.source == runs.source and dict(subset.derived) == dict(runs.derived)
    assert subset.notes == runs.notes and subset.columns == runs.columns
    by_position = runs.select(np.flatnonzero(mask))
    pd.testing.assert_frame_equal(by_position.table, subset.table)
    pd.testing.assert_frame_equal(runs.select(pd.Series(mask)).table, subset.table)


def test_select_errors():
    runs = load_runs(small())
    with pytest.raises(DataError, match="kept no rows"):
        runs.select(np.zeros(3, dtype=bool))
    with pytest.raises(DataError, match="boolean array of length 3"):
        runs.select([True, False])
    with pytest.raises(DataError, match="outside"):
        runs.select([0, 7])


def test_require_points_message():
    runs = load_runs(small())
    runs.require_points(3, "power")
    with pytest.raises(DataError) as excinfo:
        runs.require_points(5, "chinchilla")
    assert message(excinfo) == (
        "Law chinchilla has 5 parameters but the runs have 3 points; a fit needs at least as many points as parameters."
    )


def test_require_points_ignores_zero_weight_runs():
    runs = load_runs(small(weight=[1.0, 0.0, 1.0]))
    with pytest.raises(DataError, match="have 2 points with nonzero weight"):
        runs.require_points(3, "power")


def test_runs_is_immutable():
    runs = load_runs(small())
    with pytest.raises(dataclasses.FrozenInstanceError):
        runs.source = "other"
    with pytest.raises(TypeError):
        runs.derived["D"] = "x"
    assert isinstance(runs.notes, tuple)


def test_runs_checks_its_table():
    with pytest.raises(DataError, match="loss column"):
        Runs(table=pd.DataFrame({"N": [1.0]}))
    with pytest.raises(DataError, match="at least one row"):
        Runs(table=pd.DataFrame({"N": [], "loss": []}))


def test_repr_is_short():
    text = repr(load_runs(CHINCHILLA, columns=MAPPING))
    assert text.startswith("Runs(245 rows from") and "D = C / (6 N)" in text and "\n" not in text


def test_drop_highest_loss_follows_besiroglu_rule() -> None:
    from lawfit import datasets

    runs = datasets.chinchilla()
    loss = runs.column("loss")
    kept = runs.drop_highest_loss(5)
    assert len(kept) == 240
    np.testing.assert_array_equal(kept.column("loss"), loss[loss < np.sort(loss)[-5]])
    assert "Dropped the 5 highest-loss runs" in kept.notes[-1]
    assert runs.drop_highest_loss(0) is runs
    with pytest.raises(DataError, match="integer >= 0"):
        runs.drop_highest_loss(-1)
    with pytest.raises(DataError, match="Cannot drop the 245"):
        runs.drop_highest_loss(245)


# ---------------------------------------------------------------------------------------------------------------
# Extra columns: load_runs(..., extra=) finds, checks and keeps columns beyond the canonical ones

BATCH = Extra("batch", ("batch_size", "train_batch_size", "bs"))
STEPS = Extra("steps", ("steps_to_target", "num_steps"), empty_means="runs that never reached the target")
MODEL = Extra("model", ("model_name", "arch"), numeric=False)


def test_extra_found_by_alias_kept_under_its_name_and_noted() -> None:
    columns = small(train_batch_size=[256, 512, 1024], arch=["a", "b", "c"], other=[1, 2, 3])
    runs = load_runs(columns, extra=[BATCH, MODEL])
    assert runs.columns == ("N", "D", "C", "loss", "batch", "model", "other")
    assert runs.column("batch").tolist() == [256.0, 512.0, 1024.0] and runs.column("batch").dtype == np.float64
    assert runs.table["model"].tolist() == ["a", "b", "c"]
    assert "Read batch from column 'train_batch_size'." in runs.notes
    assert "Read model from column 'arch'." in runs.notes
    assert dict(runs.read_from) == {"N": "N", "D": "D", "loss": "loss", "batch": "train_batch_size", "model": "arch"}
    assert runs.select([0, 2]).read_from == runs.read_from
    # A column named as the extra is read without a note; an extra not found is left out.
    runs = load_runs(small(batch=[1, 2, 3]), extra=[BATCH, STEPS])
    assert runs.columns == ("N", "D", "C", "loss", "batch") and not any("batch" in note for note in runs.notes)


def test_extra_likeliest_alias_first_and_the_others_noted() -> None:
    runs = load_runs(small(bs=[1, 2, 3], batch_size=[4, 5, 6]), extra=[BATCH])
    assert runs.column("batch").tolist() == [4.0, 5.0, 6.0]  # batch_size comes before bs among the aliases
    assert "Read batch from column 'batch_size' rather than 'bs'; choose another with --col batch=COLUMN." in runs.notes
    assert runs.column("bs").tolist() == [1.0, 2.0, 3.0]  # the other is kept as a source column


def test_extra_mapped_by_columns_and_a_column_named_like_it_kept_apart() -> None:
    runs = load_runs(small(batch=[1, 2, 3], global_bs=[8, 16, 32]), columns={"batch": "global_bs"}, extra=[BATCH])
    assert runs.column("batch").tolist() == [8.0, 16.0, 32.0]
    assert runs.column("batch_unmapped").tolist() == [1.0, 2.0, 3.0]
    assert "Kept source column 'batch' as 'batch_unmapped', since batch is read from another column." in runs.notes
    with pytest.raises(DataError, match=r"Cannot map batch to column 'nope': the runs from the mapping have no such"):
        load_runs(small(), columns={"batch": "nope"}, extra=[BATCH])
    # Names that are neither canonical nor extra stay an error, naming the extras too.
    with pytest.raises(DataError, match=r"\(N, D, C, loss, run, group, weight\) or the extra names \(batch\) .* 'lr'"):
        load_runs(small(), columns={"lr": "N"}, extra=[BATCH])
    with pytest.raises(DataError, match=r"canonical names \(N, D, C, loss, run, group, weight\) to source columns"):
        load_runs(small(), columns={"batch": "N"})


def test_extra_does_not_take_a_canonical_column() -> None:
    # 'tokens' is D's: the canonical columns choose first, and the extra is not found.
    runs = load_runs({"N": [1e8, 4e8], "tokens": [2e9, 8e9], "loss": [3.2, 2.9]}, extra={"seen": ("tokens",)})
    assert "seen" not in runs.columns and runs.column("D").tolist() == [2e9, 8e9]


def test_extra_bad_values_listed_in_one_error_with_the_core_ones() -> None:
    columns = small(loss=[3.2, -1.0, 2.7], batch_size=["256", "big", 0], steps_to_target=[10.0, float("inf"), None])
    with pytest.raises(DataError) as info:
        load_runs(columns, extra=[BATCH, STEPS])
    text = message(info)
    assert text.startswith("The runs from the mapping have 5 problems: ")
    assert "column loss of the mapping must be > 0, since scaling laws" in text
    assert "column batch (source column 'batch_size' of the mapping) must be numeric, but 1 row (data row 2)" in text
    assert (
        "column batch (source column 'batch_size' of the mapping) must be > 0, but 1 row (data row 3) is <= 0" in text
    )
    empty = "is empty in 1 row (data row 3): runs that never reached the target"
    assert f"column steps (source column 'steps_to_target' of the mapping) {empty}" in text
    assert "has inf in 1 row (data row 2)" in text
    assert "--drop-bad-rows" in text and "\n" not in text


def test_extra_bad_rows_dropped_on_request() -> None:
    columns = {
        "N": [1e8, 4e8, 1e9, 2e9],
        "D": [1e9] * 4,
        "loss": [3.0] * 4,
        "batch_size": [256, 0, 1024, 64],
        "steps_to_target": [10.0, 20.0, None, 5.0],
        "model_name": ["a", None, "c", "d"],  # a text extra is not checked
    }
    runs = load_runs(columns, extra=[BATCH, STEPS, MODEL], drop_bad=True)
    assert runs.column("batch").tolist() == [256.0, 64.0] and runs.table["model"].tolist() == ["a", "d"]
    dropped = next(note for note in runs.notes if note.startswith("Dropped"))
    assert dropped == (
        "Dropped 2 of 4 rows that a fit cannot use: 1 row (data row 2) with batch <= 0; 1 row (data row 3) with empty "
        "steps (runs that never reached the target)."
    )


def test_missing_required_extra_one_clear_error() -> None:
    with pytest.raises(DataError) as info:
        load_runs(small(other=[1, 2, 3]), extra=[Extra("batch", BATCH.aliases, required=True), STEPS])
    assert message(info) == (
        "The runs from the mapping have no batch column (none named batch, batch_size, train_batch_size, bs). Map it "
        "with --col batch=COLUMN (Python: columns={'batch': 'COLUMN'}). Available columns: 'N', 'D', 'loss', 'other'."
    )
    both = [Extra("lr", required=True), Extra("batch", (*BATCH.aliases, "b1", "b2"), required=True)]
    with pytest.raises(
        DataError,
        match=r"have no lr column and no batch column \(none named lr; none named batch, "
        r"batch_size, train_batch_size, bs, \.\.\.\)\. Map them with --col lr=COLUMN --col batch=COLUMN",
    ):
        load_runs(small(), extra=both)
    # The missing core columns are named first, as without extras.
    with pytest.raises(DataError, match="no loss column"):
        load_runs({"N": [1e8]}, extra=both)


def test_extra_with_runs_and_tables_as_sources() -> None:
    runs = load_runs({"N": [1e8, 4e8], "C": [1.2e18, 9.6e18], "loss": [3.2, 2.9], "bs": [64, 128]})
    assert load_runs(runs) is runs
    again = load_runs(runs, extra=[BATCH])
    assert again.column("batch").tolist() == [64.0, 128.0] and dict(again.derived) == {"D": "D = C / (6 N)"}
    # read_table, then load_runs: a caller can look at (or add to) the columns between them.
    table = read_table({"N": [1e8, 4e8], "steps_to_target": [5, None], "bs": [64, 128]})
    assert isinstance(table, SourceTable) and list(table.frame.columns) == ["N", "steps_to_target", "bs"]
    assert match_columns(table.frame.columns, STEPS.aliases) == ["steps_to_target"]
    with_loss = dataclasses.replace(table, frame=table.frame.assign(loss=3.0))
    with pytest.raises(DataError, match=r"Column steps .* is empty in 1 row \(data row 2\): runs that never reached"):
        load_runs(with_loss, extra=[BATCH, STEPS])
    with pytest.raises(DataError, match=r"applies to file paths only\. Got format='csv' with a SourceTable"):
        load_runs(with_loss, format="csv")


def test_extra_specs_checked() -> None:
    assert Extra("lr", "learning_rate").aliases == ("lr", "learning_rate")
    assert Extra("lr", ("lr", "eta")).aliases == ("lr", "eta")
    with pytest.raises(DataError, match="The 'name' parameter of Extra must be a non-empty string other than the"):
        Extra("loss")
    with pytest.raises(DataError, match="The 'aliases' parameter of Extra must be a sequence of strings"):
        Extra("lr", (1, 2))
    with pytest.raises(DataError, match="The 'numeric' parameter of Extra must be a bool"):
        Extra("lr", numeric="yes")
    with pytest.raises(DataError, match="names 'lr' more than once"):
        load_runs(small(), extra=[Extra("lr"), "lr"])
    with pytest.raises(DataError, match="The 'extra' parameter of load_runs must be a sequence of Extra or a mapping"):
        load_runs(small(), extra=3)
