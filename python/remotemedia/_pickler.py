"""cloudpickle plus one rule: classes and functions of modules that are not installed go by value.

A worker is a fresh interpreter started from the same environment. It can
import the standard library, installed distributions and remotemedia itself,
but not a script's ``__main__``, a test module, or a module that was only
importable because of the parent's working directory or ``sys.path`` edits.
cloudpickle already pickles ``__main__`` and locally defined classes by value;
this pickler also registers, on first sight, every module whose file lies
outside the interpreter's stdlib/site-packages and that no installed
distribution provides, with :func:`cloudpickle.register_pickle_by_value`.
remotemedia is always pickled by reference, so ``Node`` stays one class.
"""

from __future__ import annotations

import functools
import os
import sys
import types
from collections.abc import Callable
from typing import Any, Protocol

import cloudpickle

_PACKAGE = __name__.partition(".")[0]


class Writer(Protocol):
    """Anything a pickler can write to."""

    def write(self, data: Any, /) -> int: ...


_by_value_cache: dict[str, bool] = {}


@functools.lru_cache(maxsize=1)
def _installed_roots() -> tuple[str, ...]:
    import site
    import sysconfig

    paths = {
        sysconfig.get_paths().get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")
    }
    paths.update(site.getsitepackages())
    paths.add(site.getusersitepackages())
    # An embedded interpreter adds the venv's site-packages to sys.path by hand.
    paths.update(p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages"))
    return tuple(os.path.join(os.path.realpath(path), "") for path in paths if path)


@functools.lru_cache(maxsize=1)
def _distribution_packages() -> frozenset[str]:
    import importlib.metadata  # slow to import: only once a module of unknown origin shows up

    return frozenset(importlib.metadata.packages_distributions())


def _needs_by_value(module_name: str) -> bool:
    cached = _by_value_cache.get(module_name)
    if cached is not None:
        return cached
    top = module_name.partition(".")[0]
    if module_name == "__main__" or top == _PACKAGE or top in sys.stdlib_module_names:
        return False  # __main__ is pickled by value by cloudpickle itself
    module = sys.modules.get(module_name)
    file = getattr(module, "__file__", None)
    if module is None or not isinstance(file, str):
        return False  # dynamic modules are pickled by value by cloudpickle itself
    by_value = not os.path.realpath(file).startswith(_installed_roots()) and (
        top not in _distribution_packages()
    )
    _by_value_cache[module_name] = by_value
    return by_value


class _Pickler(cloudpickle.Pickler):  # type: ignore[misc]
    @property
    def dispatch_table(self) -> dict[type, Any]:
        # Read once by the C pickler's __init__. A plain dict snapshot of cloudpickle's
        # ChainMap (same priorities) keeps per-object lookups in C instead of Python.
        return dict(cloudpickle.Pickler.dispatch_table)

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, (type, types.FunctionType)):
            module_name = getattr(obj, "__module__", None)
            if isinstance(module_name, str) and _needs_by_value(module_name):
                cloudpickle.register_pickle_by_value(sys.modules[module_name])
        return super().reducer_override(obj)


def dump(
    obj: object,
    file: Writer,
    *,
    protocol: int,
    buffer_callback: Callable[[Any], Any] | None = None,
) -> None:
    """Pickle ``obj`` into ``file`` (anything with ``write``) with the by-value rule above."""
    _Pickler(file, protocol=protocol, buffer_callback=buffer_callback).dump(obj)
