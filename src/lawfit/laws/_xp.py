"""The array namespace a law is evaluated in: numpy to predict, JAX to fit.

Each law's formula is written once, against ``xp = namespace(params, inputs)``: ``xp`` is the JAX namespace when any
value is a JAX array (a traced parameter while fitting), else numpy, so that a prediction from a saved fit never
imports JAX. Both offer numpy's functions plus the few that numpy lacks (``logsumexp``, ``softplus``, ``sigmoid``),
which in the JAX namespace are JAX's own, so the fitted function is unchanged.

>>> import numpy as np
>>> xp = namespace({"a": 1.0}, {"N": np.ones(2)})
>>> xp.name, bool(np.isclose(xp.logsumexp(np.log(np.array([1.0, 3.0])), axis=0), np.log(4.0)))
('numpy', True)
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["JAX", "NUMPY", "Namespace", "namespace"]


class Namespace:
    """numpy or ``jax.numpy``, with ``logsumexp``, ``softplus`` and ``sigmoid`` added."""

    def __init__(self, name: str, module: ModuleType, **extra: Any) -> None:
        self.name = name
        self._module = module
        self.__dict__.update(extra)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"Namespace({self.name})"


def _np_logsumexp(a: Any, axis: int | None = None) -> Any:
    """``log(sum(exp(a), axis))``, shifted by the maximum as ``jax.nn.logsumexp`` is."""
    a = np.asarray(a, dtype=np.float64)
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True)) + top
    return np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _np_softplus(x: Any) -> Any:
    return np.logaddexp(x, 0.0)


def _np_sigmoid(x: Any) -> Any:
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


NUMPY = Namespace("numpy", np, logsumexp=_np_logsumexp, softplus=_np_softplus, sigmoid=_np_sigmoid)

_JAX: list[Namespace] = []


def JAX() -> Namespace:
    """The JAX namespace (imports JAX, set up by :mod:`lawfit._jax`)."""
    if not _JAX:
        from .._jax import jax, jnp

        _JAX.append(Namespace("jax", jnp, logsumexp=jax.nn.logsumexp, softplus=jax.nn.softplus, sigmoid=jax.nn.sigmoid))
    return _JAX[0]


def namespace(*trees: Any) -> Namespace:
    """:func:`JAX` if any value of ``trees`` (mappings or arrays) is a JAX array or tracer, else :data:`NUMPY`.

    >>> namespace({"E": 1.0}).name
    'numpy'
    """
    jax = sys.modules.get("jax")
    if jax is not None:
        array = jax.Array
        for tree in trees:
            for value in tree.values() if isinstance(tree, Mapping) else (tree,):
                if isinstance(value, array):
                    return JAX()
    return NUMPY
