"""Marin's optimizer sweeps: lawfit's learning-rate and batch-size laws, fitted on 130M-520M, predict the 1.2B settings.

For AdamW and Muon, the cell optima of the 130M, 300M and 520M sweeps at 1-8x Chinchilla (Marin's own fitting
domain) give lr*(N, D) = a N^alpha_N D^alpha_D and batch*(D) = a D^alpha_D (tokens). Each law predicts the 1.2B
settings at 1, 2, 4 and 8x Chinchilla; the table holds the prediction (with its 90% interval), the best 1.2B
configuration measured (the lowest loss along the 1.2B sweep's line through its centre; the learning rate was swept
on a factor-2 grid, so a
prediction within a factor 2 of it is within one grid step), Marin's own predicted configuration
(predicted_1p2b_configs.csv), and the loss of the 1.2B sweep point nearest the prediction (in log setting) against
the best loss of that 1.2B setting. It also checks that Marin's own fit form, refitted here by lawfit.hparams.marin_fit,
reproduces Marin's published 1.2B predictions.

Data: tests/data/hparam_sweeps_marin/ (see its PROVENANCE.md; Apache-2.0).
Run: .venv/bin/python benchmarks/bench_hparams.py
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from lawfit.errors import EdgeWarning
from lawfit.hparams import cell_optima, fit_law, load_sweep, marin_fit

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "hparam_sweeps_marin"
N_12B = 1207959552.0
COLUMNS = {"N": "N_nonembed", "D": "D_target_tokens"}
HPARAM_COLUMN = {"lr": "learning_rate", "batch": "batch_size_tokens"}
LAWS = {"lr": "N,D", "batch": "D"}


def marin_comparison(optimizers=("adamw", "muon"), n_resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """One row per (optimizer, hparam, C): lawfit's prediction at 1.2B, the best measured, Marin's, and the loss
    nearest the prediction."""
    sweep = load_sweep(DATA / "sweep_lr_batch.csv", columns=COLUMNS, cell_by=("optimizer", "N", "D"))
    table = sweep.table
    small = sweep.select(((table["N"] < 1e9) & (table["chinchilla"] <= 8)).to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeWarning)  # most Marin optima are at an edge: the table says which
        optima = cell_optima(small, skip_single=True, n_resamples=n_resamples, seed=seed)
    predicted = pd.read_csv(DATA / "predicted_1p2b_configs.csv")
    big = table[table["N"] > 1e9]
    rows = []
    for opt in optimizers:
        for hparam in ("lr", "batch"):
            law = fit_law(optima, hparam, LAWS[hparam], where={"optimizer": opt})
            for c in (1, 2, 4, 8):
                D = 20.0 * c * N_12B
                value = float(law.predict(N=N_12B, D=D))
                low, high = law.predict_interval(N=N_12B, D=D)
                cell = big[(big["optimizer"] == opt) & (big["chinchilla"] == c)]
                # The 1-D sweep along this hyperparameter through the centre (the others held at the centre's).
                other = "batch" if hparam == "lr" else "lr"
                centre = cell[cell["is_center"]].iloc[0]
                line = cell[np.isclose(cell[other], centre[other])]
                best = line.loc[line["loss"].idxmin()]
                nearest = line.iloc[int(np.argmin(np.abs(np.log(line[hparam].to_numpy() / value))))]
                marin = predicted[(predicted["optimizer"] == opt) & (predicted["chinchilla"] == c)]
                rows.append(
                    {
                        "optimizer": opt,
                        "hparam": hparam,
                        "C": c,
                        "lawfit": value,
                        "low": float(low),
                        "high": float(high),
                        "best_measured": float(best[hparam]),
                        "n_values_1p2b": int(line[hparam].nunique()),
                        "ratio_to_best": value / float(best[hparam]),
                        "marin": float(marin[HPARAM_COLUMN[hparam]].iloc[0]),
                        "nearest": float(nearest[hparam]),
                        "nearest_loss": float(nearest["loss"]),
                        "best_loss": float(best["loss"]),
                        "law": f"{law.formula}: " + ", ".join(f"{k}={v:.4g}" for k, v in law.params.items()),
                    }
                )
    return pd.DataFrame(rows)


def marin_reproduction(optimizers=("adamw", "nadamw", "muon", "soape")) -> pd.DataFrame:
    """Marin's fit form refitted on its best configurations against its published 1.2B predictions."""
    best = pd.read_csv(DATA / "results_best_configs.csv")
    predicted = pd.read_csv(DATA / "predicted_1p2b_configs.csv")
    rows = []
    for opt in optimizers:
        for column in ("learning_rate", "train_batch_size"):
            fit = marin_fit(best[best["optimizer"] == opt], column)
            for c in (1, 2, 4, 8):
                published = float(
                    predicted[(predicted["optimizer"] == opt) & (predicted["chinchilla"] == c)][column].iloc[0]
                )
                ours = float(fit.predict(N_12B, c))
                rows.append({"optimizer": opt, "hparam": column, "C": c, "refit": ours, "published": published,
                             "rel_diff": abs(ours / published - 1)})  # fmt: skip
    return pd.DataFrame(rows)


def marin_form_through_the_engine(optimizers=("adamw", "muon")) -> pd.DataFrame:
    """Marin's form A N^B C^Cexp + K (K: Marin's D, renamed from lawfit's input name D) fitted by lawfit's global
    search (objective: squared residuals, as curve_fit's), against curve_fit's local fit from Marin's p0."""
    import lawfit

    law = lawfit.formula_law(
        "A * N**B * C**Cexp + K",
        params={
            "A": {"lower": -1e12, "upper": 1e12, "scale": "linear", "grid": [-1e4, -10, 0.01, 10, 1e4]},
            "K": {"lower": -1e12, "upper": 1e12, "scale": "linear", "grid": [-10, 0, 0.01, 10]},
            "B": {"grid": [-1, -0.5, -0.1, -0.001]},
            "Cexp": {"grid": [-0.5, -0.1, 0, 0.1]},
        },
    )
    best = pd.read_csv(DATA / "results_best_configs.csv")
    predicted = pd.read_csv(DATA / "predicted_1p2b_configs.csv")
    rows = []
    for opt in optimizers:
        part = best[(best["optimizer"] == opt) & (best["N_nonembed"] < 6e8) & (best["chinchilla"] <= 8)]
        left_out = ((part["N_nonembed"] < 2e8) & (part["chinchilla"] == 1)) | (
            (part["N_nonembed"] > 5e8) & (part["chinchilla"] == 8)
        )
        part = part[~left_out]
        N, C = part["N_nonembed"].to_numpy(float), part["chinchilla"].to_numpy(float)
        for column in ("learning_rate", "train_batch_size"):
            y = part[column].to_numpy(float)
            runs = lawfit.load_runs({"N": N, "C": C, "loss": y})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                engine = lawfit.fit(runs, law, objective="mse")
            reference = marin_fit(best[best["optimizer"] == opt], column)
            published = predicted[predicted["optimizer"] == opt].sort_values("chinchilla")[column].to_numpy()
            ours = np.array([float(engine.law.predict(engine.params, N=N_12B, C=c)) for c in (1.0, 2.0, 4.0, 8.0)])
            rows.append(
                {
                    "optimizer": opt,
                    "hparam": column,
                    "sse_engine": float(np.sum((engine.law.predict(engine.params, N=N, C=C) - y) ** 2)),
                    "sse_curve_fit": float(np.sum((reference.predict(N, C) - y) ** 2)),
                    "max_rel_diff_engine": float(np.max(np.abs(ours / published - 1))),
                    "max_rel_diff_curve_fit": float(
                        np.max(np.abs(reference.predict(N_12B, [1, 2, 4, 8]) / published - 1))
                    ),
                    "engine": ", ".join(f"{k}={v:.4g}" for k, v in engine.params.items()),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    start = time.perf_counter()
    table = marin_comparison()
    elapsed = time.perf_counter() - start
    print("Marin 1.2B: lawfit's laws fitted on 130M-520M x 1-8x Chinchilla (cell optima; 90% intervals)")
    for (opt, hparam), part in table.groupby(["optimizer", "hparam"], sort=False):
        print(f"\n{opt} {hparam}*  law {part['law'].iloc[0]}")
        print(
            f"  {'C':>2}  {'lawfit':>10}  {'90% interval':>23}  {'best 1.2B':>10}  {'#tried':>6}  {'ratio':>6}  "
            f"{'Marin':>10}  {'nearest':>10}  {'its loss':>8}  {'best loss':>9}  gap"
        )
        for r in part.itertuples():
            print(
                f"  {r.C:>2}  {r.lawfit:>10.4g}  [{r.low:>10.4g}, {r.high:>10.4g}]  {r.best_measured:>10.4g}  "
                f"{r.n_values_1p2b:>6}  {r.ratio_to_best:>6.2f}  {r.marin:>10.4g}  {r.nearest:>10.4g}  "
                f"{r.nearest_loss:>8.4f}  {r.best_loss:>9.4f}  {r.nearest_loss - r.best_loss:+.4f}"
            )
    lr = table[table["hparam"] == "lr"]
    within = np.abs(np.log2(lr["ratio_to_best"])) <= 1
    print(
        f"\nlearning rate within one factor-2 grid step of the best measured 1.2B: {int(within.sum())} of {len(lr)}; "
        f"of Marin's predictions: "
        f"{int((np.abs(np.log2(lr['marin'] / lr['best_measured'])) <= 1).sum())} of {len(lr)}"
    )
    repro = marin_reproduction()
    lr_diff = repro[repro.hparam == "learning_rate"]["rel_diff"].max()
    print(
        f"Marin's own fit form refitted (marin_fit) against its published 1.2B predictions: max relative difference "
        f"{repro['rel_diff'].max():.2e} over {len(repro)} values (learning rate {lr_diff:.2e})"
    )
    print(f"time: {elapsed:.2f} s for the optima and laws of two optimizers")
    print("\nMarin's form through lawfit's global search (objective: squared residuals) against curve_fit from p0:")
    engine = marin_form_through_the_engine()
    for r in engine.itertuples():
        print(
            f"  {r.optimizer:<6} {r.hparam:<17} SSE engine {r.sse_engine:.4g} vs curve_fit {r.sse_curve_fit:.4g}; "
            f"1.2B vs published: engine {r.max_rel_diff_engine:.2e}, curve_fit {r.max_rel_diff_curve_fit:.2e}  "
            f"({r.engine})"
        )


if __name__ == "__main__":
    main()
