"""The planning verbs: optimal, target, inference, isoflop, suggest."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_runs_options, load_runs_from, numbers
from ._output import dumps_strict


def _add_fit_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("fit", metavar="FIT.json", help="a fit saved by `lawfit fit ... -o FIT.json` (with --bootstrap)")


def _add_common(p: argparse.ArgumentParser, *, level: bool = True) -> None:
    p.add_argument("--cost", type=float, default=6.0, metavar="K", help="training FLOPs per parameter per token (6)")
    if level:
        p.add_argument("--level", type=float, default=0.95, help="level of the bootstrap intervals (0.95)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def add_verbs(verbs: Any) -> None:
    """Add optimal, target, inference, isoflop and suggest to the ``lawfit`` sub-command parser."""
    p = verbs.add_parser(
        "optimal",
        help="compute-optimal N and D for a budget",
        description="The compute-optimal parameters N* and tokens D* for each budget, the loss there and the "
        "frontier's exponent, with bootstrap intervals when the fit has draws.",
    )
    _add_fit_argument(p)
    p.add_argument("--compute", required=True, metavar="C", help="budget(s) in FLOPs: 1e24 or 1e22,1e23,1e24")
    _add_common(p)

    p = verbs.add_parser(
        "target",
        help="compute needed to reach a loss",
        description="The smallest budget whose compute-optimal model reaches the loss, with its N and D.",
    )
    _add_fit_argument(p)
    p.add_argument("--loss", required=True, metavar="L", help="target loss(es): 2.0 or 2.0,1.9")
    _add_common(p)

    p = verbs.add_parser(
        "inference",
        help="size that minimises training plus inference compute",
        description="The N and D that reach a loss with the least training plus inference FLOPs, for an expected "
        "number of inference tokens (Sardana et al. 2024), against the compute-optimal model.",
    )
    _add_fit_argument(p)
    p.add_argument("--loss", required=True, type=float, metavar="L", help="the loss the model must reach")
    p.add_argument(
        "--inference-tokens", required=True, type=float, metavar="T", help="tokens to be served over its life"
    )
    _add_common(p)

    p = verbs.add_parser(
        "isoflop",
        help="IsoFLOP analysis (Approach 2) of runs at fixed budgets",
        description="Per budget, a parabola of the loss in log N (or log D) and its minimum; then power laws "
        "N* = a*C^b and D* = a*C^b of the optima against compute. Points off their parabola and budgets whose "
        "minimum lies outside the sizes tried are flagged and left out.",
    )
    add_runs_options(p)
    p.add_argument("--x", choices=("N", "D"), default="N", help="the axis of the parabolas: N or D (N)")
    p.add_argument("--rtol", type=float, default=0.05, help="budgets within this relative distance are one (0.05)")
    p.add_argument("--bootstrap", type=int, default=0, metavar="R", help="R resamples within each budget")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (0)")
    p.add_argument("--at", metavar="C", help="also give N* and D* at these budgets: 3.8e25 or 1e24,1e25")
    _add_common(p)

    p = verbs.add_parser(
        "suggest",
        help="which runs to train next",
        description="Propose runs, within a FLOP budget, that most shrink the bootstrap uncertainty of N* (or of "
        "the loss) at a target compute; each with the reason it was chosen.",
    )
    _add_fit_argument(p)
    p.add_argument("--target-compute", required=True, type=float, metavar="C", help="the budget being planned")
    p.add_argument("--runs", type=int, default=4, metavar="K", help="how many runs to propose (4)")
    p.add_argument("--budget", required=True, type=float, metavar="FLOPS", help="FLOPs for all proposed runs")
    p.add_argument(
        "--quantity", choices=("N_opt", "loss"), default="N_opt", help="what to sharpen: N* or the loss (N_opt)"
    )
    _add_common(p, level=False)


def _load_fit(path: str) -> Any:
    import lawfit

    return lawfit.load_fit(path)


def _cmd_optimal(args: argparse.Namespace) -> int:
    from ..plan import compute_optimal

    frontier = compute_optimal(_load_fit(args.fit), numbers(args.compute), cost=args.cost, level=args.level)
    print(dumps_strict(frontier.to_dict()) if args.json else frontier.summary())
    return 0


def _cmd_target(args: argparse.Namespace) -> int:
    from ..plan import compute_for_loss

    frontier = compute_for_loss(_load_fit(args.fit), numbers(args.loss), cost=args.cost, level=args.level)
    print(dumps_strict(frontier.to_dict()) if args.json else frontier.summary())
    return 0


def _cmd_inference(args: argparse.Namespace) -> int:
    from ..plan import inference_optimal

    plan = inference_optimal(_load_fit(args.fit), args.loss, args.inference_tokens, cost=args.cost, level=args.level)
    print(dumps_strict(plan.to_dict()) if args.json else plan.summary())
    return 0


def _cmd_isoflop(args: argparse.Namespace) -> int:
    from ..plan import isoflop

    result = isoflop(
        load_runs_from(args),
        x=args.x,
        rtol=args.rtol,
        cost=args.cost,
        n_bootstrap=args.bootstrap,
        seed=args.seed,
        level=args.level,
    )
    at = result.predict(numbers(args.at)) if args.at else None
    if args.json:
        record = result.to_dict()
        if at is not None:
            record["at"] = {name: values.tolist() for name, values in at.items()}
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

    result = suggest(
        _load_fit(args.fit),
        target_compute=args.target_compute,
        runs=args.runs,
        budget=args.budget,
        quantity=args.quantity,
        cost=args.cost,
    )
    print(dumps_strict(result.to_dict()) if args.json else result.summary())
    return 0


COMMANDS = {
    "optimal": _cmd_optimal,
    "target": _cmd_target,
    "inference": _cmd_inference,
    "isoflop": _cmd_isoflop,
    "suggest": _cmd_suggest,
}
