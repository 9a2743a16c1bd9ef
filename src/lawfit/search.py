"""The global search: start grid -> every start scored at once -> the promising kept -> batched local polish.

All of it runs in one compiled JAX function per law shape (float64, ``vmap`` over starts, optimistix BFGS for the
local steps). Stages:

1. score every start of the grid in one batched evaluation;
2. *explore*: take the ``n_explore`` best starts and run a few BFGS steps from each, batched;
3. *polish*: take the ``n_polish`` best of those and run BFGS to convergence, batched;
4. keep the best, and report how many polished starts reached the same optimum.

Bounds are kept exactly with a clipped objective plus a quadratic pull back into the box: ``f(clip(z)) +
mu * |z - clip(z)|**2`` has the same minimum as ``f`` on the box, and its minimiser, clipped, is the answer.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._checks import Integer, Real, check
from ._progress import Progress
from .errors import LawfitError
from .laws._base import Law
from .objectives import Objective

__all__ = ["Refits", "SearchOptions", "SearchResult", "refit", "search", "search_many"]

_BOUND_PULL = 1e2  # weight of the pull back into the box; any positive value keeps the constrained minimum


@dataclass(frozen=True)
class SearchOptions:
    """Settings of the global search.

    Parameters
    ----------
    n_explore : int
        How many of the best grid starts get a short run of BFGS steps.
    explore_steps : int
        How many BFGS steps each explored start gets.
    n_polish : int
        How many of the best explored points are polished to convergence.
    max_steps : int
        Step limit of the polish; a start that reaches it has not converged.
    rtol, atol : float
        Convergence tolerances on successive parameter vectors and objective values (optimistix's Cauchy test).
    agree_rtol : float
        Two polished optima whose objectives differ by less than this (relative) count as the same optimum.

    Examples
    --------
    >>> SearchOptions(n_polish=4).n_explore
    64
    """

    n_explore: int = 64
    explore_steps: int = 40
    n_polish: int = 8
    max_steps: int = 2000
    rtol: float = 1e-10
    atol: float = 1e-14
    agree_rtol: float = 1e-6

    def __post_init__(self) -> None:
        for name in ("n_explore", "explore_steps", "n_polish", "max_steps"):
            object.__setattr__(self, name, check(getattr(self, name), Integer(1), name, "SearchOptions"))
        for name in ("rtol", "atol", "agree_rtol"):
            object.__setattr__(self, name, check(getattr(self, name), Real(0, 1, "left"), name, "SearchOptions"))


@dataclass(frozen=True)
class SearchResult:
    """What the search found, in natural units, and how much to trust it."""

    params: dict[str, float]
    objective: float
    converged: bool
    message: str
    n_starts: int
    n_polished: int
    n_agree: int
    steps: int
    gradient_norm: float
    at_bounds: tuple[str, ...]
    hessian: np.ndarray | None = None  # of the objective at the optimum, in the search space


# ---------------------------------------------------------------------------------------------------------------
# The compiled pieces


def transforms(law: Law) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    log_mask = law.log_mask
    bounds = np.array([p.internal_bounds for p in law.params], dtype=np.float64)
    return log_mask, bounds[:, 0], bounds[:, 1]


def make_internal_objective(law: Law, objective: Objective) -> Callable[..., Any]:
    """``f(z, data) -> scalar``: the objective in the search space (log for log-scale parameters), bounds kept."""
    from ._jax import jnp

    log_mask, lower, upper = transforms(law)
    names = law.param_names
    inputs_order = law.inputs

    def natural(z: Any) -> dict[str, Any]:
        values = jnp.where(log_mask, jnp.exp(z), z)
        return {name: values[i] for i, name in enumerate(names)}

    def f(z: Any, data: tuple[Any, ...]) -> Any:
        columns, y, w = data
        inputs = dict(zip(inputs_order, columns, strict=True))
        clipped = jnp.clip(z, lower, upper)
        value = objective(law, natural(clipped), inputs, y, w)
        value = jnp.where(jnp.isfinite(value), value, jnp.inf)
        return value + _BOUND_PULL * jnp.sum(jnp.square(z - clipped))

    return f


def _solve_batch(
    f: Callable[..., Any],
    starts: Any,
    data: Any,
    *,
    steps: int,
    rtol: float,
    atol: float,
    data_axes: Any = None,
    batch_size: int | None = None,
) -> Any:
    """BFGS from each start (a batch), at most ``steps`` steps; returns (z, f(z), ok, steps).

    ``data_axes`` batches the data too (``vmap``'s ``in_axes``), e.g. one weight vector per start for a bootstrap.
    ``batch_size`` bounds how many starts run side by side (the rest wait their turn, ``lax.map``), which bounds the
    memory: each start in flight holds a few arrays the size of the data.
    """
    import optimistix as optx

    from ._jax import jax

    solver = optx.BFGS(rtol=rtol, atol=atol)

    def one(z0: Any, data: Any) -> Any:
        sol = optx.minimise(f, solver, z0, args=data, max_steps=steps, throw=False)
        value = f(sol.value, data)
        ok = sol.result == optx.RESULTS.successful
        return sol.value, value, ok, sol.stats["num_steps"]

    n = starts.shape[0]
    if batch_size is None or batch_size >= n:
        return jax.vmap(one, in_axes=(0, data_axes))(starts, data)
    if data_axes is not None:
        raise ValueError("batched data is solved in one vmap; pass batch_size=None")  # pragma: no cover
    return jax.lax.map(lambda z0: one(z0, data), starts, batch_size=batch_size)


#: Bytes that the search may hold at once for the starts in flight (``$LAWFIT_MEMORY_MB`` overrides, in MB). The
#: data themselves come on top; 1,000,000 runs take 8 MB per column.
def _memory_budget() -> int:
    try:
        megabytes = float(os.environ.get("LAWFIT_MEMORY_MB", "256"))
    except ValueError:
        megabytes = 256.0  # an unreadable setting: the default rather than a failure at import
    return int(min(max(megabytes, 16.0), 2.0**20) * 2**20)


MEMORY_BUDGET = _memory_budget()
# Bytes per (start, row) while a start is evaluated: the law's intermediate arrays (a few per term) in float64,
# doubled for the gradient's saved values. Measured on the built-in laws (peak memory of the 100k-row search);
# an over-estimate only makes the batches smaller.
_VALUE_BYTES = 16 * 8
_GRADIENT_BYTES = 48 * 8


def _in_flight(n_rows: int, bytes_per_row: int, cap: int, *, copies: int = 1) -> int:
    """How many starts to run side by side so that ``copies`` searches on ``n_rows`` rows stay within
    :data:`MEMORY_BUDGET`: ``cap`` when all fit, else a power of two (few compiled shapes), at least 1.

    >>> _in_flight(256, _VALUE_BYTES, 4096), _in_flight(1 << 20, _GRADIENT_BYTES, 64)
    (4096, 1)
    """
    fits = MEMORY_BUDGET // max(1, n_rows * bytes_per_row * copies)
    if fits >= cap:
        return int(cap)
    return 1 << max(0, int(fits).bit_length() - 1)


def _newton(f: Callable[..., Any], grad: Callable[..., Any], z: Any, value: Any, data: Any, *, steps: int = 2) -> Any:
    """A few Newton steps from BFGS's answer: BFGS stops when its steps get small, which on an ill-conditioned
    objective leaves the parameters off the optimum by up to ``rtol`` times the condition number; Newton steps with the
    exact Hessian take them to it, so that the answer does not depend on the path (the starts, the scale of the
    weights). A step is kept only when it lowers the gradient without raising the objective beyond rounding."""
    from ._jax import jax, jnp

    hessian = jax.hessian(f)

    def one(_: Any, state: Any) -> Any:
        z, value = state
        g = grad(z, data)
        step = jnp.linalg.solve(hessian(z, data), g)
        trial = z - step
        trial_value = f(trial, data)
        better = (
            jnp.all(jnp.isfinite(step))
            & jnp.isfinite(trial_value)
            & (trial_value <= value + 1e-13 * jnp.abs(value))
            & (jnp.linalg.norm(grad(trial, data)) < jnp.linalg.norm(g))
        )
        return jnp.where(better, trial, z), jnp.where(better, jnp.minimum(trial_value, value), value)

    return jax.lax.fori_loop(0, steps, one, (z, value))


def _program(law: Law, objective: Objective, options: SearchOptions, *, copies: int = 1) -> Callable[..., Any]:
    """The search as a pure function ``run(grid, data)`` (not yet compiled); ``copies`` searches run side by side
    (a ``vmap`` around it), which the memory budget of the batches accounts for."""
    from ._jax import jax, jnp

    f = make_internal_objective(law, objective)
    grad = jax.grad(f)
    _, lower, upper = transforms(law)

    def run(grid: Any, data: Any) -> dict[str, Any]:
        n_starts = grid.shape[0]
        n_rows = data[1].shape[0]
        scores = jax.lax.map(
            lambda z: f(z, data), grid, batch_size=_in_flight(n_rows, _VALUE_BYTES, n_starts, copies=copies)
        )
        scores = jnp.where(jnp.isfinite(scores), scores, jnp.inf)
        _, keep = jax.lax.top_k(-scores, min(options.n_explore, n_starts))
        solving = _in_flight(n_rows, _GRADIENT_BYTES, options.n_explore, copies=copies)
        z1, f1, _, _ = _solve_batch(
            f,
            grid[keep],
            data,
            steps=options.explore_steps,
            rtol=options.rtol,
            atol=options.atol,
            batch_size=solving,
        )
        f1 = jnp.where(jnp.isfinite(f1), f1, jnp.inf)
        _, best = jax.lax.top_k(-f1, min(options.n_polish, z1.shape[0]))
        z2, f2, ok, steps = _solve_batch(
            f, z1[best], data, steps=options.max_steps, rtol=options.rtol, atol=options.atol, batch_size=solving
        )
        f2 = jnp.where(jnp.isfinite(f2), f2, jnp.inf)
        i = jnp.argmin(f2)
        z, best_value = _newton(f, grad, z2[i], f2[i], data)
        return {
            "z": jnp.clip(z, lower, upper),
            "objective": best_value,
            "polished": f2,
            "ok": ok[i],
            "steps": steps[i],
            "gradient_norm": jnp.linalg.norm(grad(z, data)),
            "hessian": jax.hessian(f)(z, data),
            "best_grid_score": scores.min(),
        }

    return run


def _build(law: Law, objective: Objective, options: SearchOptions) -> Callable[..., Any]:
    from ._jax import jax

    return jax.jit(_program(law, objective, options))


def _build_many(law: Law, objective: Objective, options: SearchOptions) -> Callable[..., Any]:
    from ._jax import jax

    # One search per weight vector, batched: the starts and the data are shared, the weights differ.
    def run_many(grid: Any, data: Any) -> Any:
        copies = data[2].shape[0]
        program = _program(law, objective, options, copies=copies)
        return jax.vmap(program, in_axes=(None, (None, None, 0)))(grid, data)

    return jax.jit(run_many)


#: Compiled programs kept in memory, least recently used dropped first: each holds machine code and its memory
#: mappings, so a long session that fits many laws and shapes must not keep them all (the disk cache has them).
MAX_PROGRAMS_IN_MEMORY = 128
_COMPILED: OrderedDict[tuple[Any, ...], Callable[..., Any]] = OrderedDict()


def compiled(
    build: Callable[[Law, Objective, SearchOptions], Callable[..., Any]],
    law: Law,
    objective: Objective,
    options: SearchOptions,
    *args: Any,
) -> Callable[..., Any]:
    """The compiled program ``build(law, objective, options)`` for these argument shapes, from memory, from disk, or
    traced afresh.

    Tracing a search through optimistix costs about a second, more than the search itself; so the traced program is
    exported (``jax.export``) to the user's cache folder, and a later process loads it instead of tracing again.
    XLA's own persistent cache then spares the compilation.
    """
    from ._jax import jax

    shapes = jax.tree_util.tree_map(lambda a: jax.ShapeDtypeStruct(np.shape(a), np.asarray(a).dtype), args)
    key = (build.__name__, law.key, objective, options, str(shapes), MEMORY_BUDGET)
    if key in _COMPILED:
        _COMPILED.move_to_end(key)
        return _COMPILED[key]
    path = _export_path(law, key)
    exported = _load_exported(path) if path is not None else None
    if exported is None:
        exported = jax.export.export(build(law, objective, options))(*shapes)
        if path is not None:
            _save_exported(path, exported)
    _COMPILED[key] = program = jax.jit(exported.call)
    while len(_COMPILED) > MAX_PROGRAMS_IN_MEMORY:
        _COMPILED.popitem(last=False)
    return program


def _export_path(law: Law, key: tuple[Any, ...]) -> Path | None:
    """Where the program of ``key`` is exported: a file named by the SHA-256 of the key (and of the versions of
    lawfit, its source and JAX) in the private cache folder; None without a disk cache to trust (see
    :mod:`lawfit._jax`)."""
    from ._jax import cache_folder, jax, quiet_jax_cache_warnings
    from ._version import __version__

    quiet_jax_cache_warnings()  # again before each compilation: a catch_warnings block may have dropped the filters
    # A law without a spec is a Python function of the user's: its identity does not survive the process.
    if not law.spec:
        return None
    folder = cache_folder("searches")
    if folder is None:
        return None
    digest = _sha256(repr((key, __version__, _source_fingerprint(), jax.__version__)).encode())
    return folder / f"{digest.hexdigest()}.jaxexport"


# An exported entry is this header, the SHA-256 of its key (its file name) and of the payload, then the payload (the
# serialised program): a file that is cut short, damaged, or copied under another key's name does not match.
_EXPORT_MAGIC = b"lawfit-export/1\n"
_HEADER = len(_EXPORT_MAGIC) + 64


_FINGERPRINT: list[str] = []


def _sha256(data: bytes = b"") -> Any:
    """A SHA-256 hash object of ``data``; hashlib (OpenSSL, a few ms to load) is imported only by a search that
    caches, not by the verbs that read a saved fit."""
    import hashlib

    return hashlib.sha256(data)


def _source_fingerprint() -> str:
    """A hash of lawfit's own source, so that an exported program never outlives the code that traced it."""
    if not _FINGERPRINT:
        digest = _sha256()
        for path in sorted(Path(__file__).parent.rglob("*.py")):
            digest.update(path.read_bytes())
        _FINGERPRINT.append(digest.hexdigest())
    return _FINGERPRINT[0]


def _load_exported(path: Path) -> Any:
    """The program exported to ``path`` if the file is whole and was made for the key its name says, else None
    (the program is then traced afresh, and the file overwritten)."""
    from ._jax import jax

    try:
        key = bytes.fromhex(path.stem)
        with open(path, "rb") as file:
            blob = file.read()
    except (OSError, ValueError):  # no such entry yet, or a name that is no key
        return None
    payload = blob[_HEADER:]
    if (
        len(blob) <= _HEADER
        or not blob.startswith(_EXPORT_MAGIC)
        or blob[len(_EXPORT_MAGIC) : len(_EXPORT_MAGIC) + 32] != key
        or blob[len(_EXPORT_MAGIC) + 32 : _HEADER] != _sha256(payload).digest()
    ):
        return None
    try:
        return jax.export.deserialize(bytearray(payload))
    except Exception:  # written by a JAX that serialises differently: trace afresh
        return None


def _save_exported(path: Path, exported: Any) -> None:
    """Write ``exported`` to ``path`` with its header (see :func:`_load_exported`), atomically, readable by the user
    alone."""
    partial = path.with_suffix(f".{os.getpid()}.partial")
    try:
        payload = bytes(exported.serialize())
        blob = _EXPORT_MAGIC + bytes.fromhex(path.stem) + _sha256(payload).digest() + payload
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(partial, flags, 0o600), "wb") as file:
            file.write(blob)
        os.replace(partial, path)
    except (OSError, ImportError, ValueError):
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass
        # a read-only cache folder (or no serialiser) only costs the next process a trace


def _padded_size(n: int) -> int:
    # Data are padded (with zero weight) to a few sizes so that fits of similar data share one compilation.
    return max(32, 1 << (n - 1).bit_length())


def _padded_rows(n: int) -> int:
    # The searches of one batched program are padded (copies of the first) to 5, 10, 20, ... rows: nested back-tests
    # make 1 + (1 to 4 cuts) rows per weighting, so one program serves every number of cuts, and padding costs work
    # only when the runs allow fewer than 4 cuts, which is when they are few.
    rows = 5
    while rows < n:
        rows *= 2
    return rows


def unit_weights(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights divided by their mean over the runs with weight > 0 (per row of a 2-D array), and those means.

    The search runs on unit-mean weights, so that its convergence tests (absolute tolerances on the objective) and
    its first BFGS steps do not depend on the scale the user gave the weights in; results are then the same for
    weights ``w`` and ``1e9 * w``. Multiply the objective (and its derivatives) by the mean to undo it.

    >>> w, mean = unit_weights(np.array([2.0, 0.0, 4.0]))
    >>> np.round(w, 6).tolist(), float(mean)
    ([0.666667, 0.0, 1.333333], 3.0)
    """
    w = np.asarray(weights, dtype=np.float64)
    positive = np.count_nonzero(w > 0, axis=-1)
    mean = np.sum(w, axis=-1) / np.maximum(positive, 1)
    mean = np.where(mean > 0, mean, 1.0)
    return w / np.expand_dims(mean, -1), mean


def pack_data(
    law: Law, inputs: Mapping[str, np.ndarray], y: np.ndarray, weights: np.ndarray
) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """Inputs, targets and weights as float64 arrays padded to a shared size with zero-weight copies of row 0."""
    n = len(y)
    size = _padded_size(n)
    take = np.concatenate([np.arange(n), np.zeros(size - n, dtype=int)])
    w = np.asarray(weights, dtype=np.float64)[take]
    w[n:] = 0.0
    columns = tuple(np.asarray(inputs[name], dtype=np.float64)[take] for name in law.inputs)
    return columns, np.asarray(y, dtype=np.float64)[take], w


# ---------------------------------------------------------------------------------------------------------------
# The entry point


def search(
    law: Law,
    objective: Objective,
    inputs: Mapping[str, np.ndarray],
    y: np.ndarray,
    weights: np.ndarray,
    *,
    grid: np.ndarray | None = None,
    options: SearchOptions | None = None,
) -> SearchResult:
    """Find the best optimum of ``objective`` for ``law`` on the data, from the law's start grid (or ``grid``).

    ``grid`` is in natural units, shape ``(n_starts, n_params)``; starts outside the bounds are clipped into them.

    Examples
    --------
    >>> import numpy as np
    >>> from lawfit.laws import power
    >>> n = np.logspace(6, 9, 12)
    >>> result = search(power("N"), Objective("mse-log"), {"N": n}, 2.0 + 300 * n**-0.3, np.ones(12))
    >>> round(result.params["alpha"], 6), result.converged
    (0.3, True)
    """
    from ._jax import jax

    options = options or SearchOptions()
    internal = _internal_grid(law, inputs, y, grid)
    unit, mean = unit_weights(weights)
    data = pack_data(law, inputs, y, unit)
    out = jax.device_get(compiled(_build, law, objective, options, internal, data)(internal, data))
    return _summarise(law, options, _rescaled(out, float(mean)), n_starts=internal.shape[0])


def search_many(
    law: Law,
    objective: Objective,
    inputs: Mapping[str, np.ndarray],
    y: np.ndarray,
    weights: np.ndarray,
    *,
    grid: np.ndarray | None = None,
    options: SearchOptions | None = None,
) -> list[SearchResult]:
    """:func:`search` once per row of ``weights`` (shape ``(n_searches, n_points)``), as one batched program.

    A run left out of one search (a back-test's held-out runs) has weight 0 in its row, so every search shares one
    data shape and one compilation. A law's guessed start comes from the runs that every search sees, so that no
    search starts from what its held-out runs say.

    Examples
    --------
    >>> import numpy as np
    >>> from lawfit.laws import power
    >>> n = np.logspace(6, 9, 12)
    >>> w = np.ones((2, 12)); w[1, 8:] = 0.0
    >>> [round(r.params["alpha"], 6) for r in search_many(power("N"), Objective("mse-log"), {"N": n},
    ...                                                     2.0 + 300 * n**-0.3, w)]
    [0.3, 0.3]
    """
    from ._jax import jax

    options = options or SearchOptions()
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    seen = np.all(weights > 0, axis=0)
    if grid is None and law.guess is not None and not seen.any():
        grid = law.start_grid()  # no run is common to all searches: start from the law's grid alone
    seen_inputs = {k: np.asarray(v)[seen] for k, v in inputs.items()}
    internal = _internal_grid(law, seen_inputs, np.asarray(y)[seen], grid)
    unit, means = unit_weights(weights)
    columns, y_packed, w0 = pack_data(law, inputs, y, unit[0])
    padded = np.zeros((_padded_rows(weights.shape[0]), w0.size))
    padded[: weights.shape[0], : weights.shape[1]] = unit
    padded[weights.shape[0] :] = padded[0]  # spare searches, discarded: they repeat the first
    data = (columns, y_packed, padded)
    out = jax.device_get(compiled(_build_many, law, objective, options, internal, data)(internal, data))
    return [
        _summarise(
            law, options, _rescaled({k: v[i] for k, v in out.items()}, float(means[i])), n_starts=internal.shape[0]
        )
        for i in range(weights.shape[0])
    ]


def _rescaled(out: Mapping[str, Any], mean: float) -> dict[str, Any]:
    """A search's output on unit-mean weights, in the scale of the weights as given (see :func:`unit_weights`)."""
    scaled = dict(out)
    for name in ("objective", "polished", "gradient_norm", "hessian", "best_grid_score"):
        scaled[name] = np.asarray(out[name], dtype=np.float64) * mean
    return scaled


def _internal_grid(law: Law, inputs: Mapping[str, np.ndarray], y: np.ndarray, grid: np.ndarray | None) -> np.ndarray:
    """The start grid in the search space (log for log-scale parameters), clipped into the bounds."""
    if grid is None:
        grid = law.start_grid()
        if law.guess is not None:
            grid = np.vstack([grid, law.guess(inputs, np.asarray(y, dtype=np.float64))])
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim != 2 or grid.shape[1] != len(law.params) or grid.shape[0] == 0:
        raise LawfitError(
            f"The start grid of law {law.name} must have shape (n_starts, {len(law.params)}). Got {grid.shape} instead."
        )
    log_mask, lower, upper = transforms(law)
    with np.errstate(divide="ignore", invalid="ignore"):
        internal = np.where(log_mask, np.log(np.where(log_mask, np.maximum(grid, 0.0), 1.0)), grid)
    return np.clip(internal, np.maximum(lower, -700.0), np.minimum(upper, 700.0))


def _summarise(law: Law, options: SearchOptions, out: Mapping[str, Any], *, n_starts: int) -> SearchResult:
    z = np.asarray(out["z"], dtype=np.float64)
    log_mask, lower, upper = transforms(law)
    values = np.where(log_mask, np.exp(z), z)
    params = {p.name: float(v) for p, v in zip(law.params, values, strict=True)}
    best = float(out["objective"])
    polished = np.asarray(out["polished"], dtype=np.float64)
    tolerance = options.agree_rtol * abs(best) + 1e-300
    n_agree = int(np.sum(np.abs(polished - best) <= tolerance))
    n_polished = len(polished)
    steps = int(out["steps"])
    grad_norm = float(out["gradient_norm"])
    width = upper - lower
    span = np.where(np.isfinite(width), np.maximum(width, 1.0), 1.0)
    at_bounds = tuple(
        p.name
        for p, zi, lo, hi, s in zip(law.params, z, lower, upper, span, strict=True)
        if (math.isfinite(lo) and zi - lo <= 1e-9 * s) or (math.isfinite(hi) and hi - zi <= 1e-9 * s)
    )

    if not math.isfinite(best):
        return SearchResult(
            params,
            best,
            False,
            (
                "did not converge: the objective is not finite at any polished start; check that the law can "
                "produce the observed losses (positive, finite) and widen the start grid"
            ),
            n_starts,
            n_polished,
            0,
            steps,
            grad_norm,
            at_bounds,
        )
    converged = bool(out["ok"])
    agreement = (
        f"{n_agree} of {n_polished} polished starts reached this optimum (objective within {options.agree_rtol:g})"
    )
    if converged:
        message = f"converged in {steps} BFGS steps; {agreement}"
        if n_agree == 1 and n_polished > 1:
            message += "; only one start found it, so a wider start grid may find a better optimum"
    else:
        message = (
            f"did not converge: the best start reached the {options.max_steps}-step limit with gradient norm "
            f"{grad_norm:.3g}; {agreement}. Raise max_steps or check the law for flat directions"
        )
    if at_bounds:
        message += f"; at a bound: {', '.join(at_bounds)}"
    hessian = np.asarray(out["hessian"], dtype=np.float64)
    return SearchResult(
        params, best, converged, message, n_starts, n_polished, n_agree, steps, grad_norm, at_bounds, hessian
    )


# ---------------------------------------------------------------------------------------------------------------
# Warm-started refits, batched over weight vectors (the bootstrap)


@dataclass(frozen=True)
class Refits:
    """A batch of refits: one parameter vector (natural units), objective and convergence flag per weight vector."""

    draws: np.ndarray
    objectives: np.ndarray
    converged: np.ndarray


def _build_refit(law: Law, objective: Objective, options: SearchOptions) -> Callable[..., Any]:
    from ._jax import jax, jnp

    f = make_internal_objective(law, objective)
    _, lower, upper = transforms(law)

    def run(z0: Any, columns: Any, y: Any, weights: Any) -> Any:
        starts = jnp.broadcast_to(z0, (weights.shape[0], z0.shape[0]))
        z, value, ok, _ = _solve_batch(
            f,
            starts,
            (columns, y, weights),
            steps=options.max_steps,
            rtol=options.rtol,
            atol=options.atol,
            data_axes=(None, None, 0),
        )
        return jnp.clip(z, lower, upper), value, ok

    return jax.jit(run)


# The fewest refits a compiled refit program runs side by side (see :func:`refit`).
_MIN_REFIT_WIDTH = 16


def refit(
    law: Law,
    objective: Objective,
    start: Mapping[str, float],
    inputs: Mapping[str, np.ndarray],
    y: np.ndarray,
    weights: np.ndarray | Callable[[int], np.ndarray],
    *,
    n_refits: int | None = None,
    options: SearchOptions | None = None,
    batch_size: int = 1000,
    label: str = "refits",
) -> Refits:
    """Refit ``law`` once per row of ``weights`` (shape ``(n_refits, n_points)``), each from ``start``, batched.

    A resample of the runs is a weight vector (how often each run was drawn), so a bootstrap is one call. ``weights``
    may also be a function ``rows(k)`` giving the next ``k`` weight vectors, with ``n_refits`` the total: the weights
    of all refits are then never held at once. At most ``batch_size`` refits run side by side, fewer when the data
    are large (:data:`MEMORY_BUDGET`). A progress bar named ``label`` shows on a terminal once the refits take more
    than a second.
    """
    from ._jax import jax

    options = options or SearchOptions()
    if callable(weights):
        if n_refits is None:
            raise LawfitError("refit needs n_refits when the weights come from a function.")
        next_rows = weights
    else:
        matrix = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        n_refits = matrix.shape[0]
        taken = [0]

        def next_rows(k: int) -> np.ndarray:
            rows = matrix[taken[0] : taken[0] + k]
            taken[0] += k
            return rows

    log_mask, _, _ = transforms(law)
    z0 = np.array([math.log(start[p.name]) if m else start[p.name] for p, m in zip(law.params, log_mask, strict=True)])
    columns, y_packed, _ = pack_data(law, inputs, y, np.ones(len(y)))
    size = y_packed.size
    cap = min(batch_size, _in_flight(size, _GRADIENT_BYTES + 8, batch_size))
    batch = min(cap, n_refits)
    # Every chunk is padded (with copies of its last row, whose results are dropped) to a shared width: the next power
    # of two, at least 16, at most the cap. A handful of compiled programs then serve every number of refits (10, 20,
    # 50, ... resamples), and the last, shorter chunk reuses the full chunks' program.
    width = min(cap, max(_MIN_REFIT_WIDTH, 1 << (batch - 1).bit_length()))
    draws, values, ok = [], [], []
    bar = Progress(n_refits, label)
    for lo in range(0, n_refits, batch):
        take = min(batch, n_refits - lo)
        unit, means = unit_weights(next_rows(take))
        chunk = np.zeros((width, size))
        chunk[:take, : unit.shape[1]] = unit
        chunk[take:] = chunk[take - 1]
        args = (z0, columns, y_packed, chunk)
        z, value, flag = jax.device_get(compiled(_build_refit, law, objective, options, *args)(*args))
        draws.append(z[:take]), values.append(value[:take] * means), ok.append(flag[:take])
        bar.update(take)
    bar.close()
    z = np.concatenate(draws)
    return Refits(np.where(log_mask, np.exp(z), z), np.concatenate(values), np.concatenate(ok).astype(bool))
