"""``auto``: choose the law (and the weighting of the runs) by how it extrapolates on the user's own runs.

Every candidate is fitted below the same nested cuts of scale as the forecast calibration uses (the largest budgets
held out: 20% to 50% of the runs; see :mod:`lawfit.calibration`) and predicts the runs above each cut. Its score is
the mean over the cuts of the mean absolute relative error of those predictions: each cut counts once, however many
runs it holds out. The mean, not the median, of the errors: a forecast is judged by the size of its misses, and the
mean |error| is the expected loss of a point forecast under absolute loss, which a median of the errors is not (on
datablations, fitted below 1e9 parameters, ``kaplan`` had the lowest median error beyond the cuts but a tail of
large misses, and extrapolated worst). The candidate with the lowest score is chosen (ties: fewer parameters, then
the order given). The choice sees only the runs it is given; how well the choosing itself does is a question for an
outer back-test whose held-out runs it never saw (``lawfit backtest --law auto``, ``benchmarks/bench_forecast.py``).

Default candidates, for runs with N and D: ``chinchilla``; one exponent for N and D (``overtraining``, Gadre et al.
2024, when tokens per parameter span 10x or more, else the same law as the formula ``E + A/N**alpha +
B/D**alpha``); ``power`` in C; ``kaplan``; ``data_constrained`` and its tied form when the runs have unique tokens
``U``; a broken power law in C (``bnsl``) when there are 6 budgets or more to show a bend. Each law comes twice: with
the runs weighted alike, and with weights growing with scale (``weight_growth=0.25``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .calibration import NestedBacktests, nested_backtests_batch, nested_cuts, scale_of
from .data import Runs, budget_groups
from .errors import LawfitError
from .laws import Law, resolve_law
from .objectives import Objective
from .search import SearchOptions

__all__ = [
    "GROWTH",
    "Candidate",
    "Selection",
    "as_candidates",
    "default_candidates",
    "select",
    "selection_label",
    "selection_lines",
]

#: The weight growth of the weighted variant of each candidate law.
GROWTH = 0.25
#: Nested fits of the candidates use a lighter search than a final fit: their optima only rank the candidates.
_NESTED_SEARCH = SearchOptions(n_explore=32, n_polish=4, max_steps=1000)


@dataclass(frozen=True)
class Candidate:
    """A law and the weighting of the runs it is fitted with."""

    name: str
    law: Law
    weight_growth: float = 0.0


@dataclass(frozen=True, eq=False)
class Selection:
    """The candidates' nested back-tests and the one chosen.

    Attributes
    ----------
    rows : tuple of dict
        One row per candidate, in the order tried: ``law``, ``weight_growth``, ``n_params``, ``score`` (mean over
        cuts of the mean |relative error|), ``per_cut`` (that mean per cut), ``max_abs_rel_error`` (over all
        cuts), ``chosen`` and ``note`` (why a candidate could not be scored).
    chosen : Candidate
    nested : NestedBacktests
        The nested back-tests of the choosing itself, which calibrate ``auto``'s forecast intervals: at each cut,
        the errors of the candidate that the *other* cuts would have chosen (leave one cut out). Where every cut
        agrees on the choice, these are the chosen candidate's own; where the choice is unstable, its errors show.
    by : str
        The scale cut.
    cuts : tuple of float
    """

    rows: tuple[dict[str, Any], ...]
    chosen: Candidate
    nested: NestedBacktests
    by: str
    cuts: tuple[float, ...]


def default_candidates(runs: Runs) -> list[Candidate]:
    """The laws ``auto`` tries on these runs (see the module's docstring), each with both weightings."""
    columns = set(runs.columns)
    laws: list[tuple[str, Law]] = []
    if {"N", "D"} <= columns:
        ratio = runs.column("D") / runs.column("N")
        tied = "overtraining" if ratio.max() >= 10.0 * ratio.min() else "E + A/N**alpha + B/D**alpha"
        laws += [("chinchilla", resolve_law("chinchilla")), (tied, resolve_law(tied))]
        if "U" in columns:
            laws += [
                ("data_constrained", resolve_law("data_constrained")),
                ("data_constrained(tie=True)", resolve_law("data_constrained", tie=True)),
            ]
    scale = "C" if "C" in columns else next((x for x in ("N", "D") if x in columns), None)
    if scale is None:
        raise LawfitError("The 'auto' law needs runs with N, D or C; map them with columns={'N': 'COLUMN'} (or D, C).")
    laws.append((f"power(x={scale})" if scale != "C" else "power", resolve_law("power", x=scale)))
    if {"N", "D"} <= columns:
        laws.append(("kaplan", resolve_law("kaplan")))
    if int(budget_groups(runs.column(scale)).max()) + 1 >= 6:
        laws.append((f"bnsl(x={scale})" if scale != "C" else "bnsl", resolve_law("bnsl", x=scale)))
    return [Candidate(name, law, growth) for name, law in laws for growth in (0.0, GROWTH)]


def as_candidates(laws: Sequence[Law | str | Candidate] | Mapping[str, Law | str]) -> list[Candidate]:
    """The user's candidates: names, formulas, Law values or Candidates (a mapping gives display names)."""
    items = list(laws.items()) if isinstance(laws, Mapping) else [(None, law) for law in laws]
    if not items:
        raise LawfitError("The 'candidates' of auto must name at least one law. Got none instead.")
    out = []
    for name, law in items:
        if isinstance(law, Candidate):
            out.append(law)
            continue
        the_law = resolve_law(law)
        out.append(
            Candidate(str(name) if name is not None else (law if isinstance(law, str) else the_law.name), the_law)
        )
    return out


def select(
    runs: Runs,
    weights: np.ndarray,
    objective: Objective,
    candidates: Sequence[Candidate] | None = None,
    *,
    by: str | None = None,
) -> Selection:
    """Score each candidate by its nested back-tests on ``runs`` and choose the best (see the module docstring).

    >>> import lawfit
    >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    >>> s = select(runs, runs.weights, Objective(), [Candidate("chinchilla", lawfit.get_law("chinchilla"))])
    >>> s.chosen.name, len(s.cuts)
    ('chinchilla', 4)
    """
    candidates = list(candidates) if candidates is not None else default_candidates(runs)
    by = by or _common_scale(runs, candidates)
    scale = runs.column(by)
    fewest = max(len(c.law.params) for c in candidates)
    cuts = nested_cuts(scale, weights, fewest)
    if not cuts:
        raise LawfitError(
            f"The 'auto' law needs runs at 3 or more budgets of {by}, so that laws fitted on the smaller ones can be "
            f"scored on the larger ones; these runs allow no such cut. Name a law instead (e.g. chinchilla)."
        )
    nested: dict[int, NestedBacktests] = {}
    notes: dict[int, str] = {}
    by_law: dict[int, list[int]] = {}
    for i, candidate in enumerate(candidates):
        by_law.setdefault(id(candidate.law), []).append(i)
    for indices in by_law.values():
        law = candidates[indices[0]].law
        rows_of_weights = np.vstack(
            [
                weights * replace(objective, weight_growth=candidates[i].weight_growth).scale_weights(scale)
                for i in indices
            ]
        )
        try:
            found = nested_backtests_batch(
                law,
                replace(objective, weight_growth=0.0),
                runs,
                rows_of_weights,
                by=by,
                cuts=cuts,
                search_options=_NESTED_SEARCH,
            )
        except LawfitError as error:
            notes.update(dict.fromkeys(indices, str(error)))
            continue
        nested.update(zip(indices, found, strict=True))
    rows = [_row(c, nested.get(i), notes.get(i, "")) for i, c in enumerate(candidates)]
    scored = [i for i, row in enumerate(rows) if row["score"] is not None and math.isfinite(row["score"])]
    if not scored:
        notes = "; ".join(f"{row['law']}: {row['note']}" for row in rows if row["note"])
        raise LawfitError(f"No candidate law of 'auto' could be back-tested on these runs ({notes}); name a law.")
    best = min(scored, key=lambda i: (rows[i]["score"], rows[i]["n_params"], i))
    rows[best]["chosen"] = True
    return Selection(tuple(rows), candidates[best], _procedure(rows, nested, scored, best), by, tuple(cuts))


def _procedure(
    rows: Sequence[dict[str, Any]], nested: Mapping[int, NestedBacktests], scored: Sequence[int], best: int
) -> NestedBacktests:
    """The chosen candidate's nested back-tests with each cut's errors replaced by those of the candidate chosen
    without that cut: the selection's own error, as the calibration must see it (not only the winner's)."""
    chosen = nested[best]
    n_cuts = len(chosen.cuts)
    distance, error, index, results = [], [], [], []
    for j in range(n_cuts):
        others = [k for k in range(n_cuts) if k != j]

        def score(i: int, others: list[int] = others) -> tuple[float, int, int]:
            per_cut = rows[i]["per_cut"]
            return (float(np.mean([per_cut[k] for k in others])) if others else 0.0, rows[i]["n_params"], i)

        pick = nested[min(scored, key=score)] if others else chosen
        here = pick.cut_index == j
        distance.append(pick.distance[here]), error.append(pick.error[here]), index.append(pick.cut_index[here])
        results.append(pick.results[j])
    return replace(
        chosen,
        results=tuple(results),
        distance=np.concatenate(distance),
        error=np.concatenate(error),
        cut_index=np.concatenate(index),
    )


def _common_scale(runs: Runs, candidates: Sequence[Candidate]) -> str:
    scales = {scale_of(c.law) for c in candidates} - {None}
    if "C" in scales and "C" in runs.columns:
        return "C"
    if len(scales) == 1:
        return scales.pop()  # type: ignore[return-value]
    raise LawfitError(
        "The candidates of 'auto' extrapolate along different scales "
        f"({', '.join(sorted(s for s in scales if s))}); give runs with C, or candidates of one scale."
    )


def _row(candidate: Candidate, nested: NestedBacktests | None, note: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "law": candidate.name,
        "weight_growth": candidate.weight_growth,
        "n_params": len(candidate.law.params),
        "score": None,
        "per_cut": [],
        "max_abs_rel_error": None,
        "converged": None,
        "chosen": False,
        "note": note,
    }
    if nested is None:
        return row
    rel = np.abs(np.expm1(-nested.error))  # |predicted - actual| / actual from the log error
    per_cut = [float(np.mean(rel[nested.cut_index == j])) for j in range(len(nested.cuts))]
    converged = nested.full.converged and all(r.converged for r in nested.results)
    row.update(
        score=float(np.mean(per_cut)) if per_cut else None,
        per_cut=per_cut,
        max_abs_rel_error=float(np.max(rel)) if rel.size else None,
        converged=converged,
    )
    if not converged:
        row["note"] = "a nested fit did not converge"
    return row


def selection_lines(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The ``auto`` candidates' table as text lines, the chosen one marked."""
    chosen = next((row for row in rows if row["chosen"]), None)
    lines = []
    if chosen is not None:
        lines.append(
            f"auto       chose {selection_label(chosen)}: the lowest mean over nested back-test cuts of the mean "
            "|relative error| beyond each cut"
        )
    lines.append(f"  {'':1}  {'candidate':<44}  {'params':>6}  {'mean err':>8}  {'max err':>8}  per cut")
    for row in rows:
        score = "-" if row["score"] is None else f"{100 * row['score']:.2f}%"
        worst = "-" if row["max_abs_rel_error"] is None else f"{100 * row['max_abs_rel_error']:.2f}%"
        per_cut = " ".join(f"{100 * v:.2f}%" for v in row["per_cut"]) or row["note"]
        mark = "*" if row["chosen"] else " "
        lines.append(f"  {mark}  {selection_label(row):<44}  {row['n_params']:>6}  {score:>8}  {worst:>8}  {per_cut}")
    return lines


def selection_label(row: Mapping[str, Any]) -> str:
    """A candidate's row as one name: the law, and its weighting if not alike."""
    growth = row["weight_growth"]
    return str(row["law"]) + (f", weights x scale^{growth:g}" if growth else "")
