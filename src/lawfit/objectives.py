"""How a fit is scored: Huber on log residuals, squared log residuals, squared residuals; all with sample weights.

The loss functions are small pure functions of the residual; :class:`Objective` combines one with a law.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ._checks import Options, Real, check
from .errors import LawfitError

if TYPE_CHECKING:
    from ._records import Fields

__all__ = ["LOSSES", "Objective", "huber", "squared"]

#: The names accepted for ``loss``.
LOSSES: tuple[str, ...] = ("huber", "mse-log", "mse")


def huber(residual: Any, *, delta: float) -> Any:
    """Huber loss: ``r**2/2`` for ``|r| <= delta``, ``delta*(|r| - delta/2)`` beyond (as ``scipy.special.huber``).

    >>> float(huber(0.5, delta=1.0)), float(huber(3.0, delta=1.0))
    (0.125, 2.5)
    """
    from ._jax import jnp

    r = jnp.abs(residual)
    return jnp.where(r <= delta, 0.5 * r * r, delta * (r - 0.5 * delta))


def squared(residual: Any) -> Any:
    """Squared residual ``r**2``.

    >>> float(squared(3.0))
    9.0
    """
    from ._jax import jnp

    return jnp.square(jnp.asarray(residual))


@dataclass(frozen=True)
class Objective:
    """The score a fit minimises: ``sum_i w_i * rho(r_i)`` (or its weighted mean).

    Parameters
    ----------
    loss : {"huber", "mse-log", "mse"}
        ``"huber"``: Huber with ``delta`` on ``log(y) - log(prediction)`` (Hoffmann et al. 2022 use delta = 1e-3).
        ``"mse-log"``: squared log residuals. ``"mse"``: squared residuals ``y - prediction``.
    delta : float
        Huber's threshold, in log-loss units. Ignored by the other losses.
    reduction : {"sum", "mean"}
        Sum over points (the literature's choice for Approach 3) or weighted mean.
    weight_growth : float
        Runs at larger scale count more: :func:`lawfit.fit` multiplies each run's weight by
        ``(scale / largest scale) ** weight_growth``, the scale being C for a law of N and D (else its one input).
        0 (the default) weighs all runs alike; 0.25 counts each decade of scale 1.78 times the one below.

    Examples
    --------
    >>> Objective("huber", delta=1e-3).describe()
    'Huber (delta=0.001) on log residuals, summed'
    """

    loss: Literal["huber", "mse-log", "mse"] = "huber"
    delta: float = 1e-3
    reduction: Literal["sum", "mean"] = "sum"
    weight_growth: float = 0.0

    def __post_init__(self) -> None:
        check(self.loss, Options(*LOSSES), "loss", "Objective")
        object.__setattr__(self, "delta", check(self.delta, Real(0, closed="neither"), "delta", "Objective"))
        check(self.reduction, Options("sum", "mean"), "reduction", "Objective")
        object.__setattr__(self, "weight_growth", check(self.weight_growth, Real(0), "weight_growth", "Objective"))

    @property
    def in_log_space(self) -> bool:
        return self.loss != "mse"

    def describe(self) -> str:
        what = {
            "huber": f"Huber (delta={self.delta:g}) on log residuals",
            "mse-log": "squared log residuals",
            "mse": "squared residuals",
        }[self.loss]
        text = f"{what}, {'summed' if self.reduction == 'sum' else 'weighted mean'}"
        if self.weight_growth:
            text += f", runs weighted by (scale/largest)^{self.weight_growth:g}"
        return text

    def pointwise(self, residual: Any) -> Any:
        return huber(residual, delta=self.delta) if self.loss == "huber" else squared(residual)

    def residuals(self, law: Any, params: Mapping[str, Any], inputs: Mapping[str, Any], y: Any) -> Any:
        """``log(y) - log_fn`` for the log losses, ``y - fn`` for ``mse``."""
        from ._jax import jnp

        if self.in_log_space:
            return jnp.log(y) - law.log_fn(params, inputs)
        return y - law.fn(params, inputs)

    def __call__(self, law: Any, params: Mapping[str, Any], inputs: Mapping[str, Any], y: Any, weights: Any) -> Any:
        from ._jax import jnp

        total = jnp.sum(weights * self.pointwise(self.residuals(law, params, inputs, y)))
        return total if self.reduction == "sum" else total / jnp.sum(weights)

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"loss": self.loss, "delta": self.delta, "reduction": self.reduction}
        if self.weight_growth:
            record["weight_growth"] = self.weight_growth
        return record

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], *, fields: Fields | None = None, path: str = "loss") -> Objective:
        """Rebuild an objective from :meth:`to_dict`'s output, each setting checked: a bad one raises a
        :class:`~lawfit.FitFileError` naming it (``fields`` say where the record comes from, ``path`` is its place
        in a larger record).

        >>> Objective.from_dict({"loss": "huber", "delta": 0.01}).delta
        0.01
        >>> Objective.from_dict({"loss": "huber", "delta": -1})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        lawfit.errors.FitFileError: Field 'loss.delta' of the saved objective must be a finite number >= 0; got -1. ...
        """
        from ._records import Fields

        fields = fields or Fields("the saved objective")
        saved = fields.as_obj(record, path)
        for key in saved:
            if key not in ("loss", "delta", "reduction", "weight_growth"):
                raise fields.invalid(
                    fields.path(path, key), "the objective's settings are loss, delta, reduction, weight_growth"
                )
        settings = {
            "loss": fields.text(saved, "loss", path, default=None, choices=LOSSES),
            "delta": fields.number(saved, "delta", path, default=None, minimum=0.0),
            "reduction": fields.text(saved, "reduction", path, default=None, choices=("sum", "mean")),
            "weight_growth": fields.number(saved, "weight_growth", path, default=None, minimum=0.0),
        }
        try:
            return cls(**{key: value for key, value in settings.items() if value is not None})
        except LawfitError as exc:
            raise fields.invalid(path, str(exc)) from None

    def scale_weights(self, scale: Any) -> Any:
        """The factor ``(scale / max(scale)) ** weight_growth`` per run (ones when ``weight_growth`` is 0).

        >>> Objective(weight_growth=0.5).scale_weights([1.0, 4.0]).tolist()
        [0.5, 1.0]
        """
        import numpy as np

        scale = np.asarray(scale, dtype=np.float64)
        if not self.weight_growth:
            return np.ones_like(scale)
        return (scale / scale.max()) ** self.weight_growth


def read_objective(record: Mapping[str, Any], fields: Fields, version: int, legacy: int = 1) -> Objective:
    """The :class:`~lawfit.Objective` of a saved result, checked: ``objective_settings`` (its ``name`` and settings),
    or ``loss`` (its ``loss`` and settings) in a record of schema version ``legacy`` or older. (Here, not in
    ``_records``, which the objective's own reader uses: the file records stay below the objective.)"""
    if version <= legacy:
        return Objective.from_dict(fields.obj(record, "loss", ""), fields=fields, path="loss")
    saved = fields.obj(record, "objective_settings", "")
    name = fields.text(saved, "name", "objective_settings", choices=LOSSES)
    if "loss" in saved:
        raise fields.invalid("objective_settings.loss", "the objective's name is its field 'name'")
    rest = {key: value for key, value in saved.items() if key != "name"}
    return Objective.from_dict({"loss": name, **rest}, fields=fields, path="objective_settings")


def as_objective(
    objective: str | Objective, where: str, *, delta: float = 1e-3, reduction: str = "sum", weight_growth: float = 0.0
) -> Objective:
    """The :class:`Objective` that the ``objective`` parameter of ``where`` names: a name (``"huber"``, ``"mse-log"``,
    ``"mse"``) with ``delta``, ``reduction`` and ``weight_growth``, or an Objective (which carries its own settings;
    those three must then be left at their defaults).

    >>> as_objective("mse-log", "fit").describe()
    'squared log residuals, summed'
    >>> as_objective(3, "fit")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    lawfit.errors.LawfitError: The 'objective' parameter of fit must be one of huber, mse-log, mse or an ... Got 3 ...
    """
    if isinstance(objective, Objective):
        given = {"delta": delta != 1e-3, "reduction": reduction != "sum", "weight_growth": weight_growth != 0.0}
        clash = [name for name, differs in given.items() if differs]
        if clash:
            raise LawfitError(
                f"The 'objective' parameter of {where} is an Objective, which carries its own {', '.join(clash)}; "
                f"set {' and '.join(clash)} on the Objective, not beside it."
            )
        return objective
    if not isinstance(objective, str) or objective not in LOSSES:
        raise LawfitError(
            f"The 'objective' parameter of {where} must be one of {', '.join(LOSSES)} or an Objective. "
            f"Got {objective!r} instead."
        )
    return Objective(objective, delta=delta, reduction=reduction, weight_growth=weight_growth)  # type: ignore[arg-type]
