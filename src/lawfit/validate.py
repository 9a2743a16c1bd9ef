"""Back-tests by scale and comparisons of laws: does a law fitted on the small runs predict the large ones?

:func:`backtest` fits a law on the runs below a scale cut (in FLOPs ``C``, parameters ``N`` or tokens ``D``) and
scores its predictions of the runs at and above the cut: the honest test of a scaling law, which is used to
extrapolate. :func:`compare` does this for several laws on the same split, beside in-sample information criteria,
and ranks them by how well they extrapolate.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ._checks import RESAMPLES_OR_NONE, SEED, Integer, Real, check, check_level, constrained, percent, renamed
from ._progress import Progress
from ._records import jsonable as _jsonable
from .calibration import BUDGET_RTOL, budgets_for_share
from .data import Runs, budget_groups, load_runs
from .errors import ExtrapolationWarning, LawfitError, LawfitWarning
from .fit import Fit, check_weights, fit
from .laws import Law, resolve_law
from .select import selection_label

__all__ = ["Backtest", "Comparison", "backtest", "compare"]

_SCALES = ("C", "N", "D")
#: Without ``cut`` or ``holdout``, the largest budgets are held out until they make up this share of the runs.
_DEFAULT_TEST_SHARE = 0.2
#: The keywords of :func:`lawfit.fit` (``loss``, ``weights``, ...); any other option is a law option such as ``x``.
_FIT_KEYWORDS = frozenset(
    name for name, p in inspect.signature(fit).parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY
)
_SHOW_ROWS = 20


# ---------------------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, eq=False)
class Backtest:
    """A law fitted below a scale cut, and how well it predicts the runs at and above it.

    Attributes
    ----------
    law : str
        The law, as named in tables (``"chinchilla"``, ``"power(x=C)"``, or a formula).
    by : {"C", "N", "D"}
        The scale column that was cut.
    cut : float
        The scale of the cut: the fit saw the runs with ``by < cut``, the test the runs with ``by >= cut``.
    n_train, n_test : int
        The number of runs fitted and predicted.
    train_fit : Fit
        The fit on the runs below the cut.
    table : pandas.DataFrame
        One row per held-out run, sorted by ``by``: the run id (if the runs have one), ``by`` and the law's inputs,
        ``actual`` and ``predicted`` values of the law's target, ``rel_error`` = (predicted - actual) / actual; with a
        bootstrap also the interval ``low``, ``high`` and whether it ``covered`` the actual value. Treat it as
        read-only.
    median_abs_rel_error, max_abs_rel_error : float
        The median and the largest absolute relative error over the held-out runs.
    bias : float
        The mean signed relative error: > 0 when the law over-predicts the large runs.
    coverage : float or None
        The share of held-out runs whose actual value lies in their interval; None without one.
    level : float
        The nominal level of the interval.
    interval : {"forecast", "run"} or None
        Which interval: the forecast interval, calibrated by nested back-tests inside the runs below the cut
        (:mod:`lawfit.calibration`), whenever they allow it; else, with a bootstrap, the uncalibrated interval for a
        new run (the law's uncertainty plus the runs' scatter).

    Examples
    --------
    >>> import lawfit
    >>> bt = lawfit.backtest(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla")
    >>> bt.n_train + bt.n_test, bt.max_abs_rel_error < 0.1
    (240, True)
    """

    law: str
    by: str
    cut: float
    n_train: int
    n_test: int
    train_fit: Fit
    table: pd.DataFrame
    median_abs_rel_error: float
    max_abs_rel_error: float
    bias: float
    coverage: float | None = None
    level: float = 0.9
    interval: str | None = None

    def summary(self) -> str:
        """A readable account of the back-test, with the held-out runs in a table."""
        fit_state = "converged" if self.train_fit.converged else "NOT converged"
        chosen = next((row for row in self.train_fit.selection or () if row["chosen"]), None)
        if chosen is not None:
            fit_state += f"; auto chose {selection_label(chosen)} on the runs below the cut"
        lines = [
            f"back-test  {self.law} fitted on {self.n_train} runs with {self.by} < {self.cut:.4g}, "
            f"predicting {self.n_test} runs with {self.by} >= {self.cut:.4g}",
            f"train fit  {fit_state}; {self.train_fit.objective_settings.describe()}: {self.train_fit.objective:.6e}",
            f"error      (predicted - actual) / actual: median |error| {_percent(self.median_abs_rel_error)}, "
            f"max |error| {_percent(self.max_abs_rel_error)}, bias {_percent(self.bias, sign=True)}",
        ]
        calibration = self.train_fit.calibration
        if self.coverage is not None:
            if self.interval == "forecast" and calibration is not None:
                what = f"forecast interval\n           ({calibration.describe()})"
            else:
                what = (
                    "interval for a new run, uncalibrated\n           (the law's uncertainty plus the training runs' "
                )
                what += f"scatter; {calibration.describe()})" if calibration is not None else "scatter)"
            lines.append(
                f"coverage   {_percent(self.coverage, decimals=1)} of held-out runs inside their "
                f"{_percent(self.level, decimals=1)} {what}"
            )
            if self.coverage < self.level - 0.15:
                lines += [
                    "           fewer held-out runs inside their intervals than the level: the runs beyond the cut",
                    "           deviate from the law more than the back-tests inside the training runs foretold;",
                    "           treat forecasts of this law with more caution, or prefer another (lawfit compare)",
                ]
        lines.append("")
        lines.append(_text_table(*_held_out_rows(self.table)))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the figures, the train fit (as :meth:`Fit.to_dict`) and the held-out runs."""
        return _jsonable(
            {
                "law": self.law,
                "by": self.by,
                "cut": self.cut,
                "n_train": self.n_train,
                "n_test": self.n_test,
                "median_abs_rel_error": self.median_abs_rel_error,
                "max_abs_rel_error": self.max_abs_rel_error,
                "bias": self.bias,
                "coverage": self.coverage,
                "level": self.level,
                "interval": self.interval,
                "train_fit": self.train_fit.to_dict(),
                "table": self.table.to_dict(orient="records"),
            }
        )


@dataclass(frozen=True, eq=False)
class Comparison:
    """Several laws fitted to the same runs: in-sample fit, information criteria, and one shared back-test.

    Attributes
    ----------
    rows : tuple of mappings
        One read-only row per law, best first: ``rank`` (None for a law that could not be fitted), ``law``,
        ``n_params``, ``objective`` (in-sample), ``aic``, ``bic``, ``median_abs_rel_error``, ``max_abs_rel_error``,
        ``bias`` (of the back-test), ``converged`` and ``note`` (why a law failed or did not converge). Figures a
        law could not produce are None.
    by : str
        The scale column of the back-test.
    cut : float
        The scale of the back-test's cut.
    n_runs, n_train, n_test : int
        The runs in all, below the cut and at or above it.
    fits : Mapping[str, Fit]
        The in-sample fit of each law that could be fitted, by the law's name in ``rows``.
    backtests : Mapping[str, Backtest]
        The back-test of each law that could be back-tested.

    Examples
    --------
    >>> import lawfit
    >>> c = lawfit.compare(lawfit.datasets.chinchilla(drop_highest_loss=5), ["chinchilla", "power"])
    >>> [(row["rank"], row["law"]) for row in c.rows]
    [(1, 'power'), (2, 'chinchilla')]
    >>> c.best, c.best_fit.law.name
    ('power', 'power')
    """

    rows: tuple[Mapping[str, Any], ...]
    by: str
    cut: float
    n_runs: int
    n_train: int
    n_test: int
    fits: Mapping[str, Fit] = field(default_factory=dict)
    backtests: Mapping[str, Backtest] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(MappingProxyType(dict(row)) for row in self.rows))
        object.__setattr__(self, "fits", MappingProxyType(dict(self.fits)))
        object.__setattr__(self, "backtests", MappingProxyType(dict(self.backtests)))

    @property
    def best(self) -> str | None:
        """The name of the law ranked first (the lowest back-test error), or None if no law could be fitted."""
        first = self.rows[0] if self.rows else None
        return first["law"] if first is not None and first["rank"] == 1 else None

    @property
    def best_fit(self) -> Fit | None:
        """The fit on all the runs of the law ranked first."""
        return None if self.best is None else self.fits[self.best]

    @property
    def table(self) -> pd.DataFrame:
        """The rows as a new DataFrame."""
        return pd.DataFrame([dict(row) for row in self.rows])

    def summary(self) -> str:
        """One text table of the laws, best first."""
        lines = [
            f"compare    {len(self.rows)} laws on {self.n_runs} runs",
            f"back-test  fitted on the {self.n_train} runs with {self.by} < {self.cut:.4g}, predicting the "
            f"{self.n_test} with {self.by} >= {self.cut:.4g}",
            "ranking    by the back-test's median |relative error|, ties by BIC (AIC and BIC in-sample, from log "
            "residuals);\n           cover90: the held-out runs inside their 90% forecast interval",
            "",
        ]
        headers = [
            "rank",
            "law",
            "params",
            "objective",
            "AIC",
            "BIC",
            "median |err|",
            "max |err|",
            "bias",
            "cover90",
            "conv",
        ]
        body = []
        for row in self.rows:
            body.append(
                [
                    _or_dash(row["rank"], "{}"),
                    row["law"],
                    _or_dash(row["n_params"], "{}"),
                    _or_dash(row["objective"], "{:.4e}"),
                    _or_dash(row["aic"], "{:.1f}"),
                    _or_dash(row["bic"], "{:.1f}"),
                    _or_dash(row["median_abs_rel_error"], None),
                    _or_dash(row["max_abs_rel_error"], None),
                    "-" if row["bias"] is None else _percent(row["bias"], sign=True),
                    "-" if row.get("coverage") is None else _percent(row["coverage"], decimals=0),
                    "-" if row["converged"] is None else ("yes" if row["converged"] else "NO"),
                ]
            )
        lines.append(_text_table(headers, body, left=(1,)))
        notes = [f"  {row['law']}: {row['note']}" for row in self.rows if row["note"]]
        if notes:
            lines += ["", "notes", *notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the split, the rows, and each fitted law's parameters."""
        return _jsonable(
            {
                "by": self.by,
                "cut": self.cut,
                "n_runs": self.n_runs,
                "n_train": self.n_train,
                "n_test": self.n_test,
                "rows": [dict(row) for row in self.rows],
                "params": {name: dict(f.params) for name, f in self.fits.items()},
            }
        )


# ---------------------------------------------------------------------------------------------------------------
# Entry points


@renamed(n_bootstrap="n_resamples", bootstrap="n_resamples", loss="objective")
@constrained(n_resamples=RESAMPLES_OR_NONE, seed=SEED)
def backtest(
    data: Runs | Any,
    law: Law | str,
    *,
    by: str = "C",
    cut: float | None = None,
    holdout: int | None = None,
    n_resamples: int = 0,
    level: float = 0.9,
    seed: int = 0,
    **fit_options: Any,
) -> Backtest:
    """Fit a law on the runs below a scale cut and score its predictions of the runs at and above it.

    Parameters
    ----------
    data : path, DataFrame, mapping of columns or Runs
        The runs (see :func:`lawfit.load_runs`).
    law : str or Law
        A built-in law's name, a formula or a :class:`Law` (as for :func:`lawfit.fit`).
    by : {"C", "N", "D"}
        The scale to cut: FLOPs, parameters or tokens.
    cut : float, optional
        Fit on the runs with ``by < cut``, test on those with ``by >= cut``.
    holdout : int, optional
        Test on the runs at the ``holdout`` largest budgets of ``by``. Measured sizes are rarely exactly equal (the
        runs of one IsoFLOP budget differ in their recorded FLOPs), so sorted values within 5% of their neighbour
        count as one budget; a run of close values chains into one budget.
        Without ``cut`` or ``holdout``, the largest budgets are held out until they make up at least 20% of the
        runs (keeping at least one budget to fit on).
    n_resamples : int
        With ``n_resamples > 0``, bootstrap the train fit that many times (:func:`lawfit.bootstrap`)
        and report how many held-out runs fall inside their interval at ``level``: the interval for a new run
        (``Fit.predict_interval(of="run")``), which adds the scatter of the training runs about the law to the
        law's own uncertainty.
    level : float
        The nominal level of the bootstrap interval, in (0, 1).
    seed : int
        The bootstrap's random seed.
    **fit_options
        Passed to :func:`lawfit.fit`: ``columns``, ``loss``, ``delta``, ``weights`` (one per run of ``data``),
        ``grid``, ``search_options`` and law options such as ``x="N"``.

    Returns
    -------
    Backtest

    Raises
    ------
    LawfitError
        If the cut leaves no run to test or fewer runs to fit than the law has parameters, or an option is invalid.

    Examples
    --------
    >>> import lawfit
    >>> bt = lawfit.backtest(lawfit.datasets.chinchilla(drop_highest_loss=5), "chinchilla", holdout=3)
    >>> bt.n_test, f"{bt.cut:.3g}"
    (3, '3.22e+21')
    """
    check_split(by, cut, holdout, "backtest")
    check_level(level, where="backtest")
    law_options = {k: v for k, v in fit_options.items() if k not in _FIT_KEYWORDS}
    fit_kwargs = {k: v for k, v in fit_options.items() if k in _FIT_KEYWORDS}
    runs = load_runs(data, columns=fit_kwargs.pop("columns", None))
    the_law = "auto" if _is_auto(law) else resolve_law(law, **law_options)
    weights = _weights(runs, fit_kwargs.pop("weights", None))
    cut_value, train = _split(runs, by, cut, holdout, "backtest")
    return _backtest(
        runs,
        the_law,
        "auto" if the_law == "auto" else describe_law(the_law),
        by,
        cut_value,
        train,
        weights,
        fit_kwargs,
        n_resamples=int(n_resamples),
        level=float(level),
        seed=int(seed),
    )


@renamed(loss="objective")
def compare(
    data: Runs | Any,
    laws: Sequence[Law | str] | Mapping[str, Law | str],
    *,
    by: str = "C",
    cut: float | None = None,
    holdout: int | None = None,
    **fit_options: Any,
) -> Comparison:
    """Fit several laws to the same runs and rank them by how well they extrapolate.

    Each law gets a fit on all the runs (in-sample objective, AIC, BIC) and the same back-test (see
    :func:`backtest`; ``by``, ``cut`` and ``holdout`` as there). The laws are ranked by the back-test's median
    absolute relative error, ties broken by BIC; laws that could not be back-tested follow, by BIC.

    The information criteria take the fit as Gaussian on log residuals ``r = log(y) - log(prediction)`` at the
    fitted parameters: with ``n`` runs, ``k`` parameters and ``RSS = sum(r**2)``, ``AIC = n log(RSS/n) + 2k`` and
    ``BIC = n log(RSS/n) + k log(n)`` (weighted runs count by their weight). For a Huber fit (the default) this is an
    approximation: the parameters minimise the Huber objective, not RSS. Lower is better; only differences between
    laws on the same runs mean anything.

    A law that cannot be fitted (a missing input column, say) is reported in its row with the error instead of
    stopping the comparison. The fits' diagnostics (:attr:`Fit.diagnostics`: convergence, bounds, identifiability)
    go into the row's ``note`` rather than being warned about, and a fit that did not converge sets ``converged``
    to False.

    Parameters
    ----------
    data : path, DataFrame, mapping of columns or Runs
        The runs.
    laws : sequence or mapping
        Laws as built-in names, formulas or :class:`Law` values (``lawfit.get_law("power", x="N")`` for a law with
        options); a mapping gives each a display name. ``"auto"`` is the whole choosing procedure: its back-test
        chooses the law on the runs below the cut only, so its row says how well choosing by nested back-tests
        would have done on runs it never saw.
    by, cut, holdout
        The back-test's split, as for :func:`backtest`.
    **fit_options
        Passed to every :func:`lawfit.fit`: ``columns``, ``objective``, ``delta``, ``reduction``, ``weights``,
        ``grid``, ``search_options``.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import lawfit
    >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    >>> c = lawfit.compare(runs, {"L(N, D)": "chinchilla", "L(C)": "power"})
    >>> [row["law"] for row in c.rows], c.n_test
    (['L(C)', 'L(N, D)'], 53)
    >>> min(c.rows, key=lambda row: row["bic"])["law"]  # in-sample, the two-input law fits better
    'L(N, D)'
    """
    check_split(by, cut, holdout, "compare")
    law_options = sorted(set(fit_options) - _FIT_KEYWORDS)
    if law_options:
        raise LawfitError(
            f"The {law_options[0]!r} parameter of compare must be a keyword of lawfit.fit. Got it as a law option "
            "instead: give per-law options in the law, e.g. lawfit.get_law('power', x='N')."
        )
    named = _named_laws(laws)
    fit_kwargs = dict(fit_options)
    runs = load_runs(data, columns=fit_kwargs.pop("columns", None))
    weights = _weights(runs, fit_kwargs.pop("weights", None))
    cut_value, train = _split(runs, by, cut, holdout, "compare")

    rows, fits, backtests = [], {}, {}
    for name, law in Progress(len(named), "compare").iterate(named.items()):
        row: dict[str, Any] = dict.fromkeys(
            ("rank", "n_params", "objective", "aic", "bic", "median_abs_rel_error", "max_abs_rel_error", "bias"),
        )
        row.update(law=name, converged=None, note="", coverage=None)
        rows.append(row)
        try:
            the_law = "auto" if _is_auto(law) else resolve_law(law)
            if not isinstance(the_law, str):
                row["n_params"] = len(the_law.params)
            full = _quiet_fit(runs, the_law, weights, fit_kwargs)
            row["n_params"] = len(full.law.params)
            aic, bic = _information_criteria(full, runs, weights)
        except LawfitError as error:
            row["note"] = str(error)
            continue
        fits[name] = full
        row.update(objective=full.objective, aic=aic, bic=bic, converged=full.converged)
        notes = _diagnostic_notes(full, "fit on all runs")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", LawfitWarning)  # reported in the row, as for the fit on all runs
                bt = _backtest(runs, the_law, name, by, cut_value, train, weights, fit_kwargs)
        except LawfitError as error:
            notes.append(f"back-test failed: {error}")
        else:
            backtests[name] = bt
            row.update(median_abs_rel_error=bt.median_abs_rel_error, max_abs_rel_error=bt.max_abs_rel_error)
            row.update(bias=bt.bias, converged=full.converged and bt.train_fit.converged, coverage=bt.coverage)
            notes += _diagnostic_notes(bt.train_fit, "back-test fit")
        row["note"] = "; ".join(notes)

    ranked = _ranked(rows)
    n_train = int(np.count_nonzero(train))
    return Comparison(
        rows=ranked,
        by=by,
        cut=cut_value,
        n_runs=len(runs),
        n_train=n_train,
        n_test=len(runs) - n_train,
        fits=fits,
        backtests=backtests,
    )


# ---------------------------------------------------------------------------------------------------------------
# The split


def _split(runs: Runs, by: str, cut: float | None, holdout: int | None, caller: str) -> tuple[float, np.ndarray]:
    """The cut's scale, and the mask of the runs below it (the train set)."""
    values = runs.column(by)
    if cut is None:
        labels = budget_groups(values, BUDGET_RTOL)
        n_budgets = int(labels.max()) + 1
        within = f"values of {by} within {BUDGET_RTOL:.0%} of each other count as one budget"
        if holdout is None:
            if n_budgets == 1:
                raise LawfitError(
                    f"All {len(values)} runs share one budget of {by} ({within}), so none is left to fit on: "
                    f"give 'cut' to {caller}, or back-test by another of C, N, D."
                )
            holdout = min(budgets_for_share(labels, _DEFAULT_TEST_SHARE), n_budgets - 1)
        elif holdout >= n_budgets:
            raise LawfitError(
                f"The 'holdout' parameter of {caller} must be below the number of budgets of {by} ({n_budgets}; "
                f"{within}). Got {holdout} instead: hold out fewer budgets, or give 'cut'."
            )
        cut = float(values[labels >= n_budgets - holdout].min())
    train = values < cut
    if train.all():
        raise LawfitError(
            f"The 'cut' parameter of {caller} leaves no runs to test: every run has {by} < cut = {cut:.4g} (the "
            f"largest is {values.max():.4g}). Lower 'cut' to at most {values.max():.4g}."
        )
    return float(cut), train


def check_split(by: str, cut: float | None, holdout: int | None, caller: str) -> None:
    if by not in _SCALES:
        raise LawfitError(f"The 'by' parameter of {caller} must be one of 'C', 'N', 'D'. Got {by!r} instead.")
    if cut is not None and holdout is not None:
        raise LawfitError(
            f"The 'cut' and 'holdout' parameters of {caller} choose the same split; give one of them. "
            f"Got cut={cut!r} and holdout={holdout!r} instead."
        )
    check(cut, (Real(0, closed="neither"), None), "cut", caller)
    check(holdout, (Integer(1), None), "holdout", caller)


# ---------------------------------------------------------------------------------------------------------------
# Fitting and scoring


def _is_auto(law: Any) -> bool:
    return isinstance(law, str) and law.strip() == "auto"


def _backtest(
    runs: Runs,
    law: Law | str,
    name: str,
    by: str,
    cut: float,
    train: np.ndarray,
    weights: np.ndarray,
    fit_kwargs: Mapping[str, Any],
    *,
    n_resamples: int = 0,
    level: float = 0.9,
    seed: int = 0,
) -> Backtest:
    n_params = 3 if isinstance(law, str) else len(law.params)  # auto's smallest candidate: power
    n_fitted = int(np.count_nonzero(weights[train] > 0))
    if n_fitted < n_params:
        raise LawfitError(
            f"Back-testing {name} by {by} fits on {n_fitted} run{'' if n_fitted == 1 else 's'} with {by} < cut = "
            f"{cut:.4g} (and nonzero weight), fewer than its {n_params} parameters: raise 'cut' (or hold out fewer "
            f"budgets) so that at least {n_params} runs fall below it."
        )
    train_runs, test_runs = runs.select(train), runs.select(~train)
    options = {"calibrate": True, **fit_kwargs}
    train_fit = fit(train_runs, law, weights=weights[train], n_resamples=n_resamples, seed=seed, **options)
    fitted_law = train_fit.law
    inputs = test_runs.inputs(fitted_law.inputs)
    actual = test_runs.column(fitted_law.target)
    # The law itself, not Fit.predict: predicting beyond the training range is the point here, not a warning.
    predicted = fitted_law.predict(train_fit.params, **inputs)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel_error = (predicted - actual) / actual

    columns: dict[str, Any] = {}
    if "run" in test_runs.columns:
        columns["run"] = test_runs.table["run"].to_numpy()
    columns[by] = test_runs.column(by)
    columns.update({k: v for k, v in inputs.items() if k != by})
    columns.update(actual=actual, predicted=predicted, rel_error=rel_error)
    coverage, interval = None, None
    calibrated = train_fit.calibration is not None and train_fit.calibration.calibrated
    if calibrated or n_resamples > 0:
        interval = "forecast" if calibrated else "run"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExtrapolationWarning)
            bounds = train_fit.predict_interval(level=level, of=interval, **inputs)
        low, high = (np.asarray(a, dtype=np.float64) for a in bounds)
        covered = (low <= actual) & (actual <= high)
        columns.update(low=low, high=high, covered=covered)
        coverage = float(np.mean(covered))
    table = pd.DataFrame(columns).sort_values(by, kind="stable").reset_index(drop=True)

    abs_error = np.abs(rel_error)
    return Backtest(
        law=name,
        by=by,
        cut=cut,
        n_train=len(train_runs),
        n_test=len(test_runs),
        train_fit=train_fit,
        table=table,
        median_abs_rel_error=float(np.median(abs_error)),
        max_abs_rel_error=float(np.max(abs_error)),
        bias=float(np.mean(rel_error)),
        coverage=coverage,
        level=level,
        interval=interval,
    )


def _quiet_fit(runs: Runs, law: Law, weights: np.ndarray, fit_kwargs: Mapping[str, Any]) -> Fit:
    with warnings.catch_warnings():
        # compare reports a fit's diagnostics in its row (Fit.diagnostics keeps them); warnings would only repeat them.
        warnings.simplefilter("ignore", LawfitWarning)
        return fit(runs, law, weights=weights, **fit_kwargs)


def _diagnostic_notes(the_fit: Fit, which: str) -> list[str]:
    return [f"{type(w).__name__} ({which}): {w.message}" for w in the_fit.diagnostics]


def _information_criteria(the_fit: Fit, runs: Runs, weights: np.ndarray) -> tuple[float, float]:
    """AIC and BIC of a fit, Gaussian on the log residuals; runs count by their weight."""
    law = the_fit.law
    predicted = law.predict(the_fit.params, **runs.inputs(law.inputs))
    with np.errstate(divide="ignore", invalid="ignore"):
        residuals = np.log(runs.column(law.target)) - np.log(predicted)
        n = float(np.sum(weights))
        rss = float(np.sum(weights * residuals**2))
        fit_term = n * math.log(rss / n) if rss > 0 else -math.inf
    if not math.isfinite(rss):
        return math.nan, math.nan
    k = len(law.params)
    return fit_term + 2 * k, fit_term + k * math.log(n)


def _ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows best first: back-tested laws by median error then BIC, then laws with only a fit by BIC, then failures."""

    def key(row: dict[str, Any]) -> tuple[float, ...]:
        bic = row["bic"] if row["bic"] is not None and math.isfinite(row["bic"]) else math.inf
        if row["median_abs_rel_error"] is not None:
            error = row["median_abs_rel_error"]
            return (0, error if math.isfinite(error) else math.inf, bic)
        return (1, bic, 0.0) if row["objective"] is not None else (2, 0.0, 0.0)

    ordered = sorted(rows, key=key)  # stable: failures keep the order they were given in
    for rank, row in enumerate(ordered, start=1):
        row["rank"] = rank if row["objective"] is not None else None
    return ordered


def _weights(runs: Runs, weights: Any) -> np.ndarray:
    return runs.weights if weights is None else check_weights(weights, len(runs))


def _named_laws(laws: Any) -> dict[str, Law | str]:
    """Display name -> law, in the order given; repeated names are numbered."""
    if isinstance(laws, Mapping):
        items = [(str(name), law) for name, law in laws.items()]
    elif isinstance(laws, Sequence) and not isinstance(laws, str):
        items = [
            (law if isinstance(law, str) else describe_law(law) if isinstance(law, Law) else repr(law), law)
            for law in laws
        ]
    else:
        raise LawfitError(
            "The 'laws' parameter of compare must be a sequence of laws (names, formulas or Law values) or a "
            f"mapping of display name to law. Got {type(laws).__name__} instead."
        )
    if not items:
        raise LawfitError("The 'laws' parameter of compare must name at least one law. Got none instead.")
    named: dict[str, Law | str] = {}
    for name, law in items:
        if not isinstance(law, Law | str):
            raise LawfitError(
                f"The 'laws' parameter of compare must hold names, formulas or Law values. Got "
                f"{type(law).__name__} for {name!r} instead."
            )
        shown, count = name, 1
        while shown in named:
            count += 1
            shown = f"{name} ({count})"
        named[shown] = law
    return named


def describe_law(law: Law) -> str:
    """The law as tables name it: 'chinchilla', 'power(x=N)', or its formula."""
    spec = dict(law.spec)
    if "formula" in spec:
        return str(spec["formula"])
    options = {k: v for k, v in spec.items() if k not in ("builtin", "fixed")}
    if options:
        return f"{law.name}({', '.join(f'{k}={v}' for k, v in options.items())})"
    return law.name


# ---------------------------------------------------------------------------------------------------------------
# Text


def _percent(value: float, *, sign: bool = False, decimals: int = 2) -> str:
    return percent(value, decimals, sign=sign, missing=None)


def _or_dash(value: Any, spec: str | None) -> str:
    if value is None:
        return "-"
    return _percent(value) if spec is None else spec.format(value)


def _held_out_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers and formatted rows of a back-test's table; a long table shows its first and last rows."""
    headers = [str(c) for c in table.columns]
    rows = []
    for record in table.itertuples(index=False):
        cells = []
        for column, value in zip(headers, record, strict=True):
            if column == "rel_error":
                cells.append(_percent(value, sign=True))
            elif column == "covered":
                cells.append("yes" if value else "no")
            elif isinstance(value, float | np.floating):
                cells.append(f"{value:.4f}" if column in ("actual", "predicted", "low", "high") else f"{value:.3e}")
            else:
                cells.append(str(value))
        rows.append(cells)
    if len(rows) > _SHOW_ROWS:
        half = _SHOW_ROWS // 2
        skipped = len(rows) - 2 * half
        rows = [*rows[:half], [f"... {skipped} more rows in .table"], *rows[-half:]]
    return headers, rows


def _text_table(headers: list[str], rows: list[list[str]], left: tuple[int, ...] = ()) -> str:
    """Columns padded to their widest cell, numbers right-aligned; a row of one cell is a note across the table."""
    full = [row for row in rows if len(row) == len(headers)]
    widths = [max([len(h), *(len(row[i]) for row in full)]) for i, h in enumerate(headers)]
    # A column is read as numbers unless told otherwise or its cells are text.
    right = [i not in left and all(_numeric(row[i]) for row in full) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        if len(cells) != len(headers):
            return "  " + cells[0]
        padded = [
            cell.rjust(width) if r else cell.ljust(width) for cell, width, r in zip(cells, widths, right, strict=True)
        ]
        return "  " + "  ".join(padded).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


def _numeric(cell: str) -> bool:
    return cell[:1].isdigit() or cell[:1] in "+-." or cell in ("inf", "nan")
