"""``auto``: choose the law (and the weighting of the runs) by how it extrapolates on the user's own runs.

Every candidate is fitted below the same nested cuts of scale as the forecast calibration uses (the largest budgets
held out: 20% to 50% of the runs; see :mod:`lawfit.calibration`) and predicts the runs above each cut. Its score is
the mean over the cuts of the median absolute relative error of those predictions: each cut counts once, however
many runs it holds out. Two ways of forecasting from the candidates are then compared:

- *choose one*: the candidate with the lowest score (ties: fewer parameters, then the order given);
- *average*: every scored candidate, weighted by the inverse of its mean squared relative error beyond the cuts
  (Bates and Granger 1969's combination of forecasts), the average taken of the predicted losses
  (:func:`lawfit.laws.average`).

Each way is back-tested *forward in scale*: at each cut but the lowest, the candidate chosen (or the weights found)
from the cuts below it, on the runs below it only, predicts every run above it, as the final forecast is learnt from
the runs it is given and predicts beyond them (learning from the larger cuts would let a way see the runs it is
scored on: their held-out runs are the largest of this cut's too). The way with the lower mean over the cuts of
that median |relative error| is used. The forward errors of the whole procedure, the choice between the two ways
made again at each cut from the cuts below, are also what calibrates ``auto``'s forecast intervals, so that the
intervals carry the error of the choosing, not only of the winner. The members of an average are then each fitted on
all the runs by the full search, with their own weighting.

The choice sees only the runs it is given; how well the choosing itself does is a question for an outer
back-test whose held-out runs it never saw (``lawfit backtest --law auto``, ``benchmarks/bench_forecast.py``).

Default candidates, for runs with N and D: ``chinchilla``; one exponent for N and D (``overtraining``, Gadre et al.
2024, when tokens per parameter span 10x or more, else the same law as the formula ``E + A/N**alpha +
B/D**alpha``); ``power`` in C; ``kaplan``; ``data_constrained`` and its tied form when the runs have unique tokens
``U``; a broken power law in C (``bnsl``) when there are 6 budgets or more to show a bend. Each law comes twice: with
the runs weighted alike, and with weights growing with scale (``weight_growth=0.25``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .calibration import NestedBacktests, nested_backtests_batch, nested_cuts, scale_of
from .data import Runs, budget_groups
from .errors import LawfitError
from .laws import Law, Member, average, resolve_law
from .objectives import Objective
from .search import SearchOptions

__all__ = [
    "GROWTH",
    "Candidate",
    "Selection",
    "as_candidates",
    "choice_label",
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
        cuts of the median |relative error|), ``per_cut`` (that median per cut), ``max_abs_rel_error`` (over all
        cuts), ``weight`` (its share in the forecast: 1 for the one chosen, the average's weights, else 0),
        ``chosen`` (weight > 0) and ``note`` (why a candidate could not be scored).
    chosen : Candidate
        The best-scoring candidate (the one *choose one* takes).
    nested : NestedBacktests
        The nested back-tests of the procedure itself, which calibrate ``auto``'s forecast intervals: at each cut,
        the errors of the candidate (or average) learnt from the cuts and runs below it (forward in scale; the lowest
        cut has none).
    how : {"choose", "average"}
        Which way forecasts: the one that erred less forward in scale.
    errors : dict
        The forward error (mean over the cuts but the lowest of the median |relative error|) of each way, by
        ``how``; an average is not tried (no entry) with a single scored candidate or fewer than 3 cuts.
    members : tuple of (Candidate, weight)
        For ``how == "average"``: each candidate with its weight.
    by : str
        The scale cut.
    cuts : tuple of float
    """

    rows: tuple[dict[str, Any], ...]
    chosen: Candidate
    nested: NestedBacktests
    by: str
    cuts: tuple[float, ...]
    how: str = "choose"
    errors: Mapping[str, float] = field(default_factory=dict)
    members: tuple[tuple[Candidate, float], ...] = ()

    def average_law(self) -> Law:
        """The :func:`lawfit.laws.average` of the members (for ``how == "average"``)."""
        return average(
            [
                Member(selection_label({"law": c.name, "weight_growth": c.weight_growth}), c.law, w, c.weight_growth)
                for c, w in self.members
            ]
        )


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
    used = weights > 0
    ways = _Ways(nested, scored, [rows[i]["n_params"] for i in scored], [scale[(scale >= c) & used] for c in cuts])
    everything = list(range(len(cuts)))
    errors = {"choose": ways.forward(ways.choose_one, everything)}
    if ways.can_average:
        errors["average"] = ways.forward(ways.weights, everything)
    how = "average" if ways.decide(everything) == ways.weights else "choose"
    procedure = _procedure(nested, best, ways)
    members: tuple[tuple[Candidate, float], ...] = ()
    if how == "average":
        shares = ways.weights(everything)
        members = tuple((candidates[i], float(w)) for i, w in zip(scored, shares, strict=True))
        for i, w in zip(scored, shares, strict=True):
            rows[i]["weight"] = float(w)
    else:
        rows[best]["weight"] = 1.0
    for row in rows:
        row["chosen"] = row["weight"] > 0
    return Selection(tuple(rows), candidates[best], procedure, by, tuple(cuts), how=how, errors=errors, members=members)


class _Ways:
    """The two ways of forecasting from scored candidates (choose one, or average), each learnt from some of the
    nested cuts, and their back-tests *forward in scale*: a way used at cut ``j`` learns only from the cuts below
    ``j`` and from the runs below ``j`` (as the final forecast learns only from the runs it is given), then predicts
    every run above ``j``. Learning from the larger cuts would let a way see the runs it is scored on."""

    def __init__(
        self,
        nested: Mapping[int, NestedBacktests],
        scored: Sequence[int],
        n_params: Sequence[int],
        scales: Sequence[np.ndarray],
    ) -> None:
        self.nested, self.scored, self.n_params = nested, list(scored), list(n_params)
        self.n_cuts = len(nested[self.scored[0]].cuts)
        self.cut_values = nested[self.scored[0]].cuts
        self.scales = scales  # the scale of each held-out run, per cut, in the order of the nested errors
        # Every candidate predicts the same held-out runs at each cut (the cuts are shared), so their
        # predicted / actual ratios line up entry by entry.
        first = nested[self.scored[0]]
        self.aligned = all(
            np.array_equal(nested[i].cut_index, first.cut_index) and np.allclose(nested[i].distance, first.distance)
            for i in self.scored
        )
        self.can_average = self.aligned and len(self.scored) >= 2 and self.n_cuts >= 3

    def _ratios(self, i: int, k: int, below: float) -> np.ndarray:
        """Predicted / actual of candidate ``i`` at cut ``k``, for the held-out runs below ``below``."""
        nb = self.nested[i]
        return np.exp(-nb.error[nb.cut_index == k])[self.scales[k] < below]

    def choose_one(self, cuts: Sequence[int], below: float = math.inf) -> np.ndarray:
        """Weight 1 on the candidate with the lowest mean over ``cuts`` of its median |relative error| (runs below
        ``below``; ties: fewer parameters, then the order given)."""

        def key(m: int) -> tuple[float, int, int]:
            medians = [np.median(np.abs(self._ratios(self.scored[m], k, below) - 1.0)) for k in cuts]
            return (float(np.mean(medians)), self.n_params[m], m)

        best = min(range(len(self.scored)), key=key)
        return np.eye(len(self.scored))[best]

    def weights(self, cuts: Sequence[int], below: float = math.inf) -> np.ndarray:
        """Bates and Granger's weights: the inverse of each candidate's mean over ``cuts`` of its mean squared
        relative error beyond the cut (runs below ``below``), normalised to sum 1."""
        mse = np.array([np.mean([np.mean((self._ratios(i, k, below) - 1.0) ** 2) for k in cuts]) for i in self.scored])
        inverse = 1.0 / np.maximum(mse, np.finfo(np.float64).tiny)
        return inverse / inverse.sum()

    def log_errors(self, w: np.ndarray, j: int, below: float = math.inf) -> np.ndarray:
        """``log(actual / predicted)`` at cut ``j`` (runs below ``below``) of the candidates weighted by ``w``."""
        if np.count_nonzero(w) == 1:
            return -np.log(self._ratios(self.scored[int(np.argmax(w))], j, below))
        ratios = np.stack([self._ratios(i, j, below) for i in self.scored])
        return -np.log(np.tensordot(w, ratios, axes=1))

    def forward(self, way: Callable[..., np.ndarray], cuts: Sequence[int], below: float = math.inf) -> float:
        """The mean over ``cuts`` (but the lowest) of the median |relative error| at each cut of ``way`` learnt
        from the cuts below it, on the runs below ``below``; NaN with fewer than two cuts."""
        cuts = sorted(cuts)
        medians = []
        for n, j in enumerate(cuts[1:], start=1):
            until = min(self.cut_values[j], below)
            w = way(cuts[:n], until)
            medians.append(float(np.median(np.abs(np.expm1(-self.log_errors(w, j, below))))))
        return float(np.mean(medians)) if medians else math.nan

    def decide(self, cuts: Sequence[int], below: float = math.inf) -> Callable[..., np.ndarray]:
        """The way that erred less forward over ``cuts``: :meth:`weights` (the average) or :meth:`choose_one`
        (which a tie, too few cuts or a single candidate keeps)."""
        if self.can_average and len(cuts) >= 2:
            if self.forward(self.weights, cuts, below) < self.forward(self.choose_one, cuts, below):
                return self.weights
        return self.choose_one

    def procedure(self) -> tuple[list[np.ndarray], list[int]]:
        """The back-tests of the whole procedure forward in scale: at each cut but the lowest, the log errors of
        the way decided and learnt from the cuts and runs below it (one array per cut, the lowest empty), and the
        heaviest candidate at each cut."""
        errors, heaviest = [np.zeros(0)], [self.scored[0]]
        for j in range(1, self.n_cuts):
            below, inner = self.cut_values[j], list(range(j))
            w = self.decide(inner, below)(inner, below)
            errors.append(self.log_errors(w, j))
            heaviest.append(self.scored[int(np.argmax(w))])
        return errors, heaviest


def _procedure(nested: Mapping[int, NestedBacktests], best: int, ways: _Ways) -> NestedBacktests:
    """The nested back-tests of ``auto`` itself, which calibrate its forecast intervals: the best candidate's, with
    each cut's errors replaced by those of :meth:`_Ways.procedure` (the lowest cut has none: nothing below it to
    learn from)."""
    errors, heaviest = ways.procedure()
    distance, index = [], []
    for j, (error, i) in enumerate(zip(errors, heaviest, strict=True)):
        here = nested[i].cut_index == j
        distance.append(nested[i].distance[here][: error.size]), index.append(np.full(error.size, j))
    return replace(
        nested[best],
        results=tuple(nested[i].results[j] for j, i in enumerate(heaviest)),
        distance=np.concatenate(distance),
        error=np.concatenate(errors),
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
        "weight": 0.0,
        "chosen": False,
        "note": note,
    }
    if nested is None:
        return row
    rel = np.abs(np.expm1(-nested.error))  # |predicted - actual| / actual from the log error
    per_cut = [float(np.median(rel[nested.cut_index == j])) for j in range(len(nested.cuts))]
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
    """The ``auto`` candidates' table as text lines, those it forecasts with marked (with their weights)."""
    label = choice_label(rows)
    lines = []
    if label is not None:
        why = (
            "the inverse of their mean squared relative error beyond nested back-test cuts, which erred less "
            "forward in scale than choosing one"
            if _averaged(rows)
            else "the lowest mean over nested back-test cuts of the median |relative error| beyond each cut"
        )
        lines.append(f"auto       chose {label}: {why}")
    lines.append(f"  {'':1}  {'candidate':<44}  {'params':>6}  {'mean err':>8}  {'max err':>8}  {'weight':>6}  per cut")
    for row in rows:
        score = "-" if row["score"] is None else f"{100 * row['score']:.2f}%"
        worst = "-" if row["max_abs_rel_error"] is None else f"{100 * row['max_abs_rel_error']:.2f}%"
        per_cut = " ".join(f"{100 * v:.2f}%" for v in row["per_cut"]) or row["note"]
        mark = "*" if row["chosen"] else " "
        weight = f"{row['weight']:.2f}"
        name = selection_label(row)
        lines.append(f"  {mark}  {name:<44}  {row['n_params']:>6}  {score:>8}  {worst:>8}  {weight:>6}  {per_cut}")
    return lines


def choice_label(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """What ``auto`` forecasts with, in words: one candidate's label, or the average and its heaviest members;
    None when the rows choose nothing.

    >>> rows = [{"law": "chinchilla", "weight_growth": 0.0, "chosen": True, "weight": 0.6},
    ...         {"law": "power", "weight_growth": 0.25, "chosen": True, "weight": 0.4}]
    >>> choice_label(rows)
    'an average of 2 candidates (chinchilla 60%, power, weights x scale^0.25 40%)'
    >>> choice_label(rows[:1])
    'chinchilla'
    """
    chosen = [row for row in rows if row["chosen"]]
    if not chosen:
        return None
    if not _averaged(rows):
        return selection_label(chosen[0])
    heaviest = sorted(chosen, key=lambda row: -row["weight"])
    shown = ", ".join(f"{selection_label(row)} {100 * row['weight']:.0f}%" for row in heaviest[:3])
    return f"an average of {len(chosen)} candidates ({shown}{', ...' if len(chosen) > 3 else ''})"


def _averaged(rows: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the rows forecast with an average (more than one candidate chosen)."""
    return sum(1 for row in rows if row["chosen"]) > 1


def selection_label(row: Mapping[str, Any]) -> str:
    """A candidate's row as one name: the law, and its weighting if not alike."""
    growth = row["weight_growth"]
    return str(row["law"]) + (f", weights x scale^{growth:g}" if growth else "")
