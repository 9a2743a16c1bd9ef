"""The planning verbs: optimal, target, inference, isoflop, suggest."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import (
    add_level_option,
    add_runs_options,
    interval_record,
    intervals_of,
    load_runs_from,
    numbers,
    speaks_cli,
)
from ._output import dumps_strict

_JSON_HELP = "print one strict JSON object instead of a table"
_COMPUTE_HELP = "compute budget(s) in FLOPs: 1e24 or 1e22,1e23,1e24"


def _add_fit_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("fit", metavar="FIT.json", help="a fit saved by `lawfit fit ... -o FIT.json` (with --bootstrap)")


def _add_common(p: argparse.ArgumentParser, *, level: bool = True) -> None:
    p.add_argument("--cost", type=float, default=6.0, metavar="K", help="training FLOPs per parameter per token (6)")
    if level:
        add_level_option(p, "the bootstrap intervals")
    p.add_argument("--json", action="store_true", help=_JSON_HELP)


_BEYOND = "Plans beyond 10x the largest run warn (ExtrapolationWarning)."


def add_verbs(verbs: Any) -> None:
    """Add optimal, target, inference, isoflop and suggest to the ``lawfit`` sub-command parser."""
    p = verbs.add_parser(
        "optimal",
        help="compute-optimal N and D for a budget",
        description="The compute-optimal parameters N* and tokens D* for each budget, the loss there and the "
        f"frontier's exponent, with bootstrap intervals when the fit has draws. {_BEYOND}",
    )
    _add_fit_argument(p)
    p.add_argument("--compute", required=True, metavar="C", help=_COMPUTE_HELP)
    _add_common(p)

    p = verbs.add_parser(
        "target",
        help="compute needed to reach a loss",
        description=f"The smallest budget whose compute-optimal model reaches the loss, with its N and D. {_BEYOND}",
    )
    _add_fit_argument(p)
    p.add_argument("--target-loss", required=True, metavar="L", help="the loss(es) to reach: 2.0 or 2.0,1.9")
    _add_common(p)

    p = verbs.add_parser(
        "inference",
        help="size that minimises training plus inference compute",
        description="The N and D that reach a loss with the least training plus inference FLOPs, for an expected "
        f"number of inference tokens (Sardana et al. 2024), against the compute-optimal model. {_BEYOND}",
    )
    _add_fit_argument(p)
    p.add_argument("--target-loss", required=True, type=float, metavar="L", help="the loss the model must reach")
    p.add_argument(
        "--inference-tokens", required=True, type=float, metavar="T", help="tokens to be served over its life"
    )
    _add_common(p)

    p = verbs.add_parser(
        "isoflop",
        help="IsoFLOP analysis (Approach 2) of runs at fixed budgets",
        description="Per budget, a parabola of the loss in log N (or log D) and its minimum; then power laws "
        "N* = a*C^b and D* = a*C^b of the optima against compute. Points off their parabola and budgets whose "
        "minimum lies outside the sizes tried are flagged and left out. With --compute, N* and D* at those budgets "
        "too; beyond 10x the largest budget of the runs they warn (ExtrapolationWarning).",
    )
    add_runs_options(p)
    p.add_argument("--x", choices=("N", "D"), default="N", help="the axis of the parabolas: N or D (N)")
    p.add_argument("--rtol", type=float, default=0.05, help="budgets within this relative distance are one (0.05)")
    p.add_argument("--bootstrap", type=int, default=0, metavar="R", help="R resamples within each budget (0: none)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (0)")
    p.add_argument("--compute", metavar="C", help="also give N* and D* at these budgets: 3.8e25 or 1e24,1e25")
    _add_common(p)

    p = verbs.add_parser(
        "suggest",
        help="which runs to train next",
        description="Propose runs, costing SPEND FLOPs together, that most shrink the bootstrap uncertainty of N* "
        f"(or of the loss) at the planned compute budget; each with the reason it was chosen. {_BEYOND}",
    )
    _add_fit_argument(p)
    p.add_argument("--compute", required=True, type=float, metavar="C", help="the compute budget being planned")
    p.add_argument("--runs", type=int, default=4, metavar="K", help="how many runs to propose (4)")
    p.add_argument(
        "--spend", required=True, type=float, metavar="FLOPS", help="the FLOPs to spend on all proposed runs together"
    )
    p.add_argument(
        "--quantity", choices=("N_opt", "loss"), default="N_opt", help="what to sharpen: N* or the loss (N_opt)"
    )
    _add_common(p, level=False)


def _warn_beyond(fit: Any, compute: Any = None, *, cost: float = 6.0) -> None:
    """An :class:`~lawfit.ExtrapolationWarning` when a planned budget lies beyond 10x the fitted runs' largest
    compute, as ``predict`` warns for an input (the planned N and D are checked by :mod:`lawfit.plan` itself).

    A fit of a law in N and D keeps the ranges of N and D, not of C: the largest run's compute is then at most
    ``cost * largest N * largest D``, and the budget is at least the ratio to that."""
    import warnings

    import numpy as np

    from ..diagnostics import EXTRAPOLATION_LIMIT, extrapolation
    from ..errors import ExtrapolationWarning

    values = np.asarray(compute, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if not values.size:
        return
    ranges = fit.data.get("ranges", {})
    if "C" in ranges:
        warning = extrapolation({"C": values}, ranges, EXTRAPOLATION_LIMIT)
    elif "N" in ranges and "D" in ranges:
        bound = cost * float(ranges["N"][1]) * float(ranges["D"][1])
        worst = float(values.max())
        warning = None
        if worst > EXTRAPOLATION_LIMIT * bound:
            warning = ExtrapolationWarning(
                f"Extrapolation: the plan's compute C = {worst:.3g} FLOPs is at least {worst / bound:.3g} times the "
                f"largest run's (at most {cost:g} x largest N x largest D = {bound:.3g}), beyond the "
                f"{EXTRAPOLATION_LIMIT:g}x limit; trust the plan less, and back-test the law (lawfit backtest) before "
                "relying on it.",
                input="C",
                value=worst,
                largest=bound,
                limit=float(EXTRAPOLATION_LIMIT),
            )
    else:
        return
    if warning is not None:
        warnings.warn(warning, stacklevel=2)


def _frontier_json(record: dict[str, Any]) -> dict[str, Any]:
    """A frontier's record with one ``intervals`` entry per quantity (see :func:`interval_record`)."""
    record = dict(record)
    level = record.pop("level", None)
    if "intervals" in record:
        record["intervals"] = intervals_of(record, record["intervals"], level)
    return record


def _load_fit(path: str) -> Any:
    import lawfit

    return lawfit.load_fit(path)


def _cmd_optimal(args: argparse.Namespace) -> int:
    from ..plan import compute_optimal

    fit = _load_fit(args.fit)
    budgets = numbers(args.compute)
    frontier = compute_optimal(fit, budgets, cost=args.cost, level=args.level)
    _warn_beyond(fit, budgets, cost=args.cost)
    print(dumps_strict(_frontier_json(frontier.to_dict())) if args.json else frontier.summary())
    return 0


def _cmd_target(args: argparse.Namespace) -> int:
    from ..plan import compute_for_loss

    fit = _load_fit(args.fit)
    frontier = compute_for_loss(fit, numbers(args.target_loss), cost=args.cost, level=args.level)
    _warn_beyond(fit, frontier.C, cost=args.cost)
    print(dumps_strict(_frontier_json(frontier.to_dict())) if args.json else frontier.summary())
    return 0


def _cmd_inference(args: argparse.Namespace) -> int:
    from ..plan import inference_optimal

    fit = _load_fit(args.fit)
    plan = inference_optimal(fit, args.target_loss, args.inference_tokens, cost=args.cost, level=args.level)
    _warn_beyond(fit, plan.training_flops, cost=args.cost)
    if not args.json:
        print(plan.summary())
        return 0
    record = plan.to_dict()
    level = record.pop("level", None)
    if "intervals" in record:
        values = {**record, "total": record["total_flops"]}
        record["intervals"] = intervals_of(values, record["intervals"], level)
    print(dumps_strict(record))
    return 0


def _cmd_isoflop(args: argparse.Namespace) -> int:
    import numpy as np

    from ..diagnostics import EXTRAPOLATION_LIMIT, extrapolation
    from ..plan import isoflop

    result = isoflop(
        load_runs_from(args),
        x=args.x,
        rtol=args.rtol,
        cost=args.cost,
        n_resamples=args.bootstrap,
        seed=args.seed,
        level=args.level,
    )
    at = result.predict(numbers(args.compute)) if args.compute else None
    if at is not None:
        budgets = result.optima["C"].to_numpy(dtype=np.float64)
        warning = extrapolation({"C": at["C"]}, {"C": [budgets.min(), budgets.max()]}, EXTRAPOLATION_LIMIT)
        if warning is not None:
            import warnings

            warnings.warn(warning, stacklevel=1)
    if args.json:
        record = result.to_dict()
        for name in ("params", "tokens"):
            law = dict(record[name])
            level = law.pop("level", None)
            if "intervals" in law:
                law["intervals"] = intervals_of(law, law["intervals"], level)
            record[name] = law
        if at is not None:
            optimal: dict[str, Any] = {name: at[name].tolist() for name in ("C", "N", "D")}
            if "N_low" in at:
                optimal["intervals"] = {
                    name: interval_record(at[name], at[f"{name}_low"], at[f"{name}_high"], result.level)
                    for name in ("N", "D")
                }
            record["optimal"] = optimal
        print(dumps_strict(record))
        return 0
    print(result.summary())
    if at is not None:
        print("")
        for i, c in enumerate(at["C"]):
            parts = []
            for name in ("N", "D"):
                text = f"{name}* = {at[name][i]:.4g}"
                if f"{name}_low" in at:
                    text += f" [{at[name + '_low'][i]:.4g}, {at[name + '_high'][i]:.4g}]"
                parts.append(text)
            print(f"at C = {c:.4g}: " + ", ".join(parts))
    return 0


def _cmd_suggest(args: argparse.Namespace) -> int:
    from ..plan import suggest

    fit = _load_fit(args.fit)
    result = suggest(
        fit,
        target_compute=args.compute,
        runs=args.runs,
        budget=args.spend,
        quantity=args.quantity,
        cost=args.cost,
    )
    _warn_beyond(fit, args.compute, cost=args.cost)
    if not args.json:
        print(result.summary())
        return 0
    record = result.to_dict()
    record = {"C": record.pop("target_compute"), "spend": record.pop("budget"), **record}
    print(dumps_strict(record))
    return 0


_PLAN = {"compute": "--compute", "target_loss": "--target-loss", "inference_tokens": "--inference-tokens"}

COMMANDS = {
    "optimal": speaks_cli(_cmd_optimal, _PLAN),
    "target": speaks_cli(_cmd_target, _PLAN),
    "inference": speaks_cli(_cmd_inference, _PLAN),
    "isoflop": speaks_cli(
        _cmd_isoflop, {"x": "--x", "rtol": "--rtol", "n_resamples": "--bootstrap", "compute": "--compute"}
    ),
    "suggest": speaks_cli(
        _cmd_suggest,
        {"target_compute": "--compute", "budget": "--spend", "runs": "--runs", "quantity": "--quantity"},
    ),
}
