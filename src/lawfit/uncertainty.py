"""How sure a fit is: the bootstrap (runs or whole groups resampled, refits batched and warm-started), percentile
intervals for parameters, predictions and any derived quantity.

A resample is a vector of counts (how often each run was drawn), used as weights: the refits of all resamples run
as one batched, compiled program, each starting from the full-data optimum.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import LawfitError
from .search import SearchOptions, refit

if TYPE_CHECKING:
    from .fit import Fit

__all__ = ["BOOTSTRAP_SEARCH", "Bootstrap", "bootstrap"]

#: Refit settings of the bootstrap: each refit starts at the full-data optimum, so it needs few steps, and a
#: parameter precision of 1e-6 (relative) is far below any bootstrap spread.
BOOTSTRAP_SEARCH = SearchOptions(max_steps=500, rtol=1e-6, atol=1e-12)


@dataclass(frozen=True, eq=False)
class Bootstrap:
    """Bootstrap draws of a fit's parameters.

    Attributes
    ----------
    draws : ndarray, shape (n_resamples, n_params)
        One refit per resample, natural units, in the law's parameter order.
    converged : ndarray of bool, shape (n_resamples,)
        Whether each refit met its tolerances.
    seed : int
        The seed of the resampling.
    by : {"run", "group"}
        What was resampled: single runs, or whole groups of runs (the ``group`` column).
    residuals : ndarray, shape (n_runs,)
        The residuals of the full-data fit (of the log target for log objectives, else of the target; zero-weight
        runs left out): the scatter of single runs about the law, which an interval for a new run adds.
    """

    draws: np.ndarray
    converged: np.ndarray
    seed: int
    by: str = "run"
    residuals: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        draws = np.array(self.draws, dtype=np.float64, copy=True)
        converged = np.array(self.converged, dtype=bool, copy=True)
        residuals = np.array(self.residuals, dtype=np.float64, copy=True).reshape(-1)
        if draws.ndim != 2 or converged.shape != (draws.shape[0],):
            raise LawfitError("Bootstrap draws must have shape (n_resamples, n_params), with one flag per resample.")
        for value in (draws, converged, residuals):
            value.setflags(write=False)
        object.__setattr__(self, "draws", draws)
        object.__setattr__(self, "converged", converged)
        object.__setattr__(self, "residuals", residuals)

    @property
    def n_resamples(self) -> int:
        return int(self.draws.shape[0])

    def describe(self) -> str:
        """One line: how many resamples, of what, with which seed, and how many refits converged."""
        what = "runs" if self.by == "run" else "groups"
        return (
            f"{self.n_resamples:,} resamples of {what} (seed {self.seed}), "
            f"{int(self.converged.sum()):,} refits converged"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "by": self.by,
            "n_resamples": self.n_resamples,
            "converged": self.converged.tolist(),
            "draws": self.draws.tolist(),
            "residuals": self.residuals.tolist(),
        }

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Bootstrap:
        return cls(
            np.asarray(record["draws"]),
            np.asarray(record["converged"]),
            int(record["seed"]),
            record["by"],
            np.asarray(record.get("residuals", [])),
        )


def resample_weights(n_runs: int, n_resamples: int, seed: int, groups: np.ndarray | None = None) -> np.ndarray:
    """Counts ``(n_resamples, n_runs)``: runs drawn with replacement, or whole groups when ``groups`` is given."""
    rng = np.random.default_rng(seed)
    if groups is None:
        return rng.multinomial(n_runs, np.full(n_runs, 1.0 / n_runs), size=n_resamples).astype(np.float64)
    labels, index = np.unique(groups, return_inverse=True)
    counts = rng.multinomial(labels.size, np.full(labels.size, 1.0 / labels.size), size=n_resamples)
    return counts[:, index].astype(np.float64)


def bootstrap(
    fit: Fit,
    data: Any,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    by: str = "run",
    columns: Mapping[str, str] | None = None,
    weights: np.ndarray | None = None,
    options: SearchOptions | None = None,
) -> Fit:
    """The fit with bootstrap draws attached: the runs (or groups) resampled ``n_resamples`` times and refitted.

    Parameters
    ----------
    fit : Fit
        A fit of ``data``; each refit starts from its optimum.
    data : path, DataFrame, mapping or Runs
        The runs the fit was made on.
    n_resamples : int
        How many resamples (Besiroglu et al. 2024 use 4,000).
    seed : int
        Seed of the resampling: the same seed gives the same draws.
    by : {"run", "group"}
        Resample single runs, or whole groups (the runs' ``group`` column, e.g. one model family).
    weights : array, optional
        The per-run weights the fit used, if not the runs' own ``weight`` column.

    Examples
    --------
    >>> import lawfit
    >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    >>> f = lawfit.bootstrap(lawfit.fit(runs, "chinchilla"), runs, n_resamples=200, seed=1)
    >>> 0.005 < f.stderr["alpha"] < 0.05
    True
    """
    from .data import load_runs

    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer) or n_resamples < 2:
        raise LawfitError(f"The 'n_resamples' parameter of bootstrap must be an integer >= 2. Got {n_resamples!r}.")
    if by not in ("run", "group"):
        raise LawfitError(f"The 'by' parameter of bootstrap must be 'run' or 'group'. Got {by!r} instead.")
    runs = load_runs(data, columns=columns)
    if len(runs) != fit.n_points:
        raise LawfitError(
            f"The fit was made on {fit.n_points} runs but the data has {len(runs)}; bootstrap the data that was fitted."
        )
    groups = None
    if by == "group":
        if "group" not in runs.columns:
            raise LawfitError("Resampling by group needs a 'group' column; map one with --col group=COLUMN.")
        groups = runs.table["group"].to_numpy()
    if weights is None:
        from .calibration import growth_weights

        base = runs.weights * growth_weights(runs, fit.law, fit.loss)  # the fit's own weighting of the runs
    else:
        base = np.asarray(weights, dtype=np.float64)
    counts = resample_weights(len(runs), int(n_resamples), seed, groups) * base
    result = refit(
        fit.law,
        fit.loss,
        fit.params,
        runs.inputs(fit.law.inputs),
        runs.column(fit.law.target),
        counts,
        options=options or BOOTSTRAP_SEARCH,
        batch_size=500,
        label=f"bootstrap {fit.law.name}",
    )
    inputs, y = runs.inputs(fit.law.inputs), runs.column(fit.law.target)
    residuals = np.asarray(fit.loss.residuals(fit.law, dict(fit.params), inputs, y), dtype=np.float64)[base > 0]
    draws = Bootstrap(result.draws, result.converged, int(seed), by, residuals)
    return replace(fit, bootstrap=draws, diagnostics=_with_draws_diagnostics(fit, draws))


def _with_draws_diagnostics(fit: Fit, draws: Bootstrap) -> tuple[Any, ...]:
    """The fit's diagnostics with identifiability judged from the draws, which beat the curvature at one point."""
    import warnings

    from .diagnostics import identifiability
    from .errors import ConvergenceWarning, IdentifiabilityWarning

    kept = [w for w in fit.diagnostics if not isinstance(w, IdentifiabilityWarning)]
    log_mask = np.array([p.scale == "log" for p in fit.law.params])
    found = identifiability(fit.law.param_names, log_mask, draws=draws.draws)
    new = [found] if found is not None else []
    failed = int(np.sum(~draws.converged))
    if failed > 0.01 * draws.n_resamples:
        new.append(
            ConvergenceWarning(
                f"{failed} of {draws.n_resamples} bootstrap refits did not converge; intervals may be too wide.",
                failed=failed,
            )
        )
    for warning in new:
        warnings.warn(warning, stacklevel=3)
    return (*kept, *new)


# -- intervals -----------------------------------------------------------------------------------------------------


def _require(fit: Fit) -> Bootstrap:
    if fit.bootstrap is None:
        raise LawfitError(
            "This fit has no bootstrap draws. Fit with bootstrap=1000 (CLI: --bootstrap 1000) or call "
            "lawfit.bootstrap(fit, runs)."
        )
    return fit.bootstrap


def check_level(level: float) -> float:
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise LawfitError(f"The 'level' of an interval must be a float in (0, 1). Got {level!r} instead.")
    return float(level)


def _usable(draws: np.ndarray) -> np.ndarray:
    return draws[np.all(np.isfinite(draws), axis=tuple(range(1, draws.ndim)))]


def percentile_interval(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The central ``level`` percentile interval over the first axis of ``values``."""
    tail = 50.0 * (1.0 - check_level(level))
    low, high = np.percentile(_usable(values), [tail, 100.0 - tail], axis=0)
    return low, high


def param_draws(fit: Fit) -> dict[str, np.ndarray]:
    """The draws by parameter name."""
    draws = _require(fit).draws
    return {name: draws[:, i] for i, name in enumerate(fit.law.param_names)}


def stderr(fit: Fit) -> dict[str, float]:
    """Bootstrap standard errors (standard deviations of the draws)."""
    draws = _usable(_require(fit).draws)
    return {name: float(np.std(draws[:, i], ddof=1)) for i, name in enumerate(fit.law.param_names)}


def intervals(fit: Fit, level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile intervals of the parameters."""
    low, high = percentile_interval(_require(fit).draws, level)
    return {name: (float(lo), float(hi)) for name, lo, hi in zip(fit.law.param_names, low, high, strict=True)}


def derived_draws(fit: Fit, quantity: Callable[[Mapping[str, np.ndarray]], Any]) -> np.ndarray:
    """``quantity(params)`` for every draw; ``quantity`` takes a mapping name -> array of draws (numpy ufuncs)."""
    values = np.asarray(quantity(param_draws(fit)), dtype=np.float64)
    if values.shape[:1] != (_require(fit).n_resamples,):
        raise LawfitError("A derived quantity must return one value per draw (operate elementwise on the arrays).")
    return values


def run_draws(fit: Fit, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
    """Draws of a *new run's* outcome at ``inputs``: each draw of the law plus a residual of the full-data fit
    drawn at random (on the log scale for log objectives), so that the spread holds both the law's uncertainty and
    the scatter of single runs about it. Seeded by the bootstrap's seed."""
    boot = _require(fit)
    if boot.residuals.size == 0:
        raise LawfitError(
            "This fit's bootstrap draws carry no residuals (saved by an older lawfit); bootstrap it again for "
            "intervals of a new run."
        )
    law_draws = prediction_draws(fit, inputs)
    rng = np.random.default_rng([boot.seed, 1])
    noise = rng.choice(boot.residuals, size=law_draws.shape)
    return law_draws * np.exp(noise) if fit.loss.in_log_space else law_draws + noise


def prediction_draws(fit: Fit, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
    """The law's prediction at ``inputs`` for every draw, shape ``(n_resamples, *inputs_shape)``."""
    from ._jax import jax, jnp

    columns = {k: jnp.asarray(v) for k, v in inputs.items()}
    draws = {k: jnp.asarray(v) for k, v in param_draws(fit).items()}
    return np.asarray(jax.vmap(lambda p: fit.law.fn(p, columns))(draws), dtype=np.float64)
