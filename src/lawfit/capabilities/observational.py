"""Observational scaling laws (Ruan, Maddison and Hashimoto 2024): benchmark scores of public models -> a few
principal "capability" components -> per-family linear laws in log compute -> a sigmoid of the components that
predicts a target metric, backtested against the same sigmoid of log FLOPs.

The steps, as the paper's code does them (github.com/ryoungj/ObsScaling, ``utils/data.py``):

- **Scaling of the benchmarks.** The components are an *un-standardised* PCA of the scores (each in [0, 1]): the
  scores are centred, not divided by their spread, so a benchmark counts by its variance across models.
- **Missing scores** are imputed by iterative PCA: each benchmark standardised (its observed mean and spread), the
  gaps filled with the mean, a rank-``rank`` PCA fitted (rank 1, as the paper), the gaps replaced by its
  reconstruction, repeated until the filled values move by less than 1e-6 (the paper's code tests all entries,
  observed ones included, which never settles, so it always runs its 1000 rounds); then scaled back and clipped
  to [0, 1]. On the 148 models of the bundled table this gives explained variance 0.853 / 0.093 / 0.027 (3 PCs:
  0.974); on its 124 complete rows alone, 0.843 / 0.100 / 0.031 (3 PCs: 0.974).
- **Which models the components come from.** In a back-test, the imputation and the PCA are fitted on the
  training models only and the held-out models are projected with them (the paper's ``pca_preprocess_data``).
- **Family laws.** Each component is linear in log10 FLOPs with one slope shared by all families and one offset
  per family (its compute efficiency): least squares with family dummies. A family with a single model pins its
  offset and nothing else, so it is left out of the fit with a note; asking for its prediction is an error.
- **The target** is ``floor + (ceiling - floor) * sigmoid(w . x + b)`` of the first ``n_components`` components,
  or of ln FLOPs (the baseline): by default the ceiling fixed at 1 and the floor free in [0, 0.2], the paper's
  "sigmoid-parametric". Intervals come from a bootstrap over models (seeded); the components stay those fitted.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .._checks import Instance, Integer, Options, Real, check, check_level, constrained
from .._lazy import pandas as pd
from ..data import COLUMN_ALIASES, listing, match_columns, read_table, split_unit
from ..errors import ConvergenceWarning, DataError, LawfitError

__all__ = [
    "PAPER_BENCHMARKS",
    "RUAN2024_EMERGENT",
    "Benchmarks",
    "Components",
    "CutoffBacktest",
    "FamilyFit",
    "ObservationalScaling",
    "SigmoidFit",
    "backtest_cutoff",
    "components",
    "family_fit",
    "fit_sigmoid",
    "load_benchmarks",
    "observational_scaling",
]

#: The 8 base benchmarks of Ruan et al. 2024 (their ``ALL_BENCHMARK_METRIC_LIST``).
PAPER_BENCHMARKS = ("MMLU", "ARC-C", "HellaSwag", "Winograd", "TruthfulQA", "GSM8K", "XWinograd", "HumanEval")
#: The 5 emergent metrics of the paper's Sec. 4.1 as columns of ``base_llm_emergent_capability_eval.csv``: exact
#: match for IPA transliteration (a share in [0, 1]; its BLEU is 0-100), and the paper's two arithmetic panels,
#: 3-digit subtraction and 2-digit multiplication.
RUAN2024_EMERGENT = MappingProxyType(
    {
        "word unscrambling": "word_unscrambling_2_exact_match",
        "Persian QA": "parsinlu_qa_2_acc",
        "IPA transliteration": "ipa_transliterate_2_exact_match",
        "3-digit subtraction": "arithmetic_3ds_2_acc",
        "2-digit multiplication": "arithmetic_2dm_2_acc",
    }
)

_ROLES = ("model", "family", "N", "D", "C")
_ALIASES = {
    "model": ("model", "model_name", "model name", "model_id", "name", "run", "run_id"),
    "family": ("model family", "model_family", "family", "group", "series"),
    "N": (*COLUMN_ALIASES["N"], "model size"),
    "D": (*COLUMN_ALIASES["D"], "pretraining data size", "pretraining tokens", "pretraining data"),
    "C": (*COLUMN_ALIASES["C"], "training compute", "pretraining flops"),
}
_MEANING = {"N": "parameters", "D": "tokens", "C": "FLOPs"}
_FLOOR_WIDTH = 0.2  # the paper's sigmoid_param_range_width: a free floor lies in [0, 0.2]
_TOL, _MAX_ITER = 1e-6, 1000
_SHOW = 5


def _frozen(array: Any) -> np.ndarray:
    out = np.array(array, dtype=np.float64)
    out.setflags(write=False)
    return out


def _rows(origin: Any, bad: np.ndarray, index: Any) -> str:
    return origin.rows(np.asarray(bad), index)


# ---------------------------------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True, eq=False)
class Benchmarks:
    """Models x benchmark scores, with their family and sizes, as :func:`load_benchmarks` reads them.

    ``scores`` holds the benchmarks the components are built from (NaN where missing); ``others`` more score
    columns (targets), by name; ``C``, ``N``, ``D`` are FLOPs, parameters and tokens (NaN where unknown).

    >>> table = load_benchmarks({"model": ["a", "b"], "MMLU": [0.3, 0.5], "FLOPs": [1e21, 1e22]})
    >>> table.benchmarks, table.C
    (('MMLU',), array([1.e+21, 1.e+22]))
    """

    model: tuple[str, ...]
    family: tuple[str, ...]
    benchmarks: tuple[str, ...]
    scores: np.ndarray
    C: np.ndarray
    N: np.ndarray
    D: np.ndarray
    others: Mapping[str, np.ndarray] = field(default_factory=dict)
    source: str = "<table>"
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("scores", "C", "N", "D"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "others", MappingProxyType({k: _frozen(v) for k, v in dict(self.others).items()}))
        object.__setattr__(self, "model", tuple(self.model))
        object.__setattr__(self, "family", tuple(self.family))
        object.__setattr__(self, "notes", tuple(self.notes))

    def __len__(self) -> int:
        return len(self.model)

    def column(self, name: str) -> np.ndarray:
        """The scores of a benchmark or of another score column."""
        if name in self.benchmarks:
            return self.scores[:, self.benchmarks.index(name)]
        if name in self.others:
            return self.others[name]
        raise DataError(
            f"The table from {self.source} has no score column {name!r}. Score columns: "
            f"{listing([*self.benchmarks, *self.others])}."
        )

    def select(self, mask: Any) -> Benchmarks:
        """The models where ``mask`` is true (or at the given positions)."""
        index = np.arange(len(self))[np.asarray(mask)]
        return Benchmarks(
            model=[self.model[i] for i in index],
            family=[self.family[i] for i in index],
            benchmarks=self.benchmarks,
            scores=self.scores[index],
            C=self.C[index],
            N=self.N[index],
            D=self.D[index],
            others={k: v[index] for k, v in self.others.items()},
            source=self.source,
            notes=self.notes,
        )

    def without(self, name: str) -> Benchmarks:
        """The table with benchmark ``name`` moved from the components' inputs to the other scores."""
        if name not in self.benchmarks:
            return self
        keep = [i for i, b in enumerate(self.benchmarks) if b != name]
        return Benchmarks(
            model=self.model,
            family=self.family,
            benchmarks=tuple(self.benchmarks[i] for i in keep),
            scores=self.scores[:, keep],
            C=self.C,
            N=self.N,
            D=self.D,
            others={**self.others, name: self.column(name)},
            source=self.source,
            notes=self.notes,
        )


def _resolve(frame: Any, columns: Mapping[str, Any], origin: Any, where: str) -> dict[str, Any]:
    labels = list(frame.columns)
    mapping: dict[str, Any] = {}
    for role, label in columns.items():
        if role not in _ROLES:
            raise LawfitError(
                f"The 'columns' parameter of {where} must map model, family, N, D or C to source columns. Got "
                f"{role!r} instead."
            )
        if label not in labels:
            raise DataError(
                f"The table from {origin.described} has no column {label!r} (mapped to {role}). Available "
                f"columns: {listing(labels)}."
            )
        mapping[role] = label
    for role in _ROLES:
        if role in mapping:
            continue
        found = [label for label in match_columns(labels, _ALIASES[role]) if label not in mapping.values()]
        if found:
            mapping[role] = found[0]
    if "model" not in mapping:
        raise DataError(
            f"The table from {origin.described} has no model column (none named model, model_name, name, ...). Map "
            f"it with --col model=COLUMN (Python: columns={{'model': 'COLUMN'}}). Available columns: "
            f"{listing(labels)}."
        )
    return mapping


def _numbers(frame: Any, label: Any, origin: Any, what: str) -> np.ndarray:
    raw = frame[label]
    values = np.array(pd.to_numeric(raw, errors="coerce"), dtype=np.float64)
    text = np.isnan(values) & raw.notna().to_numpy()
    if text.any():
        shown = raw[text].iloc[0]
        raise DataError(
            f"Column {label!r} ({what}) of {origin.described} holds text in {_rows(origin, text, frame.index)}, "
            f"e.g. {shown!r}. Give numbers (an empty cell for a missing value)."
        )
    values[np.isinf(values)] = np.nan
    return values


def _mostly_numbers(column: Any) -> bool:
    """A score column: at least half of its filled cells are numbers (so a stray text cell is an error, not a
    reason to skip the column)."""
    filled = column.notna()
    if not filled.any():
        return False
    return bool(pd.to_numeric(column[filled], errors="coerce").notna().mean() >= 0.5)


def _probabilities(values: np.ndarray, label: str, origin: Any, index: Any, fix: str) -> None:
    bad = ~np.isnan(values) & ((values < 0) | (values > 1))
    if bad.any():
        raise DataError(
            f"Scores must be shares in [0, 1]: column {label!r} of {origin.described} is outside [0, 1] in "
            f"{_rows(origin, bad, index)}, e.g. {values[bad][0]:g}. {fix}"
        )


@constrained(benchmarks=(Instance((list, tuple), "a list of column names"), None))
def load_benchmarks(
    source: Any,
    *,
    benchmarks: Sequence[str] | None = None,
    scores: Any = None,
    columns: Mapping[str, Any] | None = None,
    format: str | None = None,
) -> Benchmarks:
    """Read a table of models x benchmark scores (with family and sizes) and check it.

    Parameters
    ----------
    source : path, pandas.DataFrame or mapping
        Read as :func:`lawfit.load_runs` reads runs (CSV, TSV, Parquet, JSON, JSON Lines; the same errors for bad
        files). One row per model. Columns found by name (or mapped in ``columns``): ``model`` (model, name, ...),
        ``family`` (Model Family, family, group), ``N`` (parameters: Model Size (B), params, ...), ``D`` (tokens:
        Pretraining Data Size (T), tokens, ...), ``C`` (FLOPs: FLOPs (1E21), flops, compute, ...); a unit in a
        header is applied ("FLOPs (1E21)" counts 1e21 FLOPs). C missing where N and D are known is 6 N D.
    benchmarks : list of str, optional
        The score columns the components are built from; by default every other numeric column. Each must hold
        shares in [0, 1] (empty cells are missing scores).
    scores : path, pandas.DataFrame or mapping, optional
        More score columns (targets), joined by model: a model that ``source`` does not list is left out, with a
        note; one that ``scores`` does not list has no score there.
    columns : mapping, optional
        Role (model, family, N, D, C) -> column of ``source`` (and of ``scores`` for its model column).
    format : str, optional
        The file type of ``source``, as for :func:`lawfit.load_runs`.

    Examples
    --------
    >>> table = load_benchmarks({"Model": ["a", "b", "c"], "Model Family": ["x", "x", "y"],
    ...                          "FLOPs (1E21)": [1, 2, None], "MMLU": [0.3, 0.4, 0.5], "GSM8K": [0.1, None, 0.2]})
    >>> table.benchmarks, table.C, table.notes[0]
    (('MMLU', 'GSM8K'), array([1.e+21, 2.e+21,    nan]), "Read C (FLOPs) from column 'FLOPs (1E21)' (x 1e+21).")
    """
    where = "load_benchmarks"
    if columns is not None and not isinstance(columns, Mapping):
        raise LawfitError(
            f"The 'columns' parameter of {where} must be a mapping of role to column. Got {type(columns).__name__} "
            "instead."
        )
    table = read_table(source, format=format)
    frame, origin = table.frame, table.origin
    if len(frame) == 0:
        raise DataError(f"The table from {origin.described} has no rows.")
    mapping = _resolve(frame, dict(columns or {}), origin, where)
    notes = list(table.notes)
    model = [str(m) for m in frame[mapping["model"]].tolist()]
    repeated = sorted({m for m in model if model.count(m) > 1})
    if repeated:
        raise DataError(
            f"The table from {origin.described} lists models {listing(repeated[:_SHOW])} more than once; give one "
            "row per model."
        )
    family = (
        ["" if pd.isna(f) else str(f) for f in frame[mapping["family"]].tolist()]
        if "family" in mapping
        else [""] * len(model)
    )
    sizes = {}
    for role in ("N", "D", "C"):
        if role not in mapping:
            sizes[role] = np.full(len(model), np.nan)
            continue
        label = mapping[role]
        factor = split_unit(label)[1] or 1.0
        sizes[role] = _numbers(frame, label, origin, role) * factor
        unit = f" (x {factor:.0e})" if factor != 1.0 else ""
        notes.append(f"Read {role} ({_MEANING[role]}) from column {label!r}{unit}.")
        bad = sizes[role] <= 0
        if bad.any():
            raise DataError(
                f"Column {label!r} ({role}) of {origin.described} is <= 0 in {_rows(origin, bad, frame.index)}; "
                "sizes must be positive (leave the cell empty when unknown)."
            )
    derive = np.isnan(sizes["C"]) & ~np.isnan(sizes["N"]) & ~np.isnan(sizes["D"])
    if derive.any():
        sizes["C"] = np.where(derive, 6.0 * sizes["N"] * sizes["D"], sizes["C"])
        notes.append(f"Derived C = 6 N D for {int(derive.sum())} models without FLOPs.")
    taken = set(mapping.values())
    if benchmarks is None:
        chosen = [label for label in frame.columns if label not in taken and _mostly_numbers(frame[label])]
    else:
        chosen = list(benchmarks)
        missing = [b for b in chosen if b not in frame.columns]
        if missing:
            raise DataError(
                f"The table from {origin.described} has no benchmark column {listing(missing)}. Available columns: "
                f"{listing(list(frame.columns))}."
            )
    if not chosen:
        raise DataError(
            f"The table from {origin.described} has no benchmark score columns (numeric columns besides model, "
            "family, N, D, C). Name them with benchmarks=[...] (CLI: --benchmarks A,B)."
        )
    matrix = np.column_stack([_numbers(frame, b, origin, "a benchmark") for b in chosen])
    fix = "Give accuracies as fractions (divide percentages by 100), or leave the column out with --benchmarks."
    for j, label in enumerate(chosen):
        _probabilities(matrix[:, j], label, origin, frame.index, fix)
    others: dict[str, np.ndarray] = {}
    if scores is not None:
        more = read_table(scores)
        mframe, morigin = more.frame, more.origin
        given = {k: v for k, v in dict(columns or {}).items() if k == "model" and v in mframe.columns}
        mmap = _resolve(mframe, given, morigin, where)
        keys = [str(m) for m in mframe[mmap["model"]].tolist()]
        position = {m: i for i, m in enumerate(model)}
        unknown = [m for m in keys if m not in position]
        if unknown:
            notes.append(
                f"Left out {len(unknown)} models of {morigin.described} that {origin.described} does not list: "
                f"{listing(unknown[:_SHOW])}{', ...' if len(unknown) > _SHOW else ''}."
            )
        for label in mframe.columns:
            if label == mmap["model"] or label in chosen:
                continue
            values = _numbers(mframe, label, morigin, "a score")
            column = np.full(len(model), np.nan)
            for i, key in enumerate(keys):
                if key in position:
                    column[position[key]] = values[i]
            others[str(label)] = column
    for label in frame.columns:
        if label not in taken and label not in chosen and label not in others:
            if pd.api.types.is_numeric_dtype(frame[label]):
                others[str(label)] = frame[label].to_numpy(dtype=np.float64)
    return Benchmarks(
        model=model,
        family=family,
        benchmarks=tuple(str(b) for b in chosen),
        scores=matrix,
        C=sizes["C"],
        N=sizes["N"],
        D=sizes["D"],
        others=others,
        source=origin.described,
        notes=notes,
    )


# ---------------------------------------------------------------------------------------------------------------
# Components


def _pca(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre, loadings (rows, signed so each sums >= 0: higher is more capable) and explained-variance ratios."""
    mean = matrix.mean(axis=0)
    _, sv, vt = np.linalg.svd(matrix - mean, full_matrices=False)
    vt = vt * np.where(vt.sum(axis=1) < 0, -1.0, 1.0)[:, None]
    variance = sv**2
    return mean, vt, variance / variance.sum()


@dataclass(frozen=True)
class _Imputer:
    centre: np.ndarray
    spread: np.ndarray
    mean: np.ndarray
    basis: np.ndarray  # rank x benchmarks

    def fill(self, matrix: np.ndarray, fit: bool = False) -> tuple[np.ndarray, _Imputer, int, bool]:
        missing = np.isnan(matrix)
        z = np.where(missing, 0.0, (matrix - self.centre) / self.spread)
        imputer, rounds, settled = self, 0, True
        if missing.any():
            settled = False
            while rounds < _MAX_ITER:
                rounds += 1
                if fit:
                    mean, vt, _ = _pca(z)
                    imputer = _Imputer(self.centre, self.spread, mean, vt[: len(self.basis)])
                back = (z - imputer.mean) @ imputer.basis.T @ imputer.basis + imputer.mean
                change = np.max(np.abs(back[missing] - z[missing]))
                z[missing] = back[missing]
                if change < _TOL:
                    settled = True
                    break
        elif fit:
            mean, vt, _ = _pca(z)
            imputer = _Imputer(self.centre, self.spread, mean, vt[: len(self.basis)])
        filled = np.where(missing, np.clip(z * self.spread + self.centre, 0.0, 1.0), matrix)
        return filled, imputer, rounds, settled


@dataclass(frozen=True, eq=False)
class Components:
    """Principal components of benchmark scores: un-standardised PCA after iterative-PCA imputation.

    Attributes: ``benchmarks``; ``mean`` and ``loadings`` (components x benchmarks; each signed so its loadings
    sum >= 0); ``explained_variance_ratio`` (every component's share of the total variance); ``model`` and
    ``values`` (the fitted models' component scores); ``imputed`` (their scores with the gaps filled); ``rank``,
    ``n_imputed``, ``iterations`` and ``converged`` of the imputation.

    >>> rng = np.random.default_rng(0)
    >>> skill = rng.uniform(0, 1, 40)
    >>> table = load_benchmarks({"model": [f"m{i}" for i in range(40)],
    ...                          **{f"b{j}": 0.2 + 0.6 * skill**(j + 1) for j in range(4)}})
    >>> round(float(components(table, 2).explained_variance_ratio[0]), 2)
    0.96
    """

    benchmarks: tuple[str, ...]
    mean: np.ndarray
    loadings: np.ndarray
    explained_variance_ratio: np.ndarray
    model: tuple[str, ...]
    values: np.ndarray
    imputed: np.ndarray
    rank: int
    n_imputed: int
    iterations: int
    converged: bool
    imputer: Any = field(repr=False, default=None)

    def __post_init__(self) -> None:
        for name in ("mean", "loadings", "explained_variance_ratio", "values", "imputed"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def n_components(self) -> int:
        return int(self.loadings.shape[0])

    def transform(self, table: Benchmarks) -> np.ndarray:
        """The component scores of ``table``'s models: their gaps filled with this imputation, then projected."""
        missing = [b for b in self.benchmarks if b not in table.benchmarks and b not in table.others]
        if missing:
            raise DataError(f"The table from {table.source} lacks the benchmarks {listing(missing)} of the components.")
        matrix = np.column_stack([table.column(b) for b in self.benchmarks])
        filled = matrix if self.imputer is None else self.imputer.fill(matrix)[0]
        if np.isnan(filled).any():
            raise DataError("The components were fitted on complete rows only: the table's scores have gaps.")
        return (filled - self.mean) @ self.loadings.T

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "benchmarks": list(self.benchmarks),
            "scaling": "none (un-standardised PCA of scores in [0, 1], centred)",
            "mean": self.mean.tolist(),
            "loadings": self.loadings.tolist(),
            "explained_variance_ratio": self.explained_variance_ratio.tolist(),
            "n_models": len(self.model),
            "imputation": {
                "method": "iterative PCA on standardised scores, clipped to [0, 1]",
                "rank": self.rank,
                "n_imputed": self.n_imputed,
                "iterations": self.iterations,
                "converged": self.converged,
            },
        }

    def summary(self) -> str:
        """Loadings and explained variance, one row per component."""
        ratio = self.explained_variance_ratio
        lines = [
            f"components of {len(self.benchmarks)} benchmarks over {len(self.model)} models (un-standardised PCA; "
            f"{self.n_imputed} missing scores imputed by rank-{self.rank} iterative PCA)",
            "component  explained  cumulative  " + "  ".join(f"{b:>10}" for b in self.benchmarks),
        ]
        for k in range(self.n_components):
            loads = "  ".join(f"{v:>10.3f}" for v in self.loadings[k])
            lines.append(f"PC{k + 1:<8} {ratio[k]:>9.3f}  {ratio[: k + 1].sum():>10.3f}  {loads}")
        return "\n".join(lines)


@constrained(n_components=Integer(1), rank=Integer(1), impute=Instance((bool,), "a bool"))
def components(table: Benchmarks, n_components: int = 3, *, impute: bool = True, rank: int = 1) -> Components:
    """Principal components of the benchmark scores (un-standardised), the gaps imputed by iterative PCA.

    Parameters
    ----------
    table : Benchmarks
        From :func:`load_benchmarks`.
    n_components : int, default 3
        Components to keep; at most the number of benchmarks, and fewer than the complete rows.
    impute : bool, default True
        Fill missing scores by iterative rank-``rank`` PCA (the paper's ``pca_impute``); without it, only the
        models with every score are used.
    rank : int, default 1
        The rank of the imputing PCA (1, as the paper).

    Examples
    --------
    >>> table = load_benchmarks({"model": list("abcde"), "x": [.1, .2, .3, .4, .5], "y": [.2, .4, .6, .8, None]})
    >>> fit = components(table, 1)
    >>> fit.n_imputed, round(float(fit.imputed[4, 1]), 3), round(float(fit.explained_variance_ratio[0]), 3)
    (1, 1.0, 1.0)
    """
    if not isinstance(table, Benchmarks):
        raise LawfitError(
            f"The 'table' parameter of components must be Benchmarks (from load_benchmarks). Got "
            f"{type(table).__name__} instead."
        )
    n_bench = len(table.benchmarks)
    complete = ~np.isnan(table.scores).any(axis=1)
    need = n_components + 1
    if n_components > n_bench:
        raise LawfitError(
            f"The 'n_components' parameter of components must be at most the {n_bench} benchmarks. Got "
            f"{n_components} instead."
        )
    if complete.sum() < need:
        raise DataError(
            f"{n_components} components need at least {need} models with every benchmark score; the table from "
            f"{table.source} has {int(complete.sum())} of {len(table)}. Ask for fewer components (--components), "
            "or leave out the benchmarks most often missing (--benchmarks)."
        )
    rank = min(rank, n_bench)
    if impute:
        use, matrix = np.arange(len(table)), table.scores
        observed = np.where(np.isnan(matrix), np.nan, matrix)
        centre = np.nanmean(observed, axis=0)
        spread = np.nanstd(observed, axis=0)
        spread = np.where(spread > 0, spread, 1.0)
        start = _Imputer(centre, spread, np.zeros(n_bench), np.eye(n_bench)[:rank])
        filled, imputer, rounds, settled = start.fill(matrix, fit=True)
        if not settled:
            warnings.warn(
                ConvergenceWarning(
                    f"The imputation of missing scores did not settle in {_MAX_ITER} rounds; lower its rank.",
                    rounds=rounds,
                ),
                stacklevel=2,
            )
    else:
        use, filled, imputer, rounds, settled = np.flatnonzero(complete), table.scores[complete], None, 0, True
    mean, vt, ratio = _pca(filled)
    loadings = vt[:n_components]
    return Components(
        benchmarks=table.benchmarks,
        mean=mean,
        loadings=loadings,
        explained_variance_ratio=ratio,
        model=tuple(table.model[i] for i in use),
        values=(filled - mean) @ loadings.T,
        imputed=filled,
        rank=rank,
        n_imputed=int(np.isnan(table.scores[use]).sum()),
        iterations=rounds,
        converged=settled,
        imputer=imputer,
    )


# ---------------------------------------------------------------------------------------------------------------
# Family laws: component = slope * log10 C + offset[family]


def _needs_flops(table: Benchmarks, mask: np.ndarray, why: str) -> None:
    lacking = mask & np.isnan(table.C)
    if lacking.any():
        names = [table.model[i] for i in np.flatnonzero(lacking)]
        raise DataError(
            f"{len(names)} model{' has' if len(names) == 1 else 's have'} no FLOPs (C) but {why}: "
            f"{listing(names[:_SHOW])}{', ...' if len(names) > _SHOW else ''}. Give their FLOPs (or N and D), or "
            "leave them out."
        )


def _within(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Shared slopes (one per column of y) and per-group offsets by least squares with group dummies."""
    names = sorted(set(groups.tolist()))
    xc, yc = x.copy(), y.copy()
    for g in names:
        at = groups == g
        xc[at] -= x[at].mean()
        yc[at] -= y[at].mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):  # no spread of FLOPs within any family: NaN, checked
        slope = (xc @ yc) / (xc @ xc)
    offsets = {g: y[groups == g].mean(axis=0) - slope * x[groups == g].mean() for g in names}
    return slope, offsets


@dataclass(frozen=True, eq=False)
class FamilyFit:
    """Each component linear in log10 FLOPs: one slope shared by all families, one offset per family.

    ``offsets[family]`` holds the family's offset of every component; ``r2`` the share of each component's
    variance the law explains; ``excluded`` the families left out (one model with FLOPs, or none); ``draws`` the
    bootstrap's slopes and offsets (models resampled within each family).
    """

    slope: np.ndarray
    offsets: Mapping[str, np.ndarray]
    r2: np.ndarray
    n_models: Mapping[str, int]
    excluded: tuple[str, ...]
    draws: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "slope", _frozen(self.slope))
        object.__setattr__(self, "r2", _frozen(self.r2))
        object.__setattr__(self, "offsets", MappingProxyType({k: _frozen(v) for k, v in dict(self.offsets).items()}))
        object.__setattr__(self, "draws", MappingProxyType({k: _frozen(v) for k, v in dict(self.draws).items()}))
        object.__setattr__(self, "n_models", MappingProxyType(dict(self.n_models)))

    def _offset(self, family: str) -> np.ndarray:
        if family in self.offsets:
            return self.offsets[family]
        if family in self.excluded:
            raise DataError(
                f"Family {family!r} has fewer than two models with FLOPs: a family law needs two (its offset from "
                "one model is that model). Predict from a family with two or more models."
            )
        raise DataError(f"No family {family!r} in the table. Families: {listing(sorted(self.offsets))}.")

    def predict(self, family: str, compute: Any) -> np.ndarray:
        """The components of ``family`` at ``compute`` FLOPs (one row per budget)."""
        offset = self._offset(family)
        x = np.log10(np.atleast_1d(np.asarray(compute, dtype=np.float64)))
        return x[:, None] * self.slope + offset

    def relative_compute(self, family: str, reference: str) -> float:
        """How many times the FLOPs of ``reference`` that ``family`` needs for the same first component."""
        return float(10.0 ** ((self._offset(reference)[0] - self._offset(family)[0]) / self.slope[0]))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "slope": self.slope.tolist(),
            "offsets": {k: v.tolist() for k, v in self.offsets.items()},
            "r2": self.r2.tolist(),
            "n_models": dict(self.n_models),
            "excluded": list(self.excluded),
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """Slopes, fit quality and offsets per family."""
        pairs = enumerate(zip(self.slope, self.r2, strict=True))
        slopes = ", ".join(f"PC{k + 1} {s:.4g} (R2 {r:.3f})" for k, (s, r) in pairs)
        lines = [f"per log10 FLOPs, shared slope: {slopes}", "family  models  offsets"]
        for name in sorted(self.offsets, key=lambda f: -self.offsets[f][0]):
            lines.append(f"{name}  {self.n_models[name]}  " + ", ".join(f"{v:.4g}" for v in self.offsets[name]))
        lines += list(self.notes)
        return "\n".join(lines)


@constrained(n_resamples=Integer(0), seed=Integer(0))
def family_fit(
    table: Benchmarks, fitted: Components, *, family: str | None = None, n_resamples: int = 0, seed: int = 0
) -> FamilyFit:
    """Fit each component as ``slope * log10(C) + offset[family]`` (shared slope, family offsets).

    Models without FLOPs or family are left out, with a note; so are families with one model (noted). With
    ``family``, that family must have two models with FLOPs (an error otherwise).

    >>> table = load_benchmarks({"model": list("abcdef"), "family": list("xxxyyy"),
    ...     "C": [1e21, 1e22, 1e23, 1e21, 1e22, 1e23], "s": [.2, .4, .6, .3, .5, .7], "t": [.1, .3, .5, .2, .4, .6]})
    >>> law = family_fit(table, components(table, 1))
    >>> round(float(law.slope[0]) / float(law.slope[0]), 1), round(law.relative_compute("y", "x"), 3)
    (1.0, 0.316)
    """
    values = fitted.transform(table)
    groups = np.array(table.family, dtype=object)
    known = ~np.isnan(table.C) & (groups != "")
    notes = []
    if family is not None:
        own = groups == family
        if not own.any():
            raise DataError(f"No family {family!r} in the table from {table.source}.")
        _needs_flops(table, own, f"family {family!r} is asked for, and its law needs their FLOPs")
    if (~known).any():
        notes.append(f"Left out {int((~known).sum())} models without FLOPs or family.")
    names, counts = np.unique(groups[known], return_counts=True)
    singles = tuple(str(n) for n, c in zip(names, counts, strict=True) if c < 2)
    if family is not None and family in singles:
        raise DataError(
            f"Family {family!r} has one model with FLOPs: a family law needs two (its offset from one model is that "
            "model). Give more models of the family, or predict from another."
        )
    if singles:
        notes.append(f"Left out {len(singles)} families with one model (no slope to add): {listing(singles)}.")
    use = known & ~np.isin(groups, singles)
    if len(set(groups[use].tolist())) < 1 or use.sum() < 3:
        raise DataError("A family law needs at least one family with two models of different FLOPs.")
    x, y, g = np.log10(table.C[use]), values[use], groups[use]
    slope, offsets = _within(x, y, g)
    if not np.all(np.isfinite(slope)):
        raise DataError(
            "No family has models of different FLOPs: a family law needs two models of one family at different FLOPs."
        )
    fitted_y = x[:, None] * slope + np.array([offsets[v] for v in g])
    r2 = 1.0 - ((y - fitted_y) ** 2).sum(axis=0) / ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    draws: dict[str, np.ndarray] = {}
    if n_resamples:
        rng = np.random.default_rng(seed)
        members = {name: np.flatnonzero(g == name) for name in offsets}
        slopes, offs = [], {name: [] for name in offsets}
        for _ in range(n_resamples):
            pick = np.concatenate([rng.choice(idx, idx.size) for idx in members.values()])
            s, o = _within(x[pick], y[pick], g[pick])
            if not np.all(np.isfinite(s)):  # every family drew one model repeated: no slope in this resample
                s = slope
            slopes.append(s)
            for name in offsets:
                offs[name].append(o[name] if name in o else offsets[name])
        draws = {"slope": np.array(slopes), **{f"offset:{k}": np.array(v) for k, v in offs.items()}}
    return FamilyFit(
        slope=slope,
        offsets=offsets,
        r2=r2,
        n_models={str(n): int(c) for n, c in zip(*np.unique(g, return_counts=True), strict=True)},
        excluded=singles,
        draws=draws,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------------------------
# The sigmoid


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@dataclass(frozen=True, eq=False)
class SigmoidFit:
    """``target = floor + (ceiling - floor) * sigmoid(weights . x + intercept)``, ``x`` the components or ln FLOPs.

    ``x`` is ``"components"`` (the first ``len(weights)`` components of ``components``) or ``"flops"``;
    ``model`` the training models; ``draws`` the bootstrap's parameters (rows: weights, intercept, floor,
    ceiling) over resampled models.
    """

    target: str
    x: str
    weights: np.ndarray
    intercept: float
    floor: float
    ceiling: float
    model: tuple[str, ...]
    mse: float
    components: Components | None = field(default=None, repr=False)
    draws: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", _frozen(self.weights))
        object.__setattr__(self, "draws", _frozen(self.draws))

    def features(self, table: Benchmarks) -> np.ndarray:
        """The inputs of the sigmoid for ``table``'s models: their components, or ln FLOPs."""
        if self.x == "flops":
            _needs_flops(table, np.ones(len(table), bool), "the log-FLOPs sigmoid needs them")
            return np.log(table.C)[:, None]
        assert self.components is not None
        return self.components.transform(table)[:, : len(self.weights)]

    @staticmethod
    def _curve(params: np.ndarray, x: np.ndarray) -> np.ndarray:
        k = x.shape[1]
        return params[k + 1] + (params[k + 2] - params[k + 1]) * _sigmoid(x @ params[:k] + params[k])

    @property
    def params(self) -> np.ndarray:
        return np.r_[self.weights, self.intercept, self.floor, self.ceiling]

    def predict(self, table: Benchmarks | None = None, *, x: Any = None) -> np.ndarray:
        """The target for ``table``'s models (or for inputs ``x``: rows of components, or ln FLOPs)."""
        inputs = self.features(table) if x is None else np.atleast_2d(np.asarray(x, dtype=np.float64))
        return self._curve(self.params, inputs)

    def predict_interval(self, table: Benchmarks | None = None, *, x: Any = None, level: float = 0.9) -> tuple:
        """``(low, high)``: percentile intervals over the bootstrap's refits (``n_resamples`` of the fit)."""
        level = check_level(level, where="predict_interval")
        if self.draws.size == 0:
            raise LawfitError("This fit has no bootstrap: fit with n_resamples=1000 for intervals.")
        inputs = self.features(table) if x is None else np.atleast_2d(np.asarray(x, dtype=np.float64))
        curves = np.array([self._curve(p, inputs) for p in self.draws])
        tail = 100 * (1 - level) / 2
        return np.percentile(curves, tail, axis=0), np.percentile(curves, 100 - tail, axis=0)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "target": self.target,
            "x": self.x,
            "weights": self.weights.tolist(),
            "intercept": self.intercept,
            "floor": self.floor,
            "ceiling": self.ceiling,
            "n_models": len(self.model),
            "mse": self.mse,
            "bootstrap": {"n_resamples": int(self.draws.shape[0]), "seed": self.seed},
        }

    def summary(self) -> str:
        """The fitted curve in one line."""
        names = [f"PC{k + 1}" for k in range(len(self.weights))] if self.x == "components" else ["ln C"]
        inner = " + ".join(f"{w:.4g} {n}" for w, n in zip(self.weights, names, strict=True))
        return (
            f"{self.target} = {self.floor:.4g} + {self.ceiling - self.floor:.4g} sigmoid({inner} + "
            f"{self.intercept:.4g})  ({len(self.model)} models, mse {self.mse:.4g})"
        )


def _fit_curve(x: np.ndarray, y: np.ndarray, floor: float | None, ceiling: float | None, start: Any = None):
    from scipy.optimize import least_squares

    k = x.shape[1]
    low_f, high_f = (0.0, _FLOOR_WIDTH) if floor is None else (floor, floor)
    low_c, high_c = (1.0 - _FLOOR_WIDTH, 1.0) if ceiling is None else (ceiling, ceiling)
    eps = 1e-9
    # Fixed ends as bounds of width zero would stall the solver: they are held out of the parameter vector.
    free = np.array([True] * (k + 1) + [floor is None, ceiling is None])
    fixed = np.r_[np.zeros(k + 1), 0.0 if floor is None else floor, 1.0 if ceiling is None else ceiling]

    def full(p: np.ndarray) -> np.ndarray:
        out = fixed.copy()
        out[free] = p
        return out

    def residual(p: np.ndarray) -> np.ndarray:
        return SigmoidFit._curve(full(p), x) - y

    lo = np.r_[np.full(k + 1, -np.inf), low_f, low_c][free]
    hi = np.r_[np.full(k + 1, np.inf), high_f + eps, high_c + eps][free]
    if start is not None:
        starts = [np.clip(np.asarray(start)[free], lo, hi - eps)]
    else:
        f0 = low_f if floor is not None else min(max(float(y.min()), 0.0), _FLOOR_WIDTH)
        c0 = low_c if ceiling is not None else 1.0
        share = np.clip((y - f0) / max(c0 - f0, 1e-6), 0.02, 0.98)
        design = np.c_[x, np.ones(len(x))]
        line = np.linalg.lstsq(design, np.log(share / (1 - share)), rcond=None)[0]
        starts = [np.r_[line, f0, c0][free], np.r_[np.full(k, 1e-2), 0.0, f0, c0][free]]
        starts = [np.clip(s, lo, hi - eps) for s in starts]
    best = None
    for s in starts:
        result = least_squares(residual, s, bounds=(lo, hi), max_nfev=2000)
        if best is None or result.cost < best.cost:
            best = result
    params = full(best.x)
    return params, float(np.mean(residual(best.x) ** 2))


def _target(table: Benchmarks, target: str) -> np.ndarray:
    values = table.column(target)
    bad = ~np.isnan(values) & ((values < 0) | (values > 1))
    if bad.any():
        names = [table.model[i] for i in np.flatnonzero(bad)]
        raise DataError(
            f"The target {target!r} must be a share in [0, 1] for a sigmoid with floor and ceiling in [0, 1]: "
            f"{int(bad.sum())} models are outside it ({listing(names[:_SHOW])}, e.g. {values[bad][0]:g}). Divide "
            "it by its maximum (a BLEU of 0-100 by 100), or choose another target."
        )
    return values


@constrained(
    x=Options("components", "flops"),
    n_components=Integer(1),
    floor=(Real(0, 1), None),
    ceiling=(Real(0, 1), None),
    n_resamples=Integer(0),
    seed=Integer(0),
)
def fit_sigmoid(
    table: Benchmarks,
    target: str,
    *,
    x: str = "components",
    n_components: int = 3,
    fitted: Components | None = None,
    floor: float | None = None,
    ceiling: float | None = 1.0,
    n_resamples: int = 0,
    seed: int = 0,
) -> SigmoidFit:
    """Fit ``target = floor + (ceiling - floor) * sigmoid(w . x + b)`` over the models that have the target.

    Parameters
    ----------
    table : Benchmarks
        The models to fit (all that have a ``target`` score).
    target : str
        The score column to predict; it must hold shares in [0, 1]. If it is one of the benchmarks, it is left out
        of the components.
    x : {"components", "flops"}
        The inputs: the first ``n_components`` components (fitted on these models unless ``fitted`` is given), or
        ln FLOPs (the baseline; every model needs its FLOPs).
    floor, ceiling : float or None
        Fixed ends of the sigmoid, or None for free (floor in [0, 0.2], ceiling in [0.8, 1]). The default, ceiling
        1 and a free floor, is the paper's "sigmoid-parametric".
    n_resamples, seed : int
        Bootstrap over models (resampled with replacement, the sigmoid refitted; the components held) for intervals.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> skill = np.linspace(0, 1, 30)
    >>> table = load_benchmarks({"model": [f"m{i}" for i in range(30)], "a": skill, "b": 0.1 + 0.8 * skill,
    ...                          "task": 1 / (1 + np.exp(-(8 * skill - 5))), "C": 1e21 * 10**(3 * skill)})
    >>> fit = fit_sigmoid(table, "task", n_components=1)
    >>> fit.mse < 1e-4, fit_sigmoid(table, "task", x="flops").mse < 1e-4
    (True, True)
    """
    table = table.without(target)
    y = _target(table, target)
    rows = ~np.isnan(y)
    inputs_count = 1 if x == "flops" else n_components
    if rows.sum() < inputs_count + 3:
        raise DataError(
            f"Only {int(rows.sum())} models have a {target!r} score; a sigmoid of {inputs_count} inputs needs at "
            f"least {inputs_count + 3}."
        )
    train = table.select(rows)
    y = y[rows]
    if x == "flops":
        _needs_flops(train, np.ones(len(train), bool), "the log-FLOPs sigmoid needs them (or use x='components')")
        inputs, fitted = np.log(train.C)[:, None], None
    else:
        if fitted is None:
            fitted = components(train, n_components)
        elif fitted.n_components < n_components:
            raise LawfitError(
                f"The 'n_components' parameter of fit_sigmoid must be at most the {fitted.n_components} components "
                f"given. Got {n_components} instead."
            )
        inputs = fitted.transform(train)[:, :n_components]
    params, mse = _fit_curve(inputs, y, floor, ceiling)
    draws = np.empty((0, params.size))
    if n_resamples:
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(n_resamples):
            pick = rng.integers(0, len(y), len(y))
            out.append(_fit_curve(inputs[pick], y[pick], floor, ceiling, start=params)[0])
        draws = np.array(out)
    k = inputs.shape[1]
    return SigmoidFit(
        target=target,
        x=x,
        weights=params[:k],
        intercept=float(params[k]),
        floor=float(params[k + 1]),
        ceiling=float(params[k + 2]),
        model=train.model,
        mse=mse,
        components=fitted,
        draws=draws,
        seed=seed,
    )


# ---------------------------------------------------------------------------------------------------------------
# Back-test at a compute cut-off


@dataclass(frozen=True, eq=False)
class CutoffBacktest:
    """The component sigmoid against the log-FLOPs sigmoid, trained at or below ``cutoff`` FLOPs and scored on the
    models above it (mean squared error). ``predictions`` and ``low``/``high`` (bootstrap, ``level``) are per
    held-out model, keyed by ``"components"`` and ``"flops"``."""

    target: str
    cutoff: float
    n_components: int
    train: tuple[str, ...]
    test: tuple[str, ...]
    actual: np.ndarray
    predictions: Mapping[str, np.ndarray]
    mse: Mapping[str, float]
    fits: Mapping[str, SigmoidFit] = field(repr=False, default_factory=dict)
    low: Mapping[str, np.ndarray] = field(default_factory=dict)
    high: Mapping[str, np.ndarray] = field(default_factory=dict)
    level: float = 0.9
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "actual", _frozen(self.actual))
        for name in ("predictions", "low", "high"):
            value = {k: _frozen(v) for k, v in dict(getattr(self, name)).items()}
            object.__setattr__(self, name, MappingProxyType(value))
        object.__setattr__(self, "mse", MappingProxyType(dict(self.mse)))
        object.__setattr__(self, "fits", MappingProxyType(dict(self.fits)))

    @property
    def winner(self) -> str:
        """``"components"`` or ``"flops"``: the lower held-out error."""
        return "components" if self.mse["components"] < self.mse["flops"] else "flops"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: errors, fits and per-model predictions with intervals."""
        record: dict[str, Any] = {
            "target": self.target,
            "cutoff": self.cutoff,
            "n_components": self.n_components,
            "n_train": len(self.train),
            "n_test": len(self.test),
            "mse": dict(self.mse),
            "winner": self.winner,
            "fits": {k: v.to_dict() for k, v in self.fits.items()},
            "test": [
                {"model": m, "actual": float(self.actual[i]), **{k: float(v[i]) for k, v in self.predictions.items()}}
                for i, m in enumerate(self.test)
            ],
            "notes": list(self.notes),
        }
        if self.low:
            record["intervals"] = {
                k: {
                    "value": self.predictions[k].tolist(),
                    "low": self.low[k].tolist(),
                    "high": self.high[k].tolist(),
                    "level": self.level,
                }
                for k in self.low
            }
        return record

    def summary(self) -> str:
        """Both fits, both errors, and the held-out models."""
        lines = [
            f"{self.target}: trained on {len(self.train)} models at or below {self.cutoff:.3g} FLOPs, tested on "
            f"{len(self.test)} above",
            f"  mse, sigmoid of PC1-{self.n_components}: {self.mse['components']:.4g}",
            f"  mse, sigmoid of ln FLOPs:  {self.mse['flops']:.4g}",
            *(f"  {fit.summary()}" for fit in self.fits.values()),
            "model  actual  components  flops",
        ]
        for i, m in enumerate(self.test):
            cells = []
            for k in ("components", "flops"):
                text = f"{self.predictions[k][i]:.3f}"
                if k in self.low:
                    text += f" [{self.low[k][i]:.3f}, {self.high[k][i]:.3f}]"
                cells.append(text)
            lines.append(f"{m}  {self.actual[i]:.3f}  {cells[0]}  {cells[1]}")
        lines += list(self.notes)
        return "\n".join(lines)


@constrained(
    cutoff=Real(0, closed="neither"),
    n_components=Integer(1),
    floor=(Real(0, 1), None),
    ceiling=(Real(0, 1), None),
    n_resamples=Integer(0),
    seed=Integer(0),
)
def backtest_cutoff(
    table: Benchmarks,
    target: str,
    cutoff: float,
    *,
    n_components: int = 3,
    floor: float | None = None,
    ceiling: float | None = 1.0,
    n_resamples: int = 0,
    seed: int = 0,
    level: float = 0.9,
) -> CutoffBacktest:
    """Train both sigmoids on the models with FLOPs at or below ``cutoff`` (as the paper's ``cutoff_by_FLOPs``),
    predict those above, and compare their mean squared errors.

    The imputation and the components are fitted on the training models only; the held-out models are projected
    with them. Models without FLOPs cannot be placed on either side of the cut-off: they are left out, with a note.

    >>> skill = np.linspace(0, 1, 30)
    >>> table = load_benchmarks({"model": [f"m{i}" for i in range(30)], "a": skill, "b": 0.1 + 0.8 * skill,
    ...                          "task": 1 / (1 + np.exp(-(8 * skill - 5))), "C": 1e21 * 10**(3 * skill)})
    >>> result = backtest_cutoff(table, "task", 1e23, n_components=1)
    >>> len(result.train), len(result.test), result.mse["components"] < 1e-3
    (20, 10, True)
    """
    level = check_level(level, where="backtest_cutoff")
    table = table.without(target)
    y = _target(table, target)
    has = ~np.isnan(y)
    notes = []
    unplaced = has & np.isnan(table.C)
    if unplaced.any():
        notes.append(f"Left out {int(unplaced.sum())} models with a {target!r} score but no FLOPs (not placeable).")
    train_mask = has & (table.C <= cutoff)
    test_mask = has & (table.C > cutoff)
    if not test_mask.any():
        raise DataError(f"No model with a {target!r} score is above the cut-off {cutoff:g} FLOPs: nothing to test.")
    train, test = table.select(train_mask), table.select(test_mask)
    fitted = components(train, n_components)
    fits, predictions, low, high = {}, {}, {}, {}
    for x in ("components", "flops"):
        fit = fit_sigmoid(
            train,
            target,
            x=x,
            n_components=n_components,
            fitted=fitted if x == "components" else None,
            floor=floor,
            ceiling=ceiling,
            n_resamples=n_resamples,
            seed=seed,
        )
        fits[x] = fit
        predictions[x] = fit.predict(test)
        if n_resamples:
            low[x], high[x] = fit.predict_interval(test, level=level)
    actual = test.column(target)
    return CutoffBacktest(
        target=target,
        cutoff=float(cutoff),
        n_components=n_components,
        train=train.model,
        test=test.model,
        actual=actual,
        predictions=predictions,
        mse={k: float(np.mean((v - actual) ** 2)) for k, v in predictions.items()},
        fits=fits,
        low=low,
        high=high,
        level=level,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------------------------
# Everything at once (the CLI verb)


@dataclass(frozen=True, eq=False)
class ObservationalScaling:
    """What :func:`observational_scaling` found: the components (of all models), the family laws, and with a target the
    sigmoid fit (or the back-test at a cut-off) and the prediction for a family at some compute."""

    components: Components
    families: FamilyFit | None
    sigmoid: SigmoidFit | None = None
    backtest: CutoffBacktest | None = None
    at: Mapping[str, Any] | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        record: dict[str, Any] = {"components": self.components.to_dict()}
        record["families"] = None if self.families is None else self.families.to_dict()
        if self.sigmoid is not None:
            record["sigmoid"] = self.sigmoid.to_dict()
        if self.backtest is not None:
            record["backtest"] = self.backtest.to_dict()
        if self.at is not None:
            record["at"] = dict(self.at)
        record["notes"] = list(self.notes)
        return record

    def summary(self) -> str:
        """Components, family laws, and the target's fit or back-test."""
        parts = [self.components.summary()]
        if self.families is not None:
            parts.append(self.families.summary())
        if self.sigmoid is not None:
            parts.append(self.sigmoid.summary())
        if self.backtest is not None:
            parts.append(self.backtest.summary())
        if self.at is not None:
            at = self.at
            interval = at.get("intervals", {}).get(at["target"])
            band = f" [{interval['low'][0]:.4g}, {interval['high'][0]:.4g}] ({interval['level']:g})" if interval else ""
            parts.append(
                f"{at['target']} of family {at['family']} at {at['C'][0]:.3g} FLOPs: {at[at['target']][0]:.4g}{band}"
            )
        if self.notes:
            parts.append("\n".join(self.notes))
        return "\n\n".join(parts)


def observational_scaling(
    source: Any,
    *,
    target: str | None = None,
    scores: Any = None,
    benchmarks: Sequence[str] | None = None,
    columns: Mapping[str, Any] | None = None,
    format: str | None = None,
    cutoff: float | None = None,
    n_components: int = 3,
    family: str | None = None,
    compute: float | None = None,
    floor: float | None = None,
    ceiling: float | None = 1.0,
    level: float = 0.9,
    n_resamples: int = 1000,
    seed: int = 0,
) -> ObservationalScaling:
    """Read a table of benchmark scores and run the whole analysis (what ``lawfit capabilities`` prints).

    Components and family laws of all models; with ``target``, its sigmoid of the components (fitted on every
    model with a score, or with ``cutoff`` back-tested against log FLOPs); with ``family`` and ``compute``, the
    target (or the components) predicted for that family at that compute, with bootstrap intervals.

    >>> skill = np.linspace(0, 1, 30)
    >>> result = observational_scaling({"model": [f"m{i}" for i in range(30)], "family": ["f", "g"] * 15, "a": skill,
    ...     "b": skill**2, "C": 1e21 * 10**(3 * skill)}, n_components=1, n_resamples=0)
    >>> round(float(result.families.slope[0]) / 0.5, 1) > 0
    True
    """
    level = check_level(level, where="observational_scaling")
    check(n_components, Integer(1), "n_components", "observational_scaling")
    if (family is None) != (compute is None):
        raise LawfitError(
            "A prediction for a family at some compute needs both family= and compute= (CLI: --family F --compute C)."
        )
    if compute is not None:
        check(compute, Real(0, closed="neither"), "compute", "observational_scaling")
    table = load_benchmarks(source, benchmarks=benchmarks, scores=scores, columns=columns, format=format)
    if target is not None:
        table.column(target)
        table = table.without(target)
    if cutoff is not None and target is None:
        raise LawfitError("A cut-off back-test needs a target score: give target= (CLI: --target COLUMN).")
    fitted = components(table, n_components)
    notes: list[str] = list(table.notes)
    families = None
    if any(table.family) and (~np.isnan(table.C)).any():
        families = family_fit(table, fitted, family=family, n_resamples=n_resamples if family else 0, seed=seed)
    elif family is not None:
        raise DataError(f"The table from {table.source} has no family or FLOPs column: no family law to predict from.")
    sigmoid = backtest = None
    if target is not None:
        if cutoff is not None:
            backtest = backtest_cutoff(
                table, target, cutoff, n_components=n_components, floor=floor, ceiling=ceiling,
                n_resamples=n_resamples, seed=seed, level=level,
            )  # fmt: skip
        rows = ~np.isnan(table.column(target))
        sigmoid = fit_sigmoid(
            table.select(rows), target, fitted=fitted, n_components=n_components, floor=floor, ceiling=ceiling,
            n_resamples=n_resamples if family else 0, seed=seed,
        )  # fmt: skip
    at = None
    if family is not None and families is not None:
        pcs = families.predict(family, compute)
        at = {"family": family, "C": [float(compute)], "components": pcs.tolist()}
        draws = families.draws
        if target is not None and sigmoid is not None:
            at["target"] = target
            at[target] = sigmoid.predict(x=pcs[:, :n_components]).tolist()
            if draws and sigmoid.draws.size:
                x = np.log10(float(compute))
                sims = [
                    SigmoidFit._curve(p, (x * draws["slope"][r] + draws[f"offset:{family}"][r])[None, :n_components])
                    for r, p in enumerate(sigmoid.draws)
                ]
                tail = 100 * (1 - level) / 2
                at["intervals"] = {
                    target: {
                        "value": at[target],
                        "low": [float(np.percentile(sims, tail))],
                        "high": [float(np.percentile(sims, 100 - tail))],
                        "level": level,
                    }
                }
        else:
            at["target"] = "PC1"
            at["PC1"] = [float(pcs[0, 0])]
            if draws:
                sims = np.log10(float(compute)) * draws["slope"][:, 0] + draws[f"offset:{family}"][:, 0]
                tail = 100 * (1 - level) / 2
                at["intervals"] = {
                    "PC1": {
                        "value": at["PC1"],
                        "low": [float(np.percentile(sims, tail))],
                        "high": [float(np.percentile(sims, 100 - tail))],
                        "level": level,
                    }
                }
    return ObservationalScaling(
        components=fitted, families=families, sigmoid=sigmoid, backtest=backtest, at=at, notes=tuple(notes)
    )
