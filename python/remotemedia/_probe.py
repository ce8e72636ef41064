"""After a pickling failure, walk the object graph to find the attribute path of the culprit.

The walk starts at the object that failed and descends, one level at a time,
into the first child that also fails to pickle on its own, until it reaches
an object none of whose children fail: that object is the culprit. Children
are: instance state (``__reduce_ex__(5)`` state, which for a Node is its
``__getstate__()``), dict values, list/tuple/set items, the args and
list/dict items of a reduce tuple, and for functions their closure cells,
referenced globals, defaults and ``__dict__``.

Cost is bounded: children whose type always pickles (numbers, strings,
bytes, numeric numpy arrays) are never tried; the failing child among many
is found by bisection (trial-pickling halves), not one trial per child;
trial pickles write to a sink that discards the bytes and take numpy
buffers out-of-band, so a large array is never copied; each object is
visited once (cycles end there); and a depth limit and a deadline (checked
inside each trial too) stop the walk, which then reports the deepest failing
object found so far as an incomplete result.
"""

from __future__ import annotations

import gc
import sys
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ._pickler import dump

__all__ = ["Culprit", "find_culprit"]

_MAX_DEPTH = 64

_ALWAYS_PICKLABLE: frozenset[type] = frozenset(
    {type(None), bool, int, float, complex, str, bytes, bytearray, range, type(Ellipsis)}
)


class _Timeout(Exception):
    """The deadline passed during a trial pickle."""


@dataclass(frozen=True)
class Culprit:
    """The object found responsible for a pickling failure, and how it was reached.

    ``complete`` is False when the walk stopped at its deadline or depth
    limit: the real culprit is then ``obj`` or something inside it.
    """

    labels: tuple[str, ...]
    obj: object
    error: BaseException
    complete: bool = True

    @property
    def path(self) -> str:
        """The path from the root, e.g. ``cfg['inner']['cb']`` or ``callback.<closure>.lock``."""
        return "".join(self.labels).lstrip(".")

    @property
    def top_attribute(self) -> str | None:
        """The root's attribute the path starts with, if it starts with one."""
        first = self.labels[0][1:] if self.labels and self.labels[0].startswith(".") else ""
        return first if first.isidentifier() else None


class _DeadlineSink:
    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def write(self, data: Any) -> int:
        if time.monotonic() > self.deadline:
            raise _Timeout
        return memoryview(data).nbytes


def _always_picklable(obj: object) -> bool:
    if type(obj) in _ALWAYS_PICKLABLE:
        return True
    if "numpy" in sys.modules:  # no numpy value exists unless numpy was imported
        import numpy as np

        if type(obj) is np.ndarray or isinstance(obj, np.generic):
            return bool(obj.dtype.kind != "O")
    return False


def _code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_names(const)


def _function_children(fn: types.FunctionType) -> list[tuple[str, object]]:
    children: list[tuple[str, object]] = []
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=True):
        try:
            children.append((f".<closure>.{name}", cell.cell_contents))
        except ValueError:  # empty cell
            continue
    for name in dict.fromkeys(_code_names(fn.__code__)):
        if name in fn.__globals__ and not isinstance(fn.__globals__[name], types.ModuleType):
            children.append((f".<globals>.{name}", fn.__globals__[name]))
    children.extend((f".__defaults__[{i}]", v) for i, v in enumerate(fn.__defaults__ or ()))
    children.extend((f".__kwdefaults__[{k!r}]", v) for k, v in (fn.__kwdefaults__ or {}).items())
    children.extend((f".{k}", v) for k, v in vars(fn).items())
    return children


def _state_children(state: object) -> list[tuple[str, object]]:
    if isinstance(state, dict):
        return [(f".{k}" if isinstance(k, str) else f"[{k!r}]", v) for k, v in state.items()]
    if (
        isinstance(state, tuple)
        and len(state) == 2
        and all(part is None or isinstance(part, dict) for part in state)
    ):  # (__dict__, __slots__ values)
        return [child for part in state if part for child in _state_children(part)]
    return [(".<state>", state)]


def _reduce_children(obj: object) -> list[tuple[str, object]]:
    reduced = obj.__reduce_ex__(5)
    if not isinstance(reduced, tuple):
        return []  # pickled as a global reference
    func, args, state, listitems, dictitems = (tuple(reduced) + (None,) * 5)[:5]
    children: list[tuple[str, object]] = []
    if getattr(func, "__name__", "").startswith("__newobj"):
        args = args[1:]  # the class itself
    children.extend((f".<arg {i}>", arg) for i, arg in enumerate(args or ()))
    if state is not None:
        children.extend(_state_children(state))
    if listitems is not None:
        children.extend((f"[{i}]", item) for i, item in enumerate(listitems))
    if dictitems is not None:
        children.extend((f"[{k!r}]", v) for k, v in dictitems)
    return children


def _children(obj: object) -> list[tuple[str, object]]:
    if type(obj) is dict:
        return [(f"[{k!r}]", v) for k, v in obj.items()]
    if type(obj) is list or type(obj) is tuple:
        return [(f"[{i}]", v) for i, v in enumerate(obj)]
    if type(obj) is set or type(obj) is frozenset:
        return [(f".<element {i}>", v) for i, v in enumerate(obj)]
    if isinstance(obj, types.FunctionType):
        return _function_children(obj)
    if isinstance(obj, types.MethodType):
        return [(".__self__", obj.__self__), (".__func__", obj.__func__)]
    if isinstance(obj, (type, types.ModuleType)):
        return []
    return _reduce_children(obj)


class _Search:
    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.seen: set[int] = set()
        self.alive: list[object] = []  # keeps probed temporaries alive so ids stay unique
        self.deepest: Culprit | None = None

    def trial(self, obj: object) -> Exception | None:
        """Pickle ``obj`` into nothing; return the error, or None if it pickles."""
        if time.monotonic() > self.deadline:
            raise _Timeout
        try:
            dump(
                obj, _DeadlineSink(self.deadline), protocol=5, buffer_callback=lambda _buffer: False
            )
        except _Timeout:
            raise
        except Exception as exc:
            return exc
        return None

    def first_failing(
        self, candidates: list[tuple[str, object]], start: int, known: bool
    ) -> int | None:
        """Index of the first candidate from ``start`` on whose group pickle fails, by bisection.

        ``known`` says the group ``candidates[start:]`` is already known to fail.
        """
        lo, hi = start, len(candidates)
        if not known and self.trial([child for _, child in candidates[lo:hi]]) is None:
            return None
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.trial([child for _, child in candidates[lo:mid]]) is not None:
                hi = mid
            else:
                lo = mid
        return lo

    def run(self, obj: object, labels: tuple[str, ...], error: BaseException) -> Culprit | None:
        """Find the culprit below ``obj`` (which fails with ``error``); None if it only fails
        through references to objects already explored (a cycle)."""
        self.seen.add(id(obj))
        self.alive.append(obj)
        self.deepest = Culprit(labels, obj, error, complete=False)
        if len(labels) >= _MAX_DEPTH:
            return self.deepest
        try:
            children = _children(obj)
        except Exception:
            return Culprit(labels, obj, error)  # its own reduction fails
        if time.monotonic() > self.deadline:
            raise _Timeout
        candidates: list[tuple[str, object]] = []
        blocked = False  # a child was skipped because it was already explored (and failed)
        for label, child in children:
            if _always_picklable(child):
                continue
            if id(child) in self.seen:
                blocked = True
            else:
                candidates.append((label, child))
        # With nothing skipped, obj's failure lies in its candidates or in obj itself.
        start, known = 0, not blocked
        while start < len(candidates):
            index = self.first_failing(candidates, start, known)
            if index is None:
                break
            label, child = candidates[index]
            child_error = self.trial(child)
            if child_error is None:
                break  # no single child fails on its own: obj itself is the problem
            found = self.run(child, (*labels, label), child_error)
            if found is not None:
                return found
            self.deepest = Culprit(labels, obj, error, complete=False)
            blocked = True
            start, known = index + 1, False
        return None if blocked else Culprit(labels, obj, error)


def find_culprit(root: object, error: BaseException, *, budget_s: float = 1.5) -> Culprit:
    """Locate the object under ``root`` that makes pickling ``root`` fail with ``error``."""
    search = _Search(time.monotonic() + budget_s)
    collecting = gc.isenabled()
    gc.disable()  # the walk allocates many short-lived objects next to a possibly huge graph
    try:
        found = search.run(root, (), error)
    except _Timeout:
        return search.deepest or Culprit((), root, error, complete=False)
    finally:
        if collecting:
            gc.enable()
    return found or Culprit((), root, error)
