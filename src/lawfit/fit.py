"""``fit(data, law)`` -> an immutable :class:`Fit`: parameters, objective, convergence; predict, save, load."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import check_level, renamed, warn_deprecated
from ._intervals import format_interval
from ._records import FIT, Fields, check_schema, open_record, result_record, save_record
from ._records import restore as _restore
from .diagnostics import EXTRAPOLATION_LIMIT, extrapolation, fit_diagnostics
from .errors import CalibrationWarning, ConvergenceWarning, LawfitError, LawfitWarning
from .laws import BUILTIN_LAWS, Law, resolve_law
from .laws import law_from_spec as _law_from_spec
from .objectives import Objective, as_objective, read_objective

# Loading a fit and predicting with it (``lawfit predict``) needs none of the search, the selection, the runs'
# reader or the bootstrap: those modules are imported where they are used, so that the verbs that read a saved fit
# start fast. A saved bootstrap or calibration imports its module when it is read.
if TYPE_CHECKING:
    from .calibration import Calibration, NestedBacktests
    from .data import Runs
    from .search import SearchOptions
    from .select import Candidate
    from .uncertainty import Bootstrap

__all__ = ["INTERVALS", "SCHEMA_VERSION", "Fit", "calibrate", "fit", "load_fit"]

#: The kinds of prediction interval: of the law, of one new run, of a forecast calibrated by scale.
INTERVALS = ("law", "run", "forecast")

#: Version of the saved-fit format; bumped when a field changes meaning.
SCHEMA_VERSION = FIT.version


@dataclass(frozen=True)
class Fit:
    """A fitted law: what was fitted, how well, and how to use it.

    Attributes
    ----------
    law : Law
        The fitted law.
    params : Mapping[str, float]
        Best parameters in natural units (read-only).
    objective : float
        The objective at ``params``.
    n_points : int
        The number of runs fitted.
    converged : bool
        Whether the local polish of the best start met its tolerances.
    message : str
        The search's account of the optimum: convergence, how many polished starts agree, parameters at a bound.
    objective_settings : Objective
        What was minimised (the deprecated name ``loss`` still reads it).
    runs_summary : Mapping[str, Any]
        A summary of the runs: source, the range of each input, columns derived from C = 6ND (the
        deprecated name ``data`` still reads it).
    search_report : Mapping[str, Any]
        The search's figures: starts, polished starts, agreeing starts, steps, gradient norm, bounds hit (the
        deprecated name ``search`` still reads it).
    bootstrap : Bootstrap or None
        Bootstrap draws of the parameters (see :func:`lawfit.bootstrap`), which give :attr:`stderr`,
        :meth:`intervals` and :meth:`predict_interval`.
    diagnostics : tuple of LawfitWarning
        What the fit was warned of (convergence, bounds, identifiability), with their figures; saved with it.
    calibration : Calibration or None
        How the law erred in nested back-tests by scale inside the runs (:mod:`lawfit.calibration`), which gives
        forecast intervals (``predict_interval(of="forecast")``); None if not calibrated.
    selection : tuple of mappings or None
        For ``law="auto"``: the candidates' nested back-tests and which was chosen (:mod:`lawfit.select`).

    Examples
    --------
    >>> import lawfit
    >>> f = lawfit.fit(lawfit.datasets.chinchilla(), "chinchilla")
    >>> f.converged
    True
    """

    law: Law
    params: Mapping[str, float]
    objective: float
    n_points: int
    converged: bool
    message: str
    objective_settings: Objective = field(default_factory=Objective)
    runs_summary: Mapping[str, Any] = field(default_factory=dict)
    search_report: Mapping[str, Any] = field(default_factory=dict)
    lawfit_version: str = ""
    bootstrap: Bootstrap | None = None
    diagnostics: tuple[LawfitWarning, ...] = ()
    calibration: Calibration | None = None
    selection: tuple[Mapping[str, Any], ...] | None = None

    def __post_init__(self) -> None:
        if self.selection is not None:
            object.__setattr__(self, "selection", tuple(MappingProxyType(dict(row)) for row in self.selection))
        object.__setattr__(self, "params", MappingProxyType({k: float(v) for k, v in self.params.items()}))
        object.__setattr__(self, "runs_summary", MappingProxyType(dict(self.runs_summary)))
        object.__setattr__(self, "search_report", MappingProxyType(dict(self.search_report)))
        object.__setattr__(self, "diagnostics", tuple(self.diagnostics))
        if not self.lawfit_version:
            from ._version import __version__

            object.__setattr__(self, "lawfit_version", __version__)

    # -- the names of 0.x, read for one more release ----------------------------------------------------------------
    @property
    def loss(self) -> Objective:
        """Deprecated: :attr:`objective_settings`."""
        warn_deprecated("loss", "objective_settings", "Fit", what="attribute")
        return self.objective_settings

    @property
    def data(self) -> Mapping[str, Any]:
        """Deprecated: :attr:`runs_summary`."""
        warn_deprecated("data", "runs_summary", "Fit", what="attribute")
        return self.runs_summary

    @property
    def search(self) -> Mapping[str, Any]:
        """Deprecated: :attr:`search_report` (``search`` is the function :func:`lawfit.search.search`)."""
        warn_deprecated("search", "search_report", "Fit", what="attribute")
        return self.search_report

    def interval(self, quantity: Callable[[Mapping[str, Any]], Any], level: float = 0.9) -> tuple[float, float, float]:
        """Deprecated: :meth:`quantity_interval`."""
        warn_deprecated("interval", "quantity_interval", "Fit", what="method")
        return self.quantity_interval(quantity, level)

    # -- use -----------------------------------------------------------------------------------------------------
    def predict(self, *, extrapolation_limit: float = EXTRAPOLATION_LIMIT, **inputs: Any) -> np.ndarray:
        """The law's prediction at the given sizes (arrays broadcast together).

        Give the law's inputs by name (``N=..., D=...``); for a law of N and D, two of N, D, C are enough (the
        third follows from C = 6ND). An input beyond ``extrapolation_limit`` times its largest training value
        raises an :class:`~lawfit.ExtrapolationWarning`.

        >>> import lawfit
        >>> f = lawfit.fit(lawfit.datasets.chinchilla(), "chinchilla")
        >>> f.predict(N=70e9, D=1.4e12).shape
        ()
        """
        values = complete_inputs(self.law.inputs, inputs)
        self._check_extrapolation(values, extrapolation_limit)
        self._check_converged()
        return self.law.predict(self.params, **values)

    def _check_extrapolation(self, values: Mapping[str, np.ndarray], limit: float) -> None:
        warning = extrapolation(values, self.runs_summary.get("ranges", {}), limit)
        if warning is not None:
            warnings.warn(warning, stacklevel=3)

    def _check_converged(self) -> None:
        # A fit made in this process warned when it was made; a loaded one (load_fit, from_dict) says so whenever it
        # predicts, since whoever loads it may never have seen that warning.
        source = self.__dict__.get("_source")
        if source is not None and not self.converged:
            detail = " ".join(self.message.split()).removeprefix("did not converge").lstrip(":;, ")
            warnings.warn(
                ConvergenceWarning(
                    f"{source} did not converge{': ' + detail if detail else ''}; do not trust its predictions, and "
                    "fit the runs again.",
                    objective=self.objective,
                ),
                stacklevel=3,
            )

    # -- uncertainty (needs bootstrap draws) ---------------------------------------------------------------------
    @property
    def stderr(self) -> dict[str, float]:
        """Bootstrap standard errors of the parameters."""
        from . import uncertainty as _unc

        return _unc.stderr(self)

    def intervals(self, level: float = 0.9) -> dict[str, tuple[float, float]]:
        """Bootstrap percentile intervals of the parameters at ``level``."""
        from . import uncertainty as _unc

        return _unc.intervals(self, level)

    def predict_interval(
        self, level: float = 0.9, *, of: str | None = None, **inputs: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """Interval ``(low, high)`` of the prediction at ``inputs``, at ``level``.

        ``of="law"`` bounds the law itself, the expected loss at that scale: the bootstrap's uncertainty of the
        parameters only. ``of="run"`` bounds the outcome of one new run there: the law's draws plus the scatter of
        single runs about the fit (its residuals, resampled). ``of="forecast"`` bounds a new run *beyond* the fitted
        runs: the law's error measured in nested back-tests by scale inside the runs, grown with the distance of
        extrapolation, with the bootstrap's variance on top when there are draws (:mod:`lawfit.calibration` states
        the method and its assumptions). Without ``of``: :meth:`interval_of`.

        A forecast interval from runs that could not calibrate it falls back to the run interval and warns
        (:class:`~lawfit.CalibrationWarning`, with the reason).

        >>> import lawfit
        >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
        >>> f = lawfit.fit(runs, "chinchilla", n_resamples=200, seed=0)
        >>> low, high = f.predict_interval(N=70e9, D=1.4e12, of="law")
        >>> bool(low < f.predict(N=70e9, D=1.4e12) < high)
        True
        >>> run_low, run_high = f.predict_interval(N=70e9, D=1.4e12, of="run")
        >>> bool(run_high - run_low > 1.5 * (high - low))
        True
        >>> f.interval_of(N=70e9, D=1.4e12)
        'forecast'
        >>> fc_low, fc_high = f.predict_interval(N=70e9, D=1.4e12)
        >>> bool(fc_high - fc_low > run_high - run_low)
        True
        """
        values = complete_inputs(self.law.inputs, inputs)
        kind = self._interval_kind(of, values)
        level = check_level(level)
        self._check_extrapolation(values, EXTRAPOLATION_LIMIT)
        self._check_converged()
        if kind == "forecast":
            cal = self.calibration
            if cal is not None and cal.calibrated:

                def forecast(points: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
                    predicted = self.law.predict(self.params, **points)
                    extra = 0.0
                    if self.bootstrap is not None:
                        with np.errstate(divide="ignore", invalid="ignore"):
                            extra = np.nanvar(np.log(_unc.prediction_draws(self, points)), axis=0)
                    return cal.interval(predicted, cal.distance_of(self._scale(points)), level, extra)

                if self.bootstrap is None:  # one value per point, as the prediction itself: nothing to chunk
                    return forecast(values)
                from . import uncertainty as _unc

                return _unc.over_points(values, self.bootstrap.n_resamples, forecast)
            reason = cal.note if cal is not None else "the fit was not calibrated (fit with calibrate=True)"
            warnings.warn(
                CalibrationWarning(
                    f"Forecast interval uncalibrated ({reason}); giving the interval for a new run instead.",
                    reason=reason,
                ),
                stacklevel=2,
            )
            kind = "run"
        from . import uncertainty as _unc

        n_draws = 1 if self.bootstrap is None else self.bootstrap.n_resamples
        draws = _unc.prediction_draws if kind == "law" else _unc.run_draws
        return _unc.over_points(values, n_draws, lambda points: _unc.percentile_interval(draws(self, points), level))

    def interval_of(self, **inputs: Any) -> str:
        """The interval :meth:`predict_interval` gives without ``of``: ``"forecast"`` when a target lies beyond the
        fitted runs of a fit with a calibration (an uncalibrated one then falls back to the run interval, with a
        :class:`~lawfit.CalibrationWarning`) or inside them for a calibrated fit without bootstrap draws; else
        ``"law"``."""
        return self._interval_kind(None, complete_inputs(self.law.inputs, inputs))

    def _interval_kind(self, of: str | None, values: Mapping[str, np.ndarray]) -> str:
        if of is not None:
            if of not in INTERVALS:
                raise LawfitError(
                    f"The 'of' parameter of predict_interval must be one of {', '.join(map(repr, INTERVALS))}. "
                    f"Got {of!r} instead."
                )
            return of
        cal = self.calibration
        if cal is None or not cal.by:
            return "law"
        with np.errstate(invalid="ignore"):
            beyond = bool(np.any(cal.distance_of(self._scale(values)) > 0))
        if not cal.calibrated:
            return "forecast" if beyond and self.bootstrap is not None else "law"
        return "forecast" if beyond or self.bootstrap is None else "law"

    def _scale(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        if self.calibration is not None:
            by = self.calibration.by
        else:
            from .calibration import scale_of

            by = scale_of(self.law)
        if by in values:
            return values[by]
        return 6.0 * values["N"] * values["D"]  # C of a law of N and D

    def quantity_interval(
        self, quantity: Callable[[Mapping[str, Any]], Any], level: float = 0.9
    ) -> tuple[float, float, float]:
        """A derived quantity's value at the fit and its bootstrap interval: ``(value, low, high)``.

        ``quantity`` maps parameters by name to a number, elementwise (it is given arrays of draws too).

        >>> import lawfit
        >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
        >>> f = lawfit.fit(runs, "chinchilla", n_resamples=200, seed=0)
        >>> value, low, high = f.quantity_interval(lambda p: p["beta"] / (p["alpha"] + p["beta"]))
        >>> round(value, 3)
        0.514
        """
        from . import uncertainty as _unc

        value = float(np.asarray(quantity({k: np.asarray(v) for k, v in self.params.items()})))
        low, high = _unc.percentile_interval(_unc.derived_draws(self, quantity), level)
        return value, float(low), float(high)

    # -- display -------------------------------------------------------------------------------------------------
    def summary(self, level: float = 0.9) -> str:
        """A readable table of the fit; with bootstrap draws, the spread of each parameter (its standard error, or
        for a log-scale parameter the factor ``×/÷ f`` of :func:`lawfit.uncertainty.factors`) and its ``level``
        percentile interval, printed with the digits that show its width."""
        lines = [f"law        {self.law.name}: L = {self.law.formula}"]
        source = self.runs_summary.get("source", "")
        lines.append(f"data       {self.n_points} runs" + (f" from {source}" if source else ""))
        for note in self.runs_summary.get("notes", ()):
            lines.append(f"           {note}")
        lines.append(f"objective  {self.objective_settings.describe()}: {self.objective:.6e}")
        lines.append(f"search     {self.message} ({self.search_report.get('n_starts', 0):,} starts)")
        for warning in self.diagnostics:
            lines.append(f"warning    {type(warning).__name__}: {warning.message}")
        if self.calibration is not None:
            lines.append(f"forecast   {self.calibration.describe()}")
        if self.selection is not None:
            from .select import selection_lines

            lines += ["", *selection_lines(self.selection)]
        lines.append("")
        width = max(9, *(len(n) for n in self.params))
        header = f"  {'parameter':<{width}}  {'value':>14}"
        if self.bootstrap is None:
            lines.append(header)
            for name, value in self.params.items():
                lines.append(f"  {name:<{width}}  {value:>14.6g}")
            return "\n".join(lines)
        from . import uncertainty as _unc

        spreads, intervals = _unc.spread_texts(self), self.intervals(level)
        lines.insert(-1, f"bootstrap  {self.bootstrap.describe()}")
        lines.append(header + f"  {'stderr':>12}  {level:.0%} interval")
        for name, value in self.params.items():
            low, high = intervals[name]
            lines.append(
                f"  {name:<{width}}  {value:>14.6g}  {spreads[name]:>12}  {format_interval(low, high, least=4)}"
            )
        if _unc.factors(self):
            lines.append(
                "  ×/÷ f: the multiplicative standard error of a log-scale parameter (exp of the sd of its log draws)"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, kind: str = "fit", **options: Any) -> Any:
        """A matplotlib figure of the fit (needs ``pip install 'lawfit[plot]'``); the caller saves it.

        ``kind`` is ``"fit"`` (:func:`lawfit.plot.plot_fit`: the runs and the law; give the runs as ``data=``),
        ``"residuals"`` (:func:`lawfit.plot.plot_residuals`, ``data=`` required) or ``"pairs"``
        (:func:`lawfit.plot.plot_bootstrap_pairs`: the bootstrap draws); ``options`` go to that function.

        >>> import lawfit
        >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
        >>> fig = lawfit.fit(runs, "chinchilla").plot(data=runs)
        >>> fig.axes[0].get_xscale()
        'log'
        """
        from . import plot as plots

        kinds = {"fit": plots.plot_fit, "residuals": plots.plot_residuals, "pairs": plots.plot_bootstrap_pairs}
        if kind not in kinds:
            raise LawfitError(f"The 'kind' of Fit.plot must be one of {', '.join(kinds)}. Got {kind!r} instead.")
        return kinds[kind](self, **options)

    # -- save and load -------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, stamped with the schema and lawfit versions."""
        return result_record(
            FIT,
            self,
            runs_summary=dict(self.runs_summary),
            search_report=dict(self.search_report),
            diagnostics=[w.to_dict() for w in self.diagnostics],
            bootstrap=None if self.bootstrap is None else self.bootstrap.to_dict(),
            calibration=None if self.calibration is None else self.calibration.to_dict(),
            selection=None if self.selection is None else [dict(row) for row in self.selection],
        )

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the fit as JSON to ``path``, atomically; returns the path.

        ``path`` ends as the complete new fit or, if the write fails or the process is killed, as it was. A file
        that is not a fit saved by lawfit, or a symbolic link, is refused unless ``force`` (which replaces a link
        itself, not its target).

        >>> import lawfit, os, tempfile
        >>> f = lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla")
        >>> path = f.save(os.path.join(tempfile.mkdtemp(), "fit.json"))
        >>> lawfit.load_fit(f.save(path)).params == f.params  # a fit saved before is overwritten
        True
        """
        return save_record(self.to_dict(), path, FIT, force=force)

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Fit:
        """Rebuild a fit from :meth:`to_dict`'s output, every field checked: a bad one raises one
        :class:`~lawfit.FitFileError` naming the field and what it must be. A fit from a newer schema is refused
        with a reason. A rebuilt fit that did not converge warns whenever it predicts.

        >>> import lawfit
        >>> record = lawfit.fit(lawfit.datasets.chinchilla(), "chinchilla").to_dict()
        >>> Fit.from_dict({**record, "params": {**record["params"], "alpha": "nan"}})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        lawfit.errors.FitFileError: Field 'params.alpha' of the saved fit must be a finite number; got 'nan'. ...
        """
        return _read_fit(record, Fields("the saved fit"), "This saved fit")


# Fit(loss=..., data=..., search=...) as before the renaming, for one release.
Fit.__init__ = renamed(loss="objective_settings", data="runs_summary", search="search_report")(Fit.__init__)  # type: ignore[method-assign]


def load_fit(path: str | Path) -> Fit:
    """Read a fit saved by :meth:`Fit.save`.

    Nothing in the file is trusted: a file over 64 MB (:data:`lawfit._records.MAX_BYTES`) is refused before it is
    read, and every field is checked (types, finite values, sizes, the law and its parameters, the shapes of the
    bootstrap draws and calibration), so that a damaged or hand-edited file gives one :class:`~lawfit.FitFileError`
    that names the file, the field (``params.alpha``) and what it must be. A fit that did not converge warns
    (:class:`~lawfit.ConvergenceWarning`) whenever it predicts.

    >>> import lawfit, tempfile, os
    >>> f = lawfit.fit(lawfit.datasets.chinchilla(), "chinchilla")
    >>> path = f.save(os.path.join(tempfile.mkdtemp(), "fit.json"))
    >>> lawfit.load_fit(path).params == f.params
    True
    """
    record, fields = open_record(path, FIT, fix="Save the fit again, or correct that field.")
    return _read_fit(record, fields, f"The fit in '{path}'")


def _read_fit(record: Any, fields: Fields, source: str) -> Fit:
    """A fit from a saved record, every field checked by ``fields``; ``source`` names the fit in the warning its
    predictions give when it did not converge."""
    version = check_schema(record, fields, FIT)
    key = _KEYS_OF_VERSION_1 if version == 1 else {}
    law = _read_law(record, fields)
    params = fields.params(record, "params", "", law.param_names, law.name)
    n_points = fields.integer(record, "n_points", "", minimum=1)
    boot = fields.obj(record, "bootstrap", "", default=None)
    if boot is not None:
        from .uncertainty import Bootstrap

        boot = Bootstrap.from_dict(boot, n_params=len(law.params), fields=fields, path="bootstrap")
        if boot.residuals.size > n_points:
            raise fields.error(
                "bootstrap.residuals", f"a list of at most {n_points} numbers (one per run fitted)", record["bootstrap"]
            )
    cal = fields.obj(record, "calibration", "", default=None)
    if cal is not None:
        from .calibration import Calibration

        cal = Calibration.from_dict(cal, fields=fields, path="calibration")
        if cal.by and not (cal.by in law.inputs or (cal.by == "C" and {"N", "D"} <= set(law.inputs))):
            raise fields.invalid("calibration.by", f"law {law.name} reads {', '.join(law.inputs)}, not {cal.by}")
    fitted = Fit(
        law=law,
        params=params,
        objective=fields.number(record, "objective", "", finite=False, minimum=0.0),
        n_points=n_points,
        converged=fields.boolean(record, "converged", ""),
        message=fields.text(record, "message", ""),
        objective_settings=read_objective(record, fields, version),
        runs_summary=_read_data(record, fields, key),
        search_report=_read_search(record, fields, key),
        lawfit_version=fields.text(record, "lawfit_version", "", default=""),
        bootstrap=boot,
        diagnostics=_read_diagnostics(record, fields),
        calibration=cal,
        selection=_read_selection(record, fields),
    )
    object.__setattr__(fitted, "_source", source)  # not a field: a copy made by replace() was not loaded
    return fitted


def _read_law(record: Mapping[str, Any], fields: Fields) -> Law:
    saved = fields.obj(record, "law", "")
    fields.text(saved, "name", "law", default="")
    fields.text(saved, "formula", "law", default="")
    spec = fields.obj(saved, "spec", "law")
    if "formula" in spec:
        fields.text(spec, "formula", "law.spec")
        settings = fields.obj(spec, "params", "law.spec", default=None) or {}
        for name, setting in settings.items():
            at = f"law.spec.params.{name}"
            fields.as_obj(setting, at)
            for key in setting:
                if key not in ("lower", "upper", "scale", "grid"):
                    raise fields.invalid(f"{at}.{key}", "a parameter's settings are lower, upper, scale and grid")
            fields.number(setting, "lower", at, default=None, finite=False)
            fields.number(setting, "upper", at, default=None, finite=False)
            fields.text(setting, "scale", at, default=None, choices=("linear", "log"))
            fields.vector(setting, "grid", at, default=None, finite=True)
        for key in spec:
            if key not in ("formula", "params", "fixed"):
                raise fields.invalid(f"law.spec.{key}", "the spec of a formula holds its formula, params and fixed")
    else:
        fields.text(spec, "builtin", "law.spec", choices=tuple(BUILTIN_LAWS))
        for key, value in spec.items():
            if key not in ("builtin", "fixed") and not isinstance(value, str | int | float):
                raise fields.error(f"law.spec.{key}", "a string or a number (an option of the law)", value)
    fixed = fields.obj(spec, "fixed", "law.spec", default=None) or {}
    for name in fixed:
        fields.number(fixed, name, "law.spec.fixed")
    try:
        return _law_from_spec(_restore(spec))
    except (LawfitError, TypeError, ValueError, RecursionError) as exc:
        raise fields.invalid("law.spec", str(exc) or type(exc).__name__) from None


# The keys of a fit saved in schema version 1 (lawfit 0.x) whose names changed in version 2.
_KEYS_OF_VERSION_1 = {"runs_summary": "data", "search_report": "search"}


def _read_data(record: Mapping[str, Any], fields: Fields, keys: Mapping[str, str]) -> dict[str, Any]:
    at = keys.get("runs_summary", "runs_summary")
    data = fields.obj(record, at, "", default={})
    fields.text(data, "source", at, default="")
    fields.texts(data, "notes", at, default=[])
    derived = fields.obj(data, "derived", at, default={})
    for name in derived:
        fields.text(derived, name, f"{at}.derived")
    ranges = fields.obj(data, "ranges", at, default={})
    checked = {}
    for name in ranges:
        what = "the smallest and the largest value in the runs"
        low, high = fields.vector(ranges, name, f"{at}.ranges", length=2, finite=True, what=what)
        if low > high:
            raise fields.invalid(f"{at}.ranges.{name}", f"its smallest value {low:g} is above its largest {high:g}")
        checked[name] = [float(low), float(high)]
    return {**_restore(data), "ranges": checked} if ranges else _restore(data)


def _read_search(record: Mapping[str, Any], fields: Fields, keys: Mapping[str, str]) -> dict[str, Any]:
    at = keys.get("search_report", "search_report")
    figures = fields.obj(record, at, "", default={})
    for key in ("n_starts", "n_polished", "n_agree", "steps"):
        fields.integer(figures, key, at, default=None, minimum=0)
    fields.number(figures, "gradient_norm", at, default=None, finite=False, nan=True)
    fields.texts(figures, "at_bounds", at, default=None)
    return _restore(figures)


def _read_diagnostics(record: Mapping[str, Any], fields: Fields) -> tuple[LawfitWarning, ...]:
    found = []
    for at, item in fields.objects(record, "diagnostics", "", "warnings", default=None) or []:
        fields.text(item, "kind", at)
        fields.text(item, "message", at)
        if "message" in (fields.obj(item, "data", at, default=None) or {}):
            raise fields.invalid(f"{at}.data.message", "a warning's figures may not be named 'message'")
        found.append(LawfitWarning.from_dict(_restore(item)))
    return tuple(found)


def _read_selection(record: Mapping[str, Any], fields: Fields) -> list[dict[str, Any]] | None:
    rows = fields.objects(record, "selection", "", "the candidates of law 'auto' (or null)", default=None) or []
    checked = [
        {
            **_restore(row),
            "law": fields.text(row, "law", at),
            "weight_growth": fields.number(row, "weight_growth", at, default=0.0, minimum=0.0),
            "n_params": fields.integer(row, "n_params", at, minimum=1),
            "score": fields.number(row, "score", at, default=None, finite=False, nan=True),
            "per_cut": fields.vector(row, "per_cut", at, default=[]).tolist(),
            "max_abs_rel_error": fields.number(row, "max_abs_rel_error", at, default=None, finite=False, nan=True),
            "converged": fields.boolean(row, "converged", at, default=None),
            "chosen": fields.boolean(row, "chosen", at),
            "note": fields.text(row, "note", at, default=""),
        }
        for at, row in rows
    ]
    return checked or None


@renamed(loss="objective", bootstrap="n_resamples")
def fit(
    data: Runs | Any,
    law: Law | str,
    *,
    columns: Mapping[str, str] | None = None,
    objective: str | Objective = "huber",
    delta: float = 1e-3,
    reduction: str = "sum",
    weight_growth: float = 0.0,
    weights: Sequence[float] | np.ndarray | None = None,
    grid: Mapping[str, Sequence[float]] | np.ndarray | None = None,
    search_options: SearchOptions | None = None,
    n_resamples: int = 0,
    seed: int = 0,
    resample: str = "run",
    calibrate: bool | None = None,
    candidates: Sequence[Law | str | Candidate] | Mapping[str, Law | str] | None = None,
    **law_options: Any,
) -> Fit:
    """Fit a scaling law to runs by a global search.

    Parameters
    ----------
    data : path, DataFrame, mapping of columns or Runs
        The runs (see :func:`lawfit.load_runs`).
    law : str or Law
        A built-in law's name (``"power"``, ``"chinchilla"``, ``"kaplan"``, ...), a formula such as
        ``"E + A/N**alpha + B/D**beta"``, a :class:`Law`, or ``"auto"``: the law (and weighting of the runs) that
        extrapolated best in nested back-tests by scale on these runs (:mod:`lawfit.select`); the candidates' table
        is then :attr:`Fit.selection`.
    columns : mapping, optional
        Canonical name -> column of ``data``, e.g. ``{"N": "Model Size"}``.
    objective : {"huber", "mse-log", "mse"} or Objective
        The objective; ``delta`` is Huber's threshold on log residuals, ``reduction`` "sum" or "mean" (an
        :class:`~lawfit.Objective` carries its own settings: leave ``delta``, ``reduction`` and ``weight_growth`` at
        their defaults). The deprecated name ``loss`` is read for one more release.
    weight_growth : float
        Weigh each run by ``(scale / largest scale) ** weight_growth`` on top of its weight (scale: C for a law of
        N and D); 0 weighs runs alike. ``auto`` chooses it per candidate.
    weights : array, optional
        Per-run weights (overrides the data's ``weight`` column). A weight of 2 counts a run twice.
    grid : mapping or array, optional
        Start values: per parameter (name -> values, replacing the law's grid for those) or a whole array of
        starts ``(n_starts, n_params)`` in natural units.
    search_options : SearchOptions, optional
        Settings of the global search.
    n_resamples : int
        If > 0, that many bootstrap resamples are refitted (see :func:`lawfit.bootstrap`), giving
        :attr:`Fit.stderr`, :meth:`Fit.intervals` and :meth:`Fit.predict_interval` (the deprecated name
        ``bootstrap`` is read for one more release).
    seed : int
        Seed of the bootstrap's resampling; the same seed gives the same draws.
    resample : {"run", "group"}
        Resample single runs or whole groups (the runs' ``group`` column).
    calibrate : bool, optional
        Calibrate forecast intervals by nested back-tests by scale (:mod:`lawfit.calibration`; one more batched
        search). By default, when intervals are asked for (``n_resamples > 0``) or the law is ``auto``.
    candidates : sequence or mapping of laws, optional
        For ``law="auto"``: the laws to choose among, instead of the defaults; each is tried with the runs weighted
        alike (give :class:`lawfit.select.Candidate` values for other weightings).
    **law_options
        Options of a built-in law, e.g. ``x="N"`` for ``power``.

    Returns
    -------
    Fit

    Examples
    --------
    >>> import lawfit
    >>> f = lawfit.fit(lawfit.datasets.chinchilla(), "chinchilla")
    >>> round(f.params["alpha"], 2)
    0.35
    """
    from . import uncertainty as _unc
    from .calibration import growth_weights
    from .data import load_runs
    from .search import search
    from .select import as_candidates, default_candidates, select

    runs = load_runs(data, columns=columns)
    objective = as_objective(objective, "fit", delta=delta, reduction=reduction, weight_growth=weight_growth)
    weight_growth = objective.weight_growth
    base = runs.weights if weights is None else check_weights(weights, len(runs))
    auto = isinstance(law, str) and law.strip() == "auto"
    selection = None
    nested = None
    if auto:
        if weight_growth:
            raise LawfitError(
                "The 'auto' law chooses the weight growth per candidate (0 and 0.25); give 'weight_growth' with a "
                "named law, or list weightings as lawfit.select.Candidate values in 'candidates'."
            )
        if law_options or grid is not None:
            raise LawfitError(
                "The 'auto' law chooses among laws with their own options and start grids; give 'grid' or law "
                f"options ({sorted(law_options)}) with a named law, or list laws in 'candidates'."
            )
        chosen_from = default_candidates(runs) if candidates is None else as_candidates(candidates)
        selection = select(runs, base, objective, chosen_from)
        the_law = selection.chosen.law
        objective = replace(objective, weight_growth=selection.chosen.weight_growth)
        nested = selection.nested
    else:
        if candidates is not None:
            raise LawfitError("The 'candidates' parameter of fit applies to law='auto' only.")
        the_law = resolve_law(law, **law_options)
    the_grid: np.ndarray | None = None
    if isinstance(grid, Mapping):
        the_law = the_law.with_grid(grid)
    elif grid is not None:
        the_grid = np.asarray(grid, dtype=np.float64)

    runs.require_points(len(the_law.params), the_law.name, base)
    inputs = runs.inputs(the_law.inputs)
    y = runs.column(the_law.target)
    if objective.in_log_space and not np.all(y > 0):
        raise LawfitError(
            f"The {objective.loss} objective takes the log of {the_law.target}, which has values <= 0; use "
            "objective='mse'."
        )
    w = base * growth_weights(runs, the_law, objective)
    unweighted = replace(objective, weight_growth=0.0)  # the growth is in w; one compiled search serves all
    result = search(the_law, unweighted, inputs, y, w, grid=the_grid, options=search_options)
    diagnostics = fit_diagnostics(the_law, result)
    for warning in diagnostics:
        warnings.warn(warning, stacklevel=2)
    calibration = None
    if calibrate or (calibrate is None and (n_resamples or auto)):
        calibration = _calibration(
            the_law, unweighted, result.params, runs, w, nested=nested, grid=the_grid, options=search_options
        )
    fitted = Fit(
        law=the_law,
        params=result.params,
        objective=result.objective,
        n_points=len(runs),
        converged=result.converged,
        message=result.message,
        objective_settings=objective,
        runs_summary=_data_summary(runs, the_law, columns),
        search_report={
            "n_starts": result.n_starts,
            "n_polished": result.n_polished,
            "n_agree": result.n_agree,
            "steps": result.steps,
            "gradient_norm": result.gradient_norm,
            "at_bounds": list(result.at_bounds),
        },
        diagnostics=diagnostics,
        calibration=calibration,
        selection=None if selection is None else selection.rows,
    )
    if n_resamples:
        fitted = _unc.bootstrap(fitted, runs, n_resamples=n_resamples, seed=seed, resample=resample, weights=w)
    return fitted


def calibrate(fit: Fit, data: Runs | Any, *, weights: Sequence[float] | np.ndarray | None = None) -> Fit:
    """The fit with forecast intervals calibrated by nested back-tests by scale on the runs it was fitted to (as
    ``lawfit.fit(..., calibrate=True)`` does; see :mod:`lawfit.calibration`).

    ``weights`` are the per-run weights the fit used, if not the runs' own ``weight`` column; the fit's weight growth
    is applied on top, as :func:`lawfit.fit` did.

    >>> import lawfit
    >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    >>> lawfit.calibrate(lawfit.fit(runs, "chinchilla"), runs).calibration.calibrated
    True
    """
    from .calibration import growth_weights
    from .data import load_runs

    runs = load_runs(data)
    if len(runs) != fit.n_points:
        raise LawfitError(
            f"The fit was made on {fit.n_points} runs but the data has {len(runs)}; calibrate on the runs it was "
            "fitted to."
        )
    base = runs.weights if weights is None else check_weights(weights, len(runs))
    w = base * growth_weights(runs, fit.law, fit.objective_settings)
    unweighted = replace(fit.objective_settings, weight_growth=0.0)
    return replace(fit, calibration=_calibration(fit.law, unweighted, fit.params, runs, w))


def _calibration(
    law: Law,
    objective: Objective,
    params: Mapping[str, float],
    runs: Runs,
    w: np.ndarray,
    *,
    nested: NestedBacktests | None = None,
    grid: np.ndarray | None = None,
    options: SearchOptions | None = None,
) -> Calibration:
    from .calibration import calibrate as _calibrate_law
    from .calibration import nested_backtests

    reason = ""
    if nested is None:
        try:
            nested = nested_backtests(law, objective, runs, w, grid=grid, search_options=options)
        except LawfitError as error:
            reason = str(error)  # e.g. no scale to cut along: the calibration says so in its note
    return _calibrate_law(law, params, runs, w, nested, reason=reason)


def check_weights(weights: Any, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise LawfitError(f"The 'weights' must have one value per run ({n}). Got shape {w.shape} instead.")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
        raise LawfitError("The 'weights' must be finite and >= 0, with at least one > 0.")
    return w


def _data_summary(runs: Runs, law: Law, columns: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What a saved fit says of its runs: where they came from (``path``, absolute, and the ``columns`` mapping when
    a file was read, so that ``lawfit plot FIT.json`` finds them again), their ranges, derived columns and notes."""
    ranges = {}
    for name in (*law.inputs, law.target):
        values = runs.column(name)
        ranges[name] = [float(values.min()), float(values.max())]
    if "N" in law.inputs and "D" in law.inputs:  # the tokens per parameter the runs span, for planning
        ratio = runs.column("D") / runs.column("N")
        ranges["D/N"] = [float(ratio.min()), float(ratio.max())]
        if "C" in runs.columns:  # the compute the runs span: plans are judged against the largest run's
            compute = runs.column("C")
            ranges["C"] = [float(compute.min()), float(compute.max())]
    summary: dict[str, Any] = {"source": runs.source}
    if not runs.source.startswith("<") and Path(runs.source).is_file():
        summary["path"] = str(Path(runs.source).resolve())
        if columns:
            summary["columns"] = {str(k): str(v) for k, v in columns.items()}
    return {**summary, "ranges": ranges, "derived": dict(runs.derived), "notes": list(runs.notes)}


def complete_inputs(needed: Sequence[str], given: Mapping[str, Any]) -> dict[str, np.ndarray]:
    values = {k: np.asarray(v, dtype=np.float64) for k, v in given.items()}
    unknown = set(values) - {"N", "D", "C", *needed}
    if unknown:
        raise LawfitError(f"Unknown inputs {sorted(unknown)}; give the law's inputs {list(needed)} by name.")
    missing = [k for k in needed if k not in values]
    if missing and len(missing) == 1 and len({"N", "D", "C"} & set(values)) >= 2:
        (k,) = missing
        if k == "N":
            values["N"] = values["C"] / (6.0 * values["D"])
        elif k == "D":
            values["D"] = values["C"] / (6.0 * values["N"])
        else:
            values["C"] = 6.0 * values["N"] * values["D"]
        missing = []
    if missing:
        raise LawfitError(
            f"The law needs inputs {list(needed)}; missing {missing}. Give them by name, e.g. "
            + ", ".join(f"{k}=..." for k in needed)
        )
    for k in needed:
        if np.any(~np.isfinite(values[k])) or np.any(values[k] <= 0):
            raise LawfitError(f"Input {k} must be finite and > 0 to predict.")
    try:
        np.broadcast_shapes(*(values[k].shape for k in needed))
    except ValueError:
        shapes = ", ".join(
            f"{k}: {len(values[k])} values" if values[k].ndim == 1 else f"{k}: shape {values[k].shape}" for k in needed
        )
        raise LawfitError(
            f"The inputs have shapes that do not combine ({shapes}); give one value per input, or the same number "
            "of values for each (a single value is shared by all points)."
        ) from None
    return {k: values[k] for k in needed}
