"""remotemedia.api: the argument contract of execute_pipeline / execute_pipeline_with_input.

Every bad argument is rejected before anything runs (no node initialized, the
runtime never called). The runtime is replaced by a recording fake, so these
tests cover only the front end: validation, what is handed to the runtime and
how its list of outputs is returned.
"""

from __future__ import annotations

import asyncio
import json
import sys
import types
from itertools import pairwise
from typing import Any

import pytest

import remotemedia
from remotemedia import Node, Pipeline, execute_pipeline, execute_pipeline_with_input
from remotemedia.api import _validate_input, _validate_pipeline


class Recorder(Node):
    """A valid node counting its initialize() calls."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self.init_calls = 0

    def initialize(self) -> None:
        self.init_calls += 1

    def process(self, data: Any) -> Any:
        return data


class NoProcess(Node):
    """A Node subclass that never overrides process()."""


class Plain:
    """Not a Node: no process, no initialize."""


class FakeRuntime:
    def __init__(self, outputs: list[Any]) -> None:
        self.outputs = outputs
        self.calls: list[tuple[Any, list[Any] | None, str | None]] = []

    async def execute(
        self, pipeline: Any, inputs: list[Any] | None, *, transport: str | None
    ) -> list[Any]:
        self.calls.append((pipeline, inputs, transport))
        return list(self.outputs)


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> FakeRuntime:
    fake = FakeRuntime(["out"])
    module = types.ModuleType("remotemedia._runtime")
    module.execute = fake.execute  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "remotemedia._runtime", module)
    return fake


def _manifest(*node_types: str) -> dict[str, Any]:
    nodes = [{"id": f"n{i}", "node_type": t, "params": {}} for i, t in enumerate(node_types)]
    connections = [{"from": a["id"], "to": b["id"]} for a, b in pairwise(nodes)]
    return {"version": "v1", "nodes": nodes, "connections": connections}


# --- exports -----------------------------------------------------------------


def test_package_exports_the_api() -> None:
    assert "execute_pipeline" in remotemedia.__all__
    assert "execute_pipeline_with_input" in remotemedia.__all__
    assert remotemedia.execute_pipeline is execute_pipeline


# --- valid inputs normalize --------------------------------------------------


def test_mixed_list_keeps_order_and_is_copied() -> None:
    first, last = Recorder("a"), Recorder("b")
    entry = {"id": "mid", "node_type": "PassThroughNode", "params": {}}
    items: list[Any] = [first, entry, last]
    result = _validate_pipeline(items)
    assert isinstance(result, list)
    assert result == [first, entry, last]
    assert result[0] is first and result[1] is entry and result[2] is last
    assert result is not items


def test_node_pipeline_and_manifest_dict_pass_through_unchanged() -> None:
    node = Recorder()
    pipeline = Pipeline([Recorder(), Recorder()], name="p")
    manifest = _manifest("PassThroughNode")
    assert _validate_pipeline(node) is node
    assert _validate_pipeline(pipeline) is pipeline
    assert _validate_pipeline(manifest) is manifest


def test_json_string_is_parsed_to_the_manifest_dict() -> None:
    manifest = _manifest("PassThroughNode", "CalculatorNode")
    assert _validate_pipeline(json.dumps(manifest)) == manifest
    serialized = Pipeline([Recorder("r")], name="p").serialize()
    assert _validate_pipeline(serialized) == json.loads(serialized)


def test_valid_input_data_is_returned() -> None:
    data = [1, "two", None]
    assert _validate_input(data) is data


# --- list items --------------------------------------------------------------


def test_list_with_bad_items_names_each_position_and_type() -> None:
    with pytest.raises(TypeError) as info:
        _validate_pipeline([Recorder(), "text", 1.5])
    message = str(info.value)
    assert "List items must be Node instances or dict manifests" in message
    assert "[(1, 'str'), (2, 'float')]" in message


def test_list_with_non_node_object_or_class_names_them() -> None:
    with pytest.raises(TypeError, match=r"\[\(0, 'Plain'\), \(1, 'class Recorder'\)\]"):
        _validate_pipeline([Plain(), Recorder])


def test_list_dict_item_without_node_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="List item 1 .*'node_type'"):
        _validate_pipeline([Recorder(), {"id": "x", "params": {}}])


# --- node validity -----------------------------------------------------------


def test_node_without_callable_process_is_rejected() -> None:
    node = Recorder("broken")
    node.process = 5  # type: ignore[assignment,method-assign]
    with pytest.raises(TypeError, match=r"List item 1 Recorder\(name='broken'\) .*process is int"):
        _validate_pipeline([Recorder(), node])


def test_node_without_callable_initialize_is_rejected() -> None:
    node = Recorder("broken")
    node.initialize = None  # type: ignore[assignment,method-assign]
    with pytest.raises(TypeError, match=r"Recorder\(name='broken'\) .*initialize is NoneType"):
        _validate_pipeline(node)


def test_node_that_does_not_override_process_is_rejected() -> None:
    with pytest.raises(TypeError, match="NoProcess does not override process"):
        _validate_pipeline([NoProcess()])
    with pytest.raises(TypeError, match="Pipeline 'p' node 0 .*NoProcess does not override"):
        _validate_pipeline(Pipeline([NoProcess()], name="p"))


def test_non_node_object_alone_is_rejected_by_type() -> None:
    with pytest.raises(TypeError, match="got Plain$"):
        _validate_pipeline(Plain())
    with pytest.raises(TypeError, match="got class Recorder$"):
        _validate_pipeline(Recorder)


# --- empty pipelines ---------------------------------------------------------


@pytest.mark.parametrize(
    "empty",
    [[], Pipeline(name="none"), {"version": "v1", "nodes": []}, '{"version": "v1", "nodes": []}'],
    ids=["list", "Pipeline", "manifest-dict", "manifest-json"],
)
def test_empty_pipeline_is_a_value_error(empty: Any) -> None:
    with pytest.raises(ValueError, match="empty pipeline"):
        _validate_pipeline(empty)


# --- manifests ---------------------------------------------------------------


@pytest.mark.parametrize("missing", ["version", "nodes"])
def test_manifest_missing_a_required_field(missing: str) -> None:
    manifest = _manifest("PassThroughNode")
    del manifest[missing]
    with pytest.raises(ValueError, match=f"missing the required '{missing}' field"):
        _validate_pipeline(manifest)


def test_manifest_nodes_not_a_list() -> None:
    with pytest.raises(TypeError, match="'nodes' must be a list, got dict"):
        _validate_pipeline({"version": "v1", "nodes": {}})


def test_unparsable_json_names_the_position() -> None:
    with pytest.raises(ValueError, match=r"line 1 column 12 \(char 11\)") as info:
        _validate_pipeline('{"version" "v1"}')
    assert "does not parse" in str(info.value)
    assert isinstance(info.value.__cause__, json.JSONDecodeError)


def test_json_that_is_not_an_object() -> None:
    with pytest.raises(TypeError, match="must hold an object, got list"):
        _validate_pipeline("[1, 2]")


# --- other types ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "name"),
    [(3, "int"), (None, "NoneType"), ({1}, "set"), (b"{}", "bytes"), ((Recorder(),), "tuple")],
)
def test_other_types_are_rejected_naming_the_type(value: object, name: str) -> None:
    with pytest.raises(TypeError, match=f"got {name}$"):
        _validate_pipeline(value)


# --- input_data ----------------------------------------------------------------


@pytest.mark.parametrize(("value", "name"), [((1, 2), "tuple"), ("abc", "str"), (None, "NoneType")])
def test_input_data_not_a_list(value: object, name: str) -> None:
    with pytest.raises(TypeError, match=f"input_data must be a list, got {name}"):
        _validate_input(value)


def test_input_data_empty() -> None:
    with pytest.raises(ValueError, match="input_data cannot be empty"):
        _validate_input([])


# --- nothing runs when validation fails ---------------------------------------


def test_failed_validation_initializes_nothing_and_never_calls_the_runtime(
    runtime: FakeRuntime,
) -> None:
    good = Recorder("good")
    pipeline = Pipeline([good, Recorder("other")])
    bad_list: list[Any] = [good, "oops"]
    with pytest.raises(TypeError):
        asyncio.run(execute_pipeline(bad_list))
    with pytest.raises(TypeError):
        asyncio.run(execute_pipeline_with_input(bad_list, [1]))
    with pytest.raises(TypeError, match="input_data must be a list"):
        asyncio.run(execute_pipeline_with_input(pipeline, 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="input_data cannot be empty"):
        asyncio.run(pipeline.run([]))
    with pytest.raises(TypeError, match="transport must be a string or None, got int"):
        asyncio.run(execute_pipeline(pipeline, transport=1))  # type: ignore[arg-type]
    assert good.init_calls == 0
    assert not good.is_initialized
    assert runtime.calls == []


# --- what reaches the runtime, and what comes back -----------------------------


def test_execute_pipeline_feeds_empty_string_and_returns_the_single_output(
    runtime: FakeRuntime,
) -> None:
    node = Recorder()
    assert asyncio.run(execute_pipeline(node, transport="inproc")) == "out"
    assert runtime.calls == [(node, None, "inproc")]


@pytest.mark.parametrize(("outputs", "expected"), [([], None), ([1, 2], [1, 2])])
def test_execute_pipeline_with_zero_or_several_outputs(
    runtime: FakeRuntime, outputs: list[Any], expected: Any
) -> None:
    runtime.outputs = outputs
    assert asyncio.run(execute_pipeline([Recorder()])) == expected


def test_execute_pipeline_with_input_passes_inputs_and_returns_the_list(
    runtime: FakeRuntime,
) -> None:
    runtime.outputs = [2, 4]
    manifest = _manifest("CalculatorNode")
    assert asyncio.run(execute_pipeline_with_input(json.dumps(manifest), [1, 2])) == [2, 4]
    assert runtime.calls == [(manifest, [1, 2], None)]


def test_pipeline_run_delegates(runtime: FakeRuntime) -> None:
    pipeline = Pipeline([Recorder()])
    assert asyncio.run(pipeline.run()) == "out"
    assert asyncio.run(pipeline.run([1, 2], transport="ipc")) == ["out"]
    assert asyncio.run(pipeline.run(7)) == ["out"]
    assert runtime.calls == [
        (pipeline, None, None),
        (pipeline, [1, 2], "ipc"),
        (pipeline, [7], None),
    ]
