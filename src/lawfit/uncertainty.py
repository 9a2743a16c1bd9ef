"""How sure a fit is: the bootstrap (runs or whole groups resampled, refits batched and warm-started), percentile
intervals for parameters, predictions and any derived quantity.

A resample is a vector of counts (how often each run was drawn), used as weights: the refits of all resamples run
as one batched, compiled program, each starting from the full-data optimum.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import RESAMPLES, SEED, Options, constrained, renamed, warn_deprecated
from ._intervals import format_number, interval_digits, percentile_interval
from ._records import Fields
from .errors import LawfitError
from .search import MEMORY_BUDGET, SearchOptions, refit

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
    resample : {"run", "group"}
        What was resampled: single runs, or whole groups of runs (the ``group`` column); the deprecated name ``by``
        still reads it.
    residuals : ndarray, shape (n_runs,)
        The residuals of the full-data fit (of the log target for log objectives, else of the target; zero-weight
        runs left out): the scatter of single runs about the law, which an interval for a new run adds.
    """

    draws: np.ndarray
    converged: np.ndarray
    seed: int
    resample: str = "run"
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

    @property
    def by(self) -> str:
        """Deprecated: :attr:`resample` (``by`` is the scale of a back-test)."""
        warn_deprecated("by", "resample", "Bootstrap", what="attribute")
        return self.resample

    def describe(self) -> str:
        """One line: how many resamples, of what, with which seed, and how many refits converged."""
        what = "runs" if self.resample == "run" else "groups"
        return (
            f"{self.n_resamples:,} resamples of {what} (seed {self.seed}), "
            f"{int(self.converged.sum()):,} refits converged"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "resample": self.resample,
            "n_resamples": self.n_resamples,
            "converged": self.converged.tolist(),
            "draws": self.draws.tolist(),
            "residuals": self.residuals.tolist(),
        }

    @classmethod
    def from_dict(
        cls, record: Mapping[str, Any], *, n_params: int | None = None, fields: Fields | None = None, path: str = ""
    ) -> Bootstrap:
        """Rebuild draws from :meth:`to_dict`'s output, each field checked: a bad one raises a
        :class:`~lawfit.FitFileError` naming it (``fields`` say where the record comes from, ``path`` is its place
        in a larger record). ``n_params`` is the number of the law's parameters, which each draw must have. What was
        resampled is ``resample``, or ``by`` in a fit saved by lawfit 0.1 (fit schema version 1).

        >>> record = {"seed": 0, "resample": "run", "draws": [[1.0, 2.0]], "converged": [True]}
        >>> Bootstrap.from_dict(record).n_resamples
        1
        >>> Bootstrap.from_dict(record, n_params=3)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        lawfit.errors.FitFileError: Field 'draws[0]' of the saved bootstrap must be a list of 3 numbers (...
        """
        fields = fields or Fields("the saved bootstrap")
        record = fields.as_obj(record, path or "bootstrap")
        n = fields.integer(record, "n_resamples", path, default=None, minimum=1)
        if n_params is None:  # without the law, the first draw says how many parameters there are
            first = record.get("draws", [[]])
            n_params = len(first[0]) if isinstance(first, list) and first and isinstance(first[0], list) else 1
        draws = fields.matrix(
            record, "draws", path, columns=n_params, rows=n, what="one list per resample, one number per parameter"
        )
        return cls(
            draws,
            fields.flags(record, "converged", path, length=len(draws), what="one per resample"),
            fields.integer(record, "seed", path, minimum=0),
            fields.text(
                record,
                "by" if "by" in record and "resample" not in record else "resample",
                path,
                choices=("run", "group"),
            ),
            fields.vector(record, "residuals", path, default=[]),
        )


# Bootstrap(..., by=...) as before the renaming, for one release.
Bootstrap.__init__ = renamed(by="resample")(Bootstrap.__init__)  # type: ignore[method-assign]


def resample_weights(n_runs: int, n_resamples: int, seed: int, groups: np.ndarray | None = None) -> np.ndarray:
    """Counts ``(n_resamples, n_runs)``: runs drawn with replacement, or whole groups when ``groups`` is given."""
    return resampler(n_runs, seed, groups)(n_resamples)


def resampler(n_runs: int, seed: int, groups: np.ndarray | None = None) -> Callable[[int], np.ndarray]:
    """``draw(k)``: the next ``k`` resamples' counts, shape ``(k, n_runs)``, from one seeded stream, so that drawing
    them in chunks gives the same counts as drawing them all at once (and a bootstrap never holds them all).

    >>> draw = resampler(4, seed=0)
    >>> bool((np.vstack([draw(2), draw(3)]) == resample_weights(4, 5, seed=0)).all())
    True
    """
    rng = np.random.default_rng(seed)
    if groups is None:
        p = np.full(n_runs, 1.0 / n_runs)
        return lambda k: rng.multinomial(n_runs, p, size=k).astype(np.float64)
    labels, index = np.unique(groups, return_inverse=True)
    p = np.full(labels.size, 1.0 / labels.size)
    return lambda k: rng.multinomial(labels.size, p, size=k)[:, index].astype(np.float64)


def max_resamples(n_params: int) -> int:
    """The most bootstrap resamples whose draws (one parameter vector, an objective and a flag each) fit in four
    times :data:`lawfit.search.MEMORY_BUDGET` (1 GiB by default).

    >>> max_resamples(5) > 10**6
    True
    """
    return int(4 * MEMORY_BUDGET // ((n_params + 2) * 8))


@renamed(by="resample", options="search_options")
@constrained(n_resamples=RESAMPLES, resample=Options("run", "group"), seed=SEED)
def bootstrap(
    fit: Fit,
    data: Any,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    resample: str = "run",
    columns: Mapping[str, str] | None = None,
    weights: np.ndarray | None = None,
    search_options: SearchOptions | None = None,
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
    resample : {"run", "group"}
        Resample single runs, or whole groups (the runs' ``group`` column, e.g. one model family). The deprecated
        name ``by`` is read for one more release.
    columns : mapping, optional
        Canonical name -> column of ``data``, as for :func:`lawfit.fit`.
    weights : array, optional
        The per-run weights the fit used, if not the runs' own ``weight`` column.
    search_options : SearchOptions, optional
        Settings of the refits' search (the deprecated name ``options`` is read for one more release).

    Examples
    --------
    >>> import lawfit
    >>> runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    >>> f = lawfit.bootstrap(lawfit.fit(runs, "chinchilla"), runs, n_resamples=200, seed=1)
    >>> 0.005 < f.stderr["alpha"] < 0.05
    True
    """
    from .data import load_runs

    runs = load_runs(data, columns=columns)
    if len(runs) != fit.n_points:
        raise LawfitError(
            f"The fit was made on {fit.n_points} runs but the data has {len(runs)}; bootstrap the data that was fitted."
        )
    # The draws are kept (one parameter vector per resample); the refits themselves run in chunks.
    largest = max_resamples(len(fit.law.params))
    if n_resamples > largest:
        raise LawfitError(
            f"{n_resamples:,} bootstrap resamples would hold {n_resamples * (len(fit.law.params) + 2) * 8 / 2**30:.1f} "
            f"GiB of draws; at most {largest:,} fit in lawfit's memory budget (LAWFIT_MEMORY_MB x 4). Ask for fewer: "
            "1,000 to 4,000 give stable 95% intervals."
        )
    groups = None
    if resample == "group":
        if "group" not in runs.columns:
            raise LawfitError("Resampling by group needs a 'group' column; map one with columns={'group': 'COLUMN'}.")
        groups = runs.table["group"].to_numpy()
    if weights is None:
        from .calibration import growth_weights

        base = runs.weights * growth_weights(
            runs, fit.law, fit.objective_settings
        )  # the fit's own weighting of the runs
    else:
        base = np.asarray(weights, dtype=np.float64)
    draw = resampler(len(runs), seed, groups)
    result = refit(
        fit.law,
        fit.objective_settings,
        fit.params,
        runs.inputs(fit.law.inputs),
        runs.column(fit.law.target),
        lambda k: draw(k) * base,
        n_refits=int(n_resamples),
        options=search_options or BOOTSTRAP_SEARCH,
        batch_size=500,
        label=f"bootstrap {fit.law.name}",
    )
    inputs, y = runs.inputs(fit.law.inputs), runs.column(fit.law.target)
    residuals = np.asarray(fit.objective_settings.residuals(fit.law, dict(fit.params), inputs, y), dtype=np.float64)[
        base > 0
    ]
    draws = Bootstrap(result.draws, result.converged, int(seed), resample, residuals)
    return replace(fit, bootstrap=draws, diagnostics=_with_draws_diagnostics(fit, draws))


def _with_draws_diagnostics(fit: Fit, draws: Bootstrap) -> tuple[Any, ...]:
    """The fit's diagnostics with identifiability judged from the draws, which beat the curvature at one point."""

    from .diagnostics import identifiability, usable_draws
    from .errors import ConvergenceWarning, IdentifiabilityWarning

    kept = [w for w in fit.diagnostics if not isinstance(w, IdentifiabilityWarning)]
    log_mask = np.array([p.scale == "log" for p in fit.law.params])
    found = identifiability(fit.law.param_names, log_mask, draws=usable_draws(draws))
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
            "This fit has no bootstrap draws. Fit with n_resamples=1000 or call lawfit.bootstrap(fit, runs)."
        )
    return fit.bootstrap


def _usable(draws: np.ndarray) -> np.ndarray:
    return draws[np.all(np.isfinite(draws), axis=tuple(range(1, draws.ndim)))]


def param_draws(fit: Fit) -> dict[str, np.ndarray]:
    """The draws by parameter name."""
    draws = _require(fit).draws
    return {name: draws[:, i] for i, name in enumerate(fit.law.param_names)}


def stderr(fit: Fit) -> dict[str, float]:
    """Bootstrap standard errors (standard deviations of the draws)."""
    draws = _usable(_require(fit).draws)
    return {name: float(np.std(draws[:, i], ddof=1)) for i, name in enumerate(fit.law.param_names)}


def factors(fit: Fit) -> dict[str, float]:
    """Multiplicative standard errors of the log-scale parameters (``E``, ``A``, ``B`` of chinchilla):
    ``exp(std(log draws))``, the factor ``f`` of "value ×/÷ f". Such a parameter's draws spread over orders of
    magnitude, where a linear standard error (``A = 3.9e3 ± 7.1e6``) says nothing; the search works on its log.
    A parameter with a draw <= 0 is left out."""
    draws = _usable(_require(fit).draws)
    found = {}
    for i, spec in enumerate(fit.law.params):
        if spec.scale == "log" and len(draws) > 1 and np.all(draws[:, i] > 0):
            found[spec.name] = float(np.exp(np.std(np.log(draws[:, i]), ddof=1)))
    return found


def spread_texts(fit: Fit) -> dict[str, str]:
    """The spread of each parameter as shown in tables: ``"±0.0148"`` (the standard error) for a linear parameter,
    ``"×/÷ 1.28"`` (:func:`factors`, with the digits that show it differs from 1) for a log-scale one."""
    linear, multiplicative = stderr(fit), factors(fit)
    return {
        name: f"×/÷ {format_number(multiplicative[name], interval_digits(1.0, multiplicative[name]))}"
        if name in multiplicative
        else f"±{linear[name]:.4g}"
        for name in fit.law.param_names
    }


def intervals(fit: Fit, level: float = 0.9) -> dict[str, tuple[float, float]]:
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
    the scatter of single runs about it.

    Which residual a draw adds at a point is decided by the bootstrap's seed, the draw and the point's own input
    values alone (:func:`noise_index`): a target's interval is the same whether it is asked alone, with other
    targets, or in chunks, and distinct points get independent noise.
    """
    boot = _require(fit)
    if boot.residuals.size == 0:
        raise LawfitError(
            "This fit's bootstrap draws carry no residuals (saved by an older lawfit); bootstrap it again for "
            "intervals of a new run."
        )
    law_draws = prediction_draws(fit, inputs)
    named = {k: v for k, v in inputs.items() if k in fit.law.inputs} or dict(inputs)
    index = noise_index(boot.seed, named, law_draws.shape[0], boot.residuals.size)
    noise = boot.residuals[np.broadcast_to(index, law_draws.shape)]
    return law_draws * np.exp(noise) if fit.objective_settings.in_log_space else law_draws + noise


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of uint64 whose outputs look independent for neighbouring inputs."""
    z = z ^ (z >> np.uint64(30))
    z = z * np.uint64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def noise_index(seed: int, points: Mapping[str, np.ndarray], n_draws: int, n_choices: int) -> np.ndarray:
    """Indices in ``range(n_choices)``, shape ``(n_draws, *points_shape)``: a pseudo-random choice per draw and per
    point that depends only on ``seed``, the draw's number and the point's values (by input name), never on the
    other points or the shape they come in.

    >>> one = noise_index(0, {"N": np.array([1e9])}, 5, 10)
    >>> two = noise_index(0, {"N": np.array([1e8, 1e9])}, 5, 10)
    >>> bool((one[:, 0] == two[:, 1]).all())
    True
    """
    arrays = np.broadcast_arrays(*(np.asarray(points[k], dtype=np.float64) + 0.0 for k in sorted(points)))
    shape = arrays[0].shape if arrays else ()
    with np.errstate(over="ignore"):
        key = np.full(shape, _mix(np.atleast_1d(np.uint64(int(seed) % 2**64) + _GOLDEN))[0], dtype=np.uint64)
        for values in arrays:  # -0.0 became 0.0 above, so equal values give equal keys
            key = _mix(key ^ np.array(values, dtype=np.float64).view(np.uint64)) + _GOLDEN
        draw = _mix(np.arange(1, n_draws + 1, dtype=np.uint64) * _GOLDEN)
        index = _mix(key[None, ...] ^ draw.reshape((n_draws,) + (1,) * len(shape)))
    return (index % np.uint64(n_choices)).astype(np.intp)


def over_points(
    values: Mapping[str, np.ndarray],
    n_draws: int,
    interval: Callable[[dict[str, np.ndarray]], tuple[Any, Any]],
) -> tuple[np.ndarray, np.ndarray]:
    """``interval(points)`` computed over chunks of the points, so that ``n_draws`` draws at each point in a chunk
    stay within the memory budget (:data:`lawfit.search.MEMORY_BUDGET`); the pieces are put back in the inputs'
    broadcast shape. Few points are one chunk: ``interval(values)`` itself. The inputs broadcast together: the
    fit's input check (``fit.complete_inputs``) has said so in words before.

    >>> low, high = over_points({"N": np.arange(1.0, 7.0)}, 10**9, lambda p: (p["N"] - 1, p["N"] + 1))
    >>> low.tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    """
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values.values()))
    shape = arrays[0].shape if arrays else ()
    size = int(np.prod(shape))
    # Each point holds a handful of float64 arrays of n_draws values while its interval is computed.
    chunk = max(1, MEMORY_BUDGET // (max(1, n_draws) * 8 * 8))
    if size <= chunk:
        return interval(dict(values))
    flat = {k: a.ravel() for k, a in zip(values, arrays, strict=True)}
    lows, highs = [], []
    for lo in range(0, size, chunk):
        low, high = interval({k: a[lo : lo + chunk] for k, a in flat.items()})
        lows.append(np.ravel(low)), highs.append(np.ravel(high))
    return np.concatenate(lows).reshape(shape), np.concatenate(highs).reshape(shape)


def prediction_draws(fit: Fit, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
    """The law's prediction at ``inputs`` for every draw, shape ``(n_resamples, *inputs_shape)``: one numpy call,
    each draw's parameters on the first axis broadcast against the points."""
    from .laws._base import evaluate

    columns = {k: np.asarray(v, dtype=np.float64) for k, v in inputs.items()}
    shape = np.broadcast_shapes(*(a.shape for a in columns.values()))
    draws = {k: np.asarray(v, dtype=np.float64) for k, v in param_draws(fit).items()}
    n = len(next(iter(draws.values())))
    params = {k: v.reshape((n,) + (1,) * len(shape)) for k, v in draws.items()}
    return np.broadcast_to(evaluate(fit.law.fn, params, columns), (n, *shape))
