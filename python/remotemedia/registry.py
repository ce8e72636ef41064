"""Node type registry: names and aliases to Node classes, plus host-allowed qualified paths."""

from __future__ import annotations

import importlib
import inspect
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, overload

from .errors import (
    ManifestError,
    ModuleNotAllowedError,
    NodeNotBundledError,
    NodeTypeNotFoundError,
    RemoteMediaError,
)
from .node import Node

_log = logging.getLogger(__name__)

__all__ = [
    "create_node",
    "declare_not_bundled",
    "get_node_class",
    "register_allowed_module",
    "register_node",
]

_N = TypeVar("_N", bound=type[Node])

_registry: dict[str, type[Node]] = {}
_allowed_modules: set[str] = set()
_not_bundled: dict[str, str] = {}


def _default_names(cls: type[Node]) -> list[str]:
    name = cls.__name__
    if name.endswith("Node") and name != "Node":
        return [name, name[: -len("Node")]]
    return [name, name + "Node"]


def _same_class(a: type[Node], b: type[Node]) -> bool:
    # A module reloaded (or re-executed) defines a new class object with the same identity.
    return a is b or (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def _is_builtin(cls: type[Node]) -> bool:
    # A node shipped in remotemedia.nodes: a class registered by the user may take over its names.
    return cls.__module__.startswith("remotemedia.nodes.")


def _register(cls: _N, aliases: Iterable[str]) -> _N:
    if not (isinstance(cls, type) and issubclass(cls, Node)):
        raise TypeError(f"register_node expects a Node subclass, got {cls!r}")
    names = _default_names(cls) + list(aliases)
    for name in names:
        existing = _registry.get(name)
        if existing is not None and not (_same_class(existing, cls) or _is_builtin(existing)):
            raise RemoteMediaError(
                f"Cannot register {cls.__module__}.{cls.__qualname__} as {name!r}: "
                f"that name already belongs to {existing.__module__}.{existing.__qualname__}"
            )
    for name in names:
        _registry[name] = cls
    return cls


@overload
def register_node(cls: _N, /) -> _N: ...


@overload
def register_node(*, aliases: Iterable[str] = ()) -> Callable[[_N], _N]: ...


def register_node(
    cls: _N | None = None, /, *, aliases: Iterable[str] = ()
) -> _N | Callable[[_N], _N]:
    """Class decorator adding a Node subclass to the registry.

    The class is registered under its name and under the name with the
    ``Node`` suffix dropped or added (``PassThroughNode`` and ``PassThrough``
    name the same class), plus any ``aliases``. Use as ``@register_node`` or
    ``@register_node(aliases=("Other",))``. A name already taken by a
    different class is an error, except a name of a built-in node (from
    :mod:`remotemedia.nodes`): the class registered later takes it over.
    """
    if cls is not None:
        return _register(cls, ())
    alias_list = list(aliases)

    def decorate(klass: _N) -> _N:
        return _register(klass, alias_list)

    return decorate


def declare_not_bundled(names: Iterable[str], what: str) -> None:
    """Mark node type names this package knows of but does not ship (``what`` describes them).

    Resolving such a name raises :class:`~remotemedia.errors.NodeNotBundledError`
    (saying how to register an implementation) instead of an unknown-type error,
    until a class is registered under that name.
    """
    for name in names:
        _not_bundled[name] = what


def register_allowed_module(module: str) -> None:
    """Allow manifests to name classes in ``module`` (and its submodules) by qualified path."""
    if not all(part.isidentifier() for part in module.split(".")):
        raise ValueError(f"Not a module name: {module!r}")
    _allowed_modules.add(module)


def _is_allowed(module: str, allowed_modules: Iterable[str]) -> bool:
    return any(
        module == allowed or module.startswith(allowed + ".")
        for allowed in (*_allowed_modules, *allowed_modules)
    )


def _split_qualified(node_type: str) -> tuple[str, str] | None:
    if ":" in node_type:
        module, _, attr = node_type.partition(":")
    else:
        module, _, attr = node_type.rpartition(".")
    parts = module.split(".") + attr.split(".")
    if not module or not attr or not all(part.isidentifier() for part in parts):
        return None
    return module, attr


def get_node_class(node_type: str, *, allowed_modules: Iterable[str] = ()) -> type[Node]:
    """Resolve a node type name to its class.

    Registered names and aliases resolve directly. A module-qualified path
    (``"pkg.mod:Class"`` or ``"pkg.mod.Class"``) is imported only when its
    module is in ``allowed_modules`` or was passed to
    :func:`register_allowed_module` (submodules of an allowed package are
    allowed); anything else raises before any import happens. A name declared with
    :func:`declare_not_bundled` and not registered raises
    :class:`~remotemedia.errors.NodeNotBundledError`.
    """
    registered = _registry.get(node_type)
    if registered is not None:
        return registered
    qualified = _split_qualified(node_type) if ("." in node_type or ":" in node_type) else None
    if qualified is None:
        what = _not_bundled.get(node_type)
        if what is not None:
            raise NodeNotBundledError(node_type, what)
        raise NodeTypeNotFoundError(node_type, _registry)
    module_name, attr = qualified
    if not _is_allowed(module_name, allowed_modules):
        raise ModuleNotAllowedError(node_type, module_name)
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ManifestError(
            f"Cannot import module {module_name!r} for node type {node_type!r}: {exc}"
        ) from exc
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ManifestError(
                f"Module {module_name!r} has no attribute {attr!r} (node type {node_type!r})"
            ) from None
    if not (isinstance(target, type) and issubclass(target, Node)):
        raise ManifestError(f"Node type {node_type!r} resolves to {target!r}, not a Node subclass")
    return target


def _known_params(cls: type[Node], params: dict[str, Any], node: str) -> dict[str, Any]:
    """``params`` without the keys ``cls`` does not take, each dropped one named in a warning.

    Upstream's runtime ignores params a node does not know (manifests carry tuning keys for other
    implementations), so a manifest that runs there runs here; the warning still shows a typo.
    """
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return params
    accepted = signature.parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        return params
    known = {k for k in params if k in accepted or _snake(k) in accepted}  # camelCase spellings too
    unknown = sorted(k for k in params if k not in known)
    if unknown:
        _log.warning(
            "node %r (%s): ignoring params it does not take: %s (it takes: %s)",
            node,
            cls.__name__,
            ", ".join(unknown),
            ", ".join(k for k in accepted if k != "name") or "none",
        )
    return {k: v for k, v in params.items() if k in known}


def _snake(key: str) -> str:
    """``chunkSize`` -> ``chunk_size``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def create_node(
    node_type: str,
    params: Mapping[str, Any] | None = None,
    node_id: str | None = None,
    *,
    allowed_modules: Iterable[str] = (),
) -> Node:
    """Build a node from its type name and params; ``node_id``, when given, becomes its name."""
    cls = get_node_class(node_type, allowed_modules=allowed_modules)
    if params is not None and not isinstance(params, Mapping):
        raise ManifestError(
            f"Params for node {node_id or node_type!r} must be an object, "
            f"got {type(params).__name__}"
        )
    kwargs = _known_params(cls, dict(params or {}), node_id or node_type)
    if node_id is not None:
        kwargs["name"] = node_id
    try:
        return cls(**kwargs)
    except Exception as exc:
        raise ManifestError(
            f"Cannot create node {node_id or cls.__name__!r} of type {node_type!r}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
