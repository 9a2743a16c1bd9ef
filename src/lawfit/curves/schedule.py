"""Learning-rate schedules as per-step arrays: built from a description, or rebuilt from sparse logged values.

Loss-curve laws need the learning rate at every optimizer step (the sum of learning rates, the annealing area), while
trackers log it now and then. A schedule of ``steps`` steps is a float64 array of that length: ``lr[k - 1]`` is the
rate of optimizer step ``k``, for ``k = 1 .. steps`` (the step convention of :mod:`lawfit.curves`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import DataError

__all__ = ["KINDS", "MAX_SCHEDULE_STEPS", "MAX_STEP", "from_logged", "parse_schedule", "schedule"]

#: Schedule shapes after the warmup.
KINDS = ("constant", "cosine", "linear", "wsd", "stages")

#: The largest step a curve may log. Steps are optimizer updates: 10**12 of them take 30 years at one a
#: millisecond, a million times the longest language-model runs (about 10**6 steps). A larger step is a token or
#: sample count, a timestamp or a corrupt value, and would wrap round in int64 from 2**63 on.
MAX_STEP = 10**12

#: The longest schedule lawfit builds. A schedule holds the learning rate of every step, 8 bytes each, and a fit
#: holds a few such arrays: 10**8 steps take 800 MB an array, 100 times the longest runs; a longer one is built
#: only from a mistaken step (a token count, say) and would exhaust the memory rather than fit.
MAX_SCHEDULE_STEPS = 10**8


def schedule(
    kind: str,
    *,
    steps: int,
    peak: float,
    warmup: int = 0,
    final: float = 0.0,
    decay_start: int | None = None,
    decay: str = "linear",
    stages: Sequence[tuple[int, float]] = (),
) -> np.ndarray:
    """The learning rate of each optimizer step ``1 .. steps``: ``lr[k - 1]`` is the rate of step ``k``.

    The shapes are written in ``s = k - 1``, the number of updates before step ``k``, as ``transformers``'
    schedulers are (step 1 of a warmup from 0 has rate 0). A linear warmup from 0 to ``peak`` over the first
    ``warmup`` steps (``lr[s] = peak*s/(warmup-1)``), then:

    - ``constant``: ``peak``;
    - ``cosine``: from ``peak`` down to ``final`` at ``steps``, ``final + (peak-final)*(1+cos(pi*u))/2`` with
      ``u = (s-warmup)/(steps-warmup)``;
    - ``linear``: straight from ``peak`` to ``final`` at ``steps``;
    - ``wsd`` (warmup-stable-decay): ``peak`` until ``decay_start``, then to ``final`` at ``steps`` by ``decay``:
      ``"linear"``, ``"geometric"`` (``peak**(1-v) * final**v``) or ``"cosine"``;
    - ``stages``: ``peak`` until the first stage, then each ``(start_step, lr)`` of ``stages`` holds from its step on.

    Examples
    --------
    >>> lr = schedule("cosine", steps=24000, peak=3e-4, final=3e-5, warmup=2160)
    >>> float(lr[0]), float(lr[2159]), float(lr[2160]), round(float(lr[-1]), 10)
    (0.0, 0.0003, 0.0003, 3e-05)
    >>> schedule("stages", steps=16000, peak=3e-4, warmup=2160, stages=[(8000, 9e-5)])[[7999, 8000]].tolist()
    [0.0003, 9e-05]
    """
    if kind not in KINDS:
        raise DataError(f"Unknown schedule kind {kind!r}. Known: {', '.join(KINDS)}.")
    steps, warmup = _count(steps, "steps", 1, MAX_SCHEDULE_STEPS), _count(warmup, "warmup", 0)
    if warmup >= steps:
        raise DataError(f"The warmup ({warmup} steps) must be shorter than the schedule ({steps} steps).")
    peak, final = _rate(peak, "peak"), _rate(final, "final")
    s = np.arange(steps, dtype=np.float64)
    lr = np.full(steps, peak)
    if warmup:
        lr[:warmup] = np.linspace(0.0, peak, warmup)
    after = s[warmup:]
    span = max(steps - warmup, 1)
    if kind == "cosine":
        lr[warmup:] = final + 0.5 * (peak - final) * (1.0 + np.cos(math.pi * (after - warmup) / span))
    elif kind == "linear":
        lr[warmup:] = peak + (final - peak) * (after - warmup) / span
    elif kind == "wsd":
        start = warmup if decay_start is None else _count(decay_start, "decay_start", warmup)
        if start > steps:
            raise DataError(f"The decay_start ({start}) must not be after the last step ({steps}).")
        v = np.clip((after - start) / max(steps - start, 1), 0.0, None)
        if decay == "linear":
            decayed = peak + (final - peak) * v
        elif decay == "geometric":
            if final <= 0:
                raise DataError("A geometric decay needs final > 0 (it decays by a constant factor per step).")
            decayed = peak ** (1.0 - v) * final**v
        elif decay == "cosine":
            decayed = final + 0.5 * (peak - final) * (1.0 + np.cos(math.pi * v))
        else:
            raise DataError(f"Unknown decay {decay!r} of a wsd schedule. Known: linear, geometric, cosine.")
        lr[warmup:] = np.where(after < start, peak, decayed)
    elif kind == "stages":
        if not stages:
            raise DataError("A 'stages' schedule needs stages=[(start_step, lr), ...].")
        previous = warmup
        for start, value in stages:
            start = _count(start, "stage start", previous)
            lr[start:] = _rate(value, "stage lr")
            previous = start
    return lr


def from_logged(step: Sequence[int] | np.ndarray, lr: Sequence[float] | np.ndarray, steps: int) -> np.ndarray:
    """The schedule of steps ``1 .. steps`` rebuilt from sparsely logged ``(step, lr)`` points by linear
    interpolation (``out[k - 1]`` is the rate of step ``k``).

    Before the first logged step the schedule ramps linearly from 0 at step 0 (a warmup) if the first point is after
    step 0; after the last it holds the last value. Interpolation is exact for piecewise-linear schedules logged at
    their corners and close for smooth ones logged often; give the schedule itself (:func:`schedule`) when you know
    it.

    >>> from_logged([0, 10], [1.0, 0.0], 12)[7:].round(6).tolist()  # steps 8 .. 12
    [0.2, 0.1, 0.0, 0.0, 0.0]
    """
    step = np.asarray(step, dtype=np.float64)
    lr = np.asarray(lr, dtype=np.float64)
    keep = np.isfinite(step) & np.isfinite(lr)
    step, lr = step[keep], lr[keep]
    if step.size == 0:
        raise DataError("No learning rate was logged; give the schedule (lawfit.curves.schedule) instead.")
    if np.any(lr < 0):
        raise DataError("Logged learning rates must be >= 0.")
    order = np.argsort(step, kind="stable")
    step, lr = step[order], lr[order]
    if step[0] > 0:
        step, lr = np.r_[0.0, step], np.r_[0.0, lr]
    return np.interp(np.arange(1, _count(steps, "steps", 1, MAX_SCHEDULE_STEPS) + 1, dtype=np.float64), step, lr)


_DESCRIPTION = re.compile(r"^\s*(\w+)\s*(?::\s*(.*))?$")


def parse_schedule(text: str) -> np.ndarray:
    """A schedule from a description: ``KIND:key=value,...``, keys as in :func:`schedule`.

    Stages are written ``stages=8000@9e-5;12000@3e-5``.

    >>> lr = parse_schedule("wsd:steps=24000,peak=3e-4,final=3e-5,warmup=2160,decay_start=20000,decay=geometric")
    >>> round(float(lr[22000]) / 3e-4, 6)
    0.316228
    """
    match = _DESCRIPTION.match(text or "")
    if match is None:
        raise DataError(f"A schedule is written KIND:key=value,... e.g. 'cosine:steps=24000,peak=3e-4'. Got {text!r}.")
    kind, body = match.group(1), match.group(2) or ""
    options: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in body.split(","))):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise DataError(f"Schedule options are key=value. Got {item!r} in {text!r}.")
        if key == "stages":
            options[key] = [_stage(part, text) for part in value.split(";") if part.strip()]
        elif key == "decay":
            options[key] = value
        elif key in ("steps", "warmup", "decay_start", "peak", "final"):
            options[key] = _number(value, key, text)
        else:
            raise DataError(
                f"Unknown schedule option {key!r} in {text!r}. Known: steps, peak, warmup, final, decay_start, "
                "decay, stages."
            )
    for needed in ("steps", "peak"):
        if needed not in options:
            raise DataError(f"The schedule {text!r} needs {needed}=...")
    return schedule(kind, **options)


def schedules_from(mapping: Mapping[str, Any] | None) -> dict[str, np.ndarray]:
    """Per-run schedules from arrays or descriptions (``{"run": "cosine:steps=...", ...}``)."""
    out: dict[str, np.ndarray] = {}
    for name, value in (mapping or {}).items():
        lr = parse_schedule(value) if isinstance(value, str) else np.asarray(value, dtype=np.float64)
        if lr.ndim != 1 or lr.size == 0 or not np.all(np.isfinite(lr)) or np.any(lr < 0):
            raise DataError(f"The schedule of run {name!r} must be a 1-D array of finite learning rates >= 0.")
        out[str(name)] = lr
    return out


def _stage(part: str, text: str) -> tuple[int, float]:
    start, sep, value = part.partition("@")
    if not sep:
        raise DataError(f"A stage is written START@LR, e.g. 8000@9e-5. Got {part!r} in {text!r}.")
    return int(_number(start, "stage start", text)), _number(value, "stage lr", text)


def _number(value: str, key: str, text: str) -> Any:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise DataError(f"The schedule option {key} must be a number, not inf or nan. Got {value!r} in {text!r}.")
    return int(number) if key in ("steps", "warmup", "decay_start", "stage start") else number


def _count(value: Any, name: str, low: int, high: int | None = None) -> int:
    try:
        whole = not isinstance(value, bool) and float(value).is_integer()
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole or int(value) < low:
        raise DataError(f"The schedule's {name} must be a whole number >= {low}. Got {value!r}.")
    if high is not None and int(value) > high:
        raise DataError(
            f"The schedule's {name} must be at most {high:,} (MAX_SCHEDULE_STEPS): lawfit holds the learning rate of "
            f"every step, 8 bytes each. Got {int(value):,}; check that it counts optimizer steps, not tokens or "
            "samples."
        )
    return int(value)


def _rate(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise DataError(f"The schedule's {name} learning rate must be a finite number >= 0. Got {value!r}.")
    return float(value)
