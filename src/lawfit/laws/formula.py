"""User formulas: parse a law such as ``"E + A/N**alpha + B/D**beta"`` into a :class:`Law`, safely.

The text is parsed with :func:`ast.parse`, every node of the tree is checked against a small whitelist, and
the tree is compiled once into nested closures that call numpy or JAX. Nothing reaches ``eval``, ``exec`` or
``compile``, so a formula can only compute: it cannot import, read attributes or call outside the whitelist.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import math
import operator
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import FormulaError, FormulaWarning, LawfitError
from ._base import INPUT_NAMES, Law, ParamSpec
from ._xp import Namespace, namespace

__all__ = ["formula_law"]

_MAX_CHARS = 2000
# Each level costs a few Python frames when the closures run under JAX tracing; 200 is far below the recursion
# limit and far above any real law.
_MAX_DEPTH = 200
_MAX_STARTS = 20_000

_FUNCTIONS = ("exp", "log", "log10", "log2", "sqrt", "abs", "tanh", "sigmoid", "softplus")
_ALLOWED = (
    "a formula may use numbers, the inputs N, D, C, parameter names, + - * / ** (or ^), brackets, "
    f"and the functions {', '.join(_FUNCTIONS)} of one argument"
)

_COEFFICIENT_GRID = (1e-2, 1.0, 1e2, 1e4, 1e6, 1e9)
_POSITIVE_EXPONENT_GRID = (0.1, 0.3, 0.6, 1.0)
_EXPONENT_GRID = (-1.0, -0.5, -0.2, 0.2, 0.5, 1.0)

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_OPERATOR_SYMBOLS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Not: "not",
    ast.Invert: "~",
}
_REFUSED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscript",
    ast.Lambda: "lambda",
    ast.Compare: "comparison",
    ast.BoolOp: "boolean operator",
    ast.IfExp: "conditional expression",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension",
    ast.List: "list",
    ast.Tuple: "tuple",
    ast.Set: "set",
    ast.Dict: "dict",
    ast.JoinedStr: "f-string",
    ast.NamedExpr: "assignment",
    ast.Starred: "unpacking",
}

# A compiled node: ``node(params, inputs) -> array``.
_Node = Callable[[Mapping[str, Any], Mapping[str, Any], Namespace], Any]


def formula_law(
    text: str,
    *,
    params: Mapping[str, ParamSpec | Mapping[str, Any]] | None = None,
    name: str | None = None,
    warn: bool = True,
) -> Law:
    """A :class:`Law` from a formula written as a Python expression.

    The names ``N``, ``D`` and ``C`` are the inputs; every other name is a parameter, in the order of its
    first appearance. ``^`` means ``**`` and square brackets may group, as in Kaplan et al.'s
    ``[(Nc/N)**(aN/aD) + Dc/D]**aD``.

    Parameters
    ----------
    text : str
        The formula. Allowed: numbers, names, ``+ - * / **`` (or ``^``), brackets and the functions ``exp``,
        ``log``, ``log10``, ``log2``, ``sqrt``, ``abs``, ``tanh``, ``sigmoid``, ``softplus`` of one argument.
        Anything else (attributes, subscripts, other calls, keywords, strings, comparisons, names that start
        with ``_``) is refused, as are formulas longer than 2,000 characters.
    params : mapping, optional
        Per-parameter settings that replace the defaults below: a :class:`ParamSpec`, or a dict with any of
        ``lower``, ``upper``, ``scale``, ``grid``, merged over the default.
    name : str, optional
        The law's name; ``"formula"`` if absent.
    warn : bool
        Warn (:class:`~lawfit.FormulaWarning`) when a parameter is named like an input in lower case and used as
        one (``A/n**alpha``: ``n`` for ``N``), a likely typo; off when a saved fit's law is rebuilt.

    Returns
    -------
    Law
        Its ``spec`` holds the formula (and the settings from ``params``) so that a saved fit can rebuild it.

    Raises
    ------
    FormulaError
        If the formula cannot be parsed, uses anything outside the whitelist, reads none of the inputs, has no
        parameters, or ``params`` names a parameter the formula does not have.

    Notes
    -----
    Default settings, from where a parameter appears:

    - only in exponents, each time as ``-p`` (``N**-alpha``) or as a factor of the exponent of a power in a
      denominator (``A/N**alpha``): a positive exponent, linear, ``lower=0``, grid ``(0.1, 0.3, 0.6, 1.0)``;
    - only in exponents otherwise (``N**alpha``, ``(Nc/N)**(aN/aD)``): an exponent of either sign, linear,
      unbounded, grid ``(-1, -0.5, -0.2, 0.2, 0.5, 1)``;
    - anywhere else (coefficients, constants, ``k`` in ``exp(-k*D)``): positive, log scale, ``lower=0``, grid
      ``(1e-2, 1, 1e2, 1e4, 1e6, 1e9)``.

    The start grid is the product of the parameters' grids. If the default grids multiply to more than 20,000
    starts, the longest default grid loses a value (keeping its end points) until they fit; grids given in
    ``params`` are used as they are.

    Examples
    --------
    >>> law = formula_law("E + A/N**alpha + B/D**beta")
    >>> law.param_names, law.inputs
    (('E', 'A', 'alpha', 'B', 'beta'), ('N', 'D'))
    >>> [p.scale for p in law.params]
    ['log', 'log', 'linear', 'log', 'linear']
    >>> values = {"E": 1.69, "A": 406.4, "alpha": 0.34, "B": 410.7, "beta": 0.28}
    >>> round(float(law.predict(values, N=70e9, D=1.4e12)), 3)
    1.937
    >>> formula_law("E + A * C^-alpha", params={"alpha": {"upper": 1.0}}).params[2]
    ParamSpec(name='alpha', lower=0.0, upper=1.0, scale='linear', grid=(0.1, 0.3, 0.6, 1.0))
    """
    if not isinstance(text, str):
        raise FormulaError(f"A formula must be a string. Got {type(text).__name__} instead.")
    if params is not None and not isinstance(params, Mapping):
        raise FormulaError(f"The 'params' of a formula must map names to settings. Got {params!r} instead.")
    source = _Source.of(text)
    tree = source.parse()
    compiler = _Compiler(source)
    root = compiler.compile(tree.body, depth=0, exponent=False, denominator=False)

    inputs = tuple(x for x in INPUT_NAMES if x in compiler.inputs)
    if not inputs:
        raise FormulaError(
            f"Formula {source.shown!r} reads none of the inputs {', '.join(INPUT_NAMES)}; "
            "use at least one, as in 'E + A/N**alpha'."
        )
    if not compiler.roles:
        raise FormulaError(
            f"Formula {source.shown!r} has no parameters to fit; every name other than "
            f"{', '.join(INPUT_NAMES)} is a parameter, as in 'E + A/N**alpha'."
        )
    order = tuple(compiler.roles)
    # A parameter named like an input in lower case and used as inputs are (n**alpha, log(n)): likely a typo.
    lookalikes = [k for k in order if k != k.upper() and k.upper() in INPUT_NAMES and k in compiler.scaled]
    if lookalikes and warn:
        meant = ", ".join(f"{k.upper()} for {k}" for k in lookalikes)
        warnings.warn(
            FormulaWarning(
                f"Formula {source.shown!r} fits {', '.join(map(repr, lookalikes))} as a parameter; the inputs are "
                f"upper case ({', '.join(INPUT_NAMES)}). If you meant the input, write {meant}; if a parameter, "
                "give it another name (e.g. " + ", ".join(f"{k}0" for k in lookalikes) + ").",
                params=lookalikes,
            ),
            stacklevel=3,
        )
    specs = _default_specs(compiler.roles)

    overrides = dict(params or {})
    unknown = [k for k in overrides if k not in specs]
    if unknown:
        raise FormulaError(
            f"The params name {unknown}, which formula {source.shown!r} does not use; its parameters are {list(order)}."
        )
    for key, value in overrides.items():
        specs[key] = _override(specs[key], value)

    spec: dict[str, Any] = {"formula": source.original}
    if overrides:
        spec["params"] = {
            key: {
                "lower": float(specs[key].lower),
                "upper": float(specs[key].upper),
                "scale": specs[key].scale,
                "grid": [float(v) for v in specs[key].grid],
            }
            for key in order
            if key in overrides
        }

    def fn(params: Mapping[str, Any], inputs: Mapping[str, Any]) -> Any:
        return root(params, inputs, namespace(params, inputs))

    return Law(
        name=name or "formula",
        inputs=inputs,
        params=tuple(specs[key] for key in order),
        fn=fn,
        formula=ast.unparse(tree),
        spec=spec,
    )


@dataclasses.dataclass(frozen=True)
class _Source:
    """The user's text and what :func:`ast.parse` sees, with a map back so messages quote the user's text."""

    original: str
    text: str
    # origin[i] is the index in `original` of text[i]; one more entry marks the end.
    origin: tuple[int, ...]

    @classmethod
    def of(cls, raw: str) -> _Source:
        original = raw.strip().replace("\r\n", "\n").replace("\r", "\n")
        if not original:
            raise FormulaError("The formula is empty; write a law such as 'E + A/N**alpha + B/D**beta'.")
        if len(original) > _MAX_CHARS:
            raise FormulaError(
                f"The formula is {len(original)} characters long; the limit is {_MAX_CHARS}. Simplify it."
            )
        text, origin = _normalise(original)
        return cls(original, text, origin)

    def parse(self) -> ast.Expression:
        try:
            # The parser warns about things like "1if"; such formulas are refused below or parse as intended.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return ast.parse(self.text, mode="eval")
        except SyntaxError as exc:
            where, near = self._locate(exc.lineno, exc.offset)
            raise FormulaError(
                f"Formula {self.shown!r} has a syntax error at {where} ({near}): {exc.msg}. "
                "Write it as a Python expression such as 'E + A/N**alpha + B/D**beta'."
            ) from None
        except (RecursionError, MemoryError):
            raise FormulaError(f"Formula {self.shown!r} nests too deeply to parse; simplify it.") from None

    @property
    def shown(self) -> str:
        """The formula as messages quote it: on one line, and cut short when long."""
        return _clip(self.original)

    def segment(self, node: ast.AST) -> str:
        """The user's text of ``node``, on one line."""
        try:
            start = self._index(node.lineno, node.col_offset)  # type: ignore[attr-defined]
            end = self._index(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
            text = self.original[self.origin[start] : self.origin[end - 1] + 1]
        except (AttributeError, IndexError, TypeError):
            text = ""
        return _clip(text or ast.unparse(node))

    def _index(self, lineno: int, col_bytes: int) -> int:
        lines = self.text.split("\n")
        start = sum(len(line) + 1 for line in lines[: lineno - 1])
        # The AST counts columns in UTF-8 bytes; the text is indexed by characters.
        return start + len(lines[lineno - 1].encode()[:col_bytes].decode(errors="ignore"))

    def _locate(self, lineno: int | None, offset: int | None) -> tuple[str, str]:
        lines = self.text.split("\n")
        lineno = min(max(lineno or 1, 1), len(lines))
        at = sum(len(line) + 1 for line in lines[: lineno - 1]) + max((offset or 1) - 1, 0)
        at = self.origin[min(at, len(self.text))]
        line_start = self.original.rfind("\n", 0, at) + 1
        column = at - line_start + 1
        where = f"column {column}"
        if "\n" in self.original:
            where = f"line {self.original.count(chr(10), 0, at) + 1}, {where}"
        rest = self.original[at:].split("\n")[0]
        near = f"near {rest[:20]!r}" if rest.strip() else "at the end"
        return where, near


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _normalise(original: str) -> tuple[str, tuple[int, ...]]:
    """``^`` -> ``**``, grouping ``[ ]`` -> ``( )``, line breaks and comments -> blanks; strings stay.

    A ``[`` subscripts when it follows a name, a number, a closing bracket or a string (``x[0]``), and groups
    otherwise (``[(Nc/N)**a + Dc/D]**b``); subscripts are kept so that they are refused, not reinterpreted.
    """
    out: list[str] = []
    origin: list[int] = []
    groups: list[bool] = []
    quote = ""
    prev = ""  # the last character outside blanks, strings and comments
    i, n = 0, len(original)

    def emit(chars: str, at: int) -> None:
        out.extend(chars)
        origin.extend([at] * len(chars))

    while i < n:
        ch = original[i]
        if quote:
            if ch == "\\" and i + 1 < n:
                emit(ch, i)
                i += 1
                ch = original[i]
            elif ch in (quote, "\n"):
                quote = ""
            emit(ch, i)
        elif ch == "#":
            while i < n and original[i] != "\n":
                emit(" ", i)
                i += 1
            continue
        elif ch == "\n":
            # A formula is one expression: a line break continues it, as inside brackets.
            emit(" ", i)
        elif ch in "'\"":
            quote = prev = ch
            emit(ch, i)
        elif ch == "^":
            emit("**", i)
            prev = "*"
        elif ch == "[":
            grouping = not (prev and (prev.isalnum() or prev in "_)]}'\""))
            groups.append(grouping)
            emit("(" if grouping else "[", i)
            prev = ch
        elif ch == "]":
            emit(")" if groups and groups.pop() else "]", i)
            prev = ch
        else:
            emit(ch, i)
            if not ch.isspace():
                prev = ch
        i += 1
    origin.append(n)
    return "".join(out), tuple(origin)


class _Compiler:
    """Checks a parsed formula against the whitelist and turns it into closures, once.

    While compiling it records the inputs read and, per parameter in order of first appearance, the roles it
    plays: ``"coefficient"``, ``"exponent"`` or ``"positive exponent"`` (see :func:`formula_law`).
    """

    def __init__(self, source: _Source) -> None:
        self.source = source
        self.inputs: set[str] = set()
        self.roles: dict[str, set[str]] = {}
        self._positive: set[int] = set()  # ids of Name nodes that are factors of a positive exponent
        self.scaled: set[str] = set()  # names used as inputs are: raised to a power, or in a log

    def refuse(self, what: str, node: ast.AST, allowed: str = _ALLOWED) -> FormulaError:
        return FormulaError(f"{what} {self.source.segment(node)!r} is not allowed; {allowed}.")

    def compile(self, node: ast.expr, *, depth: int, exponent: bool, denominator: bool) -> _Node:
        if depth > _MAX_DEPTH:
            raise FormulaError(f"Formula {self.source.shown!r} nests more than {_MAX_DEPTH} levels deep; simplify it.")
        deeper = functools.partial(self.compile, depth=depth + 1)
        if isinstance(node, ast.Constant):
            return _constant(self._number(node))
        if isinstance(node, ast.Name):
            return self._name(node, exponent)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.UAdd | ast.USub):
                operand = deeper(node.operand, exponent=exponent, denominator=False)
                return operand if isinstance(node.op, ast.UAdd) else _unary(operator.neg, operand)
            raise self.refuse(f"Operator {_OPERATOR_SYMBOLS.get(type(node.op), '?')!r} in", node)
        if isinstance(node, ast.BinOp):
            op = _BINARY.get(type(node.op))
            if op is None:
                raise self.refuse(f"Operator {_OPERATOR_SYMBOLS.get(type(node.op), '?')!r} in", node)
            if isinstance(node.left, ast.Name) and isinstance(node.op, ast.Pow):
                self.scaled.add(node.left.id)
            if isinstance(node.op, ast.Pow):
                self._mark_positive(node.right, denominator)
                left = deeper(node.left, exponent=exponent, denominator=False)
                return _binary(op, left, deeper(node.right, exponent=True, denominator=False))
            # A denominator reaches through products: in A/(N**a * D**b) both powers divide.
            product = denominator and isinstance(node.op, ast.Mult)
            left = deeper(node.left, exponent=exponent, denominator=product)
            right_denominator = product or isinstance(node.op, ast.Div)
            return _binary(op, left, deeper(node.right, exponent=exponent, denominator=right_denominator))
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id.startswith("log") and node.args:
                if isinstance(node.args[0], ast.Name):
                    self.scaled.add(node.args[0].id)
            return _call(self._function(node), deeper(node.args[0], exponent=exponent, denominator=False))
        raise self.refuse(_REFUSED.get(type(node), type(node).__name__).capitalize(), node)

    def _number(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = {str: "String", bytes: "Bytes", complex: "Complex number", bool: "Boolean"}.get(
                type(value), "Constant"
            )
            raise self.refuse(kind, node)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self.refuse("Number out of range", node, "numbers must be finite floats")
        return number

    def _name(self, node: ast.Name, exponent: bool) -> _Node:
        name = node.id
        if name.startswith("_"):
            raise self.refuse("Name", node, "names that start with an underscore are reserved")
        if name in _FUNCTIONS:
            raise FormulaError(
                f"{name!r} is a function, not a parameter; call it with one argument, as in '{name}(N)'."
            )
        if name in INPUT_NAMES:
            self.inputs.add(name)
            return _input(name)
        role = "coefficient"
        if exponent:
            role = "positive exponent" if id(node) in self._positive else "exponent"
        self.roles.setdefault(name, set()).add(role)
        return _parameter(name)

    def _mark_positive(self, power: ast.expr, denominator: bool) -> None:
        # N**-alpha and A/N**alpha both shrink as N grows when alpha > 0; A/N**-alpha would want alpha < 0.
        positive = denominator
        while isinstance(power, ast.UnaryOp) and isinstance(power.op, ast.USub | ast.UAdd):
            positive ^= isinstance(power.op, ast.USub)
            power = power.operand
        if positive:
            self._positive.update(id(name) for name in _factors(power))

    def _function(self, node: ast.Call) -> str:
        functions = f"only {', '.join(_FUNCTIONS)} may be called, by bare name, with one positional argument"
        func = node.func
        if isinstance(func, ast.Attribute):
            raise self.refuse("Attribute access", func, functions)
        if not isinstance(func, ast.Name):
            raise self.refuse("Call of", func, functions)
        if func.id not in _FUNCTIONS:
            raise FormulaError(f"Unknown function {func.id!r} in {self.source.segment(node)!r}; {functions}.")
        if node.keywords:
            keyword = self.source.segment(node.keywords[0])
            raise self.refuse(f"Keyword argument {keyword!r} in", node, functions)
        starred = [arg for arg in node.args if isinstance(arg, ast.Starred)]
        if starred:
            raise self.refuse("Unpacking", starred[0], functions)
        if len(node.args) != 1:
            raise FormulaError(
                f"Function {func.id} takes exactly one argument; {self.source.segment(node)!r} gives {len(node.args)}."
            )
        return func.id


def _factors(node: ast.expr) -> list[ast.Name]:
    """The names that are factors of a product or quotient, such as ``a`` and ``b`` in ``a/b``."""
    if isinstance(node, ast.Name):
        return [node]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        return _factors(node.left) + _factors(node.right)
    return []


def _default_specs(roles: Mapping[str, set[str]]) -> dict[str, ParamSpec]:
    kinds = {}
    for name, played in roles.items():
        if played == {"positive exponent"}:
            kinds[name] = (0.0, "linear", _POSITIVE_EXPONENT_GRID)
        elif played <= {"positive exponent", "exponent"}:
            kinds[name] = (-math.inf, "linear", _EXPONENT_GRID)
        else:
            kinds[name] = (0.0, "log", _COEFFICIENT_GRID)
    sizes = {name: len(grid) for name, (_, _, grid) in kinds.items()}
    while math.prod(sizes.values()) > _MAX_STARTS and max(sizes.values()) > 1:
        sizes[max(sizes, key=sizes.__getitem__)] -= 1
    return {
        name: ParamSpec(name, lower=lower, scale=scale, grid=_thin(grid, sizes[name]))
        for name, (lower, scale, grid) in kinds.items()
    }


def _thin(grid: tuple[float, ...], size: int) -> tuple[float, ...]:
    """``size`` values of ``grid``, evenly spread and keeping both ends when ``size >= 2``."""
    if size >= len(grid):
        return grid
    if size == 1:
        return (grid[len(grid) // 2],)
    step = (len(grid) - 1) / (size - 1)
    return tuple(grid[int(i * step + 0.5)] for i in range(size))


def _override(default: ParamSpec, value: ParamSpec | Mapping[str, Any]) -> ParamSpec:
    name = default.name
    if isinstance(value, ParamSpec):
        if value.name != name:
            raise FormulaError(f"The ParamSpec given for parameter {name} is named {value.name!r}; rename it.")
        return value
    if not isinstance(value, Mapping):
        raise FormulaError(
            f"The settings of parameter {name} must be a ParamSpec or a dict with lower, upper, scale, grid. "
            f"Got {value!r} instead."
        )
    unknown = sorted(set(value) - {"lower", "upper", "scale", "grid"})
    if unknown:
        raise FormulaError(
            f"The settings of parameter {name} have unknown fields {unknown}; use lower, upper, scale, grid."
        )
    fields: dict[str, Any] = {k: v for k, v in value.items() if k == "scale"}
    for key in ("lower", "upper"):
        if key in value:
            try:
                fields[key] = float(value[key])
            except (TypeError, ValueError):
                raise FormulaError(
                    f"The '{key}' of parameter {name} must be a number. Got {value[key]!r} instead."
                ) from None
    if "grid" in value:
        grid = value["grid"]
        try:
            if isinstance(grid, str | bytes):
                raise TypeError
            fields["grid"] = tuple(float(v) for v in grid)
        except (TypeError, ValueError):
            raise FormulaError(
                f"The 'grid' of parameter {name} must be a list of numbers. Got {grid!r} instead."
            ) from None
    try:
        return dataclasses.replace(default, **fields)
    except LawfitError as exc:
        raise FormulaError(str(exc)) from None


# Closure factories: each captures its own operands, so a law's function is built once and only runs array ops, in
# the namespace ``xp`` (numpy or JAX, see :mod:`._xp`) that the root picks once per call.


def _constant(value: float) -> _Node:
    def node(params: Mapping[str, Any], inputs: Mapping[str, Any], xp: Namespace) -> Any:
        # An array, not a Python float, so that constant-only parts such as (-8)**(1/3) or 1/0 follow the array
        # library's float rules (nan, inf) instead of raising or turning complex.
        return xp.asarray(value)

    return node


def _input(name: str) -> _Node:
    def node(params: Mapping[str, Any], inputs: Mapping[str, Any], xp: Namespace) -> Any:
        return inputs[name]

    return node


def _parameter(name: str) -> _Node:
    def node(params: Mapping[str, Any], inputs: Mapping[str, Any], xp: Namespace) -> Any:
        return params[name]

    return node


def _unary(op: Callable[[Any], Any], operand: _Node) -> _Node:
    def node(params: Mapping[str, Any], inputs: Mapping[str, Any], xp: Namespace) -> Any:
        return op(operand(params, inputs, xp))

    return node


def _binary(op: Callable[[Any, Any], Any], left: _Node, right: _Node) -> _Node:
    def node(params: Mapping[str, Any], inputs: Mapping[str, Any], xp: Namespace) -> Any:
        return op(left(params, inputs, xp), right(params, inputs, xp))

    return node


def _call(function: str, argument: _Node) -> _Node:
    def node(params: Mapping[str, Any], inputs: Mapping[str, Any], xp: Namespace) -> Any:
        return getattr(xp, function)(argument(params, inputs, xp))

    return node
