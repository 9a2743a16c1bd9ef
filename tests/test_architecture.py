"""The architecture of DESIGN.md, checked: imports only run downward (no cycle among lawfit's modules, counting the
imports inside functions and the lazy-export tables) and the public API of each package is pinned.

The import graph is read from the source (``ast``), not from ``sys.modules``, so an import that only runs on some
path (a ``.plot()`` shortcut, a CLI verb) counts the same as one at the top of a module.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "lawfit"


def _module_names() -> dict[str, Path]:
    """Every module of the package by dotted name; a package is its ``__init__``."""
    names = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


MODULES = _module_names()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``node`` at any depth, except the bodies of ``if TYPE_CHECKING:`` (their ``else`` counts)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield other
                yield from _walk(other)
            continue
        yield child
        yield from _walk(child)


def _base(module: str, level: int) -> str:
    """The package that a relative import of ``level`` dots in ``module`` starts from."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return package


def _known(name: str) -> str | None:
    """``name`` if it is one of our modules, else the closest enclosing one of ours (an attribute of a module
    counts as the module), or None for a module of another distribution."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _lazy_exports(module: str, tree: ast.Module) -> Iterator[str]:
    """The modules named by a lazy-export table (``_ORIGIN = {"name": ".module", ...}``, see ``lawfit._lazy``)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_ORIGIN" for t in node.targets):
            for leaf in ast.walk(node.value):
                if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str) and leaf.value.startswith("."):
                    level = len(leaf.value) - len(leaf.value.lstrip("."))
                    rest = leaf.value[level:]
                    yield f"{_base(module, level)}.{rest}" if rest else _base(module, level)


def imports_of(module: str) -> set[str]:
    """The modules of ours that ``module`` imports, at any depth, outside ``if TYPE_CHECKING:``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str | None] = set()
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            found.update(_known(alias.name) for alias in node.names if alias.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                target = _base(module, node.level) + (f".{node.module}" if node.module else "")
            elif (node.module or "").split(".")[0] == PACKAGE:
                target = node.module
            else:
                continue
            for alias in node.names:
                # `from . import x` imports the submodule x when there is one, else a name of the package
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else _known(target))
    found.update(_known(name) for name in _lazy_exports(module, tree))
    found.discard(None)
    found.discard(module)
    return found  # type: ignore[return-value]


GRAPH = {module: imports_of(module) for module in MODULES}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (its modules in order, the first repeated at the end), or None if it is acyclic."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for succ in sorted(graph[node]):
            if state.get(succ) == 1:
                return [*path[path.index(succ) :], succ]
            if succ not in state and (cycle := visit(succ)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def _importers(target: str) -> set[str]:
    return {module for module, imported in GRAPH.items() if target in imported}


def _is_under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# -- the graph reader itself ----------------------------------------------------------------------------------------


def test_the_graph_reader_sees_lazy_relative_and_package_imports():
    # each edge below is one kind of import that the reader must count (checked against the source by eye)
    assert "lawfit.fit" in GRAPH["lawfit"]  # the lazy-export table of lawfit/__init__.py
    assert "lawfit.plan.frontier" in GRAPH["lawfit.plan"]  # the table of plan/__init__.py, dict.fromkeys form
    assert "lawfit.errors" in GRAPH["lawfit._checks"]  # a relative `from .errors import ...`
    assert "lawfit.plot" in GRAPH["lawfit.fit"]  # the lazy import inside Fit.plot
    assert "lawfit.curves.fit" in GRAPH["lawfit.curves"]  # a package's __init__ importing its submodule


def test_find_cycle_reports_one_cycle_and_none_when_acyclic():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_type_checking_imports_are_not_counted():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import lawfit.fit\nelse:\n    import os\n"
    )
    imported = {alias.name for node in _walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert imported == {"os"}


# -- no cycle, layers ------------------------------------------------------------------------------------------------


def test_the_import_graph_is_acyclic():
    cycle = _find_cycle(GRAPH)
    assert cycle is None, "import cycle (counting lazy imports): " + " -> ".join(cycle or [])


GROUND_FLOOR = ("lawfit._version", "lawfit.errors", "lawfit._progress", "lawfit._jax", "lawfit._checks", "lawfit._lazy")


@pytest.mark.parametrize("module", GROUND_FLOOR)
def test_the_ground_floor_imports_nothing_of_ours_but_errors(module):
    assert GRAPH[module] <= {"lawfit.errors"}, f"{module} imports {sorted(GRAPH[module] - {'lawfit.errors'})}"


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if _is_under(m, "lawfit.laws") or m == "lawfit.objectives")
)
def test_laws_and_objectives_never_import_fit_or_presentation(module):
    upward = {m for m in GRAPH[module] if any(_is_under(m, p) for p in ("lawfit.fit", "lawfit.plot", "lawfit.report"))}
    upward |= {m for m in GRAPH[module] if _is_under(m, "lawfit.cli")}
    assert not upward, f"{module} imports {sorted(upward)}"


def test_nothing_but_the_cli_imports_the_cli():
    outside = {m for m in MODULES if not _is_under(m, "lawfit.cli")}
    offenders = {m: sorted(i for i in GRAPH[m] if _is_under(i, "lawfit.cli")) for m in outside}
    assert not {m: i for m, i in offenders.items() if i}


# The modules that compute results. Not among them: lawfit.diagnostics, the verdicts on draws that fit itself uses
# (the pairs figure colours its panels by the very verdict the text states), and lawfit.data, the runs a figure draws.
ANALYSES = (
    "lawfit.fit",
    "lawfit.search",
    "lawfit.uncertainty",
    "lawfit.validate",
    "lawfit.calibration",
    "lawfit.select",
    "lawfit.chain",
    "lawfit.plan",
    "lawfit.curves",
    "lawfit.hparams",
)


PRESENTATION = ("lawfit.report.render", "lawfit.report.document")  # the HTML and what it is written from


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _is_under(m, "lawfit.plot") or m in PRESENTATION))
def test_the_figures_and_the_html_import_no_analysis(module):
    analyses = sorted(m for m in GRAPH[module] if any(_is_under(m, a) for a in ANALYSES))
    assert not analyses, f"{module} imports {analyses}: it draws results, it does not compute them"


# -- the public API, pinned ------------------------------------------------------------------------------------------
# A change of any list below is a change of the public API: make it on purpose, with the README and a deprecation.

PUBLIC_API = {
    "lawfit.plan": [
        "Frontier",
        "InferencePlan",
        "IsoFLOP",
        "PowerLaw",
        "Suggestion",
        "compute_for_loss",
        "compute_optimal",
        "envelope",
        "inference_optimal",
        "isoflop",
        "suggest",
    ],
    "lawfit.curves": [
        "AUTO_CANDIDATES",
        "Curve",
        "CurveFit",
        "Forecast",
        "annealing",
        "curve_law",
        "fit_curves",
        "forecast",
        "from_logged",
        "load_curve_fit",
        "load_curves",
        "multipower",
        "multipower_fixed",
        "parse_schedule",
        "read_curves",
        "read_mlflow",
        "read_tensorboard",
        "read_wandb",
        "schedule",
    ],
}


PUBLIC_API["lawfit.plot"] = [
    "figure",
    "plot_bootstrap_pairs",
    "plot_calibration",
    "plot_components",
    "plot_coverage",
    "plot_critical_batch",
    "plot_curves",
    "plot_fit",
    "plot_frontier",
    "plot_hparam_law",
    "plot_isoflop",
    "plot_optima",
    "plot_pass_rates",
    "plot_residuals",
    "plot_sigmoid",
]
PUBLIC_API["lawfit.report"] = ["write_capabilities_report", "write_report", "write_sweep_report"]
PUBLIC_API["lawfit.hparams"] = [
    "BatchFit",
    "BatchLaw",
    "CellOptimum",
    "CriticalBatch",
    "HPARAMS",
    "HparamBacktest",
    "HparamLaw",
    "MarinFit",
    "Optima",
    "POWER_LAWS",
    "PUBLISHED",
    "PublishedLaw",
    "StepsToLoss",
    "Sweep",
    "backtest_law",
    "cell_optima",
    "critical_batch",
    "fit_law",
    "load_sweep",
    "marin_fit",
    "published",
]
PUBLIC_API["lawfit.capabilities"] = [
    "Benchmarks",
    "Components",
    "ComputeMatched",
    "CoverageCurve",
    "CoverageForecast",
    "CutoffBacktest",
    "ExpPowerLaw",
    "FamilyFit",
    "ObservationalScaling",
    "PAPER_BENCHMARKS",
    "PassRateLaw",
    "PassRates",
    "RUAN2024_EMERGENT",
    "SigmoidFit",
    "SuccessDistribution",
    "backtest_cutoff",
    "components",
    "compute_matched",
    "coverage_curve",
    "family_fit",
    "fit_exp_power_law",
    "fit_pass_rate_law",
    "fit_sigmoid",
    "fit_success_distribution",
    "forecast_coverage",
    "load_benchmarks",
    "observational_scaling",
    "pass_at_k",
    "pass_rate",
    "pass_rates",
    "read_counts",
    "subsample_counts",
]
# lawfit.__all__ itself is pinned in tests/test_api.py.


@pytest.mark.parametrize("package", sorted(PUBLIC_API))
def test_the_public_api_is_pinned(package):
    module = importlib.import_module(package)
    assert sorted(module.__all__) == PUBLIC_API[package]
    missing = [name for name in module.__all__ if getattr(module, name, None) is None]
    assert not missing, f"{package}.__all__ lists names that do not resolve: {missing}"
