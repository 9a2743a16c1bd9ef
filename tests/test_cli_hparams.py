"""The `lawfit hparams` verb: a sweep's cell optima, laws and predictions from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lawfit import hparams
from lawfit.cli import main

MARIN = Path(__file__).parent / "data" / "hparam_sweeps_marin" / "sweep_lr_batch.csv"  # see its PROVENANCE.md
MARIN_COLS = ["--col", "N=N_nonembed", "--col", "D=D_target_tokens"]


def _synthetic(tmp_path: Path, name: str = "sweep.csv", **extra) -> Path:
    """Cells N in {1e8, 2e8, 4e8} at D = 20 N, each a 7-point lr grid about lr* = 3e-3 (N/1e8)^-0.5 (exact)."""
    rows = []
    for n in (1e8, 2e8, 4e8):
        best = 3e-3 * (n / 1e8) ** -0.5
        for lr in best * 2.0 ** (np.arange(7) - 3.3):
            rows.append({"params": n, "tokens": 20 * n, "learning_rate": lr, "loss": 3 + 0.03 * np.log(lr / best) ** 2})
    table = pd.DataFrame(rows)
    for key, value in extra.items():
        table[key] = value
    path = tmp_path / name
    table.to_csv(path, index=False)
    return path


def test_hparams_json_gives_optima_laws_and_predictions(tmp_path: Path, capsys) -> None:
    path = _synthetic(tmp_path)
    argv = ["hparams", str(path), "--lr-law", "N", "--sizes", "N=8e8", "--noise", "1e-3", "--bootstrap", "200"]
    argv.append("--json")
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    assert [o["value"] for o in record["optima"]["optima"]] == pytest.approx([3e-3, 3e-3 / 2**0.5, 1.5e-3], rel=1e-6)
    (law,) = record["laws"]
    assert law["params"]["alpha_N"] == pytest.approx(-0.5, abs=1e-6)
    (prediction,) = record["predictions"]
    assert prediction["value"] == pytest.approx(3e-3 / 8**0.5, rel=1e-5)
    interval = prediction["intervals"]["value"]
    assert interval["low"] < prediction["value"] < interval["high"] and interval["level"] == 0.9
    # The same numbers as the API.
    optima = hparams.cell_optima(hparams.load_sweep(path), noise=1e-3, n_resamples=200)
    assert law["params"]["a"] == pytest.approx(hparams.fit_law(optima, "lr", "N").params["a"], rel=1e-12)


def test_hparams_table_on_marin_by_optimizer(capsys) -> None:
    argv = ["hparams", str(MARIN), *MARIN_COLS, "--cell-by", "optimizer", "--skip-single"]
    argv += ["--sizes", "N=1.2e9,D=2.4e10"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "[optimizer=adamw]" in captured.out and "[optimizer=muon]" in captured.out
    assert "adamw  N=1.2e+09, D=2.4e+10: lr* = " in captured.out
    # Most of Marin's optima lie at an edge of their sweeps: one warning line says so.
    assert captured.err.count("EdgeWarning") == 1


def test_hparams_compute_uses_laws_of_c(tmp_path: Path, capsys) -> None:
    path = _synthetic(tmp_path)
    argv = ["hparams", str(path), "--compute", "1e20,1e21", "--noise", "1e-3", "--bootstrap", "50", "--json"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["laws"][0]["inputs"] == ["C"] and [p["C"] for p in record["predictions"]] == [1e20, 1e21]


@pytest.mark.parametrize(
    ("rows", "options", "needle"),
    [
        ({"lr": [1e-3] * 3}, [], "single learning rate (0.001): an optimum needs at least 2 values"),
        ({"lr": [1e-3, 0.0, 4e-3]}, [], "must be > 0, but 1 row (data row 2) is <= 0"),
        (
            {"lr": [1e-3, 2e-3, 4e-3], "batch_tokens": [5e5, -1.0, 5e5]},
            [],
            "Column batch (source column 'batch_tokens'",
        ),
        ({"lr": [1e-3, 2e-3, 4e-3], "batch_tokens": [5e5] * 3}, ["--seq-len", "4096"], "already counts tokens"),
        ({"eta": [1e-3, 2e-3, 4e-3], "wd": [0.1] * 3}, ["--col", "lr=peak"], "Cannot map lr to column 'peak'"),
        ({"wd": [0.1, 0.2, 0.3]}, [], "no learning-rate or batch-size column"),
        ({"lr": [1e-3, 2e-3, 4e-3]}, ["--near", "2"], "--near must be a number in (0, 1). Got 2.0 instead."),
    ],
)
def test_hparams_bad_input_is_one_line_with_status_2(tmp_path: Path, capsys, rows, options, needle) -> None:
    table = pd.DataFrame({"N": [1e8] * 3, "D": [2e9] * 3, "loss": [3.3, 3.2, 3.25], **rows})
    path = tmp_path / "bad.csv"
    table.to_csv(path, index=False)
    assert main(["hparams", str(path), *options]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lawfit: error: ") and needle in err, err


def test_hparams_batch_in_sequences_notes_and_seq_len_converts(tmp_path: Path, capsys) -> None:
    path = _synthetic(tmp_path, train_batch_size=256)
    argv = ["hparams", str(path), "--noise", "1e-3", "--bootstrap", "20", "--lr-law", "N", "--skip-single"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "DataWarning" in err and "look like sequences" in err and "--seq-len" in err
    assert main([*argv, "--seq-len", "4096", "--json"]) == 0
    captured = capsys.readouterr()
    assert "DataWarning" not in captured.err
    assert any("times seq_len 4096" in note for note in json.loads(captured.out)["sweep"]["notes"])


def test_hparams_edge_optimum_warns_on_stderr(tmp_path: Path, capsys) -> None:
    lr = 2.0 ** np.arange(-11, -6)
    table = pd.DataFrame({"N": np.repeat([1e8, 2e8], lr.size), "lr": np.tile(lr, 2)})
    table["loss"] = 3 + 0.03 * np.log(table["lr"] / 0.1) ** 2
    path = tmp_path / "edge.csv"
    table.to_csv(path, index=False)
    assert main(["hparams", str(path), "--noise", "1e-3", "--bootstrap", "20", "--lr-law", "N"]) == 0
    err = capsys.readouterr().err
    assert "EdgeWarning" in err and "at the edge of the values swept" in err


def test_hparams_writes_the_figure_checked_before_the_work(tmp_path: Path, capsys) -> None:
    from lawfit._files import lawfit_kind

    path = _synthetic(tmp_path)
    figure = tmp_path / "optima.png"
    argv = ["hparams", str(path), "--lr-law", "N", "--noise", "1e-3", "--bootstrap", "50", "-o", str(figure)]
    assert main(argv) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"figure     {figure} (optima)")
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and lawfit_kind(figure) == "figure"
    assert main([*argv[:-2], "-o", str(figure), "--kind", "laws", "--json"]) == 0  # lawfit's own figure: replaced
    assert json.loads(capsys.readouterr().out)["figure"] == str(figure)
    # A file lawfit did not write is refused before the sweep is read (this one has no learning-rate column).
    foreign, broken = tmp_path / "mine.svg", tmp_path / "broken.csv"
    foreign.write_text("<svg>not lawfit's</svg>")
    pd.DataFrame({"N": [1e8] * 3, "loss": [3.3, 3.2, 3.25]}).to_csv(broken, index=False)
    assert main(["hparams", str(broken), "-o", str(foreign)]) == 2
    err = capsys.readouterr().err
    assert "exists and lawfit did not write it" in err and "--force" in err
    assert foreign.read_text() == "<svg>not lawfit's</svg>"
    assert main([*argv[:-2], "-o", str(foreign), "--force"]) == 0 and lawfit_kind(foreign) == "figure"
    assert main(["hparams", str(path), "-o", str(tmp_path / "f.txt")]) == 2
    assert "must end in .png, .pdf or .svg" in capsys.readouterr().err
    assert main(["hparams", str(path), "--kind", "laws"]) == 2
    assert "give -o" in capsys.readouterr().err
