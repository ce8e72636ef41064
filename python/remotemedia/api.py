"""execute_pipeline / execute_pipeline_with_input: validate what the caller passed, then run it.

Everything that can be wrong with the arguments is reported before any node is
initialized or any process started: a bad argument raises ``TypeError``, an
empty pipeline, empty ``input_data`` or an unparsable manifest raises
``ValueError``. The run itself is delegated to ``remotemedia._runtime.execute``.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable
from typing import Any, Protocol, TypeAlias, cast

from .node import Node
from .pipeline import Pipeline

__all__ = ["execute_pipeline", "execute_pipeline_with_input"]

PipelineSpec: TypeAlias = Node | list[Node | dict[str, Any]] | Pipeline | dict[str, Any]
"""A validated pipeline, as handed to the runtime (a manifest JSON string is already parsed)."""

_ACCEPTED = (
    "a Node, a list of Nodes and manifest node dicts, a Pipeline, a manifest dict or JSON string"
)


class _Execute(Protocol):
    def __call__(
        self, pipeline: PipelineSpec, inputs: list[Any] | None, *, transport: str | None
    ) -> Awaitable[list[Any] | dict[str, list[Any]]]: ...


def _describe(obj: object) -> str:
    """The name an error message uses for ``obj``: its type, or the class itself if it is one."""
    if isinstance(obj, type):
        return f"class {obj.__qualname__}"
    return type(obj).__name__


def _check_node(node: Node, where: str) -> None:
    """Raise TypeError unless ``node`` has callable ``initialize`` and an overridden ``process``."""
    for method in ("initialize", "process"):
        attr = getattr(node, method, None)
        if not callable(attr):
            raise TypeError(
                f"{where} {node!r} is not a valid Node: its {method} is "
                f"{type(attr).__name__}, not a method"
            )
    if getattr(node.process, "__func__", None) is Node.process:
        raise TypeError(
            f"{where} {node!r} is not a valid Node: {type(node).__name__} does not "
            "override process()"
        )


def _validate_list(items: list[Any]) -> list[Node | dict[str, Any]]:
    if not items:
        raise ValueError("Cannot execute empty pipeline (empty list)")
    invalid = [
        (i, _describe(item)) for i, item in enumerate(items) if not isinstance(item, (Node, dict))
    ]
    if invalid:
        raise TypeError(
            "List items must be Node instances or dict manifests. "
            f"Found invalid types at positions: {invalid}"
        )
    for i, item in enumerate(items):
        if isinstance(item, Node):
            _check_node(item, f"List item {i}")
        elif not isinstance(item.get("node_type"), str) or not item["node_type"]:
            raise ValueError(
                f"List item {i} is a manifest node dict without a non-empty string "
                f"'node_type': {item!r}"
            )
    return list(items)


def _validate_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    for field in ("version", "nodes"):
        if field not in manifest:
            raise ValueError(f"Manifest is missing the required {field!r} field")
    nodes = manifest["nodes"]
    if not isinstance(nodes, list):
        raise TypeError(f"Manifest field 'nodes' must be a list, got {type(nodes).__name__}")
    if not nodes:
        raise ValueError("Cannot execute empty pipeline (the manifest has no nodes)")
    return manifest


def _parse_manifest_json(text: str) -> dict[str, Any]:
    import json  # not at module level: importing remotemedia stays cheap

    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"Manifest JSON string does not parse: {exc.msg} at line {exc.lineno} "
            f"column {exc.colno} (char {exc.pos})"
        ) from exc
    if not isinstance(manifest, dict):
        raise TypeError(f"Manifest JSON string must hold an object, got {type(manifest).__name__}")
    return manifest


def _validate_pipeline(x: object) -> PipelineSpec:
    """Check ``x`` without running anything and return it in the form the runtime takes.

    A list is copied (order kept), a JSON string parsed to a dict; a Node,
    Pipeline or manifest dict is returned as is.
    """
    if isinstance(x, Node):
        _check_node(x, "Node")
        return x
    if isinstance(x, Pipeline):
        if len(x) == 0:
            raise ValueError(f"Cannot execute empty pipeline (Pipeline {x.name!r} has no nodes)")
        for i, node in enumerate(x):
            _check_node(node, f"Pipeline {x.name!r} node {i}")
        return x
    if isinstance(x, list):
        return _validate_list(x)
    if isinstance(x, dict):
        return _validate_manifest(x)
    if isinstance(x, str):
        return _validate_manifest(_parse_manifest_json(x))
    raise TypeError(f"Expected {_ACCEPTED}; got {_describe(x)}")


def _validate_input(input_data: object) -> list[Any]:
    if not isinstance(input_data, list):
        raise TypeError(f"input_data must be a list, got {_describe(input_data)}")
    if not input_data:
        raise ValueError("input_data cannot be empty")
    return input_data


def _validate_transport(transport: object) -> str | None:
    if transport is not None and not isinstance(transport, str):
        raise TypeError(f"transport must be a string or None, got {_describe(transport)}")
    return transport


def _runtime_execute() -> _Execute:
    # Imported on first use: the runtime pulls in the executor bridge, which plain
    # `import remotemedia` (and validation alone) must not need.
    runtime = importlib.import_module("remotemedia._runtime")
    return cast(_Execute, runtime.execute)


async def execute_pipeline(
    x: Node | Pipeline | list[Any] | dict[str, Any] | str, *, transport: str | None = None
) -> Any:
    """Run a pipeline once with no input (a source node produces the items; otherwise
    the first node receives ``""``).

    ``x`` is a Node, a list mixing Nodes and manifest node dicts
    (``{"id", "node_type", "params"}``), a :class:`Pipeline`, a manifest v1 dict
    or its JSON string. Returns ``None`` if the pipeline produced no output, the
    output itself if it produced one, and the list of outputs otherwise; a graph
    manifest with several sink nodes returns ``{sink_id: [outputs...]}``.
    Argument errors raise ``TypeError``/``ValueError`` before anything runs.
    """
    pipeline = _validate_pipeline(x)
    chosen = _validate_transport(transport)
    outputs = await _runtime_execute()(pipeline, None, transport=chosen)
    if isinstance(outputs, dict):
        return outputs
    if not outputs:
        return None
    if len(outputs) == 1:
        return outputs[0]
    return outputs


async def execute_pipeline_with_input(
    x: Node | Pipeline | list[Any] | dict[str, Any] | str,
    input_data: list[Any],
    *,
    transport: str | None = None,
) -> Any:
    """Feed each item of ``input_data`` through the pipeline and return all outputs, in order.

    ``x`` is as for :func:`execute_pipeline`. ``input_data`` must be a non-empty
    list. A graph manifest with several sink nodes returns ``{sink_id: [outputs...]}``
    (each sink's outputs in order). Argument errors raise ``TypeError``/``ValueError``
    before anything runs.
    """
    inputs = _validate_input(input_data)
    pipeline = _validate_pipeline(x)
    chosen = _validate_transport(transport)
    return await _runtime_execute()(pipeline, list(inputs), transport=chosen)
