"""Node: one processing step, with an idempotent lifecycle and pickling that drops runtime state."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar, cast

__all__ = ["Node"]

_F = TypeVar("_F", bound=Callable[..., Any])

# Marks a lifecycle method that is already wrapped, so it is never wrapped twice
# (e.g. ``initialize = OtherNode.initialize`` in a subclass body).
_WRAPPED = "__remotemedia_lifecycle__"


# ---------------------------------------------------------------------------
# Lifecycle wrappers
#
# Every ``initialize``/``cleanup`` defined on Node or a subclass is wrapped once,
# at class creation, so that subclasses get idempotence and ``is_initialized``
# without calling ``super()``. The wrappers touch only the instance and their
# closure (no module globals): a node class pickled by value carries them along
# and they behave the same in the process that unpickles it.
# ---------------------------------------------------------------------------


def _wrap_initialize(fn: _F) -> _F:
    if getattr(fn, _WRAPPED, False):
        return fn
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def initialize_async(self: Any) -> None:
            if getattr(self, "_initialized", False):
                return
            try:
                await fn(self)
            except BaseException:
                self._initialized = False
                raise
            self._initialized = True

        wrapper: Callable[..., Any] = initialize_async
    else:

        @functools.wraps(fn)
        def initialize_sync(self: Any) -> None:
            if getattr(self, "_initialized", False):
                return
            try:
                fn(self)
            except BaseException:
                self._initialized = False
                raise
            self._initialized = True

        wrapper = initialize_sync
    setattr(wrapper, _WRAPPED, True)
    return cast(_F, wrapper)


def _wrap_cleanup(fn: _F) -> _F:
    if getattr(fn, _WRAPPED, False):
        return fn
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def cleanup_async(self: Any) -> None:
            try:
                await fn(self)
            finally:
                self._initialized = False

        wrapper: Callable[..., Any] = cleanup_async
    else:

        @functools.wraps(fn)
        def cleanup_sync(self: Any) -> None:
            try:
                fn(self)
            finally:
                self._initialized = False

        wrapper = cleanup_sync
    setattr(wrapper, _WRAPPED, True)
    return cast(_F, wrapper)


def _runtime_attr_names(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        names.update(klass.__dict__.get("_runtime_attrs", ()))
    return names


class Node:
    """Base class of every processing step.

    Subclass it and override :meth:`process`; override :meth:`initialize` and
    :meth:`cleanup` to acquire and release resources. Each of the three may be
    ``async``; ``process`` may also be a generator or an async generator.

    ``process`` output rule (shared with the TypeScript executor): a returned
    value is one output item, ``None`` is no output, a generator or async
    generator yields any number of items.

    Lifecycle rule: every ``initialize``/``cleanup`` a subclass defines is
    wrapped when the class is created, so there is no need to call ``super()``
    (calling it is harmless). ``initialize()`` runs its body only while the node
    is not initialized and marks it initialized when the body returns; if the
    body raises, the node stays uninitialized. ``cleanup()`` always runs its
    body (it may be called on a node that was never initialized, e.g. right
    before pickling) and leaves the node uninitialized, even if it raises.

    Sources: set the class attribute ``is_source = True`` and define
    ``process(self)`` without an input parameter, yielding items (a generator
    or async generator). The runtime calls it once with no argument.

    Pickling: attributes named in the class-level ``_runtime_attrs`` tuple (of
    this class and its bases) are left out of the pickled state and come back
    as ``None``; an unpickled node is always uninitialized. Re-create such
    attributes in ``initialize()``.
    """

    is_source: ClassVar[bool] = False
    _runtime_attrs: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        runtime_attrs = cls.__dict__.get("_runtime_attrs", ())
        if isinstance(runtime_attrs, str) or not all(isinstance(a, str) for a in runtime_attrs):
            raise TypeError(
                f"{cls.__name__}._runtime_attrs must be a tuple of attribute names, "
                f"got {runtime_attrs!r}"
            )
        for attr, wrap in (("initialize", _wrap_initialize), ("cleanup", _wrap_cleanup)):
            fn = cls.__dict__.get(attr)
            if inspect.isfunction(fn):
                setattr(cls, attr, wrap(fn))

    def __init__(self, name: str | None = None, **config: Any) -> None:
        """Name the node (default: its class name); other keyword arguments become ``config``."""
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Node name must be a string, got {type(name).__name__}")
        self.name: str = name or type(self).__name__
        self.config: dict[str, Any] = dict(config)
        self._initialized = False

    @property
    def is_initialized(self) -> bool:
        """Whether :meth:`initialize` completed and :meth:`cleanup` has not run since."""
        return bool(getattr(self, "_initialized", False))

    @_wrap_initialize
    def initialize(self) -> Awaitable[None] | None:
        """Acquire resources before the first :meth:`process` call. Idempotent."""
        return None

    def process(self, data: Any) -> Any:
        """Turn one input item into zero or more output items (see the class docstring)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement process(); "
            "subclasses of Node must override it"
        )

    @_wrap_cleanup
    def cleanup(self) -> Awaitable[None] | None:
        """Release what :meth:`initialize` acquired; the node is uninitialized afterwards."""
        return None

    def to_manifest(self) -> dict[str, Any]:
        """Describe the node as a manifest v1 node: ``{"id", "node_type", "params"}``."""
        return {"id": self.name, "node_type": type(self).__name__, "params": dict(self.config)}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for attr in _runtime_attr_names(type(self)):
            state.pop(attr, None)
        state["_initialized"] = False
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for attr in _runtime_attr_names(type(self)):
            self.__dict__.setdefault(attr, None)
        self._initialized = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
