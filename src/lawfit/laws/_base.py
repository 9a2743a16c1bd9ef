"""The :class:`Law` value: named, bounded parameters and a pure function of the inputs (numpy or JAX, see
:mod:`._xp`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ..errors import LawfitError
from ._xp import namespace

__all__ = ["INPUT_NAMES", "ClosedForms", "Law", "ParamSpec", "evaluate"]

#: The sizes a formula may read, in the canonical column names of :class:`lawfit.Runs`. Built-in laws may read other
#: columns too (``U`` unique tokens, ``loss`` for a downstream law).
INPUT_NAMES: tuple[str, ...] = ("N", "D", "C")

Scale = Literal["linear", "log"]
Params = Mapping[str, Any]
Inputs = Mapping[str, Any]


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a law.

    Parameters
    ----------
    name : str
        The name used in formulas, results and saved fits.
    lower, upper : float
        Bounds in natural units (``-inf``/``inf`` for none). A log-scale parameter must have ``lower >= 0``.
    scale : {"linear", "log"}
        The space the search moves in. ``"log"`` searches ``log(value)``, so the value stays positive.
    grid : tuple of float
        Start values in natural units; the law's start grid is the product over its parameters.

    Examples
    --------
    >>> ParamSpec("alpha", lower=0.0, grid=(0.0, 0.5, 1.0)).scale
    'linear'
    """

    name: str
    lower: float = -math.inf
    upper: float = math.inf
    scale: Scale = "linear"
    grid: tuple[float, ...] = (0.0,)

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise LawfitError(f"A parameter name must be an identifier. Got {self.name!r} instead.")
        if self.scale not in ("linear", "log"):
            raise LawfitError(
                f"The 'scale' of parameter {self.name} must be 'linear' or 'log'. Got {self.scale!r} instead."
            )
        if not self.lower < self.upper:
            raise LawfitError(
                f"Parameter {self.name} needs lower < upper. Got lower={self.lower}, upper={self.upper} instead."
            )
        if self.scale == "log" and self.lower < 0:
            raise LawfitError(f"Log-scale parameter {self.name} must have lower >= 0. Got {self.lower} instead.")
        grid = tuple(float(v) for v in self.grid)
        if not grid:
            raise LawfitError(f"Parameter {self.name} needs at least one start value in its grid.")
        if self.scale == "log" and min(grid) <= 0:
            raise LawfitError(f"Start values of log-scale parameter {self.name} must be > 0. Got {min(grid)}.")
        object.__setattr__(self, "grid", grid)

    def to_internal(self, value: Any) -> Any:
        """Natural units -> the search space (log for log-scale parameters)."""
        return np.log(value) if self.scale == "log" else np.asarray(value, dtype=np.float64)

    @property
    def internal_bounds(self) -> tuple[float, float]:
        if self.scale == "log":
            lo = math.log(self.lower) if self.lower > 0 else -math.inf
            return lo, math.log(self.upper) if math.isfinite(self.upper) else math.inf
        return self.lower, self.upper


def _default_log_fn(fn: Callable[[Params, Inputs], Any]) -> Callable[[Params, Inputs], Any]:
    def log_fn(params: Params, inputs: Inputs) -> Any:
        value = fn(params, inputs)
        return namespace(params, inputs, value).log(value)

    return log_fn


@dataclass(frozen=True)
class ClosedForms:
    """Answers a law gives exactly, declared on the law: the planners ask the law for them (never for its name) and
    solve numerically when one is absent.

    Each function takes ``params`` (name -> float64 numpy array, all of the law's parameters including those held by
    :meth:`Law.fix`) broadcast against its other arguments, and runs in numpy.

    Parameters
    ----------
    optimum : callable, optional
        ``optimum(params, compute, k) -> (N, D)``: the allocation with the lowest loss under ``compute = k*N*D``.
    tokens_for_loss : callable, optional
        ``tokens_for_loss(params, N, loss) -> D``: the tokens at which ``N`` parameters reach ``loss`` (NaN where
        they never do).

    Examples
    --------
    >>> ClosedForms().optimum is None
    True
    """

    optimum: Callable[[Params, Any, float], tuple[Any, Any]] | None = None
    tokens_for_loss: Callable[[Params, Any, Any], Any] | None = None

    def with_fixed(self, held: Mapping[str, float]) -> ClosedForms:
        """The same closed forms for a law whose parameters ``held`` are fixed: the held values are merged into
        ``params`` before each call."""
        optimum, tokens = self.optimum, self.tokens_for_loss
        return ClosedForms(
            optimum=None if optimum is None else lambda p, compute, k: optimum({**p, **held}, compute, k),
            tokens_for_loss=None if tokens is None else lambda p, n, loss: tokens({**p, **held}, n, loss),
        )


@dataclass(frozen=True)
class Law:
    """A scaling law: named parameters with bounds and start grids, and a pure function.

    Parameters
    ----------
    name : str
        Short name, shown in tables and saved fits.
    inputs : tuple of str
        The columns the law reads: usually among ``N``, ``D``, ``C``; any column of the runs may serve.
    params : tuple of ParamSpec
        The free parameters.
    fn : callable
        ``fn(params, inputs) -> loss``; ``params`` and ``inputs`` map names to arrays: JAX's while fitting, numpy's
        when predicting. Written against ``xp = lawfit.laws._xp.namespace(params, inputs)`` it runs in both, so
        predictions need no JAX; a function written in ``jax.numpy`` works too (predictions then import JAX).
    log_fn : callable, optional
        ``log(fn)``, written for numerical stability (for example with ``logsumexp``). Derived from ``fn`` if absent.
    formula : str
        The law in words, for display.
    spec : dict
        How to rebuild the law when a saved fit is loaded (``{"builtin": name, ...}`` or ``{"formula": text}``).
    guess : callable, optional
        ``guess(inputs, loss) -> array (k, n_params)`` of extra start points in natural units, found from the data.
    target : str
        The column the law predicts: ``"loss"``, or a downstream metric.
    closed_forms : ClosedForms
        Answers the law gives exactly (the compute-optimal allocation, the tokens for a target loss); none by
        default, and the planners then solve numerically.

    Examples
    --------
    >>> from lawfit.laws import get_law
    >>> get_law("chinchilla").param_names
    ('E', 'A', 'B', 'alpha', 'beta')
    """

    name: str
    inputs: tuple[str, ...]
    params: tuple[ParamSpec, ...]
    fn: Callable[[Params, Inputs], Any] = field(repr=False)
    formula: str = ""
    spec: Mapping[str, Any] = field(default_factory=dict, repr=False)
    log_fn: Callable[[Params, Inputs], Any] | None = field(default=None, repr=False)
    guess: Callable[[Inputs, np.ndarray], np.ndarray] | None = field(default=None, repr=False, compare=False)
    target: str = "loss"
    closed_forms: ClosedForms = field(default_factory=ClosedForms, repr=False, compare=False)

    def __post_init__(self) -> None:
        bad = [x for x in (*self.inputs, self.target) if not (isinstance(x, str) and x.isidentifier())]
        if bad or not self.inputs:
            raise LawfitError(f"Law {self.name} needs inputs and a target that are column names. Got {bad or '()'}.")
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise LawfitError(f"Law {self.name} has duplicate parameter names: {names}.")
        clash = set(names) & {*self.inputs, self.target}
        if clash:
            raise LawfitError(f"Law {self.name} uses input names {sorted(clash)} as parameters; rename them.")
        if not self.params:
            raise LawfitError(f"Law {self.name} has no free parameters to fit.")
        if self.log_fn is None:
            object.__setattr__(self, "log_fn", _default_log_fn(self.fn))

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def log_mask(self) -> np.ndarray:
        """Which parameters the search holds in log space (``ParamSpec.scale == "log"``), in parameter order."""
        return np.array([p.scale == "log" for p in self.params], dtype=bool)

    @property
    def key(self) -> tuple[Any, ...]:
        """Identifies the law's shape for the compile cache: equal keys mean the same JAX function."""
        spec = tuple(sorted((k, repr(v)) for k, v in self.spec.items()))
        shape = tuple((p.name, p.lower, p.upper, p.scale) for p in self.params)
        return (self.name, self.inputs, self.target, shape, spec or (id(self.fn),))

    def start_grid(self) -> np.ndarray:
        """The product of the parameters' start grids, shape ``(n_starts, n_params)``, natural units."""
        axes = [np.asarray(p.grid, dtype=np.float64) for p in self.params]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)

    def with_grid(self, grid: Mapping[str, Sequence[float]]) -> Law:
        """A copy of the law whose start grid is replaced, per parameter, by ``grid``."""
        unknown = set(grid) - set(self.param_names)
        if unknown:
            raise LawfitError(
                f"The grid names unknown parameters {sorted(unknown)} of law {self.name}; "
                f"its parameters are {list(self.param_names)}."
            )
        from dataclasses import replace

        params = tuple(replace(p, grid=tuple(grid[p.name])) if p.name in grid else p for p in self.params)
        return replace(self, params=params)

    def fix(self, **values: float) -> Law:
        """A copy of the law with some parameters held at given values (they are no longer fitted).

        >>> from lawfit.laws import get_law
        >>> get_law("chinchilla").fix(alpha=0.34, beta=0.28).param_names
        ('E', 'A', 'B')
        """
        from dataclasses import replace

        unknown = set(values) - set(self.param_names)
        if unknown:
            raise LawfitError(f"Cannot fix {sorted(unknown)}: law {self.name} has parameters {list(self.param_names)}.")
        if len(values) == len(self.params):
            raise LawfitError(f"Fixing every parameter of law {self.name} leaves nothing to fit.")
        held = {k: float(v) for k, v in values.items()}
        fn, log_fn = self.fn, self.log_fn
        assert log_fn is not None

        def fixed_fn(p: Params, inputs: Inputs) -> Any:
            return fn({**p, **held}, inputs)

        def fixed_log_fn(p: Params, inputs: Inputs) -> Any:
            return log_fn({**p, **held}, inputs)

        return replace(
            self,
            params=tuple(p for p in self.params if p.name not in held),
            fn=fixed_fn,
            log_fn=fixed_log_fn,
            spec={**self.spec, "fixed": dict(sorted({**self.spec.get("fixed", {}), **held}.items()))},
            guess=None,
            closed_forms=self.closed_forms.with_fixed(held),
        )

    @property
    def fixed(self) -> dict[str, float]:
        """Parameters held at given values by :meth:`fix`."""
        return dict(self.spec.get("fixed", {}))

    def optimum(self, params: Params, compute: Any, k: float = 6.0) -> tuple[np.ndarray, np.ndarray]:
        """The closed-form compute-optimal ``(N, D)`` under ``compute = k*N*D`` (see :class:`ClosedForms`).

        >>> from lawfit.laws import get_law
        >>> law = get_law("chinchilla").fix(alpha=0.5)
        >>> n, d = law.optimum({"E": 1.7, "A": 400.0, "B": 400.0, "beta": 0.5}, 6e20)
        >>> float(n), float(d)
        (10000000000.0, 10000000000.0)
        """
        closed = self.closed_forms.optimum
        if closed is None:
            raise LawfitError(
                f"Law {self.name} declares no closed-form optimum; lawfit.plan.compute_optimal finds it numerically."
            )
        n, d = closed(self._param_arrays(params), np.asarray(compute, dtype=np.float64), float(k))
        return np.asarray(n, dtype=np.float64), np.asarray(d, dtype=np.float64)

    def tokens_for_loss(self, params: Params, N: Any, loss: Any) -> np.ndarray:
        """The closed-form tokens ``D`` at which ``N`` parameters reach ``loss`` (NaN where they never do).

        >>> from lawfit.laws import get_law
        >>> p = {"E": 1.7, "A": 400.0, "B": 400.0, "alpha": 0.5, "beta": 0.5}
        >>> f"{float(get_law('chinchilla').tokens_for_loss(p, 1e10, 1.708)):.6g}"
        '1e+10'
        """
        closed = self.closed_forms.tokens_for_loss
        if closed is None:
            raise LawfitError(f"Law {self.name} declares no closed-form tokens for a loss; solve for them numerically.")
        with np.errstate(all="ignore"):
            d = closed(self._param_arrays(params), np.asarray(N, dtype=np.float64), np.asarray(loss, dtype=np.float64))
        return np.asarray(d, dtype=np.float64)

    def _param_arrays(self, params: Params) -> dict[str, np.ndarray]:
        missing = [name for name in self.param_names if name not in params]
        if missing:
            raise LawfitError(f"Law {self.name} needs parameters {list(self.param_names)}; missing {missing}.")
        return {name: np.asarray(params[name], dtype=np.float64) for name in self.param_names}

    def predict(self, params: Params, **inputs: Any) -> np.ndarray:
        """Evaluate the law at ``inputs`` (arrays in natural units) with ``params`` (name -> value)."""
        missing = [x for x in self.inputs if x not in inputs]
        if missing:
            raise LawfitError(f"Law {self.name} needs inputs {list(self.inputs)}; missing {missing}.")
        arrays = {k: np.asarray(inputs[k], dtype=np.float64) for k in self.inputs}
        values = {k: np.asarray(params[k], dtype=np.float64) for k in self.param_names}
        return evaluate(self.fn, values, arrays)


def evaluate(fn: Callable[[Params, Inputs], Any], params: Params, inputs: Inputs) -> np.ndarray:
    """``fn(params, inputs)`` in numpy (float64; no floating-point warnings), for numpy ``params`` and ``inputs``
    that broadcast together: a built-in law or a formula then runs without JAX (a law written in JAX still runs).

    >>> from lawfit.laws import get_law
    >>> law = get_law("power", x="N")
    >>> evaluate(law.fn, {"E": 1.0, "A": np.array([[1.0], [2.0]]), "alpha": 1.0}, {"N": np.array([1.0, 2.0])})
    array([[2. , 1.5],
           [3. , 2. ]])
    """
    with np.errstate(all="ignore"):
        return np.asarray(fn(params, inputs), dtype=np.float64)
