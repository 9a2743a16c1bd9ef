"""The curve laws' search: solved starts, then Levenberg-Marquardt, batched over weight vectors.

A curve fit's objective is a sum over logged losses (Huber or squares of log residuals), so it is a least-squares
problem: ``sum_i w_i rho(r_i) = 1/2 sum_i s_i**2`` with the pseudo-residual ``s_i = sqrt(w_i) sign(r_i)
sqrt(2 rho(r_i))`` (``s_i = sqrt(w_i) r_i`` inside Huber's quadratic zone). Levenberg-Marquardt uses that structure:
one Jacobian (a column per parameter) per step, and it converges in tens of steps where BFGS on the sum takes
hundreds. The rest of the savings:

- *Solved starts.* The curve laws are linear in their scale parameters (``L0, A, B`` of multipower, ``L0, A, C`` of
  annealing), so the start grid spans only the others (exponents and ``C``) and, for each of their combinations,
  the scale parameters are solved by weighted linear least squares on relative residuals (equal to log residuals to
  first order): 36 evaluations of the multi-power sum instead of 648, and starts already close to a valley floor.
- *Two stages.* The search runs on a coarse compression of the multi-power sum (:data:`COARSE_RATIO`, about a sixth
  of the blocks); its best point is then polished on the fitting compression, which takes a few steps from so close.
- *Batches.* One compiled program fits many weight vectors (leave-one-schedule-out, back-test cuts, the
  bootstrap): a curve left out has weight 0, so every fit shares the features, one data shape and one compilation.
  The fits run one after the other inside it (``lax.map``, not ``vmap``), so that each stops when it converges
  instead of running as long as the slowest of the batch.

Bounds are kept as in :mod:`lawfit.search`: parameters are clipped into the box and pulled back by a quadratic
penalty, here two extra residuals per parameter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..laws import Law
from ..objectives import Objective
from ..search import SearchOptions, compiled, pack_data, transforms

__all__ = ["Solution", "fit_batch", "polish_batch"]

_BOUND_PULL = 1e2  # weight of the pull back into the box, as in lawfit.search
_COARSE_RTOL = 1e-6  # convergence of the first stage of a two-stage fit

# The parameters each built-in curve law is linear in, in natural units (looked up by the law's builtin name, so a
# law with some of them held by Law.fix keeps the rest).
LINEAR = {"multipower": ("L0", "A", "B"), "multipower_fixed": ("L0", "A", "B"), "annealing": ("L0", "A", "C")}


@dataclass(frozen=True)
class Solution:
    """One fit of a batch: natural-unit parameters, objective, and how the search ended."""

    params: dict[str, float]
    objective: float
    converged: bool
    steps: int
    polished: np.ndarray  # the objectives the polished starts reached (in the first stage)


def _residual_fn(law: Law, objective: Objective) -> Callable[..., Any]:
    """``residual(z, columns, y, sqrt_w) -> s``: pseudo-residuals whose half sum of squares is the objective."""
    from .._jax import jnp

    log_mask, lower, upper = transforms(law)
    names, inputs_order = law.param_names, law.inputs
    pull = math.sqrt(2.0 * _BOUND_PULL)
    delta = objective.delta

    def residual(z: Any, columns: Any, y: Any, sqrt_w: Any) -> Any:
        clipped = jnp.clip(z, lower, upper)
        values = jnp.where(log_mask, jnp.exp(clipped), clipped)
        params = {name: values[i] for i, name in enumerate(names)}
        inputs = dict(zip(inputs_order, columns, strict=True))
        if objective.loss == "mse":
            r = y - law.fn(params, inputs)
        else:
            r = jnp.log(y) - law.log_fn(params, inputs)
        if objective.loss == "huber":
            a = jnp.abs(r)
            # sqrt(2*delta*|r| - delta^2): the floor keeps the branch that is not taken (and its gradient) finite.
            outer = jnp.sign(r) * jnp.sqrt(jnp.maximum(2.0 * delta * a - delta * delta, delta * delta))
            r = jnp.where(a <= delta, r, outer)
        s = jnp.where(sqrt_w > 0, sqrt_w * r, 0.0)  # padding rows (weight 0) never turn a NaN into the sum
        return jnp.concatenate([s, pull * (z - clipped)])

    return residual


def _cost(r: Any) -> Any:
    from .._jax import jnp

    c = 0.5 * jnp.sum(r * r)
    return jnp.where(jnp.isfinite(c), c, jnp.inf)


def _levenberg_marquardt(residual: Callable[..., Any], max_steps: int, rtol: float) -> Callable[..., Any]:
    """``solve(z0, *args) -> (z, cost, converged, steps)``: Levenberg-Marquardt with Nielsen's damping updates.

    Each step evaluates the residuals and their Jacobian once, at the trial point the previous step proposed (the
    first at ``z0``), keeps it if it lowers the cost, and proposes the next trial from the best point so far. So
    the loop holds one evaluation of the law (to compile, and to run), where the textbook order needs two.

    Converged (as MINPACK's ``ftol`` test) when a step with little damping lowers the cost by at most ``rtol``
    relative and the model predicted no more; also stops (converged, at a minimum to the precision of float64) when
    the damping has grown so large that no step lowers the cost.
    """
    from .._jax import jax, jnp

    def solve(z0: Any, *args: Any) -> Any:
        p = z0.shape[0]
        eye = jnp.eye(p)

        def evaluate(z: Any) -> tuple[Any, Any]:
            r, linear = jax.linearize(lambda v: residual(v, *args), z)
            return r, jax.vmap(linear, out_axes=1)(eye)

        def body(state: Any) -> Any:
            (z, r, jac, cost), trial, predicted, lam, nu, k, _, _ = state
            r_trial, jac_trial = evaluate(trial)
            trial_cost = _cost(r_trial)
            first = k == 0
            actual = cost - trial_cost
            accept = jnp.isfinite(trial_cost) & (first | (actual > 0))
            rho = jnp.where(first, 1.0, actual / jnp.where(predicted > 0, predicted, jnp.inf))
            damped = jnp.where(accept, lam * jnp.maximum(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3), lam * nu)
            lam = jnp.where(first, lam, damped)
            nu = jnp.where(accept, 2.0, 2.0 * nu)
            # Converged when a near-Gauss-Newton step (little damping) gained, and expected to gain, almost nothing.
            small = (~first) & (jnp.abs(actual) <= rtol * cost) & (predicted <= rtol * cost) & (rho <= 2.0)
            converged = small & (lam < 1.0) & (accept | (predicted <= 1e-2 * rtol * cost))
            stuck = lam > 1e16
            failed = first & ~jnp.isfinite(trial_cost)  # no finite cost at the start: nothing to improve on
            best = tuple(
                jnp.where(accept, new, old)
                for new, old in zip((trial, r_trial, jac_trial, trial_cost), (z, r, jac, cost), strict=True)
            )
            z, r, jac, cost = best
            g = jac.T @ r
            h = jac.T @ jac
            scale = jnp.maximum(jnp.diag(h), 1e-12 * jnp.max(jnp.diag(h)) + 1e-300)
            step = jnp.linalg.solve(h + lam * jnp.diag(scale), -g)
            predicted = -(g @ step + 0.5 * step @ h @ step)
            done = converged | stuck | failed
            ok = converged | (stuck & jnp.isfinite(cost))
            return best, z + step, predicted, lam, nu, k + 1, done, ok

        def cond(state: Any) -> Any:
            return (~state[6]) & (state[5] < max_steps)

        n = jax.eval_shape(lambda v: residual(v, *args), z0).shape[0]
        best = (z0, jnp.zeros(n), jnp.zeros((n, p)), jnp.asarray(jnp.inf))
        state = (best, z0, jnp.asarray(jnp.inf), jnp.asarray(1e-3), jnp.asarray(2.0), 0, False, False)
        (z, _, _, cost), _, _, _, _, k, _, ok = jax.lax.while_loop(cond, body, state)
        return z, cost, ok, k

    return solve


def _natural(law: Law, z: np.ndarray) -> np.ndarray:
    log_mask, lower, upper = transforms(law)
    z = np.clip(z, lower, upper)
    return np.where(log_mask, np.exp(z), z)


def _internal(law: Law, values: np.ndarray) -> np.ndarray:
    log_mask, lower, upper = transforms(law)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(log_mask, np.log(np.where(log_mask, np.maximum(values, 1e-300), 1.0)), values)
    return np.clip(z, np.maximum(lower, -700.0), np.minimum(upper, 700.0))


def split_params(law: Law) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the law's linear and other parameters."""
    linear = set(LINEAR.get(str(law.spec.get("builtin", "")), ()))
    lin = np.array([i for i, p in enumerate(law.params) if p.name in linear], dtype=int)
    rest = np.array([i for i, p in enumerate(law.params) if p.name not in linear], dtype=int)
    return lin, rest


def _search_program(
    law: Law, objective: Objective, options: SearchOptions, rtol: float | None = None
) -> Callable[..., Any]:
    """``run(grid, columns, y, weights)``: solved starts from ``grid`` (the other parameters, internal units), the
    best ``n_polish`` polished, for each row of ``weights`` (not yet compiled)."""
    from .._jax import jax, jnp

    residual = _residual_fn(law, objective)
    lm = _levenberg_marquardt(residual, options.max_steps, options.rtol if rtol is None else rtol)
    lin, rest = split_params(law)
    log_mask, lower, upper = transforms(law)
    names, inputs_order, p = law.param_names, law.inputs, len(law.params)

    def assemble(z_rest: Any, theta: Any) -> Any:
        """Internal parameter vector from the other parameters (internal) and the linear ones (natural)."""
        z = jnp.zeros(p)
        z = z.at[rest].set(z_rest)
        z_lin = jnp.where(log_mask[lin], jnp.log(jnp.maximum(theta, 1e-300)), theta)
        return z.at[lin].set(jnp.clip(z_lin, jnp.maximum(lower[lin], -700.0), jnp.minimum(upper[lin], 700.0)))

    def design(z_rest: Any, columns: Any) -> Any:
        inputs = dict(zip(inputs_order, columns, strict=True))

        def fn(theta: Any) -> Any:
            z = jnp.zeros(p).at[rest].set(z_rest)
            values = jnp.where(log_mask, jnp.exp(z), z).at[lin].set(theta)
            return law.fn({name: values[i] for i, name in enumerate(names)}, inputs)

        f0, linear = jax.linearize(fn, jnp.zeros(lin.size))
        return f0, jax.vmap(linear, out_axes=1)(jnp.eye(lin.size))

    def run(grid: Any, columns: Any, y: Any, weights: Any) -> Any:
        sqrt_w = jnp.sqrt(weights)
        f0, x = jax.vmap(design, in_axes=(0, None))(grid, columns)  # (g, n), (g, n, q)
        rel = weights / (y * y)  # relative residuals: log residuals to first order
        a = jnp.einsum("gni,mn,gnj->mgij", x, rel, x)
        b = jnp.einsum("gni,mn,gn->mgi", x, rel, y - f0)
        ridge = 1e-12 * jnp.trace(a, axis1=-2, axis2=-1)[..., None, None] * jnp.eye(lin.size) + 1e-300
        theta = jnp.linalg.solve(a + ridge, b[..., None])[..., 0]
        theta = jnp.where(jnp.isfinite(theta), theta, 1.0)
        starts = jax.vmap(jax.vmap(assemble, in_axes=(0, 0)), in_axes=(None, 0))(grid, theta)  # (m, g, p)
        scores = jax.vmap(lambda zs, sw: jax.vmap(lambda z: _cost(residual(z, columns, y, sw)))(zs), in_axes=(0, 0))(
            starts, sqrt_w
        )
        k = min(options.n_polish, grid.shape[0])
        _, best = jax.lax.top_k(-scores, k)  # (m, k)
        chosen = jnp.take_along_axis(starts, best[..., None], axis=1)
        flat = chosen.reshape(-1, p)
        flat_w = jnp.repeat(sqrt_w, k, axis=0)
        z, cost, ok, steps = jax.lax.map(lambda a: lm(a[0], columns, y, a[1]), (flat, flat_w))
        cost = cost.reshape(-1, k)
        i = jnp.argmin(cost, axis=1)
        pick = jnp.arange(cost.shape[0])
        return {
            "z": z.reshape(-1, k, p)[pick, i],
            "objective": cost[pick, i],
            "polished": cost,
            "ok": ok.reshape(-1, k)[pick, i],
            "steps": steps.reshape(-1, k)[pick, i],
        }

    return run


def _build_search(law: Law, objective: Objective, options: SearchOptions) -> Callable[..., Any]:
    from .._jax import jax

    return jax.jit(_search_program(law, objective, options))


def _build_two_stage(law: Law, objective: Objective, options: SearchOptions) -> Callable[..., Any]:
    """``run(grid, coarse, columns, y, weights)``: the search on the ``coarse`` inputs, its best point polished on
    ``columns``; one program, so that a new process loads and compiles one thing."""
    from .._jax import jax

    # The first stage only has to find the best valley: the second, on the finer compression, moves the optimum
    # anyway and converges to the full precision.
    search = _search_program(law, objective, options, rtol=max(options.rtol, _COARSE_RTOL))
    polish = _polish_program(law, objective, options)

    def run(grid: Any, coarse: Any, columns: Any, y: Any, weights: Any) -> Any:
        first = search(grid, coarse, y, weights)
        second = polish(first["z"], columns, y, weights)
        return {**second, "steps": first["steps"] + second["steps"], "polished": first["polished"]}

    return jax.jit(run)


def _polish_program(law: Law, objective: Objective, options: SearchOptions) -> Callable[..., Any]:
    """``run(z0, columns, y, weights)``: Levenberg-Marquardt from ``z0[m]`` for each row ``m`` of ``weights``."""
    from .._jax import jax, jnp

    lm = _levenberg_marquardt(_residual_fn(law, objective), options.max_steps, options.rtol)

    def run(z0: Any, columns: Any, y: Any, weights: Any) -> Any:
        z, cost, ok, steps = jax.lax.map(lambda a: lm(a[0], columns, y, a[1]), (z0, jnp.sqrt(weights)))
        return {"z": z, "objective": cost, "ok": ok, "steps": steps}

    return run


def _build_polish(law: Law, objective: Objective, options: SearchOptions) -> Callable[..., Any]:
    from .._jax import jax

    return jax.jit(_polish_program(law, objective, options))


def _pack(
    law: Law, inputs: Mapping[str, np.ndarray], y: np.ndarray, weights: np.ndarray
) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """Columns and targets padded as :func:`lawfit.search.pack_data` does, wide columns to a multiple of 16, and the
    weight rows padded with zeros: similar data share one compiled program."""
    columns, y_packed, _ = pack_data(law, inputs, y, np.ones(len(y)))
    padded = []
    for c in columns:
        if c.ndim == 2:
            width = -(-c.shape[1] // 16) * 16
            c = np.pad(c, ((0, 0), (0, width - c.shape[1])))
        padded.append(np.ascontiguousarray(c))
    w = np.zeros((weights.shape[0], y_packed.size))
    w[:, : weights.shape[1]] = weights
    return tuple(padded), y_packed, w


def fit_batch(
    law: Law,
    objective: Objective,
    coarse: Mapping[str, np.ndarray] | None,
    inputs: Mapping[str, np.ndarray],
    y: np.ndarray,
    weights: np.ndarray,
    grid: np.ndarray,
    options: SearchOptions,
) -> list[Solution]:
    """Fit ``law`` once per row of ``weights``: solved starts from ``grid`` and Levenberg-Marquardt on the ``coarse``
    inputs (when given), then a polish on ``inputs``.

    ``grid`` holds start values of the parameters the law is not linear in, natural units, shape ``(g, n_other)``.
    """
    from .._jax import jax

    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    _, rest = split_params(law)
    full = np.ones((grid.shape[0], len(law.params)))
    full[:, rest] = grid
    z_grid = _internal(law, full)[:, rest]
    columns, y_packed, w = _pack(law, inputs, y, weights)
    if coarse is None:
        args: tuple[Any, ...] = (z_grid, columns, y_packed, w)
        out = jax.device_get(compiled(_build_search, law, objective, options, *args)(*args))
    else:
        args = (z_grid, _pack(law, coarse, y, weights)[0], columns, y_packed, w)
        out = jax.device_get(compiled(_build_two_stage, law, objective, options, *args)(*args))
    z, steps, polished = np.asarray(out["z"]), np.asarray(out["steps"]), np.asarray(out["polished"])
    ok, cost = np.asarray(out["ok"]), np.asarray(out["objective"])
    return [_solution(law, z[m], cost[m], ok[m], steps[m], polished[m]) for m in range(weights.shape[0])]


def polish_batch(
    law: Law,
    objective: Objective,
    start: Mapping[str, float],
    inputs: Mapping[str, np.ndarray],
    y: np.ndarray,
    weights: np.ndarray,
    options: SearchOptions,
) -> list[Solution]:
    """Levenberg-Marquardt from ``start`` once per row of ``weights`` (a bootstrap's resamples)."""
    from .._jax import jax

    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    z0 = _internal(law, np.array([start[n] for n in law.param_names], dtype=np.float64))
    columns, y_packed, w = _pack(law, inputs, y, weights)
    args = (np.repeat(z0[None, :], w.shape[0], axis=0), columns, y_packed, w)
    out = jax.device_get(compiled(_build_polish, law, objective, options, *args)(*args))
    cost = np.asarray(out["objective"])
    return [
        _solution(law, out["z"][m], cost[m], out["ok"][m], out["steps"][m], cost[m : m + 1]) for m in range(w.shape[0])
    ]


def _solution(law: Law, z: np.ndarray, cost: float, ok: bool, steps: int, polished: np.ndarray) -> Solution:
    values = _natural(law, np.asarray(z, dtype=np.float64))
    return Solution(
        {name: float(v) for name, v in zip(law.param_names, values, strict=True)},
        float(cost),
        bool(ok) and math.isfinite(float(cost)),
        int(steps),
        np.asarray(polished, dtype=np.float64),
    )
