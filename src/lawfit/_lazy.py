"""Libraries imported on first use, so that a command that never reads a table never pays for pandas."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Collection, Mapping
from types import ModuleType
from typing import Any

__all__ = ["LazyModule", "Package", "exports", "pandas"]


class LazyModule:
    """Stands for the module ``name`` and imports it at the first attribute read.

    >>> json = LazyModule("json")
    >>> json.dumps([1])
    '[1]'
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):  # copy, pickle and doctest finders probe these: no reason to import
            raise AttributeError(attr)
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r})"


#: pandas, imported when a table is first read or built.
pandas: Any = LazyModule("pandas")


class Package(ModuleType):
    """The type of a package whose functions share their names with submodules (``lawfit.fit``, the function, in
    ``lawfit/fit.py``): importing such a submodule does not hide the function of the same name, as importing it
    eagerly in the package's ``__init__`` once ensured. The names are the package's ``_SHADOWED``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and name in self.__dict__.get("_SHADOWED", ()):
            return
        super().__setattr__(name, value)


def exports(
    package: str, origin: Mapping[str, str], modules: Collection[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` (PEP 562): each public name is imported from its module in
    ``origin`` (relative to ``package``) on first use and kept; the names in ``modules`` are the modules themselves.
    ``dir()`` lists the package's ``__all__`` and its dunder names."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        where = origin.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(where, package)
        value = module if name in modules else getattr(module, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace["__all__"], *(name for name in namespace if name.startswith("__"))})

    return __getattr__, __dir__
