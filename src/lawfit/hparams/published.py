"""Published hyperparameter laws, named, with their sources; and Marin's fitting procedure as a reference.

``published("step-law")``: Li et al. 2025, "Predictable Scale: Part I -- Optimal Hyperparameter Scaling Law in
Large Language Model Pretraining" (arXiv:2503.04715), fitted on 3,700 models:
``lr* = 1.79 N^-0.713 D^0.307`` and ``batch* = 0.58 D^0.571`` (N non-embedding parameters, D tokens, batch in
tokens).

``published("deepseek")``: DeepSeek-AI 2024, "DeepSeek LLM: Scaling Open-Source Language Models with
Longtermism" (arXiv:2401.02954), section 3.1: ``lr_opt = 0.3118 C^-0.1250`` and ``batch_opt = 0.2920 C^0.3271``
(batch in tokens). Their C is ``M D`` with M the non-embedding FLOPs per token (attention included), not 6ND;
``C = 6 N D`` is used here when only N and D are given, which is close for short contexts.

:func:`marin_fit` is the fit of Marin's optimizer study (Wen et al. 2025, arXiv:2509.02046;
``experiments/optimizer_sweep/Analysis/hyper_scaling.py`` of github.com/marin-community/marin, Apache-2.0):
``h(N, C) = A N^B C^Cexp + D`` per hyperparameter, by ``scipy.optimize.curve_fit`` from ``p0 = [0, -0.5, -0.5,
mean(h)]``, with C the multiple of Chinchilla's 20 tokens per parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from ..errors import DataError, LawfitError

__all__ = ["PUBLISHED", "MarinFit", "PublishedLaw", "marin_fit", "published"]


@dataclass(frozen=True)
class PublishedLaw:
    """A published pair of laws for the optimal learning rate and batch size (tokens).

    Attributes
    ----------
    name, source : str
    lr_params, batch_params : Mapping[str, float]
        ``a`` and the exponents ``alpha_N``, ``alpha_D``, ``alpha_C`` of ``a * N**alpha_N * ...``.
    note : str
        How the source's variables map to lawfit's.

    Examples
    --------
    >>> law = published("deepseek")
    >>> round(float(law.batch(C=1e21)), -3)
    2160000.0
    """

    name: str
    source: str
    lr_params: Mapping[str, float]
    batch_params: Mapping[str, float]
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "lr_params", MappingProxyType(dict(self.lr_params)))
        object.__setattr__(self, "batch_params", MappingProxyType(dict(self.batch_params)))

    def _inputs(self, hparam: str) -> tuple[str, ...]:
        params = self.lr_params if hparam == "lr" else self.batch_params
        return tuple(k.removeprefix("alpha_") for k in params if k != "a")

    def formula(self, hparam: str) -> str:
        """The law as printed, e.g. ``1.79 * N**-0.713 * D**0.307``."""
        params = self._params(hparam)
        return " * ".join([f"{params['a']:g}", *(f"{x}**{params['alpha_' + x]:g}" for x in self._inputs(hparam))])

    def _params(self, hparam: str) -> Mapping[str, float]:
        if hparam not in ("lr", "batch"):
            raise LawfitError(f"The 'hparam' of a published law must be 'lr' or 'batch'. Got {hparam!r} instead.")
        return self.lr_params if hparam == "lr" else self.batch_params

    def predict(self, hparam: str, **inputs: Any) -> np.ndarray:
        """The law's optimum of ``hparam`` at the given sizes (C = 6ND when the law reads C and N, D are given)."""
        from .laws import complete_sizes

        params = self._params(hparam)
        values = complete_sizes(self._inputs(hparam), inputs)
        out = np.full(np.broadcast_shapes(*(v.shape for v in values.values())), params["a"], dtype=np.float64)
        for x, v in values.items():
            out = out * v ** params[f"alpha_{x}"]
        return out

    def lr(self, **inputs: Any) -> np.ndarray:
        """The optimal learning rate at the given sizes."""
        return self.predict("lr", **inputs)

    def batch(self, **inputs: Any) -> np.ndarray:
        """The optimal batch size in tokens at the given sizes."""
        return self.predict("batch", **inputs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record."""
        return {
            "name": self.name,
            "source": self.source,
            "lr": {"formula": self.formula("lr"), "params": dict(self.lr_params)},
            "batch": {"formula": self.formula("batch"), "params": dict(self.batch_params)},
            "note": self.note,
        }

    def summary(self) -> str:
        """The laws and their source."""
        return "\n".join(
            [
                f"published  {self.name}: {self.source}",
                f"           lr*    = {self.formula('lr')}",
                f"           batch* = {self.formula('batch')} (tokens)",
                *([f"           {self.note}"] if self.note else []),
            ]
        )


#: The published laws by name.
PUBLISHED = {
    "step-law": PublishedLaw(
        name="step-law",
        source='Li et al. 2025, "Predictable Scale: Part I", arXiv:2503.04715',
        lr_params={"a": 1.79, "alpha_N": -0.713, "alpha_D": 0.307},
        batch_params={"a": 0.58, "alpha_D": 0.571},
        note="N: non-embedding parameters; D: tokens; batch in tokens.",
    ),
    "deepseek": PublishedLaw(
        name="deepseek",
        source='DeepSeek-AI 2024, "DeepSeek LLM", arXiv:2401.02954, section 3.1',
        lr_params={"a": 0.3118, "alpha_C": -0.1250},
        batch_params={"a": 0.2920, "alpha_C": 0.3271},
        note="C: FLOPs (DeepSeek count M*D, M the non-embedding FLOPs per token; 6ND here from N and D); batch in "
        "tokens.",
    ),
}


def published(name: str) -> PublishedLaw:
    """A published learning-rate and batch-size law by name: ``"step-law"`` or ``"deepseek"``.

    >>> law = published("step-law")
    >>> round(float(law.lr(N=1e9, D=1e11)), 7), law.formula("batch")
    (0.0016325, '0.58 * D**0.571')
    """
    key = str(name).strip().lower().replace("_", "-").replace(" ", "-")
    key = {"steplaw": "step-law", "deepseek-llm": "deepseek"}.get(key, key)
    if key not in PUBLISHED:
        raise LawfitError(
            f"The 'name' parameter of published must be one of {', '.join(map(repr, PUBLISHED))}. Got {name!r} instead."
        )
    return PUBLISHED[key]


@dataclass(frozen=True)
class MarinFit:
    """Marin's fit of one hyperparameter: ``h(N, C) = A N^B C^Cexp + D`` (see :func:`marin_fit`).

    Attributes
    ----------
    hparam : str
        The column fitted.
    params : Mapping[str, float]
        ``A``, ``B`` (the N exponent), ``Cexp`` (the exponent of the Chinchilla multiple) and ``D``.
    n_points : int
    converged : bool
    message : str
    """

    hparam: str
    params: Mapping[str, float]
    n_points: int
    converged: bool
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def predict(self, N: Any, C: Any) -> np.ndarray:
        """The fitted value at parameters ``N`` and Chinchilla multiple ``C``."""
        p = self.params
        N, C = np.asarray(N, dtype=np.float64), np.asarray(C, dtype=np.float64)
        return p["A"] * N ** p["B"] * C ** p["Cexp"] + p["D"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record."""
        return {
            "hparam": self.hparam,
            "formula": "A * N**B * C**Cexp + D",
            "params": dict(self.params),
            "n_points": self.n_points,
            "converged": self.converged,
            "message": self.message,
        }

    def summary(self) -> str:
        """The fit in a few lines."""
        p = self.params
        return (
            f"marin fit  {self.hparam} = A * N**B * C**Cexp + D on {self.n_points} settings: A={p['A']:.6g}, "
            f"B={p['B']:.6g}, Cexp={p['Cexp']:.6g}, D={p['D']:.6g} ({self.message})"
        )


#: The settings Marin's fit leaves out: (130m, 1x) and (520m, 8x), the latter its hold-out.
MARIN_LEFT_OUT = ((134217728.0, 1.0), (536870912.0, 8.0))


def marin_fit(
    table: Any,
    hparam: str,
    *,
    n: str = "N_nonembed",
    c: str = "chinchilla",
    leave_out: Sequence[tuple[float, float]] = MARIN_LEFT_OUT,
    max_c: float = 8.0,
    max_n: float = 6e8,
) -> MarinFit:
    """Marin's own fit of a hyperparameter of the best configurations: ``h(N, C) = A N^B C^Cexp + D``.

    The procedure of ``Analysis/hyper_scaling.py`` (marin-community/marin): ``scipy.optimize.curve_fit`` from
    ``p0 = [0, -0.5, -0.5, mean(h)]`` (maxfev 200,000), on the settings with N below ``max_n`` (130M, 300M,
    520M) and C at most ``max_c``, less ``leave_out`` ((130M, 1x) and the hold-out (520M, 8x)). The form is
    nearly degenerate (B and Cexp often of order 1e-4 with large opposite A and D): it gives predictions, not
    meaningful exponents.

    Parameters
    ----------
    table : DataFrame, mapping or path
        One row per setting: ``n`` (parameters), ``c`` (multiple of 20 tokens per parameter) and ``hparam``.
    hparam : str
        The column to fit, e.g. ``"learning_rate"`` or ``"train_batch_size"``.

    Examples
    --------
    >>> N = [134217728.0] * 3 + [301989888.0] * 3 + [536870912.0] * 3
    >>> C = [2.0, 4.0, 8.0] * 3
    >>> lr = [0.008 * (n / 1.342e8) ** -0.3 * c**-0.1 for n, c in zip(N, C)]
    >>> f = marin_fit({"N_nonembed": N, "chinchilla": C, "lr": lr}, "lr")
    >>> round(float(f.predict(1207959552.0, 1.0)), 5)
    0.00414
    """
    import pandas as pd
    from scipy.optimize import curve_fit

    if isinstance(table, str):
        table = pd.read_csv(table)
    frame = pd.DataFrame(table)
    missing = [col for col in (n, c, hparam) if col not in frame.columns]
    if missing:
        raise DataError(
            f"marin_fit needs columns {', '.join(map(repr, missing))}; the table has "
            f"{', '.join(map(repr, frame.columns))}."
        )
    N = pd.to_numeric(frame[n], errors="coerce").to_numpy(dtype=np.float64)
    C = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64)
    y = pd.to_numeric(frame[hparam], errors="coerce").to_numpy(dtype=np.float64)
    keep = np.isfinite(N) & np.isfinite(C) & np.isfinite(y) & (N < max_n) & (C <= max_c)
    for left_n, left_c in leave_out:
        keep &= ~(np.isclose(N, left_n, rtol=1e-6) & np.isclose(C, left_c))
    if keep.sum() < 4:
        raise DataError(f"marin_fit needs at least 4 settings to fit A, B, Cexp and D; {int(keep.sum())} are left.")
    N, C, y = N[keep], C[keep], y[keep]

    def form(x: Any, A: float, B: float, Cexp: float, D: float) -> Any:
        return A * x[0] ** B * x[1] ** Cexp + D

    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            # curve_fit warns when the covariance cannot be estimated: the form is degenerate, as Marin's is.
            warnings.simplefilter("ignore")
            popt, _, _, message, status = curve_fit(
                form, (N, C), y, p0=[0.0, -0.5, -0.5, float(np.mean(y))], maxfev=200000, full_output=True
            )
    return MarinFit(
        hparam=hparam,
        params=dict(zip(("A", "B", "Cexp", "D"), map(float, popt), strict=True)),
        n_points=len(y),
        converged=status in (1, 2, 3, 4),
        message=str(message).strip(),
    )
