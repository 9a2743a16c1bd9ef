"""Argument checks shared by the public functions: one message format, ``The '<name>' parameter of <function> must
be <what>. Got <value> instead.``, raised as :class:`~lawfit.LawfitError`. It imports only :mod:`lawfit.errors`.

A function declares its constraints once, with :func:`constrained` (scikit-learn's ``validate_params`` is the model)::

    @constrained(seed=Integer(0), level=Real(0, 1, closed="neither"), law=Options("a", "b"))
    def f(law, *, seed=0, level=0.9): ...

A value is checked against each constraint given for its name (a tuple of constraints means "any of these"; ``None``
in it allows None), and the first message names the function, the parameter, what it must be and what it got. A
class's ``__post_init__`` uses :func:`check` directly.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from inspect import signature
from numbers import Integral
from numbers import Real as _Real
from typing import Any, TypeVar

from .errors import LawfitError

__all__ = [
    "RESAMPLES",
    "RESAMPLES_OR_NONE",
    "SEED",
    "Instance",
    "Integer",
    "Options",
    "Real",
    "check",
    "check_level",
    "constrained",
    "percent",
    "rename_deprecated",
    "renamed",
    "warn_deprecated",
]

_F = TypeVar("_F", bound=Callable[..., Any])


def check_level(level: Any, name: str = "level", where: str = "") -> float:
    """``level`` as a float if it is a probability strictly between 0 and 1 (an interval's level), else a
    :class:`~lawfit.LawfitError` naming the parameter (and the function, ``where``).

    >>> check_level(0.9)
    0.9
    >>> check_level(95, where="backtest")
    Traceback (most recent call last):
    lawfit.errors.LawfitError: The 'level' parameter of backtest must be a float in (0, 1). Got 95 instead.
    """
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        of = f" of {where}" if where else ""
        raise LawfitError(f"The '{name}' parameter{of} must be a float in (0, 1). Got {level!r} instead.")
    return float(level)


def percent(value: Any, decimals: int = 2, *, sign: bool = False, missing: str | None = "–") -> str:
    """``value`` (a fraction) as a percentage with ``decimals`` decimals (and its sign with ``sign``); ``missing``
    for None or a value that is not finite (None: the value as Python prints it).

    >>> percent(0.01234), percent(-0.5, 1, sign=True), percent(float("nan")), percent(float("nan"), missing=None)
    ('1.23%', '-50.0%', '–', 'nan')
    """
    if value is None or not math.isfinite(value):
        return str(value) if missing is None else missing
    return f"{100 * value:{'+' if sign else ''}.{decimals}f}%"


def warn_deprecated(old: str, new: str, where: str, *, what: str = "parameter", stacklevel: int = 3) -> None:
    """Warn (:class:`DeprecationWarning`) that the ``what`` ``old`` of ``where`` is now ``new``; ``stacklevel`` 3
    points at the caller of the function that calls this.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_deprecated("loss", "objective_settings", "Fit", what="attribute")
    >>> print(caught[0].message)
    The 'loss' attribute of Fit is deprecated; use 'objective_settings' (the old name works until the next release).
    """
    warnings.warn(
        f"The '{old}' {what} of {where} is deprecated; use '{new}' (the old name works until the next release).",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def rename_deprecated(kwargs: dict[str, Any], renames: Mapping[str, str], where: str, stacklevel: int = 4) -> None:
    """Move the keywords in ``kwargs`` given by an old name (``renames``: old -> new) to their new name, in place,
    each with a :class:`DeprecationWarning` naming the new one (:func:`warn_deprecated`; ``stacklevel`` 4: the caller
    of the function that calls this); an old name given with its new one is a :class:`~lawfit.LawfitError`.

    >>> kwargs = {"n_resamples": 100}
    >>> rename_deprecated(kwargs, {"n_bootstrap": "n_resamples"}, "backtest")  # new names pass as they are
    >>> kwargs
    {'n_resamples': 100}
    >>> rename_deprecated({"bootstrap": 1, "n_resamples": 2}, {"bootstrap": "n_resamples"}, "fit")
    Traceback (most recent call last):
    lawfit.errors.LawfitError: Give 'n_resamples' to fit, not also its deprecated name 'bootstrap'.
    """
    for old, new in renames.items():
        if old not in kwargs:
            continue
        if new in kwargs:
            raise LawfitError(f"Give '{new}' to {where}, not also its deprecated name '{old}'.")
        warn_deprecated(old, new, where, stacklevel=stacklevel)
        kwargs[new] = kwargs.pop(old)


def renamed(**renames: str) -> Callable[[_F], _F]:
    """A decorator: the function's keyword parameters also answer to old names (``old="new"``), for one release,
    through :func:`rename_deprecated`.

    >>> @renamed(bootstrap="n_resamples")
    ... def f(*, n_resamples=0):
    ...     return n_resamples
    >>> f(n_resamples=3)
    3
    """

    def decorate(function: _F) -> _F:
        where = function.__qualname__.removesuffix(".__init__")

        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            rename_deprecated(kwargs, renames, where)
            return function(*args, **kwargs)

        call.__deprecated_names__ = dict(renames)  # type: ignore[attr-defined]
        return call  # type: ignore[return-value]

    return decorate


# -- declared constraints -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Integer:
    """A whole number (not a bool) in ``[low, high]``; either bound may be None (unbounded). With ``zero``, 0 is
    accepted too, meaning ``zero`` (e.g. ``Integer(2, zero="no bootstrap")``: a resample count)."""

    low: int | None = None
    high: int | None = None
    zero: str = ""  # if given, 0 is accepted too and means this, e.g. "no bootstrap"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, Integral):
            return False
        if self.zero and value == 0:
            return True
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self) -> str:
        if self.high is None:
            what = "an integer" if self.low is None else f"an integer >= {self.low}"
        else:
            what = f"an integer <= {self.high}" if self.low is None else f"an integer in {self.low}..{self.high}"
        return f"0 ({self.zero}) or {what}" if self.zero else what

    def coerce(self, value: Any) -> int:
        return int(value)


@dataclass(frozen=True)
class Real:
    """A finite real number (not a bool) between ``low`` and ``high``, the ends included as ``closed`` says:
    "both", "left", "right" or "neither"."""

    low: float = -math.inf
    high: float = math.inf
    closed: str = "both"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, _Real):
            return False
        value = float(value)
        if math.isnan(value):
            return False
        left = value >= self.low if self.closed in ("both", "left") else value > self.low
        right = value <= self.high if self.closed in ("both", "right") else value < self.high
        return left and right and math.isfinite(value)

    def describe(self) -> str:
        if self.low == -math.inf and self.high == math.inf:
            return "a finite number"
        if self.high == math.inf:
            return f"a number {'>=' if self.closed in ('both', 'left') else '>'} {self.low:g}"
        if self.low == -math.inf:
            return f"a number {'<=' if self.closed in ('both', 'right') else '<'} {self.high:g}"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        return f"a number in {left}{self.low:g}, {self.high:g}{right}"

    def coerce(self, value: Any) -> float:
        return float(value)


@dataclass(frozen=True)
class Options:
    """One of the given values (strings, usually)."""

    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        object.__setattr__(self, "values", values)

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str | int | float | bool | type(None)) and value in self.values

    def describe(self) -> str:
        return "one of " + ", ".join(map(repr, self.values))

    def coerce(self, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Instance:
    """An instance of one of the given types, described by ``what`` (e.g. "a Fit")."""

    types: tuple[type, ...]
    what: str

    def accepts(self, value: Any) -> bool:
        return isinstance(value, self.types)

    def describe(self) -> str:
        return self.what

    def coerce(self, value: Any) -> Any:
        return value


Constraint = Integer | Real | Options | Instance
Rule = Constraint | None | tuple[Constraint | None, ...]


def check(value: Any, rule: Rule, name: str, where: str = "", *, error: type[LawfitError] = LawfitError) -> Any:
    """``value`` (an integer as int, a real as float) if it meets ``rule``, else a :class:`~lawfit.LawfitError` in
    the one format (or ``error``, a subclass). ``rule`` is a constraint, or a tuple of them (any may match), with
    ``None`` allowing None.

    >>> check(3, Integer(1), "n_starts", "fit")
    3
    >>> check(None, (Real(0), None), "cut")
    >>> check(0, Integer(1), "holdout", "backtest")
    Traceback (most recent call last):
    lawfit.errors.LawfitError: The 'holdout' parameter of backtest must be an integer >= 1. Got 0 instead.
    >>> check("x", (Options("run", "group"), None), "resample")
    Traceback (most recent call last):
    lawfit.errors.LawfitError: The 'resample' parameter must be one of 'run', 'group' or None. Got 'x' instead.
    """
    rules = rule if isinstance(rule, tuple) else (rule,)
    if value is None and None in rules:
        return None
    for each in rules:
        if each is not None and each.accepts(value):
            return each.coerce(value)
    wanted = [each.describe() for each in rules if each is not None]
    if None in rules:
        wanted.append("None")
    what = wanted[0] if len(wanted) == 1 else ", ".join(wanted[:-1]) + " or " + wanted[-1]
    of = f" of {where}" if where else ""
    raise error(f"The '{name}' parameter{of} must be {what}. Got {value!r} instead.")


def constrained(**rules: Rule) -> Callable[[_F], _F]:
    """Declare the constraints of a function's parameters; each call checks the arguments given (defaults are
    trusted) before the body runs, in the one message format naming the function.

    >>> @constrained(n=Integer(1))
    ... def repeat(text, n=1):
    ...     return text * n
    >>> repeat("ab", n=2)
    'abab'
    >>> repeat("ab", 0)
    Traceback (most recent call last):
    lawfit.errors.LawfitError: The 'n' parameter of repeat must be an integer >= 1. Got 0 instead.
    """

    def decorate(function: _F) -> _F:
        sig = signature(function)
        unknown = set(rules) - set(sig.parameters)
        if unknown:  # a typo in a declaration is a bug of lawfit, caught at import
            raise TypeError(f"{function.__qualname__} has no parameters {sorted(unknown)}")
        name = function.__name__

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            given = sig.bind_partial(*args, **kwargs).arguments
            for key, rule in rules.items():
                if key in given:
                    check(given[key], rule, key, name)
            return function(*args, **kwargs)

        checked.__lawfit_constraints__ = dict(rules)  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


#: A bootstrap's resample count where 0 turns the bootstrap off, and a seed.
RESAMPLES_OR_NONE = Integer(2, zero="no bootstrap")
RESAMPLES = Integer(2)
SEED = Integer()
