"""The repeated-sampling verbs: coverage (pass@k curves, the exponentiated power law, forecasts beyond the samples
drawn, compute-matched comparisons) and passrate (tiny pass rates and their law in N or C)."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_level_option, add_table_options, numbers, pairs, speaks_cli
from ._output import dumps_strict
from .capabilities import add_figure_options, check_figure_outputs, command_line

_DPI = 200  # as lawfit plot

_JSON_HELP = "print one strict JSON object instead of a table"


def _add_bootstrap_options(p: argparse.ArgumentParser, what: str, default: int) -> None:
    p.add_argument("--bootstrap", type=int, default=default, metavar="R", help=f"R resamples of {what} ({default})")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and of --samples-per-problem (0)")


def add_verbs(verbs: Any) -> None:
    """Add coverage and passrate to the ``lawfit`` sub-command parser."""
    p = verbs.add_parser(
        "coverage",
        help="repeated sampling: coverage against k, its law, forecasts beyond the samples drawn",
        description="From per-problem counts (samples drawn, samples correct; a model column splits them), per "
        "model: the coverage curve (the mean over problems of the unbiased pass@k, with a bootstrap band over "
        "problems), the exponentiated power law log coverage = a k^b fitted to it (Brown et al. 2024), and the "
        "coverage forecast at each K (beyond the samples drawn too) from a distribution of per-problem success "
        "(a Beta and a Kumaraswamy, each fitted by maximum likelihood, averaged by likelihood), with intervals. "
        "With --samples-per-problem M, M samples per problem are "
        "first drawn without replacement from the counts (hypergeometric, --seed), and the coverage from all "
        "samples is shown beside as the actual. With --compute and --flops-per-sample: which model gives the most "
        "coverage for the same FLOPs per problem.",
    )
    p.add_argument(
        "--k",
        metavar="K",
        help="sample counts: 100 or 1,10,100,10000 (default: powers of 2 to the samples drawn, and forecasts at 10 "
        "and 100 times them)",
    )
    p.add_argument(
        "--samples-per-problem",
        type=int,
        metavar="M",
        help="first draw M samples per problem without replacement (hypergeometric), to back-test a forecast",
    )
    p.add_argument("--model", action="append", default=[], help="only this model (repeat for several)")
    p.add_argument(
        "--compute", metavar="C", help="FLOPs budgets per problem for a compute-matched comparison: 1e12,1e13"
    )
    p.add_argument(
        "--flops-per-sample",
        action="append",
        default=[],
        metavar="MODEL=FLOPS",
        help="inference FLOPs of one sample of a model (e.g. 2 N x tokens per sample); one per model with --compute",
    )
    add_table_options(
        p,
        file_help="per-problem counts: CSV, TSV, Parquet, JSON or JSON Lines",
        columns="model, n (samples drawn) or c (samples correct)",
        drop_bad=None,
    )
    add_level_option(p, "the bands and forecast intervals")
    _add_bootstrap_options(p, "problems (0: no bands)", 400)
    p.add_argument("--json", action="store_true", help=_JSON_HELP)
    add_figure_options(
        p,
        "coverage against k per model, with its band, the law, the success distribution's coverage and the "
        "forecasts beyond the samples drawn",
    )

    p = verbs.add_parser(
        "passrate",
        help="tiny pass rates (PassUntil) and their law in N or C",
        description="From one row per model and instance (the model, its N or C, the attempts, and the successes; "
        "without a successes column the attempts were made until one success, as in Hu et al. 2023's PassUntil): "
        "each model's maximum-likelihood pass rate with its exact interval (Clopper-Pearson, or the exact interval "
        "of sampling until a success), and the law pass rate = A x^b across models, fitted by maximum likelihood "
        "of the counts, with intervals from resampling each model's instances.",
    )
    p.add_argument("--x", choices=("N", "C"), help="the scale of the law: N (parameters) or C (FLOPs); default: found")
    p.add_argument(
        "--counts",
        action="store_true",
        help="the attempts were a fixed number, not made until a success (the default with a successes column)",
    )
    p.add_argument("--predict", metavar="X", help="the pass rate at these values of the scale: 1e11 or 1e11,1e12")
    add_table_options(
        p,
        file_help="one row per model and instance: CSV, TSV, Parquet, JSON or JSON Lines",
        columns="model, N, C, attempts or successes",
        drop_bad=None,
    )
    add_level_option(p, "the exact intervals and the law's")
    _add_bootstrap_options(p, "instances within each model", 1000)
    p.add_argument("--json", action="store_true", help=_JSON_HELP)


def _cmd_coverage(args: argparse.Namespace) -> int:
    import numpy as np

    from ..capabilities import coverage as cov
    from ..errors import LawfitError

    figure, report = check_figure_outputs(args, [args.file])
    counts = cov.read_counts(args.file, columns=pairs(args.col, "--col"), format=args.format)
    models = cov.by_model(counts, args.model or None)
    asked = None if args.k is None else [int(v) if v.is_integer() else v for v in numbers(args.k)]
    records: dict[str, Any] = {}
    texts = []
    used_counts = {}
    results: dict[str, dict[str, Any]] = {}
    for model in models:
        n_all, c_all = counts[model]
        n, c = n_all, c_all
        if args.samples_per_problem is not None:
            n, c = cov.subsample_counts(n_all, c_all, args.samples_per_problem, seed=args.seed)
        used_counts[model] = (n, c)
        drawn = int(n.min())
        ks = asked if asked is not None else sorted({*(2**i for i in range(30) if 2**i <= drawn), drawn})
        inside = [k for k in ks if k <= drawn]
        curve = cov.coverage_curve(n, c, inside or [1], level=args.level, n_resamples=args.bootstrap, seed=args.seed)
        record: dict[str, Any] = {"n_problems": int(n.size), "samples_per_problem": drawn, "curve": curve.to_dict()}
        text = [f"model      {model}: {n.size} problems, {drawn} samples each (fewest)", curve.summary()]
        results[model] = {"curve": curve, "law": None, "forecast": None}
        usable = (curve.coverage > 0) & (curve.coverage < 1)
        if usable.sum() >= 2:
            law = cov.fit_exp_power_law(curve.k[usable], curve.coverage[usable])
            results[model]["law"] = law
            record["law"] = law.to_dict()
            text.append(law.summary())
        else:
            text.append("law        not fitted: fewer than two k with coverage strictly between 0 and 1")
        try:
            ahead = ks if asked is not None else [*ks, 10 * drawn, 100 * drawn]
            forecast = cov.forecast_coverage(n, c, ahead, level=args.level, n_resamples=args.bootstrap, seed=args.seed)
        except LawfitError as error:
            text.append(f"forecast   none: {error}")
        else:
            results[model]["forecast"] = forecast
            record["forecast"] = forecast.to_dict()
            text.append(forecast.summary())
            if "law" in record:
                record["forecast"]["law"] = law.predict(forecast.k).tolist()
            full = int(n_all.min())
            if args.samples_per_problem is not None:
                actual_k = [k for k in ks if k <= full]
                actual = cov.pass_at_k(n_all, c_all, actual_k).mean(axis=0) if actual_k else np.array([])
                record["actual"] = {"k": actual_k, "coverage": actual.tolist(), "samples_per_problem": full}
                text.append(
                    f"actual     coverage from all {full} samples per problem: "
                    + ", ".join(f"k={k}: {v:.4f}" for k, v in zip(actual_k, actual, strict=True))
                )
        records[model] = record
        texts.append("\n".join(text))
    out: dict[str, Any] = {"models": records}
    if args.compute is not None or args.flops_per_sample:
        if args.compute is None or not args.flops_per_sample:
            raise LawfitError("A compute-matched comparison needs both --compute C and --flops-per-sample MODEL=FLOPS.")
        flops = {name: float(value) for name, value in _flops(args.flops_per_sample).items()}
        matched = cov.compute_matched({m: used_counts[m] for m in models}, flops, numbers(args.compute))
        out["compute_matched"] = matched.to_dict()
        texts.append(matched.summary())
    if figure is not None:
        from .. import plot
        from .._files import write_figure

        write_figure(plot.plot_coverage(results), figure, dpi=_DPI)
        out["figure"] = str(figure)
        texts.append(f"figure     {figure} (coverage against k)")
    if report is not None:
        from ..report import write_capabilities_report

        command = command_line("coverage", args, _COVERAGE_OPTIONS)
        write_capabilities_report(report, coverage=results, command=command, force=args.force)
        out["report"] = str(report)
        texts.append(f"report     {report}")
    print(dumps_strict(out) if args.json else "\n\n".join(texts))
    return 0


_COVERAGE_OPTIONS = {
    "--format": "format",
    "--k": "k",
    "--samples-per-problem": "samples_per_problem",
    "--model": "model",
    "--bootstrap": "bootstrap",
    "--seed": "seed",
    "--level": "level",
}


def _flops(items: list[str]) -> dict[str, float]:
    from ..errors import LawfitError

    out = {}
    for name, value in pairs(items, "--flops-per-sample").items():
        try:
            out[name] = float(value)
        except ValueError:
            raise LawfitError(f"--flops-per-sample takes MODEL=FLOPS with a number. Got {name}={value!r}.") from None
    return out


def _cmd_passrate(args: argparse.Namespace) -> int:
    from ..capabilities import passrate

    rates = passrate.pass_rates(
        args.file,
        x=args.x,
        until=False if args.counts else None,
        columns=pairs(args.col, "--col"),
        format=args.format,
        level=args.level,
    )
    law = passrate.fit_pass_rate_law(rates, level=args.level, n_resamples=args.bootstrap, seed=args.seed)
    record: dict[str, Any] = {"rates": rates.to_dict(), "law": law.to_dict()}
    text = [rates.summary(), law.summary()]
    if args.predict is not None:
        at = numbers(args.predict)
        rate, low, high = law.predict(at)
        record["predict"] = {
            law.x_name: at,
            "rate": rate.tolist(),
            "intervals": {
                "rate": {"value": rate.tolist(), "low": low.tolist(), "high": high.tolist(), "level": law.level}
            },
        }
        text += [
            f"predict    {law.x_name} = {x:.4g}: pass rate {r:.4g} [{lo:.4g}, {hi:.4g}]"
            for x, r, lo, hi in zip(at, rate, low, high, strict=True)
        ]
    print(dumps_strict(record) if args.json else "\n".join(text))
    return 0


_WORDS = {"k": "--k", "n_resamples": "--bootstrap", "samples": "--samples-per-problem", "x": "--x", "seed": "--seed"}

COMMANDS = {
    "coverage": speaks_cli(_cmd_coverage, _WORDS),
    "passrate": speaks_cli(_cmd_passrate, _WORDS),
}
