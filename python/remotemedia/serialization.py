"""Node instances across processes: cleanup() then cloudpickle out, unpickle then initialize() in.

Only unpickle data from a process you trust: unpickling runs arbitrary code.
"""

from __future__ import annotations

import io
import pickle
from typing import TYPE_CHECKING, Any

from ._pickler import dump
from ._sync import resolve
from .errors import NodeInitializationError, SerializationError
from .node import Node

if TYPE_CHECKING:
    from ._probe import Culprit

__all__ = [
    "DEFAULT_MAX_SIZE",
    "deserialize_node_from_ipc",
    "serialize_node_for_ipc",
    "unpickle_node_data",
]

DEFAULT_MAX_SIZE = 2 * 1024**3
"""Default limit on the size of a serialized node, in bytes (2 GiB)."""

_LOCK_MODULES = frozenset({"_thread", "threading", "multiprocessing.synchronize", "asyncio.locks"})


# ---------------------------------------------------------------------------
# Serializing
# ---------------------------------------------------------------------------


class _LimitedBuffer:
    """Collects pickle output up to ``limit`` bytes, then only counts, to report the full size."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._buffer: io.BytesIO | None = io.BytesIO()

    def write(self, data: Any) -> int:
        length = memoryview(data).nbytes
        self.size += length
        if self._buffer is not None:
            if self.size > self.limit:
                self._buffer = None
            else:
                self._buffer.write(data)
        return length

    def result(self) -> bytes | None:
        """The pickle, or None when it went over the limit."""
        return None if self._buffer is None else self._buffer.getvalue()


def _type_name(obj: object) -> str:
    kind = type(obj)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def _suggestion(culprit: Culprit) -> str:
    top = culprit.top_attribute
    drop = f"list {top!r} in _runtime_attrs" if top else "keep it off the node"
    if isinstance(culprit.obj, io.IOBase):
        return f"open the file in initialize() and close it in cleanup(), or {drop}."
    if type(culprit.obj).__module__ in _LOCK_MODULES:
        return f"create it in initialize() instead of __init__(), or {drop}."
    return f"create it in initialize() and release it in cleanup(), or {drop}."


def _pickling_failure(node: Node, error: BaseException) -> SerializationError:
    from ._probe import find_culprit

    culprit = find_culprit(node, error)
    if not culprit.labels and culprit.complete:
        return SerializationError(
            node.name,
            None,
            f"it cannot be pickled ({type(error).__name__}: {error})",
            "define its class at module level (in __main__ or an importable module) and create "
            "unpicklable state in initialize().",
        )
    if culprit.complete:
        reason = f"holds a non-picklable {_type_name(culprit.obj)} ({culprit.error})"
    else:
        reason = (
            f"holds a {_type_name(culprit.obj)} with something non-picklable inside "
            f"({culprit.error}); the search for the exact item stopped at its time or depth limit"
        )
    return SerializationError(node.name, culprit.path, reason, _suggestion(culprit))


def serialize_node_for_ipc(
    node: Node, *, max_size: int = DEFAULT_MAX_SIZE, protocol: int = 5
) -> bytes:
    """Call ``node.cleanup()`` (sync or async), then return the node pickled with cloudpickle.

    Classes and functions from ``__main__`` and from modules that are not
    installed (scripts' sibling modules, test modules) are pickled by value,
    so a fresh worker interpreter can load them; remotemedia and installed
    packages are pickled by reference. Attributes listed in ``_runtime_attrs``
    are left out.

    Raises :class:`SerializationError` if cleanup() fails, if something in
    the node cannot be pickled (naming the attribute path, e.g.
    ``cfg['inner']['cb']``), or if the result would exceed ``max_size`` bytes.
    """
    if not isinstance(node, Node):
        raise TypeError(
            f"serialize_node_for_ipc expects a remotemedia Node, got {_type_name(node)}"
        )
    if not 4 <= protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(
            f"pickle protocol must be between 4 and {pickle.HIGHEST_PROTOCOL}, got {protocol}"
        )
    if max_size <= 0:
        raise ValueError(f"max_size must be positive, got {max_size}")
    try:
        resolve(node.cleanup())
    except Exception as exc:
        raise SerializationError(
            node.name,
            None,
            f"cleanup() raised {type(exc).__name__}: {exc}",
            "make cleanup() succeed whether or not the node was initialized; it runs before every "
            "serialization.",
        ) from exc
    sink = _LimitedBuffer(max_size)
    try:
        dump(node, sink, protocol=protocol)
    except Exception as exc:
        raise _pickling_failure(node, exc) from exc
    data = sink.result()
    if data is None:
        raise SerializationError(
            node.name,
            None,
            f"its pickled size of {sink.size:,} bytes exceeds the limit of {max_size:,} bytes",
            "pass a larger max_size, or load large data in initialize() instead of holding it "
            "on the node.",
        )
    return data


# ---------------------------------------------------------------------------
# Deserializing
# ---------------------------------------------------------------------------


class _MissingClass(Exception):
    def __init__(self, module: str, name: str, error: Exception) -> None:
        super().__init__(module, name)
        self.module = module
        self.name = name
        self.error = error


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError) as exc:
            raise _MissingClass(module, name, exc) from exc


def _missing_class_error(missing: _MissingClass) -> SerializationError:
    if isinstance(missing.error, ImportError):
        reason = (
            f"it needs {missing.name!r} from module {missing.module!r}, which cannot be imported "
            f"here ({missing.error})"
        )
        suggestion = (
            f"install the package providing {missing.module!r} in the worker's environment, or "
            "define the class in __main__ or in a module that is not installed (it then travels "
            "by value)."
        )
    else:
        reason = f"module {missing.module!r} has no attribute {missing.name!r} ({missing.error})"
        suggestion = "run the same version of that module on both sides."
    return SerializationError(None, None, reason, suggestion, action="deserialize")


def unpickle_node_data(data: bytes | bytearray | memoryview) -> Any:
    """Unpickle shipped node bytes without checking the type or calling ``initialize()``.

    Raises :class:`SerializationError` when the data is not a valid pickle or
    needs a class this interpreter cannot import (naming module and class).
    """
    try:
        return _Unpickler(io.BytesIO(data)).load()
    except _MissingClass as missing:
        raise _missing_class_error(missing) from missing.error
    except Exception as exc:
        raise SerializationError(
            None,
            None,
            f"data is not a valid pickle of a node ({type(exc).__name__}: {exc})",
            "pass the exact bytes returned by serialize_node_for_ipc(), with the same code on "
            "both sides.",
            action="deserialize",
        ) from exc


def deserialize_node_from_ipc(
    data: bytes | bytearray | memoryview, *, initialize: bool = True
) -> Node:
    """Unpickle a node made by :func:`serialize_node_for_ipc`, then call its ``initialize()``.

    With ``initialize=False`` the caller initializes the node itself (a runtime
    that owns an event loop runs an async ``initialize()`` there, so tasks it
    starts outlive the call).

    Raises :class:`SerializationError` when the data is not a valid pickle,
    needs a class this interpreter cannot import (naming module and class),
    or holds something other than a Node; raises
    :class:`NodeInitializationError` (chaining the cause) when initialize() fails.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"deserialize_node_from_ipc expects bytes, got {_type_name(data)}")
    obj = unpickle_node_data(data)
    if not isinstance(obj, Node):
        raise SerializationError(
            None,
            None,
            f"the data holds a {_type_name(obj)}, not a remotemedia Node",
            "pass bytes produced by serialize_node_for_ipc().",
            action="deserialize",
        )
    if not initialize:
        return obj
    try:
        resolve(obj.initialize())
    except Exception as exc:
        raise NodeInitializationError(obj.name, exc) from exc
    return obj
