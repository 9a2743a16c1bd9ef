"""Hyperparameter laws: the optimal learning rate and batch size against N, D or C, fitted on the cell optima.

Built-in forms (``law=``), power laws fitted by weighted least squares in log space (closed form, exactly the
minimum of lawfit's ``mse-log`` objective with the same weights):

- ``"N,D"``: ``a * N**alpha_N * D**alpha_D`` (Step Law's form for the learning rate);
- ``"C"``: ``a * C**alpha_C`` (DeepSeek's form); ``"D"``: ``a * D**alpha_D`` (Step Law's batch size);
  ``"N"``: ``a * N**alpha_N``.

Any other text is a formula over N, D, C read by lawfit's formula parser (:func:`lawfit.formula_law`) and fitted by
lawfit's engine (:func:`lawfit.fit`, objective ``mse-log``, the same weights, bootstrap over the cells).

Each optimum weighs ``1 / sd**2``, ``sd`` the spread of its log over the cell's bootstrap (at least 0.01). The
power laws' intervals refit the law on each bootstrap draw of the optima together, widened by
``sqrt(chi2 / dof)`` when the optima scatter about the law more than their intervals allow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .._checks import Integer, check, check_level
from ..data import budget_groups, third_size
from ..errors import DataError, LawfitError
from .optimum import CellOptimum, Optima

__all__ = ["POWER_LAWS", "HparamBacktest", "HparamLaw", "backtest_law", "fit_law"]

#: The built-in power-law forms: their inputs.
POWER_LAWS = {"N,D": ("N", "D"), "C": ("C",), "D": ("D",), "N": ("N",)}
_SD_FLOOR = 0.01  # no optimum is known to better than 1% (it would outweigh every other cell)
_SYMBOL = {"lr": "lr*", "batch": "batch*"}


@dataclass(frozen=True)
class HparamLaw:
    """A fitted law of a hyperparameter's optimum (see :func:`fit_law`).

    Attributes
    ----------
    hparam : str
        ``"lr"`` or ``"batch"`` (tokens).
    law : str
        The form (``"N,D"``, ``"C"``, ``"D"``, ``"N"``) or the formula fitted.
    formula : str
        The law written out, e.g. ``a * N**alpha_N * D**alpha_D``.
    params : Mapping[str, float]
    intervals : Mapping[str, tuple[float, float]]
        Bootstrap percentile intervals of the parameters at ``level``.
    level : float
    inputs : tuple of str
    n_cells : int
        The optima fitted.
    chi2_dof : float
        The weighted scatter of the optima about the law per degree of freedom (NaN without any): about 1 when
        the law fits within the optima's uncertainty.
    where : Mapping[str, Any]
        The family fitted (e.g. ``{"optimizer": "adamw"}``), empty for all cells.
    method : str
    points : tuple of mappings
        The optima fitted: inputs, value, sd (of the log), weight, and the law's value there.

    Examples
    --------
    >>> from lawfit.hparams import published
    >>> law = published("step-law")
    >>> round(float(law.lr(N=1e9, D=1e11)), 6)
    0.001632
    """

    hparam: str
    law: str
    formula: str
    params: Mapping[str, float]
    intervals: Mapping[str, tuple[float, float]]
    level: float
    inputs: tuple[str, ...]
    n_cells: int
    chi2_dof: float
    where: Mapping[str, Any]
    method: str
    points: tuple[Mapping[str, Any], ...]
    _draws: np.ndarray | None = field(default=None, repr=False, compare=False)
    _fit: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "intervals", MappingProxyType(dict(self.intervals)))
        object.__setattr__(self, "where", MappingProxyType(dict(self.where)))
        object.__setattr__(self, "points", tuple(MappingProxyType(dict(p)) for p in self.points))
        if self._draws is not None:
            draws = np.array(self._draws, dtype=np.float64)
            draws.setflags(write=False)
            object.__setattr__(self, "_draws", draws)

    def predict(self, **inputs: Any) -> np.ndarray:
        """The law's optimum at the given sizes (N, D or C; C = 6ND is derived for a law of C from N and D). Beyond
        10 times the largest cell of an input, an :class:`~lawfit.ExtrapolationWarning` says so."""
        values = complete_sizes(self.inputs, inputs)
        if self._fit is not None:
            return np.asarray(self._fit.predict(**values), dtype=np.float64)
        self._check_extrapolation(values)
        return np.exp(_log_design(values, self.inputs) @ _theta(self.params, self.inputs))

    def _check_extrapolation(self, values: Mapping[str, np.ndarray]) -> None:
        import warnings

        from ..diagnostics import extrapolation

        ranges = {x: (min(p[x] for p in self.points), max(p[x] for p in self.points)) for x in self.inputs}
        warning = extrapolation(values, ranges)
        if warning is not None:
            warnings.warn(warning, stacklevel=3)

    def predict_interval(self, level: float | None = None, **inputs: Any) -> tuple[np.ndarray, np.ndarray]:
        """The bootstrap interval ``(low, high)`` of the law's optimum at the given sizes (at ``level``, by default
        the law's)."""
        level = self.level if level is None else check_level(level, where="HparamLaw.predict_interval")
        values = complete_sizes(self.inputs, inputs)
        if self._fit is not None:
            low, high = self._fit.predict_interval(level, of="law", **values)
            return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
        self._check_extrapolation(values)
        design = _log_design(values, self.inputs)  # (..., p)
        draws = np.exp(np.tensordot(design, self._draws, axes=([-1], [1])))  # (..., R)
        tail = (1 - level) / 2
        low, high = np.quantile(draws, [tail, 1 - tail], axis=-1)
        return low, high

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record."""
        return {
            "hparam": self.hparam,
            "law": self.law,
            "formula": self.formula,
            "params": dict(self.params),
            "intervals": {
                k: {"value": self.params[k], "low": lo, "high": hi, "level": self.level}
                for k, (lo, hi) in self.intervals.items()
            },
            "inputs": list(self.inputs),
            "n_cells": self.n_cells,
            "chi2_dof": self.chi2_dof,
            "where": dict(self.where),
            "method": self.method,
            "points": [dict(p) for p in self.points],
        }

    def summary(self) -> str:
        """The law and its parameters with their intervals."""
        family = ", ".join(f"{k}={v}" for k, v in self.where.items())
        lines = [
            f"law        {_SYMBOL.get(self.hparam, self.hparam)} = {self.formula}"
            + (f"   [{family}]" if family else ""),
            f"fit        {self.method}; {self.n_cells} cell optima; chi2/dof {self.chi2_dof:.3g}",
            f"  {'parameter':<10}  {'value':>12}  {self.level:.0%} interval",
        ]
        for name, value in self.params.items():
            lo, hi = self.intervals[name]
            lines.append(f"  {name:<10}  {value:>12.5g}  [{lo:.5g}, {hi:.5g}]")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _theta(params: Mapping[str, float], inputs: Sequence[str]) -> np.ndarray:
    return np.array([np.log(params["a"]), *(params[f"alpha_{x}"] for x in inputs)])


def _log_design(values: Mapping[str, np.ndarray], inputs: Sequence[str]) -> np.ndarray:
    arrays = np.broadcast_arrays(*(np.asarray(values[x], dtype=np.float64) for x in inputs))
    return np.stack([np.ones_like(arrays[0]), *(np.log(a) for a in arrays)], axis=-1)


def complete_sizes(needed: Sequence[str], given: Mapping[str, Any]) -> dict[str, np.ndarray]:
    values = {k: np.asarray(v, dtype=np.float64) for k, v in given.items()}
    unknown = [k for k in values if k not in ("N", "D", "C")]
    if unknown:
        raise LawfitError(f"A hyperparameter law takes the sizes N, D and C. Got {', '.join(unknown)} instead.")
    if "C" in needed and "C" not in values and "N" in values and "D" in values:
        values["C"] = third_size(values)[0]
    missing = [k for k in needed if k not in values]
    if missing:
        raise LawfitError(
            f"The law needs {', '.join(needed)}; give {', '.join(missing)} (e.g. N=1.2e9, D=2.4e10, or C=...)."
        )
    for name, array in values.items():
        if not np.all(np.isfinite(array)) or not np.all(array > 0):
            raise LawfitError(f"The size {name} of a prediction must be a number > 0. Got {given[name]!r} instead.")
    return {k: values[k] for k in needed}


def _cells_of(optima: Optima | Sequence[CellOptimum], hparam: str, where: Mapping[str, Any], exclude_edge: bool):
    if hparam not in ("lr", "batch"):
        raise LawfitError(f"The 'hparam' parameter of fit_law must be 'lr' or 'batch'. Got {hparam!r} instead.")
    cells = optima.cells if isinstance(optima, Optima) else tuple(optima)
    chosen = [
        c
        for c in cells
        if c.hparam == hparam and all(c.cell.get(k) == v for k, v in where.items()) and not (exclude_edge and c.at_edge)
    ]
    return chosen


def _sizes(cells: Sequence[CellOptimum]) -> dict[str, np.ndarray]:
    sizes: dict[str, np.ndarray] = {}
    for name in ("N", "D", "C"):
        if all(name in c.cell for c in cells):
            sizes[name] = np.array([float(c.cell[name]) for c in cells])
    if "C" not in sizes and "N" in sizes and "D" in sizes:
        sizes["C"] = third_size(sizes)[0]
    return sizes


def fit_law(
    optima: Optima | Sequence[CellOptimum],
    hparam: str = "lr",
    law: str = "N,D",
    *,
    where: Mapping[str, Any] | None = None,
    exclude_edge: bool = False,
    n_resamples: int | None = None,
    level: float | None = None,
    seed: int = 0,
) -> HparamLaw:
    """Fit a law of a hyperparameter's optimum to the cell optima of a sweep.

    Parameters
    ----------
    optima : Optima or sequence of CellOptimum
        From :func:`cell_optima`.
    hparam : {"lr", "batch"}
    law : str
        ``"N,D"``, ``"C"``, ``"D"``, ``"N"`` (power laws, see the module) or a formula over N, D, C, e.g.
        ``"a * N**p * D**q"`` or ``"a * C**p + b"``.
    where : mapping, optional
        Only the cells with these values (a family, e.g. ``{"optimizer": "adamw"}``).
    exclude_edge : bool
        Leave out optima at the edge of their sweep (bounds, not optima).
    n_resamples : int, optional
        For a formula: the engine's bootstrap resamples of the cells (default: as many as the optima's draws).
        The power laws use the optima's own draws.
    level : float, optional
        Level of the intervals (default: the optima's).
    seed : int
        Seed of a formula's bootstrap.

    Returns
    -------
    HparamLaw

    Raises
    ------
    DataError
        When fewer cells than the law has parameters are left, or their sizes do not vary.

    Examples
    --------
    >>> from lawfit.hparams import cell_optima, load_sweep
    >>> import numpy as np
    >>> N = np.repeat([1e8, 2e8, 4e8, 8e8], 7); lr = np.tile(2.0 ** np.arange(-12, -5), 4)
    >>> best = 3e-3 * (N / 1e8) ** -0.5
    >>> loss = 3 + 0.02 * np.log(lr / best) ** 2
    >>> optima = cell_optima(load_sweep({"N": N, "lr": lr, "loss": loss}), noise=1e-3, n_resamples=200)
    >>> law = fit_law(optima, "lr", "N")
    >>> round(law.params["alpha_N"], 3)
    -0.5
    """
    where = dict(where or {})
    cells = _cells_of(optima, hparam, where, exclude_edge)
    level = (optima.level if isinstance(optima, Optima) else 0.9) if level is None else level
    level = check_level(level, where="fit_law")
    if not isinstance(law, str) or not law.strip():
        raise LawfitError(f"The 'law' parameter of fit_law must be 'N,D', 'C', 'D', 'N' or a formula. Got {law!r}.")
    law = law.strip()
    if not cells:
        raise DataError(
            f"No cell optimum of {hparam}"
            + (f" with {', '.join(f'{k}={v}' for k, v in where.items())}" if where else "")
            + " to fit a law to. Check the sweep's columns and the family."
        )
    sizes = _sizes(cells)
    values = np.array([c.value for c in cells])
    sd = np.maximum(np.array([c.log_sd for c in cells]), _SD_FLOOR)
    weights = 1.0 / sd**2
    if law in POWER_LAWS:
        return _fit_power(cells, hparam, law, sizes, values, sd, weights, level, where)
    return _fit_formula(cells, hparam, law, sizes, values, sd, weights, level, where, n_resamples, seed)


def _fit_power(cells, hparam, law, sizes, values, sd, weights, level, where) -> HparamLaw:
    inputs = POWER_LAWS[law]
    missing = [x for x in inputs if x not in sizes]
    if missing:
        raise DataError(
            f"The law {law!r} needs {', '.join(missing)} in the sweep's cells; the cells have "
            f"{', '.join(sizes) or 'no sizes'}. Give those columns, or choose another law."
        )
    design = _log_design({x: sizes[x] for x in inputs}, inputs)
    p = design.shape[1]
    if len(cells) < p or np.linalg.matrix_rank(design) < p:
        raise DataError(
            f"The law {hparam}* = {_power_formula(inputs)} has {p} parameters, but the {len(cells)} cell optima "
            f"{'are too few' if len(cells) < p else 'do not vary enough in ' + ', '.join(inputs)} to fit them. "
            "Sweep more sizes, or fit a law of fewer inputs."
        )
    gram = design.T @ (design * weights[:, None])
    solve = np.linalg.solve(gram, (design * weights[:, None]).T)  # (p, k)
    y = np.log(values)
    theta = solve @ y
    residual = y - design @ theta
    dof = len(cells) - p
    chi2_dof = float(np.sum(weights * residual**2) / dof) if dof > 0 else float("nan")
    draws_y = np.stack([c.draws for c in cells], axis=1)  # (R, k)
    draws = draws_y @ solve.T  # (R, p)
    inflate = np.sqrt(chi2_dof) if dof > 0 and chi2_dof > 1 else 1.0
    draws = theta + (draws - draws.mean(axis=0)) * inflate
    names = ["a", *(f"alpha_{x}" for x in inputs)]
    params = {"a": float(np.exp(theta[0])), **{n: float(t) for n, t in zip(names[1:], theta[1:], strict=True)}}
    tail = (1 - level) / 2
    quant = np.quantile(draws, [tail, 1 - tail], axis=0)
    intervals = {n: (float(quant[0, i]), float(quant[1, i])) for i, n in enumerate(names)}
    intervals["a"] = (float(np.exp(quant[0, 0])), float(np.exp(quant[1, 0])))
    fitted = np.exp(design @ theta)
    return HparamLaw(
        hparam=hparam,
        law=law,
        formula=_power_formula(inputs),
        params=params,
        intervals=intervals,
        level=level,
        inputs=inputs,
        n_cells=len(cells),
        chi2_dof=chi2_dof,
        where=where,
        method="weighted least squares in log space (closed form)",
        points=_points(cells, sizes, values, sd, fitted),
        _draws=draws,
    )


def _power_formula(inputs: Sequence[str]) -> str:
    return " * ".join(["a", *(f"{x}**alpha_{x}" for x in inputs)])


def _points(cells, sizes, values, sd, fitted) -> tuple[dict[str, Any], ...]:
    return tuple(
        {
            **dict(c.cell),
            **{k: float(v[i]) for k, v in sizes.items()},
            "value": float(values[i]),
            "log_sd": float(sd[i]),
            "at_edge": c.at_edge,
            "law": float(fitted[i]),
        }
        for i, c in enumerate(cells)
    )


def _fit_formula(cells, hparam, text, sizes, values, sd, weights, level, where, n_resamples, seed) -> HparamLaw:
    from ..data import load_runs
    from ..fit import fit
    from ..laws import formula_law

    law = formula_law(text, name=text)
    missing = [x for x in law.inputs if x not in sizes]
    if missing:
        raise DataError(
            f"The formula {text!r} reads {', '.join(missing)}, which the sweep's cells lack; they have "
            f"{', '.join(sizes) or 'no sizes'}."
        )
    if len(cells) < len(law.params):
        raise DataError(
            f"The formula {text!r} has {len(law.params)} parameters but only {len(cells)} cell optima; a fit needs "
            "at least as many optima as parameters."
        )
    given = {x: sizes[x] for x in ("N", "D") if x in sizes} or {"C": sizes["C"]}
    if "C" in law.inputs and not ("N" in given and "D" in given):
        given["C"] = sizes["C"]
    runs = load_runs({**given, "loss": values})
    resamples = len(cells[0].draws) if n_resamples is None else n_resamples
    result = fit(runs, law, objective="mse-log", weights=weights, n_resamples=resamples, seed=seed, calibrate=False)
    params = dict(result.params)
    bounds = result.intervals(level)
    fitted = np.asarray(result.law.predict(params, **{x: sizes[x] for x in law.inputs}), dtype=np.float64)
    y = np.log(values)
    dof = len(cells) - len(params)
    chi2_dof = float(np.sum(weights * (y - np.log(fitted)) ** 2) / dof) if dof > 0 else float("nan")
    return HparamLaw(
        hparam=hparam,
        law=text,
        formula=result.law.formula,
        params=params,
        intervals={k: (float(lo), float(hi)) for k, (lo, hi) in bounds.items()},
        level=level,
        inputs=tuple(law.inputs),
        n_cells=len(cells),
        chi2_dof=chi2_dof,
        where=where,
        method=f"lawfit.fit, squared log residuals weighted by 1/sd^2; {resamples} bootstrap resamples of the cells",
        points=_points(cells, sizes, values, sd, fitted),
        _fit=result,
    )


@dataclass(frozen=True)
class HparamBacktest:
    """A law fitted on the smaller cells, judged on the largest (see :func:`backtest_law`).

    Attributes
    ----------
    law : HparamLaw
        The law fitted on the cells below the cut.
    by : str
        The scale cut: N, D or C.
    cut : float
        Cells with ``by >= cut`` were held out.
    rows : tuple of mappings
        Per held-out cell: its sizes, the measured optimum and interval, the prediction and interval, their
        ratio, and whether each lies in the other's interval.
    """

    law: HparamLaw
    by: str
    cut: float
    rows: tuple[Mapping[str, Any], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(MappingProxyType(dict(r)) for r in self.rows))

    @property
    def median_abs_log_ratio(self) -> float:
        """The median |log(predicted / measured)| over the held-out cells."""
        return float(np.median([abs(np.log(r["ratio"])) for r in self.rows]))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record."""
        return {
            "law": self.law.to_dict(),
            "by": self.by,
            "cut": self.cut,
            "median_abs_log_ratio": self.median_abs_log_ratio,
            "rows": [dict(r) for r in self.rows],
        }

    def summary(self) -> str:
        """The held-out cells: measured against predicted."""
        lines = [
            f"back-test  {self.law.hparam}* = {self.law.formula} fitted on {self.law.n_cells} cells with "
            f"{self.by} < {self.cut:.4g}, predicting {len(self.rows)} with {self.by} >= {self.cut:.4g}",
            f"error      median |log(predicted / measured)| {self.median_abs_log_ratio:.3f} "
            f"(x{np.exp(self.median_abs_log_ratio):.2f})",
            f"  {self.by:>10}  {'measured':>10}  {'interval':>22}  {'predicted':>10}  {'interval':>22}  ratio",
        ]
        for r in self.rows:
            lines.append(
                f"  {r[self.by]:>10.4g}  {r['measured']:>10.4g}  "
                f"[{r['measured_low']:>9.4g}, {r['measured_high']:>9.4g}]"
                f"  {r['predicted']:>10.4g}  [{r['low']:>9.4g}, {r['high']:>9.4g}]  {r['ratio']:.3f}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def backtest_law(
    optima: Optima | Sequence[CellOptimum],
    hparam: str = "lr",
    law: str = "N,D",
    *,
    by: str = "N",
    holdout: int = 1,
    where: Mapping[str, Any] | None = None,
    exclude_edge: bool = False,
    level: float | None = None,
    seed: int = 0,
) -> HparamBacktest:
    """Fit a hyperparameter law on the cells below a scale cut and predict the cells above it.

    Parameters
    ----------
    by : {"N", "D", "C"}
        The scale to cut.
    holdout : int
        Hold out the cells at the ``holdout`` largest values of ``by`` (sizes within 5% are one).
    Other parameters as for :func:`fit_law`.

    Returns
    -------
    HparamBacktest

    Examples
    --------
    >>> from lawfit.hparams import cell_optima, load_sweep
    >>> import numpy as np
    >>> N = np.repeat([1e8, 2e8, 4e8, 8e8], 7); lr = np.tile(2.0 ** np.arange(-12, -5), 4)
    >>> loss = 3 + 0.02 * np.log(lr / (3e-3 * (N / 1e8) ** -0.5)) ** 2
    >>> optima = cell_optima(load_sweep({"N": N, "lr": lr, "loss": loss}), noise=1e-3, n_resamples=200)
    >>> bt = backtest_law(optima, "lr", "N", by="N")
    >>> round(bt.rows[0]["ratio"], 2)
    1.0
    """
    if by not in ("N", "D", "C"):
        raise LawfitError(f"The 'by' parameter of backtest_law must be 'N', 'D' or 'C'. Got {by!r} instead.")
    check(holdout, Integer(1), "holdout", "backtest_law")
    where = dict(where or {})
    cells = _cells_of(optima, hparam, where, exclude_edge)
    if not cells:
        raise DataError(f"No cell optimum of {hparam} to back-test.")
    scale = _sizes(cells).get(by)
    if scale is None:
        raise DataError(f"The cells have no {by} to cut by; choose by among the sizes they have.")
    groups = budget_groups(scale, 0.05)
    if groups.max() < holdout:
        raise DataError(
            f"A back-test by {by} needs more than {holdout} distinct {by}; the cells have {groups.max() + 1}."
        )
    test = groups > groups.max() - holdout
    train = [c for c, t in zip(cells, test, strict=True) if not t]
    held = [c for c, t in zip(cells, test, strict=True) if t]
    fitted = fit_law(train, hparam, law, where={}, level=level or cells[0].level, seed=seed)
    rows = []
    held_sizes = _sizes(held)
    for i, c in enumerate(held):
        inputs = {x: held_sizes[x][i] for x in fitted.inputs}
        predicted = float(fitted.predict(**inputs))
        low, high = fitted.predict_interval(**inputs)
        rows.append(
            {
                **{k: float(v[i]) for k, v in held_sizes.items()},
                **{k: v for k, v in c.cell.items() if k not in held_sizes},
                "measured": c.value,
                "measured_low": c.low,
                "measured_high": c.high,
                "at_edge": c.at_edge,
                "predicted": predicted,
                "low": float(low),
                "high": float(high),
                "ratio": predicted / c.value,
                "predicted_in_measured": bool(c.low <= predicted <= c.high),
                "measured_in_predicted": bool(low <= c.value <= high),
            }
        )
    return HparamBacktest(law=fitted, by=by, cut=float(np.min(scale[test])), rows=tuple(rows))
