"""Parent-side helpers for shipping live node objects to a worker (called through the Python bridge).

:func:`ship` is ``serialize_node_for_ipc`` for :class:`~remotemedia.Node`
instances (``cleanup()`` in the parent, then cloudpickle, with the attribute
path in a :class:`~remotemedia.SerializationError` when something cannot be
pickled); objects that are nodes only by shape (callable ``process`` and
``initialize``, FR-010) get the same treatment. :func:`adopt_state` gives the
parent's object the state the worker's copy ended with.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from .._pickler import dump
from .._sync import resolve
from ..errors import SerializationError
from ..node import Node
from ..runtime_host import validate_node
from ..serialization import _pickling_failure, serialize_node_for_ipc

__all__ = ["adopt_state", "ship"]


def ship(obj: Any) -> bytes:
    """``cleanup()`` the object, then pickle it for a worker; raises SerializationError."""
    if isinstance(obj, Node):
        return serialize_node_for_ipc(obj)
    problem = validate_node(obj)
    if problem is not None:
        raise TypeError(problem)
    name = str(getattr(obj, "name", type(obj).__name__))
    cleanup = getattr(obj, "cleanup", None)
    if callable(cleanup):
        try:
            resolve(cleanup())
        except Exception as exc:
            raise SerializationError(
                name,
                None,
                f"cleanup() raised {type(exc).__name__}: {exc}",
                "make cleanup() succeed whether or not the node was initialized.",
            ) from exc
    sink = io.BytesIO()
    try:
        dump(obj, sink, protocol=5)
    except Exception as exc:
        raise _pickling_failure(obj, exc) from exc
    return sink.getvalue()


def adopt_state(obj: Any, state: bytes) -> None:
    """Replace ``obj``'s state with that of the pickled worker copy ``state`` (taken after its cleanup)."""
    copy = pickle.loads(state)
    if type(copy) is not type(obj) and type(copy).__qualname__ != type(obj).__qualname__:
        raise TypeError(
            f"state of a {type(copy).__qualname__} cannot go into a {type(obj).__qualname__}"
        )
    values = copy.__getstate__() if hasattr(copy, "__getstate__") else copy.__dict__
    if hasattr(obj, "__setstate__"):
        obj.__setstate__(values)
    else:
        obj.__dict__.update(values)
