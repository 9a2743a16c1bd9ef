"""Fitting loss-curve laws to one or more training curves jointly, predicting other schedules, and forecasting the
end of a run from its beginning."""

from __future__ import annotations

import inspect
import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .._checks import RESAMPLES_OR_NONE, Integer, Real, check, percent, renamed, warn_deprecated
from .._intervals import percentile_interval
from .._records import CURVE_FIT, Fields, check_schema, open_record, result_record, save_record
from ..errors import BoundWarning, ConvergenceWarning, LawfitError, LawfitWarning
from ..laws import Law
from ..objectives import Objective, as_objective, read_objective
from ..search import SearchOptions
from ._solve import Solution, fit_batch, polish_batch, split_params
from .data import Curve
from .laws import COARSE_RATIO, CURVE_LAWS, PREDICT_RATIO, features
from .schedule import parse_schedule

__all__ = [
    "AUTO_CANDIDATES",
    "FORECAST_BACKTESTS",
    "CurveFit",
    "Forecast",
    "curve_law",
    "fit_curves",
    "forecast",
    "load_curve_fit",
]

# A curve search polishes its 4 best solved starts with Levenberg-Marquardt (see lawfit.curves._solve); on the Luo
# et al. curves all 4 reach the optimum that 64 explored and 8 polished BFGS starts find (1.383559e-4 on the 25M
# train set), in at most 130 steps; 200 per stage leave room. A fit that runs off along a flat direction (the
# multi-power law on cosine_24000 and wsdcon_9 alone sends B to infinity and beta to 0) stops there, not converged.
# rtol: the relative decrease of the objective at which a step counts as converged.
_CURVE_SEARCH = SearchOptions(n_polish=4, max_steps=200, rtol=1e-10)

#: The laws ``fit_curves(curves, "auto")`` chooses from, by leave-one-schedule-out error.
AUTO_CANDIDATES = ("multipower", "multipower_fixed", "annealing")

# Leave-one-schedule-out errors within 1% (relative) of the best count as a tie, which the law with fewer parameters
# wins: a handful of left-out curves cannot rank laws more finely than that.
_TIE_RTOL = 0.01


def curve_law(law: str | Law, **options: Any) -> Law:
    """A loss-curve law by name (``"multipower"``, ``"multipower_fixed"``, ``"annealing"``) or as given."""
    if isinstance(law, Law):
        return law
    if law not in CURVE_LAWS:
        known = ", ".join([*CURVE_LAWS, "auto (fit_curves only)"])
        raise LawfitError(f"Unknown loss-curve law {law!r}. Known: {known}.")
    return CURVE_LAWS[law](**options)


#: The objective of a curve fit unless told otherwise: Huber (delta 1e-3) on log residuals, as Luo et al.'s.
CURVE_OBJECTIVE = Objective("huber", delta=1e-3)


@dataclass(frozen=True, eq=False)
class CurveFit:
    """A loss-curve law fitted to training curves (shared parameters across them).

    Frozen, like :class:`lawfit.Fit`: its parameters, draws and selection table are read-only. :meth:`save` writes
    it as versioned JSON (schema ``lawfit.curve_fit``), :func:`load_curve_fit` reads it back, field for field.

    Attributes
    ----------
    law : Law
    params : Mapping[str, float]
        Best parameters, natural units (read-only).
    objective : float
        The objective at the optimum.
    converged : bool
    message : str
        How the search ended, in words.
    curves : tuple of str
        The curves fitted on; ``n_points`` their logged losses.
    objective_settings : Objective
        What was minimised; :func:`forecast` refits the bootstrap and back-tests with it (the deprecated name
        ``loss`` still reads it).
    lawfit_version : str
        The lawfit that made the fit (for a loaded fit, the one that saved it).
    draws : array or None
        Bootstrap draws of the parameters, one row per draw, in the law's order (read-only; :func:`forecast`).
    selection : tuple of mappings or None
        For ``fit_curves(curves, "auto")``: one read-only row per candidate law with its name (``law``), number of
        parameters (``n_params``), leave-one-schedule-out error (``loso_error``: the mean over the left-out curves
        of the mean relative error on each), the error on each left-out curve (``folds``, by curve name), whether
        all its fits ``converged``, and whether it was ``chosen``.
    """

    law: Law
    params: Mapping[str, float]
    objective: float
    converged: bool
    message: str
    curves: tuple[str, ...]
    n_points: int
    objective_settings: Objective = CURVE_OBJECTIVE
    lawfit_version: str = ""
    draws: np.ndarray | None = field(default=None, repr=False)
    selection: tuple[Mapping[str, Any], ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.law, Law):
            raise LawfitError(f"A CurveFit's law must be a lawfit Law (see curve_law). Got {self.law!r}.")
        if set(self.params) != set(self.law.param_names):
            raise LawfitError(
                f"The parameters of a {self.law.name} fit must be {', '.join(self.law.param_names)}. "
                f"Got {', '.join(self.params) or 'none'}."
            )
        if not isinstance(self.objective_settings, Objective):
            raise LawfitError(
                f"A CurveFit's objective_settings must be a lawfit Objective. Got {self.objective_settings!r}."
            )
        object.__setattr__(self, "curves", tuple(str(c) for c in self.curves))
        if not self.lawfit_version:
            from .._version import __version__

            object.__setattr__(self, "lawfit_version", __version__)
        if self.selection is not None:
            rows = tuple(
                MappingProxyType({**row, "folds": MappingProxyType(dict(row["folds"]))}) for row in self.selection
            )
            object.__setattr__(self, "selection", rows)
        object.__setattr__(self, "params", MappingProxyType({n: float(self.params[n]) for n in self.law.param_names}))
        if self.draws is not None:
            draws = np.array(self.draws, dtype=np.float64)
            if draws.ndim != 2 or draws.shape[1] != len(self.law.params):
                raise LawfitError(
                    f"A CurveFit's draws must have one column per parameter ({len(self.law.params)}). "
                    f"Got shape {draws.shape}."
                )
            draws.flags.writeable = False
            object.__setattr__(self, "draws", draws)

    @property
    def objective_name(self) -> str:
        """What was minimised, in words (``objective_settings.describe()``)."""
        return self.objective_settings.describe()

    @property
    def loss(self) -> Objective:
        """Deprecated: :attr:`objective_settings`."""
        warn_deprecated("loss", "objective_settings", "CurveFit", what="attribute")
        return self.objective_settings

    def predict(self, schedule: Curve | np.ndarray | str, steps: Sequence[int] | np.ndarray | None = None) -> Any:
        """The loss at ``steps`` of a run under ``schedule`` (a :class:`Curve`, per-step array or description).

        Steps count from 1: a schedule of S steps covers steps ``1 .. S`` (see :mod:`lawfit.curves`). Without
        ``steps``: a Curve's logged steps, or every 100th step and the last for a bare schedule. A loaded fit
        (:func:`load_curve_fit`) that did not converge warns (:class:`~lawfit.ConvergenceWarning`) each time.
        """
        curve, rows = _target(schedule, steps)
        self._check_converged()
        return self._predict(self.params, curve, rows)

    @property
    def diagnostics(self) -> tuple[LawfitWarning, ...]:
        """What the fit is warned of, as for a fit of runs: a :class:`~lawfit.ConvergenceWarning` if the search did
        not converge, a :class:`~lawfit.BoundWarning` naming the parameters that ended at a bound.
        :func:`fit_curves` emits them."""
        found: list[LawfitWarning] = []
        if not self.converged:
            found.append(ConvergenceWarning(self._convergence_text("The curve fit"), objective=self.objective))
        at_bounds = _at_bounds(self.law, self.params)
        if at_bounds:
            found.append(
                BoundWarning(
                    f"Parameters at a bound: {', '.join(at_bounds)}. The optimum may lie beyond; widen the bounds "
                    "if the law allows it.",
                    params=at_bounds,
                )
            )
        return tuple(found)

    def _convergence_text(self, subject: str) -> str:
        detail = " ".join(self.message.split()).removeprefix("did not converge").lstrip(":;, ")
        return (
            f"{subject} ({self.law.name}) did not converge{': ' + detail if detail else ''}; do not trust its "
            "predictions, and fit the curves again."
        )

    def _check_converged(self) -> None:
        # A fit made in this process warned when it was made; a loaded one says so whenever it predicts, since
        # whoever loads it may never have seen that warning (as lawfit.Fit does).
        source = self.__dict__.get("_source")
        if source is not None and not self.converged:
            warnings.warn(ConvergenceWarning(self._convergence_text(source), objective=self.objective), stacklevel=3)

    def predict_draws(self, schedule: Curve | np.ndarray | str, steps: Any = None) -> np.ndarray:
        """The prediction under every bootstrap draw, shape ``(n_draws, n_steps)``."""
        if self.draws is None:
            raise LawfitError(
                "This curve fit has no bootstrap draws; use forecast(..., n_resamples=200) for intervals."
            )
        curve, rows = _target(schedule, steps)
        x = features(self.law, [curve], [rows], ratio=PREDICT_RATIO)
        return np.stack([_evaluate(self.law, dict(zip(self.law.param_names, d, strict=True)), x) for d in self.draws])

    def _predict(self, params: Mapping[str, float], curve: Curve, rows: np.ndarray) -> np.ndarray:
        return _evaluate(self.law, params, features(self.law, [curve], [rows], ratio=PREDICT_RATIO))

    def evaluate(self, curves: Sequence[Curve]) -> pd.DataFrame:
        """Prediction errors on each curve: R², MAE, RMSE, mean and worst relative error (Luo et al.'s metrics)."""
        rows = []
        for curve in curves:
            predicted = self._predict(self.params, curve, curve.step)
            rows.append({"curve": curve.name, **_metrics(curve.loss, predicted)})
        return pd.DataFrame(rows)

    # -- save and load -------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, stamped with the schema and lawfit versions (the layout of :meth:`lawfit.Fit.to_dict`
        where they share a field)."""
        return result_record(
            CURVE_FIT,
            self,
            curves=list(self.curves),
            draws=None if self.draws is None else self.draws.tolist(),
            selection=None
            if self.selection is None
            else [{**row, "folds": dict(row["folds"])} for row in self.selection],
        )

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the fit as JSON to ``path``, atomically; :func:`load_curve_fit` reads it back. Returns the path.

        ``path`` ends as the complete new fit or, if the write fails or the process is killed, as it was (the
        failure is an :class:`~lawfit.OutputError`). A file that is not a curve fit saved by lawfit, or a symbolic
        link, is refused unless ``force`` (which replaces a link itself, not its target). As :meth:`lawfit.Fit.save`.

        >>> import os, tempfile
        >>> from lawfit.curves import annealing
        >>> f = CurveFit(annealing(), {"L0": 2.5, "A": 0.8, "alpha": 0.5, "C": 0.3}, 0.0, True, "given", ("cos",), 0)
        >>> path = f.save(os.path.join(tempfile.mkdtemp(), "curve.json"))
        >>> load_curve_fit(path).params == f.params
        True
        """
        return save_record(self.to_dict(), path, CURVE_FIT, force=force)

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> CurveFit:
        """Rebuild a curve fit from :meth:`to_dict`'s output (or an older file's record), every field checked: a
        bad one raises one :class:`~lawfit.FitFileError` naming the field; a newer schema is refused with a reason.
        A rebuilt fit that did not converge warns whenever it predicts."""
        return _read_curve_fit(record, Fields("the saved curve fit", fix=_FIX), "This saved curve fit")

    def summary(self) -> str:
        lines = [
            f"law        {self.law.name}: {self.law.formula}",
            f"data       {self.n_points} logged losses from {len(self.curves)} curve(s): {', '.join(self.curves)}",
            f"objective  {self.objective_name}: {self.objective:.6e}",
            f"search     {self.message}",
            "",
            f"  {'parameter':<10} {'value':>14}",
        ]
        lines += [f"  {name:<10} {value:>14.6g}" for name, value in self.params.items()]
        if self.selection is not None:
            lines += ["", *_selection_table(self.selection, self.curves)]
        diagnostics = self.diagnostics
        if diagnostics:
            lines.append("")
        lines += [f"warning    {type(w).__name__}: {w.message}" for w in diagnostics]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, curves: Curve | Sequence[Curve], **options: Any) -> Any:
        """A matplotlib figure of ``curves`` and this law's predictions of them, with their schedules
        (:func:`lawfit.plot.plot_curves`; needs ``pip install 'lawfit[plot]'``)."""
        from ..plot import plot_curves

        return plot_curves(self, curves, **options)


def _selection_table(rows: Sequence[Mapping[str, Any]], curves: Sequence[str]) -> list[str]:
    names = list(rows[0]["folds"]) if rows else list(curves)
    chosen = next((row["law"] for row in rows if row["chosen"]), "")
    lines = [
        f"selection  {chosen}, by leave-one-schedule-out error: each law fitted on all curves but one, scored by its "
        "mean relative error on that one",
        "",
        f"  {'law':<17} {'params':>6} {'mean':>8}  " + "  ".join(f"{n:>{max(8, len(n))}}" for n in names),
    ]
    for row in rows:
        folds = "  ".join(f"{_percent(row['folds'][n]):>{max(8, len(n))}}" for n in names)
        mark = "*" if row["chosen"] else " "
        lines.append(f"{mark} {row['law']:<17} {row['n_params']:>6} {_percent(row['loso_error']):>8}  {folds}")
    unconverged = [row["law"] for row in rows if not row.get("converged", True)]
    if unconverged:
        lines.append(
            f"  (not every fit of {', '.join(unconverged)} converged: with a curve left out, the others do not pin "
            "its parameters down)"
        )
    return lines


def _percent(value: float) -> str:
    return percent(value, 3, missing="-")


# CurveFit(loss=...) as before the renaming, for one release.
CurveFit.__init__ = renamed(loss="objective_settings")(CurveFit.__init__)  # type: ignore[method-assign]


def load_curve_fit(path: str | Path) -> CurveFit:
    """A curve fit saved by :meth:`CurveFit.save`.

    Nothing in the file is trusted: a file over 64 MB is refused before it is read, and every field is checked (the
    law and its options, parameters named as the law's and finite, the candidates' table of ``auto``), so that a
    damaged or hand-edited file gives one :class:`~lawfit.FitFileError` naming the file, the field and what it must
    be.
    """
    record, fields = open_record(path, CURVE_FIT, fix=_FIX)
    return _read_curve_fit(record, fields, f"The curve fit '{path}'")


_FIX = "Save the curve fit again, or correct that field."


def _read_curve_fit(record: Any, fields: Fields, source: str) -> CurveFit:
    """A curve fit from a saved record, every field checked by ``fields``; ``source`` names the fit in the warning
    its predictions give when it did not converge. Version 1 (before the schema): the law's name and spec at the
    top, the objective in words (``objective_name``)."""
    version = check_schema(record, fields, CURVE_FIT)
    if version == 1:
        fields.text(record, "formula", "", default="")
        spec = fields.obj(record, "spec", "", default={})
        law = _read_law(spec, fields, "spec", record)
        loss = _legacy_objective(fields.text(record, "objective_name", "", default=""), fields)
    else:
        saved = fields.obj(record, "law", "")
        fields.text(saved, "name", "law", default="")
        fields.text(saved, "formula", "law", default="")
        law = _read_law(fields.obj(saved, "spec", "law"), fields, "law.spec")
        loss = read_objective(record, fields, version, legacy=2)
    draws = None
    if record.get("draws") is not None:
        what = "one list per bootstrap draw, one number per parameter"
        draws = fields.matrix(record, "draws", "", columns=len(law.params), what=what)
    fitted = CurveFit(
        law=law,
        params=fields.params(record, "params", "", law.param_names, law.name),
        objective=fields.number(record, "objective", "", finite=False, minimum=0.0),
        converged=fields.boolean(record, "converged", ""),
        message=fields.text(record, "message", ""),
        curves=tuple(fields.texts(record, "curves", "")),
        n_points=fields.integer(record, "n_points", "", minimum=0),
        objective_settings=loss,
        lawfit_version=fields.text(record, "lawfit_version", "", default=""),
        draws=draws,
        selection=_read_selection(record, fields),
    )
    object.__setattr__(fitted, "_source", source)  # not a field: a copy made by replace() was not loaded
    return fitted


def _read_law(spec: Mapping[str, Any], fields: Fields, at: str, legacy: Mapping[str, Any] | None = None) -> Law:
    """The curve law of a saved ``spec`` (at path ``at``): its builtin name, its options, the parameters it holds.
    A version-1 file from before the spec named the law names it in its ``law`` field (``legacy``)."""
    if "builtin" in spec or legacy is None:
        name = fields.text(spec, "builtin", at, choices=tuple(CURVE_LAWS))
    else:
        name = fields.text(legacy, "law", "", choices=tuple(CURVE_LAWS))
    if legacy is not None:
        fields.text(legacy, "law", "", default="")
    options = {key: fields.number(spec, key, at) for key in spec if key not in ("builtin", "fixed")}
    held = fields.obj(spec, "fixed", at, default=None) or {}  # parameters held by Law.fix
    for key in held:
        fields.number(held, key, f"{at}.fixed")
    try:
        law = curve_law(name, **options)
        return law.fix(**held) if held else law
    except (LawfitError, TypeError, ValueError) as exc:
        raise fields.invalid(at, str(exc)) from None


def _legacy_objective(described: str, fields: Fields) -> Objective:
    """The objective of a version-1 file, from its description (``Objective.describe``; empty: the default)."""
    if not described:
        return CURVE_OBJECTIVE
    reduction = "mean" if described.endswith("weighted mean") else "sum"
    if described.startswith("Huber (delta="):
        delta = described.removeprefix("Huber (delta=").split(")", 1)[0]
        try:
            return Objective("huber", delta=float(delta), reduction=reduction)
        except (LawfitError, ValueError):
            pass
    for loss in ("mse-log", "mse"):
        if described == Objective(loss, reduction=reduction).describe():
            return Objective(loss, reduction=reduction)
    raise fields.invalid("objective_name", f"{described!r} is no objective this lawfit knows")


def _read_selection(record: Mapping[str, Any], fields: Fields) -> tuple[dict[str, Any], ...] | None:
    """The candidates' table of ``auto``: one row per law, with the same left-out curves in each."""
    rows = fields.objects(record, "selection", "", "the candidates of law 'auto' (or null)", default=None)
    if rows is None:
        return None
    checked: list[dict[str, Any]] = []
    for at, row in rows:
        folds = fields.obj(row, "folds", at)
        if checked and list(folds) != list(checked[0]["folds"]):
            names = ", ".join(checked[0]["folds"])
            raise fields.invalid(f"{at}.folds", f"it must name the curves of the first row's folds ({names})")
        checked.append(
            {
                "law": fields.text(row, "law", at),
                "n_params": fields.integer(row, "n_params", at, minimum=1),
                "loso_error": _error(fields, row, "loso_error", at),
                "folds": {name: _error(fields, folds, name, f"{at}.folds") for name in folds},
                "converged": fields.boolean(row, "converged", at, default=True),
                "chosen": fields.boolean(row, "chosen", at),
            }
        )
    return tuple(checked)


def _error(fields: Fields, record: Mapping[str, Any], key: str, at: str) -> float:
    # An error that could not be scored is saved as inf (or NaN, or null): it reads as inf.
    value = fields.number(record, key, at, default=None, finite=False, nan=True, minimum=0.0)
    return math.inf if value is None or math.isnan(value) else value


@renamed(loss="objective")
def fit_curves(
    curves: Sequence[Curve],
    law: str | Law = "multipower",
    *,
    objective: str | Objective = "huber",
    delta: float = 1e-3,
    lam: float | None = None,
    search_options: SearchOptions | None = None,
    candidates: Sequence[str | Law] = AUTO_CANDIDATES,
) -> CurveFit:
    """Fit a loss-curve law to curves jointly: one set of parameters for all of them.

    The ``objective`` (a name or an :class:`~lawfit.Objective`; by default Huber with ``delta`` on log residuals, as
    Luo et al. fit the multi-power law; the deprecated name ``loss`` is read for one more release) is summed over
    every logged loss of every curve; the fit records it (:attr:`CurveFit.objective_settings`). The search solves
    the law's scale parameters in closed form from a grid over the others, then polishes the best starts with
    Levenberg-Marquardt (:mod:`lawfit.curves._solve`). ``search_options`` sets
    ``n_polish``, ``max_steps``, ``rtol`` (the relative decrease of the objective at which the search stops) and
    ``agree_rtol``; its other fields are for :func:`lawfit.search.search`. ``lam`` is the annealing law's
    momentum (0.999 unless given); given for a law without that option, it is refused.

    ``law="auto"`` chooses among ``candidates`` (by default :data:`AUTO_CANDIDATES`: ``multipower``,
    ``multipower_fixed`` and ``annealing``) by leave-one-schedule-out error: each is fitted on all curves but one and
    predicts the left-out one, scored by its mean relative error there; the scores of all left-out curves are
    averaged, and the lowest wins, a tie (within 1%) going to the law with fewer parameters. Only the given curves
    are used. The chosen law is then fitted on all of them; :attr:`CurveFit.selection` holds the candidates' table.
    It needs two curves or more.

    Examples
    --------
    >>> import numpy as np
    >>> from lawfit.curves import Curve, fit_curves, schedule
    >>> lr = schedule("cosine", steps=4000, peak=1e-3, final=1e-4, warmup=200)
    >>> steps = np.arange(300, 4001, 10)  # steps count from 1: step k sums the rates lr[:k]
    >>> area, drop = np.cumsum(lr), np.r_[0, lr[:-1] - lr[1:]]
    >>> from scipy.signal import lfilter  # m_i = 0.999*m_(i-1) + drop_i
    >>> s2 = np.cumsum(lfilter([1.0], [1.0, -0.999], drop))
    >>> truth = 2.5 + 0.8 * area[steps - 1] ** -0.5 - 0.3 * s2[steps - 1]
    >>> f = fit_curves([Curve("cos", lr, steps, truth)], "annealing")
    >>> {k: round(v, 4) for k, v in f.params.items()}
    {'L0': 2.5, 'A': 0.8, 'alpha': 0.5, 'C': 0.3}
    """
    curves = _check_curves(curves)
    objective = as_objective(objective, "fit_curves", delta=delta)
    options = search_options or _CURVE_SEARCH
    if isinstance(law, str) and law == "auto":
        fitted = _auto(curves, objective, lam, candidates, options)
    else:
        the_law = _law(law, lam)
        y = np.concatenate([c.loss for c in curves])
        if y.size < len(the_law.params):
            raise LawfitError(
                f"The {the_law.name} law has {len(the_law.params)} parameters; the curves hold only {y.size} losses."
            )
        (solution,) = _fit(the_law, objective, curves, np.ones((1, y.size)), options)
        fitted = _curve_fit(the_law, solution, curves, objective, options)
    for warning in fitted.diagnostics:
        warnings.warn(warning, stacklevel=2)
    return fitted


def _law(law: str | Law, lam: float | None) -> Law:
    """The curve law ``law``, with the annealing momentum ``lam`` if given: refused for a law without it."""
    if lam is None:
        return curve_law(law)
    options = _options(law)
    if "lam" not in options or isinstance(law, Law):
        name = law.name if isinstance(law, Law) else law
        known = ", ".join(options) or "none"
        how = (
            "set it when making the law, e.g. annealing(lam=0.99)"
            if isinstance(law, Law)
            else "it is the momentum of the annealing law"
        )
        raise LawfitError(f"The {name} law takes no option 'lam' here (its options: {known}); {how}.")
    return curve_law(law, lam=lam)


def _options(law: str | Law) -> tuple[str, ...]:
    """The options of a curve law: the keyword arguments of its maker, or of a made law those in its spec."""
    if isinstance(law, Law):
        return tuple(key for key in law.spec if key not in ("builtin", "fixed", "formula", "params"))
    if law not in CURVE_LAWS:
        curve_law(law)  # the error naming the known laws
    return tuple(inspect.signature(CURVE_LAWS[law]).parameters)


def _fit(
    law: Law, objective: Objective, curves: Sequence[Curve], weights: np.ndarray, options: SearchOptions
) -> list[Solution]:
    """``law`` fitted once per row of ``weights`` (one weight per logged loss of ``curves``), batched."""
    x = features(law, curves)
    coarse = features(law, curves, ratio=COARSE_RATIO) if any(n.startswith("mp_") for n in law.inputs) else None
    y = np.concatenate([c.loss for c in curves])
    return fit_batch(law, objective, coarse, x, y, weights, _start_grid(law, y), options)


def _curve_fit(
    law: Law,
    solution: Solution,
    curves: Sequence[Curve],
    objective: Objective,
    options: SearchOptions,
    selection: Sequence[Mapping[str, Any]] | None = None,
) -> CurveFit:
    return CurveFit(
        law,
        solution.params,
        solution.objective,
        solution.converged,
        _message(law, solution, options),
        tuple(c.name for c in curves),
        int(sum(c.loss.size for c in curves)),
        objective,
        selection=selection,
    )


def _message(law: Law, solution: Solution, options: SearchOptions) -> str:
    polished = solution.polished[np.isfinite(solution.polished)]
    best = polished.min() if polished.size else math.inf
    n_agree = int(np.sum(np.abs(polished - best) <= options.agree_rtol * abs(best)))
    agreement = (
        f"{n_agree} of {solution.polished.size} polished starts reached the best optimum (objective within "
        f"{options.agree_rtol:g})"
    )
    if not math.isfinite(solution.objective):
        return (
            "did not converge: the objective is not finite at any polished start; check that the law can produce "
            "the observed losses (positive, finite)"
        )
    if solution.converged:
        message = f"converged in {solution.steps} Levenberg-Marquardt steps; {agreement}"
    else:
        message = (
            f"did not converge: the best start reached the {options.max_steps}-step limit; {agreement}. Raise "
            "max_steps or check the law for flat directions"
        )
    at_bounds = _at_bounds(law, solution.params)
    if at_bounds:
        message += f"; at a bound: {', '.join(at_bounds)}"
    return message


def _at_bounds(law: Law, params: Mapping[str, float]) -> list[str]:
    """The parameters at a finite bound, or, for a log-scale one bounded below by 0, at the floor of about 1e-300
    that the curve search holds it above (:mod:`lawfit.curves._solve`): it has run off to 0."""
    found = []
    for p in law.params:
        value = params.get(p.name)
        if value is None:
            continue
        bounds = [b for b in (p.lower, p.upper) if math.isfinite(b) and not (p.scale == "log" and b <= 0)]
        at = any(abs(value - b) <= 1e-9 * max(1.0, abs(b)) for b in bounds)
        if at or (p.scale == "log" and p.lower <= 0 and value <= _LOG_FLOOR):
            found.append(p.name)
    return found


_LOG_FLOOR = 1e-290


def _auto(
    curves: list[Curve],
    objective: Objective,
    lam: float | None,
    candidates: Sequence[str | Law],
    options: SearchOptions,
) -> CurveFit:
    """Choose the law by leave-one-schedule-out error, then fit it on all curves (see :func:`fit_curves`)."""
    if len(curves) < 2:
        raise LawfitError(
            "law='auto' chooses the law by leaving one curve out at a time, so it needs 2 curves or more; "
            f"got {len(curves)}. Give more curves or name a law (multipower, multipower_fixed, annealing)."
        )
    if not candidates:
        raise LawfitError("law='auto' needs candidate laws to choose from, e.g. ('multipower', 'annealing').")
    takes = [not isinstance(c, Law) and "lam" in _options(c) for c in candidates]
    if lam is not None and not any(takes):
        names = ", ".join(c.name if isinstance(c, Law) else c for c in candidates)
        raise LawfitError(
            f"'lam' is the momentum of the annealing law, and no candidate of law='auto' takes it ({names}); "
            "leave lam out, or add 'annealing' to the candidates."
        )
    laws = [_law(c, lam if take else None) for c, take in zip(candidates, takes, strict=True)]
    sizes = np.array([c.loss.size for c in curves])
    ends = np.cumsum(sizes)
    # Row 0: all curves (the fit kept if the law is chosen); row i + 1: curve i left out.
    weights = np.ones((len(curves) + 1, int(ends[-1])))
    for i, (lo, hi) in enumerate(zip(ends - sizes, ends, strict=True)):
        weights[i + 1, lo:hi] = 0.0
    cache: dict[tuple[Any, ...], dict[str, np.ndarray]] = {}
    rows, fits = [], []
    for law in laws:
        n_params = len(law.params)
        folds = dict.fromkeys((c.name for c in curves), math.inf)
        if int(ends[-1]) < n_params:
            raise LawfitError(f"The {law.name} law has {n_params} parameters; the curves hold only {ends[-1]} losses.")
        solutions = _fit(law, objective, curves, weights, options)
        for i, curve in enumerate(curves):
            if ends[-1] - sizes[i] < n_params:
                continue  # too few losses left to fit this law: it cannot be scored on this curve
            key = (law.inputs, law.spec.get("lam"), i)
            if key not in cache:
                cache[key] = features(law, [curve], ratio=PREDICT_RATIO)
            predicted = _evaluate(law, solutions[i + 1].params, cache[key])
            error = float(np.mean(np.abs(curve.loss - predicted) / curve.loss))
            folds[curve.name] = error if math.isfinite(error) else math.inf
        score = float(np.mean(list(folds.values())))
        converged = all(solution.converged for solution in solutions)
        rows.append(
            {
                "law": law.name,
                "n_params": n_params,
                "loso_error": score,
                "folds": folds,
                "converged": converged,
                "chosen": False,
            }
        )
        fits.append(solutions[0])
    scores = np.array([row["loso_error"] for row in rows])
    if not np.isfinite(scores).any():
        raise LawfitError(
            "No candidate law could be scored by leaving one curve out: the curves hold too few losses. "
            "Give more curves or name a law."
        )
    pick = _choose(scores, [row["n_params"] for row in rows])
    rows[pick]["chosen"] = True
    return _curve_fit(laws[pick], fits[pick], curves, objective, options, selection=rows)


@dataclass(frozen=True, eq=False)
class Forecast:
    """The final loss of a run predicted from its first part, under its planned schedule.

    Attributes
    ----------
    fit : CurveFit
        The law fitted to the observed part (up to ``observed_until``), with its bootstrap draws.
    step, loss : int, float
        The schedule's last step and the point forecast there.
    low, high : float
        The interval at ``level``: calibrated by back-tests inside the observed part when ``calibrated``, else the
        bootstrap's alone (see :func:`forecast`).
    noise_low, noise_high : float
        The block-bootstrap interval: the noise of the observed losses only.
    calibrated : bool
        Whether back-tests widened the interval for the law's own error.
    note : str
        Caveats in words: why the interval is not calibrated, or what the back-tests cannot have seen.
    calibration : mapping or None
        The back-tests: ``cuts`` (steps), ``error_per_step`` (each back-test's relative error per step
        extrapolated), ``horizon`` (steps from ``observed_until`` to ``step``) and ``law_half_width`` (relative).
    """

    fit: CurveFit
    step: int
    loss: float
    low: float
    high: float
    level: float
    observed_until: int
    n_draws: int
    noise_low: float = math.nan
    noise_high: float = math.nan
    calibrated: bool = False
    note: str = ""
    calibration: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.calibration is not None:
            record = {
                k: tuple(v) if isinstance(v, list | tuple | np.ndarray) else v for k, v in self.calibration.items()
            }
            object.__setattr__(self, "calibration", MappingProxyType(record))

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "loss": self.loss,
            "low": self.low,
            "high": self.high,
            "level": self.level,
            "calibrated": self.calibrated,
            "note": self.note,
            "noise_low": self.noise_low,
            "noise_high": self.noise_high,
            "observed_until": self.observed_until,
            "n_draws": self.n_draws,
            "calibration": None
            if self.calibration is None
            else {k: list(v) if isinstance(v, tuple) else v for k, v in self.calibration.items()},
            "fit": self.fit.to_dict(),
        }

    def summary(self) -> str:
        if self.calibrated and self.calibration is not None and not self.calibration["cuts"]:
            how = f"the step is observed, nothing to extrapolate; {self.n_draws} block-bootstrap refits"
        elif self.calibrated and self.calibration is not None:
            how = (
                f"calibrated by {len(self.calibration['cuts'])} back-tests inside the observed part, on top of "
                f"{self.n_draws} block-bootstrap refits"
            )
        else:
            how = f"NOT calibrated: {self.n_draws} block-bootstrap refits, the noise only"
        lines = [
            f"forecast   loss {self.loss:.5f} at step {self.step}, {self.level:.0%} interval "
            f"[{self.low:.5f}, {self.high:.5f}] ({how})",
            f"observed   steps up to {self.observed_until} ({self.fit.n_points} logged losses)",
        ]
        if self.note:
            lines.append(f"note       {self.note}")
        return "\n".join([*lines, self.fit.summary()])

    def __str__(self) -> str:
        return self.summary()


#: Back-tests that calibrate a forecast interval (see :func:`forecast`).
FORECAST_BACKTESTS = 19


@renamed(bootstrap="n_resamples", loss="objective")
def forecast(
    curve: Curve,
    *,
    fraction: float | None = 0.5,
    until: int | None = None,
    law: str | Law = "annealing",
    n_resamples: int = 200,
    seed: int = 0,
    level: float = 0.9,
    block: int = 10,
    fit_on: Sequence[Curve] = (),
    backtests: int = FORECAST_BACKTESTS,
    objective: str | Objective = "huber",
    delta: float = 1e-3,
) -> Forecast:
    """Forecast a run's final loss from its losses up to ``until`` (or the first ``fraction`` of its schedule).

    The law is fitted to the observed part (with ``fit_on``, other finished curves of the same model, jointly) and
    evaluated at the schedule's last step. ``objective`` and ``delta`` set the objective as for :func:`fit_curves`;
    the bootstrap refits and the back-tests minimise the same one (the fit's :attr:`CurveFit.objective_settings`).
    The interval adds two errors:

    - *Noise*: a moving-block bootstrap of the observed losses (``n_resamples`` resamples of blocks of ``block``
      consecutive points, since neighbouring losses on a curve are correlated), each refitted from the optimum; its
      percentile interval is ``noise_low, noise_high``. Alone it misses the law's own error: on Luo et al.'s 100M
      cosine_72000 run it is [2.8769, 2.8801] and the final loss 2.8632.
    - *The law's error, by back-testing inside the observed part*: ``backtests`` cuts ``c`` split the observed part;
      the law is fitted to the losses up to ``c`` (and ``fit_on``) and predicts the rest of the observed part. Each
      back-test's relative errors ``e = (loss - predicted) / predicted`` at ``h = step - c`` steps beyond its cut
      give one score, its error per step extrapolated: the least-squares slope ``k = sum(h e) / sum(h^2)``. The
      forecast extrapolates ``H = step - until`` steps, so its relative error is bounded by ``|k| H``, with ``|k|``
      the conformal quantile of the scores, the ``ceil((n+1) level)``-th smallest of ``n`` (their largest when
      that exceeds ``n``). The interval is the point forecast plus or minus this error, each side combined in
      quadrature with the bootstrap's.

    The cuts lie evenly spaced in horizon, from a quarter of the longest to the longest, which is ``H`` or as far as
    the observed part allows: every back-test fit keeps at least a quarter of the observed steps and
    ``max(8, 3 * n_params)`` of its losses. A back-test must also extrapolate like the forecast: the schedule after
    its cut may go no further below the lowest learning rate its fit saw than the schedule after ``until`` goes
    below the lowest the forecast's fit saw (after a step drop, no cut lies before the drop).

    Its assumptions: the law errs beyond ``until`` as it erred beyond the cuts (same misfit, same noise), and its
    error grows at most in proportion to the steps extrapolated (on Luo et al.'s runs it grew about that fast within
    each back-test); the scores overlap, so the level is nominal. An error that grows faster is under-covered: on
    synthetic runs whose law lacks a term in the square of the step, the 90% interval from half the run covered the
    final loss for 1 seed of 8 (a term linear in the step: 7 of 8, where the bootstrap alone covers none). The
    interval is symmetric about the point forecast in the law's part: the back-tests' errors change sign from one cut
    to the next, and a handful of overlapping back-tests cannot tell a bias from chance. Back-tests cut just after a
    change of the schedule see little of it, so the interval can be wide there (9-25% on the wsdcon runs observed
    for 70% of their steps, which end 0.08-0.44% from the forecast).

    The interval is the bootstrap's alone, ``calibrated`` is False and ``note`` says why, when back-tests cannot
    calibrate it: the observed part is too short for back-tests reaching a quarter of ``H``; or the schedule ahead
    decays the learning rate (by more than 10%) below anything the fit saw while no back-test could cross such a
    decay (a wsd run observed before its decay: forecast 2-3% too high, the law's decay term unknown; fit it with a
    finished curve that decays, ``fit_on``); or ``backtests=0``. When the back-tests crossed a smaller decay than
    the one ahead, the interval is calibrated and ``note`` warns that it may be too narrow.

    Examples
    --------
    >>> import numpy as np
    >>> from lawfit.curves import Curve, forecast, schedule
    >>> lr = schedule("cosine", steps=4000, peak=1e-3, final=1e-4, warmup=200)
    >>> steps = np.arange(300, 4001, 5)
    >>> from scipy.signal import lfilter  # the annealing area, as in fit_curves
    >>> s2 = np.cumsum(lfilter([1.0], [1.0, -0.999], np.r_[0, lr[:-1] - lr[1:]]))
    >>> loss = 2.5 + 0.8 * np.cumsum(lr)[steps - 1] ** -0.5 - 0.3 * s2[steps - 1] + 0.002 * np.sin(steps / 90.0)
    >>> f = forecast(Curve("cos", lr, steps, loss), fraction=0.6, n_resamples=100)
    >>> f.calibrated, f.low < float(loss[-1]) < f.high
    (True, True)
    """
    from .._checks import check_level

    level = check_level(level)
    if until is None:
        check(fraction, Real(0, 1, closed="right"), "fraction", "forecast")
        until = int(fraction * curve.steps)
    check(n_resamples, RESAMPLES_OR_NONE, "n_resamples", "forecast")
    check(backtests, Integer(3, zero="no back-tests"), "backtests", "forecast")
    observed = curve.until(until)
    if observed.step.size < 8:
        raise LawfitError(
            f"Only {observed.step.size} losses are logged up to step {until}; a forecast needs at least 8. "
            "Observe more of the run or log the loss more often."
        )
    others = list(fit_on)
    fitted = fit_curves([observed, *others], law, objective=objective, delta=delta)
    final = curve.steps
    point = float(fitted.predict(curve, [final])[0])
    draws = np.empty((0, len(fitted.law.params)))
    noise_low = noise_high = math.nan
    if n_resamples:
        weights = _block_weights(observed.step.size, [c.loss.size for c in others], n_resamples, block, seed)
        x = features(fitted.law, [observed, *others])
        y = np.concatenate([observed.loss, *[c.loss for c in others]])
        refits = polish_batch(fitted.law, fitted.objective_settings, fitted.params, x, y, weights, _CURVE_SEARCH)
        draws = np.array([[r.params[n] for n in fitted.law.param_names] for r in refits if r.converged])
        draws = draws.reshape(-1, len(fitted.law.params))
        if draws.shape[0] >= 2:
            fitted = replace(fitted, draws=draws)
            predictions = fitted.predict_draws(curve, [final])[:, 0]
            noise_low, noise_high = (
                float(v) for v in percentile_interval(predictions[np.isfinite(predictions)], level)
            )
    calibration, note = _calibrate(fitted.law, fitted.objective_settings, curve, observed, others, level, backtests)
    low, high = noise_low, noise_high
    if calibration is not None:
        law_error = point * calibration["law_half_width"]
        below = point - noise_low if math.isfinite(noise_low) else 0.0
        above = noise_high - point if math.isfinite(noise_high) else 0.0
        low, high = point - math.hypot(below, law_error), point + math.hypot(above, law_error)
    return Forecast(
        fitted,
        final,
        point,
        low,
        high,
        level,
        int(until),
        int(draws.shape[0]),
        noise_low,
        noise_high,
        calibration is not None,
        note,
        calibration,
    )


def _calibrate(
    law: Law,
    objective: Objective,
    curve: Curve,
    observed: Curve,
    others: Sequence[Curve],
    level: float,
    n_cuts: int,
) -> tuple[dict[str, Any] | None, str]:
    """The back-tests of :func:`forecast`, each fitted with the forecast's ``objective``: the relative half-width
    of the law's error at the schedule's last step (None when it cannot be calibrated), and a note in words ('' if
    none)."""
    until, final = int(observed.step.max()), curve.steps
    horizon = final - until
    if n_cuts == 0:
        return (
            None,
            "The interval is not calibrated (backtests=0): it covers the noise of the losses, not the law's error.",
        )
    if horizon <= 0:
        return {"cuts": (), "error_per_step": (), "horizon": 0, "law_half_width": 0.0}, ""
    # How far below the lowest learning rate seen (after the warmup peak, here or in fit_on) the schedule goes:
    # the forecast's reach, and each back-test's (from its cut to `until`). Only back-tests that reach no further
    # than the forecast are like it: one that crosses a decay the forecast's fit has already seen is not.
    rate = _by_step(observed.lr)  # rate[k]: the rate of step k
    seen_here = _lowest_after_peak(rate[: until + 1])
    seen_elsewhere = min(
        (float(_lowest_after_peak(_by_step(c.lr)[: int(c.step.max()) + 1])[-1]) for c in others), default=np.inf
    )
    seen = np.minimum(seen_here, seen_elsewhere)
    below = np.minimum.accumulate(rate[: until + 1][::-1])[::-1]  # below[s]: the lowest rate in s..until
    target = float(seen[until] / np.min(rate[until + 1 :]))

    def reach(cut: np.ndarray) -> np.ndarray:
        return seen[cut] / below[np.minimum(cut + 1, until)]

    least = max(8, 3 * len(law.params))
    lower = max(until / 4.0, float(observed.step[least - 1]) if observed.step.size >= least else math.inf)
    candidates = observed.step[(observed.step >= lower) & (observed.step < until)]
    alike = candidates[reach(candidates) <= target * (1 + 1e-9)]
    earliest = float(alike[0]) if alike.size else math.inf
    longest = min(float(horizon), until - earliest)
    if not longest >= horizon / 4.0:
        if candidates.size and not alike.size:
            why = "every back-test inside it would cross a decay of the learning rate that the forecast has seen"
        else:
            where = f"at most {max(0, int(longest))} steps ahead" if math.isfinite(longest) else "nowhere"
            why = (
                f"back-tests inside it (each fitted on at least {least} losses and a quarter of the observed steps) "
                f"reach {where}, less than a quarter of the {horizon} steps to forecast"
            )
        return None, (
            f"Too little of the run is observed to calibrate the interval: {why}; the interval covers the noise of "
            "the losses only, not the law's error. Observe more of the run."
        )
    cuts = np.unique((until - np.linspace(longest / 4.0, longest, n_cuts)).astype(np.int64))
    cuts = cuts[reach(cuts) <= target * (1 + 1e-9)]
    stretch = float(np.max(reach(cuts), initial=1.0))
    lowest = float(np.min(rate[until + 1 :]))
    if cuts.size < 3:
        return None, (
            f"Too little of the run is observed to calibrate the interval: only {cuts.size} back-test(s) inside it "
            "extrapolate like the forecast; the interval covers the noise of the losses only. Observe more of the run."
        )
    if target > _NEW_DECAY and stretch <= _NEW_DECAY:
        return None, (
            f"The interval is not calibrated: the schedule ahead takes the learning rate down to {lowest:.3g}, "
            f"{target:.3g} times below the lowest the fit saw, and the observed part holds no decay that back-tests "
            "could learn the law's error on; the interval covers the noise of the losses only. Fit with a finished "
            "curve of the same model that decays (fit_on=..., --fit-on)."
        )
    sizes = [observed.loss.size, *(c.loss.size for c in others)]
    weights = np.ones((cuts.size, int(sum(sizes))))
    weights[:, : observed.loss.size] = observed.step[None, :] <= cuts[:, None]
    solutions = _fit(law, objective, [observed, *others], weights, _CURVE_SEARCH)
    x = features(law, [observed], ratio=PREDICT_RATIO)
    scores = []
    for cut, solution in zip(cuts, solutions, strict=True):
        predicted = _evaluate(law, solution.params, x)
        after = observed.step > cut
        h = observed.step[after] - cut
        e = (observed.loss[after] - predicted[after]) / predicted[after]
        scores.append(float(np.sum(h * e) / np.sum(h * h)))
    magnitude = np.sort(np.abs(scores))
    if not np.all(np.isfinite(magnitude)):
        return None, "The back-tests of the interval failed (a fit gave no finite prediction); it is not calibrated."
    rank = min(cuts.size, math.ceil((cuts.size + 1) * level))
    note = ""
    if target > stretch * _NEW_DECAY:
        note = (
            f"The schedule ahead takes the learning rate down to {lowest:.3g}, {target:.3g} times below the lowest "
            f"the fit saw, and the back-tests reached at most {stretch:.3g} times below theirs: the interval may be "
            "too narrow for the law's error on that decay."
        )
    return {
        "cuts": tuple(int(c) for c in cuts),
        "error_per_step": tuple(scores),
        "horizon": int(horizon),
        "law_half_width": float(magnitude[rank - 1] * horizon),
    }, note


# A learning rate within 10% of the lowest one seen is no new decay for a forecast or a back-test.
_NEW_DECAY = 1.1


def _by_step(lr: np.ndarray) -> np.ndarray:
    """The schedule indexed by step: ``out[k]`` the rate of step ``k``, with step 0 (no update) given step 1's."""
    return np.r_[lr[:1], lr]


def _lowest_after_peak(lr: np.ndarray) -> np.ndarray:
    """``out[s]``: the lowest rate since the highest one up to ``s`` (a warmup's low rates are no decay)."""
    peak = np.maximum.accumulate(np.where(lr >= np.maximum.accumulate(lr), np.arange(lr.size), 0))
    return pd.Series(lr).groupby(peak).cummin().to_numpy()


# ---------------------------------------------------------------------------------------------------------------


def _check_curves(curves: Sequence[Curve]) -> list[Curve]:
    curves = [curves] if isinstance(curves, Curve) else list(curves)
    if not curves or not all(isinstance(c, Curve) for c in curves):
        raise LawfitError("fit_curves needs one or more lawfit.curves.Curve (see lawfit.curves.load_curves).")
    names = [c.name for c in curves]
    if len(set(names)) != len(names):
        raise LawfitError(f"Curve names must be distinct. Got {names}.")
    for c in curves:
        early = c.step[np.cumsum(c.lr)[c.step - 1] <= 0]
        if early.size:
            raise LawfitError(
                f"Curve {c.name!r} has losses at steps {early[:3].tolist()} where the learning rate has summed to 0 "
                "(no training yet); the curve laws cannot describe them. Drop them (load_curves does)."
            )
    return curves


def _target(schedule: Curve | np.ndarray | str, steps: Any) -> tuple[Curve, np.ndarray]:
    if isinstance(schedule, Curve):
        lr = schedule.lr
        default = schedule.step
    else:
        lr = parse_schedule(schedule) if isinstance(schedule, str) else np.asarray(schedule, dtype=np.float64)
        default = np.unique(np.r_[np.arange(100, lr.size, 100), lr.size])
    rows = np.asarray(default if steps is None else steps)
    if lr.ndim == 1 and rows.ndim == 1 and np.issubdtype(rows.dtype, np.number):
        outside = rows[(rows < 1) | (rows > lr.size)]
        if outside.size:  # else Curve checks them, in words for logged losses
            raise LawfitError(
                f"The steps to predict must be in 1..{lr.size}, the steps of the schedule (a schedule of S steps "
                f"covers steps 1..S). Got step {outside[0]}."
            )
    return Curve("prediction", lr, rows, np.ones(np.shape(rows))), np.asarray(rows, dtype=np.int64)


def _evaluate(law: Law, params: Mapping[str, float], x: Mapping[str, np.ndarray]) -> np.ndarray:
    from .._jax import jnp

    values = law.fn({k: jnp.asarray(v) for k, v in params.items()}, {k: jnp.asarray(v) for k, v in x.items()})
    return np.asarray(values, dtype=np.float64)


def _choose(errors: Sequence[float], n_params: Sequence[int]) -> int:
    """The index of the lowest error; errors within 1% of it tie, and the fewest parameters win a tie.

    >>> _choose([0.0010, 0.00100 * 1.005, 0.0012], [7, 4, 5]), _choose([0.0010, 0.00102], [7, 4])
    (1, 0)
    """
    best = float(np.min(errors))
    tied = [i for i, error in enumerate(errors) if error <= best * (1 + _TIE_RTOL)]
    return min(tied, key=lambda i: (n_params[i], errors[i]))


def _grid(law: Law, y: np.ndarray) -> np.ndarray:
    """The product of the parameters' start grids, with L0's entries read as fractions of the lowest loss."""
    columns = [np.asarray(p.grid) * (float(np.min(y)) if p.name == "L0" else 1.0) for p in law.params]
    return np.array(list(itertools.product(*columns)), dtype=np.float64)


def _start_grid(law: Law, y: np.ndarray) -> np.ndarray:
    """The grid of the parameters a curve search does not solve for (all of them for a law of the user's)."""
    _, rest = split_params(law)
    low = float(np.min(y))
    columns = [np.asarray(law.params[i].grid) * (low if law.params[i].name == "L0" else 1.0) for i in rest]
    return np.array(list(itertools.product(*columns)), dtype=np.float64).reshape(-1, rest.size)


def _metrics(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    r = y - predicted
    return {
        "R2": float(1 - np.sum(r**2) / np.sum((y - y.mean()) ** 2)) if y.size > 1 else math.nan,
        "MAE": float(np.mean(np.abs(r))),
        "RMSE": float(np.sqrt(np.mean(r**2))),
        "mean_rel": float(np.mean(np.abs(r) / y)),
        "worst_rel": float(np.max(np.abs(r) / y)),
    }


def _block_weights(n: int, others: Sequence[int], n_resamples: int, block: int, seed: int) -> np.ndarray:
    """Moving-block bootstrap counts of the observed points (other curves kept with weight 1)."""
    rng = np.random.default_rng(seed)
    block = max(1, min(block, n))
    n_blocks = math.ceil(n / block)
    counts = np.zeros((n_resamples, n))
    starts = rng.integers(0, n - block + 1, size=(n_resamples, n_blocks))
    for r in range(n_resamples):
        idx = (starts[r][:, None] + np.arange(block)).ravel()[:n]
        np.add.at(counts[r], idx, 1.0)
    return np.hstack([counts, np.ones((n_resamples, int(sum(others))))])
