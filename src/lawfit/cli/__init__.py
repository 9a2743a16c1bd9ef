"""The ``lawfit`` command: a thin layer over the public API.

Every verb parses its arguments, calls :mod:`lawfit`, and prints a table (or one strict JSON object with ``--json``,
see :mod:`._output`). The verbs live in :mod:`.fitting` (fit, predict, backtest, compare, demo, datasets),
:mod:`.planning` (optimal, target, inference, isoflop, suggest), :mod:`.curves` (curve fit, curve predict, curve
forecast), :mod:`.plotting` (plot) and :mod:`.reporting` (report).

What the command promises, whatever the verb:

- A failure is one line on stderr, never a traceback. Exit status 2 for what the user can fix: a
  :class:`~lawfit.LawfitError`, a bad option, a file that cannot be read or written, text that is not UTF-8, or
  a request too large for memory. Exit status 1 for an internal error (a bug), with a hint to rerun with
  ``--debug``, which prints the full traceback (and Python's own warnings) as well.
- lawfit's typed warnings print once each as ``lawfit: warning: Kind: message``; other warnings (numpy's
  floating-point RuntimeWarnings, libraries' deprecations) are not shown unless ``--debug``.
- Output into a pipe closed early (``lawfit ... | head -1``) ends quietly with exit status 141, as a tool
  killed by SIGPIPE does, so that ``set -o pipefail`` sees it as for ``grep`` or ``cat``.
- ``-q`` and ``--debug`` go before or after the verb.
- ``lawfit --help``, ``--version`` and the verbs that read a saved fit (predict, optimal, target, inference) or list
  data (datasets) import neither JAX nor pandas: the verb modules import lawfit's pieces inside their commands.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

from .._version import __version__
from . import batch, capabilities, coverage, curves, fitting, hparams, planning, plotting, reporting

__all__ = ["EXIT_INTERNAL", "EXIT_PIPE", "EXIT_USER", "MAX_BOOTSTRAP", "main"]

EXIT_INTERNAL = 1  # a bug in lawfit (or a library under it): the message asks for --debug
EXIT_USER = 2  # the input, the options or the machine: the message says what to change
EXIT_INTERRUPTED = 130  # Ctrl-C, as the shell counts SIGINT
EXIT_PIPE = 141  # stdout closed before the output was written, as the shell counts SIGPIPE

# Intervals settle within a few thousand resamples; the bootstrap's memory and time grow with the count.
MAX_BOOTSTRAP = 100_000

_COMMANDS = {
    **fitting.COMMANDS,
    **planning.COMMANDS,
    **curves.COMMANDS,
    **plotting.COMMANDS,
    **reporting.COMMANDS,
    **batch.COMMANDS,
    **hparams.COMMANDS,
    **capabilities.COMMANDS,
    **coverage.COMMANDS,
}

_EPILOG = (
    "Exit status: 0 done; 1 internal error (rerun with --debug for the traceback); 2 an error to fix, told in one "
    "line on stderr; 130 interrupted; 141 the output's pipe closed early. With --json the output is strict JSON: "
    'a number that is not finite is written null and named under "non_finite".'
)


def bootstrap_count(text: str) -> int:
    """The type of every ``--bootstrap``: a count of resamples from 0 to :data:`MAX_BOOTSTRAP`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of resamples, 0 to {MAX_BOOTSTRAP}; got {text!r}"
        ) from None
    if not 0 <= value <= MAX_BOOTSTRAP:
        raise argparse.ArgumentTypeError(
            f"takes 0 to {MAX_BOOTSTRAP} resamples; got {value}. Intervals settle within a few thousand resamples, "
            "while memory and time grow with the count: try 1000"
        )
    return value


class _Parser(argparse.ArgumentParser):
    """A parser whose usage errors are one line, like lawfit's other errors."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER, f"lawfit: error: {message} (see `{self.prog} --help`)\n")

    def print_help(self, file: Any = None) -> None:
        # argparse's own would swallow a closed pipe, and --help would exit 0 or 141 as stdout is buffered or not.
        (file if file is not None else sys.stdout).write(self.format_help())


class _VerbParser(_Parser):
    """The parser of each verb (and of each sub-verb, as of ``curve``: argparse makes those of the same class).

    It takes the global options too, so that they may follow the verb; they default to nothing here, so that
    one given before the verb stands. Every ``--bootstrap`` it is given is checked by :func:`bootstrap_count`.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _add_global_options(self, default=argparse.SUPPRESS)

    def add_argument(self, *args: Any, **kwargs: Any) -> Any:
        if "--bootstrap" in args:
            kwargs["type"] = bootstrap_count
        return super().add_argument(*args, **kwargs)


def _add_global_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="no progress bars (they show on a terminal only)"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="on an error, print the full traceback; show Python's own warnings too",
    )


class _Unused:
    """Takes the options of a verb that is not run, and drops them."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self


class _OnlyVerb:
    """The sub-command action as the verb modules see it: the verb ``wanted`` gets its parser in full, every other
    verb only its name and help (enough for ``lawfit --help`` and for telling an unknown verb), since building the
    options of some thirty parsers costs a command that runs one of them more than its own work."""

    def __init__(self, verbs: Any, wanted: str | None) -> None:
        self._verbs = verbs
        self._wanted = wanted

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if name == self._wanted:
            return self._verbs.add_parser(name, **kwargs)
        self._verbs.add_parser(name, help=kwargs.get("help"), add_help=False)
        return _Unused()


def _verb_of(argv: Sequence[str] | None) -> str | None:
    """The verb in ``argv`` (the first word that is not an option: the global options take no value), or None."""
    words = sys.argv[1:] if argv is None else argv
    return next((word for word in words if not word.startswith("-")), None)


def _parser(argv: Sequence[str] | None = None, *, full: bool = True) -> argparse.ArgumentParser:
    """The ``lawfit`` parser; with ``full=False``, only the verb named in ``argv`` gets its options."""
    parser = _Parser(
        prog="lawfit",
        description="Fit scaling laws to small training runs and forecast large ones.",
        epilog=_EPILOG,
    )
    _add_global_options(parser, default=False)
    parser.add_argument("--version", action="version", version=f"lawfit {__version__}", help="print the version")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB", parser_class=_VerbParser)
    added = verbs if full else _OnlyVerb(verbs, _verb_of(argv))
    fitting.add_verbs(added)
    planning.add_verbs(added)
    curves.add_verbs(added)
    plotting.add_verbs(added)
    reporting.add_verbs(added)
    batch.add_verbs(added)
    hparams.add_verbs(added)
    capabilities.add_verbs(added)
    coverage.add_verbs(added)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lawfit`` command; returns the exit status (see the module's doc)."""
    try:
        try:
            args = _parser(argv, full=False).parse_args(argv)
        except SystemExit as exc:  # --help, or a usage error (already told in one line)
            sys.stdout.flush()  # --help's text into a closed pipe fails here
            return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        return _run(args)
    except BrokenPipeError:
        _detach_stdout()
        return EXIT_PIPE


def _run(args: argparse.Namespace) -> int:
    debug = bool(getattr(args, "debug", False))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default" if debug else "ignore")
            from .._progress import quiet
            from ..errors import LawfitWarning

            warnings.simplefilter("always", LawfitWarning)
            with quiet(args.quiet):
                status = _COMMANDS[args.verb](args)
        _show_warnings(caught, debug)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return status
    except BrokenPipeError:
        raise
    except KeyboardInterrupt:
        _say("lawfit: interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        status, message = _failure(exc, args)
        if debug:
            import traceback

            _say(traceback.format_exc().rstrip("\n"))
            message = message.replace(_DEBUG_HINT, "")
        _say(message)
        return status


_DEBUG_HINT = " (rerun with --debug for the traceback)"

# Errors of the machine or of the user's paths, not of lawfit: the user can act on them.
_USER_ERRNOS = {
    errno.EACCES,
    errno.EPERM,
    errno.ENOENT,
    errno.EISDIR,
    errno.ENOTDIR,
    errno.EEXIST,
    errno.ENAMETOOLONG,
    errno.ELOOP,
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EROFS,
    errno.EMFILE,
    errno.ENFILE,
}

_OS_FIXES = {
    errno.ENOENT: "check the path",
    errno.EACCES: "check the permissions",
    errno.EPERM: "check the permissions",
    errno.EISDIR: "give a file, not a folder",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.ENOSPC: "free some disk space",
    errno.EDQUOT: "free some disk space",
    errno.EROFS: "write somewhere writable",
}


def _failure(exc: BaseException, args: argparse.Namespace) -> tuple[int, str]:
    """The exit status and the one line that tell ``exc``."""
    from ..errors import LawfitError

    if isinstance(exc, LawfitError):
        return EXIT_USER, f"lawfit: error: {_one_line(str(exc))}"
    if isinstance(exc, MemoryError) or _is_device_oom(exc):
        detail = _one_line(str(exc))
        return EXIT_USER, (
            f"lawfit: error: out of memory{f' ({detail})' if detail else ''}: ask for less, e.g. lower --bootstrap, "
            "or fit fewer runs or points"
        )
    if isinstance(exc, UnicodeDecodeError):
        files = _input_files(args)
        which = f"'{files[0]}'" if len(files) == 1 else "an input file"
        return EXIT_USER, (
            f"lawfit: error: {which} is not UTF-8 text (byte {exc.object[exc.start : exc.start + 1]!r} at offset "
            f"{exc.start}): save it as UTF-8"
        )
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
        if exc.errno in _USER_ERRNOS or exc.filename is not None:
            what = exc.strerror or _one_line(str(exc)) or type(exc).__name__
            where = f" '{exc.filename}'" if exc.filename is not None else ""
            fix = _OS_FIXES.get(exc.errno or 0)
            return EXIT_USER, f"lawfit: error: cannot use{where}: {what}" + (f"; {fix}" if fix else "")
    text = _one_line(str(exc))
    return EXIT_INTERNAL, f"lawfit: internal error: {type(exc).__name__}{': ' + text if text else ''}{_DEBUG_HINT}"


def _is_device_oom(exc: BaseException) -> bool:
    """XLA's out-of-memory error (a RuntimeError, not a MemoryError)."""
    return type(exc).__name__ == "XlaRuntimeError" and "RESOURCE_EXHAUSTED" in str(exc)


def _input_files(args: argparse.Namespace) -> list[str]:
    """The paths the verb reads, as far as its options tell."""
    found: list[str] = []
    for name in ("file", "fit", "files", "test", "fit_on", "data", "held_out"):
        value = getattr(args, name, None)
        found += [value] if isinstance(value, str) else [v for v in value or () if isinstance(v, str)]
    return found


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[0] + (" ..." if len(lines) > 1 else "")


def _show_warnings(caught: list[warnings.WarningMessage], debug: bool) -> None:
    """lawfit's warnings, each text once; other warnings only with ``--debug``."""
    from ..errors import LawfitWarning

    seen: set[str] = set()
    for item in caught:
        if isinstance(item.message, LawfitWarning):
            line = f"lawfit: warning: {type(item.message).__name__}: {item.message}"
            if line not in seen:
                seen.add(line)
                print(line, file=sys.stderr)
        elif debug:
            sys.stderr.write(warnings.formatwarning(item.message, item.category, item.filename, item.lineno, item.line))


def _say(line: str) -> None:
    """Print to stderr; a closed stderr is no reason for another error."""
    try:
        print(line, file=sys.stderr)
    except (OSError, ValueError):
        pass


def _detach_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of what was left finds no closed pipe
    (https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is no file (as under a test's capture): nothing to flush at exit
        pass


if __name__ == "__main__":
    sys.exit(main())
