"""Exception hierarchy: every error remotemedia raises on purpose derives from RemoteMediaError."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable
from typing import Any

__all__ = [
    "JsError",
    "ManifestError",
    "ModuleNotAllowedError",
    "NodeInitializationError",
    "NodeNotBundledError",
    "NodeTypeNotFoundError",
    "RemoteMediaError",
    "RuntimeNotFoundError",
    "SerializationError",
    "TransportError",
    "WorkerCrashedError",
]


class RemoteMediaError(Exception):
    """Base class of the errors remotemedia raises on purpose."""


class ManifestError(RemoteMediaError):
    """A manifest is malformed, or a node described by it cannot be built or written."""


class NodeTypeNotFoundError(RemoteMediaError):
    """A node type name is not in the registry.

    ``known_types`` lists every registered name (aliases included), sorted.
    """

    def __init__(self, node_type: str, known_types: Iterable[str]) -> None:
        self.node_type = node_type
        self.known_types = tuple(sorted(known_types))
        known = ", ".join(self.known_types) or "(none)"
        super().__init__(f"Unknown node type {node_type!r}. Known types: {known}.")


class NodeNotBundledError(RemoteMediaError):
    """A node type of upstream's library that this package does not ship (a model, a remote call).

    ``node_type`` is the name the manifest used; ``what`` says what the node does.
    """

    def __init__(self, node_type: str, what: str) -> None:
        self.node_type = node_type
        self.what = what
        super().__init__(
            f"Node type {node_type!r} ({what}) is not bundled with remotemedia: its models or "
            "services are not part of any package installed here. To use it, register an "
            "implementation under that name: decorate a Node subclass with "
            f"@register_node(aliases=({node_type!r},)) in a module imported before the pipeline "
            "is built, or name your class in the manifest by its module path "
            "('package.module:Class') and allow that module (allowed_modules=... or "
            "register_allowed_module())."
        )


class ModuleNotAllowedError(RemoteMediaError):
    """A module-qualified node type names a module the host did not allow."""

    def __init__(self, node_type: str, module: str) -> None:
        self.node_type = node_type
        self.module = module
        super().__init__(
            f"Node type {node_type!r} refers to module {module!r}, which is not allowed: "
            "a manifest may only use registered node types or classes from modules the host "
            "allows (pass allowed_modules=... or call register_allowed_module())."
        )


class SerializationError(RemoteMediaError):
    """A node could not be pickled for IPC, or bytes could not be turned back into a node.

    ``str()`` is one sentence naming the node and, when known, the attribute path
    (``cfg['inner']['cb']``), then ``Suggestion: ...``.
    """

    def __init__(
        self,
        node_name: str | None,
        attribute_path: str | None,
        reason: str,
        suggestion: str,
        *,
        action: str = "serialize",
    ) -> None:
        self.node_name = node_name
        self.attribute_path = attribute_path
        self.reason = reason
        self.suggestion = suggestion
        self.action = action
        subject = f"Cannot {action} node {node_name!r}" if node_name else f"Cannot {action} node"
        where = f"attribute '{attribute_path}' " if attribute_path else ""
        super().__init__(f"{subject}: {where}{reason}. Suggestion: {suggestion}")


class NodeInitializationError(RemoteMediaError):
    """A node's initialize() raised; the original exception is the ``__cause__``."""

    def __init__(self, node_name: str, cause: BaseException) -> None:
        self.node_name = node_name
        super().__init__(
            f"Node {node_name!r} failed to initialize: {type(cause).__name__}: {cause}"
        )


class JsError(RemoteMediaError):
    """A call into the TypeScript runtime failed there (an executor or transport error).

    ``name`` is the JS error's name (e.g. ``NodeProcessError``, ``TransportUnavailable``),
    ``js_stack`` its JS stack, ``details`` what the runtime attached (a dict, e.g. the node id).
    A Python exception raised by a node is never wrapped in this: it reaches the caller as is.
    """

    def __init__(
        self, name: str, message: str, js_stack: str | None = None, details: Any = None
    ) -> None:
        self.name = name
        self.js_message = message
        self.js_stack = js_stack
        self.details = details if details is not None else {}
        super().__init__(f"{name}: {message}")


class TransportError(JsError):
    """The transport failed (not a node): a worker could not start, broke the protocol, ..."""


class WorkerCrashedError(TransportError):
    """A worker process running nodes died during the run."""


_TRANSPORT_FAILURES: dict[str, type[TransportError]] = {
    "WorkerCrashed": WorkerCrashedError,
    "WorkerStartError": TransportError,
    "ProtocolError": TransportError,
    "TransportUnavailable": TransportError,
}


def _with_str(cls: Any, message: str) -> BaseException:
    """``cls`` made so that its ``str()`` is ``message`` (the original's): ``cls(message)``, or,
    for a class whose ``str()`` is the repr of its argument (``KeyError``), from that repr read
    back."""
    exc: BaseException = cls(message)
    if str(exc) == message:
        return exc
    try:
        value = ast.literal_eval(message)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return exc
    again: BaseException = cls(value)
    return again if str(again) == message else exc


def _original(python: dict[str, Any]) -> BaseException | None:
    """The exception a record describes, of its own type when that is importable and takes a message."""
    module, qualname = python.get("module") or "builtins", python.get("type") or ""
    try:
        cls: Any = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
    except (ImportError, AttributeError):
        return None
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        return None
    message = python.get("message", "")
    try:
        exc = _with_str(cls, message)
    except Exception:  # noqa: BLE001 - a constructor wanting other arguments
        # Still that class, with the message as str(): its own __init__ (and the fields it sets) is skipped.
        try:
            exc = cls.__new__(cls)
            BaseException.__init__(exc, message)
        except Exception:  # noqa: BLE001 - a class that cannot be made at all: JsError
            return None
    traceback = python.get("traceback") or ""
    if traceback:
        exc.add_note(f"Where it was raised:\n{traceback.rstrip()}")
    return exc


def js_failure(name: str, message: str, stack: str | None, details: Any) -> BaseException:
    """The exception Python code sees for a failed call into the TypeScript runtime.

    A Python exception that caused it (``details["python"]``: type, module, message,
    traceback) comes back as its own type when that type is importable and takes a
    message; a transport failure (``details["causes"]`` names the error chain's tags)
    as a :class:`TransportError`; anything else as :class:`JsError`.
    """
    info = details if isinstance(details, dict) else {}
    causes = [c for c in info.get("causes", []) if isinstance(c, str)]
    for cause in causes:
        if cause in _TRANSPORT_FAILURES:
            return _TRANSPORT_FAILURES[cause](name, message, stack, info)
    python = info.get("python")
    if isinstance(python, dict):
        original = _original(python)
        if original is not None:
            return original
    return JsError(name, message, stack, info)


class RuntimeNotFoundError(RemoteMediaError, RuntimeError):
    """A standalone caller cannot start the TypeScript runtime: Node.js or the ``remotemedia``
    CLI is missing. The message says what to install (or which variable to set)."""
