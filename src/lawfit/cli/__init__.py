"""The ``lawfit`` command: a thin layer over the public API.

Every verb parses its arguments, calls :mod:`lawfit`, and prints a table (or one JSON object with ``--json``).
Errors print one line on stderr and exit with status 2; no traceback. The verbs live in :mod:`.fitting` (fit,
predict, backtest, compare, demo, datasets), :mod:`.planning` (optimal, target, inference, isoflop, suggest),
:mod:`.curves` (curve fit, curve predict, curve forecast), :mod:`.plotting` (plot) and :mod:`.reporting` (report).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from . import curves, fitting, planning, plotting, reporting

__all__ = ["main"]

_COMMANDS = {
    **fitting.COMMANDS,
    **planning.COMMANDS,
    **curves.COMMANDS,
    **plotting.COMMANDS,
    **reporting.COMMANDS,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lawfit", description="Fit scaling laws to small training runs and forecast large ones."
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars (they show on a terminal only)")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    fitting.add_verbs(verbs)
    planning.add_verbs(verbs)
    curves.add_verbs(verbs)
    plotting.add_verbs(verbs)
    reporting.add_verbs(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lawfit`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    from .._progress import quiet
    from ..errors import LawfitError, LawfitWarning

    try:
        with quiet(args.quiet), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LawfitWarning)
            status = _COMMANDS[args.verb](args)
    except LawfitError as exc:
        print(f"lawfit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lawfit: interrupted", file=sys.stderr)
        return 130
    for item in caught:
        if isinstance(item.message, LawfitWarning):
            print(f"lawfit: warning: {type(item.message).__name__}: {item.message}", file=sys.stderr)
        else:
            warnings.showwarning(item.message, item.category, item.filename, item.lineno)
    return status


if __name__ == "__main__":
    sys.exit(main())
