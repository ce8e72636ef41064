"""remotemedia.testing: the fixture nodes behave as documented, are registered and pickle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import remotemedia.testing as fx
from remotemedia import (
    Audio,
    Node,
    VideoFrame,
    create_node,
    deserialize_node_from_ipc,
    get_node_class,
    serialize_node_for_ipc,
)
from remotemedia.runtime_host import RuntimeHost, validate_node

REGISTERED = [
    fx.FixtureAccumulator,
    fx.FixtureAsyncExpand,
    fx.FixtureAsyncLifecycle,
    fx.FixtureAsyncRangeSource,
    fx.FixtureAsyncScale,
    fx.FixtureEcho,
    fx.FixtureExpand,
    fx.FixtureFailAt,
    fx.FixtureFailCleanup,
    fx.FixtureFailInitialize,
    fx.FixtureKeepEven,
    fx.FixtureLifecycle,
    fx.FixtureMakeOpaque,
    fx.FixtureModel,
    fx.FixtureRangeSource,
    fx.FixtureScale,
    fx.FixtureCounter,
    fx.FixtureTypeOf,
    fx.FixtureUseOpaque,
]


@pytest.fixture
def host() -> Any:
    h = RuntimeHost()
    yield h
    h.close()


@pytest.mark.parametrize("cls", REGISTERED, ids=lambda c: c.__name__)
def test_registered_by_name_and_with_the_node_suffix(cls: type[Node]) -> None:
    assert get_node_class(cls.__name__) is cls
    assert get_node_class(cls.__name__ + "Node") is cls


@pytest.mark.parametrize("cls", REGISTERED, ids=lambda c: c.__name__)
def test_every_registered_fixture_round_trips_through_pickling(cls: type[Node]) -> None:
    node = cls(name="n")
    data = serialize_node_for_ipc(node)
    if cls is fx.FixtureFailInitialize:
        with pytest.raises(Exception, match="cannot load"):
            deserialize_node_from_ipc(data)
        return
    copy = deserialize_node_from_ipc(data)
    assert type(copy) is cls and copy.name == "n"


def test_counter_counts_remembers_and_bumps() -> None:
    counter = create_node("FixtureCounter", {"start": 1}, "c")
    assert isinstance(counter, fx.FixtureCounter)
    assert counter.bump(2) == 3
    assert counter.process("x") == {"call": 4, "input": "x"}
    assert (counter.calls, counter.last_input) == (4, "x")


def test_model_loads_once_and_refuses_to_run_unloaded(host: RuntimeHost) -> None:
    model = fx.FixtureModel(factor=3)
    outputs, error = host.process_batch(model, [1])
    assert outputs == [] and error is not None and "not loaded" in error["message"]
    assert host.initialize(model) is None
    assert host.initialize(model) is None
    assert model.loads == 1
    assert host.process_batch(model, [1, 2]) == ([3, 6], None)
    copy = deserialize_node_from_ipc(serialize_node_for_ipc(model))
    assert isinstance(copy, fx.FixtureModel) and copy.loads == 2 and copy.process(4) == 12


def test_lifecycle_log_file(tmp_path: Path, host: RuntimeHost) -> None:
    log = tmp_path / "events.log"
    node = fx.FixtureFailAt(fail_at=1, log_path=str(log), name="f")
    host.initialize(node)
    outputs, error = host.process_batch(node, [1, 2, 3])
    host.cleanup(node)
    assert outputs == [1] and error is not None
    events = [line.split(" ")[:2] for line in log.read_text().splitlines()]
    assert events == [["f", "initialize"], ["f", "process"], ["f", "process"], ["f", "cleanup"]]


def test_failing_at_raises_from_a_nested_function() -> None:
    node = fx.FixtureFailAt(fail_at=0)
    with pytest.raises(ValueError, match="fixture failure at item 0") as info:
        node.process("a")
    assert info.traceback[-1].name == "fail_deep_inside"


def test_failing_initialize_and_cleanup() -> None:
    with pytest.raises(RuntimeError, match="no weights"):
        fx.FixtureFailInitialize(message="no weights").initialize()
    node = fx.FixtureFailCleanup()
    node.cleanup()  # never initialized: nothing to release
    node.initialize()
    with pytest.raises(RuntimeError, match="cannot release"):
        node.cleanup()
    assert node.cleaned_up == 2 and not node.is_initialized


def test_type_of_describes_python_values() -> None:
    node = fx.FixtureTypeOf()
    assert node.process(1) == "int"
    assert node.process({"type": "x"}) == "dict"
    assert node.process(np.zeros((2, 3), dtype=np.int16)) == "ndarray[int16](2, 3)"
    assert (
        node.process(Audio(np.zeros(8, dtype=np.float32), 16000, 2))
        == "Audio(16000Hz, 2ch, 4 frames)"
    )
    assert node.process(VideoFrame(bytes(12), 2, 2)) == "VideoFrame(2x2 rgb24)"
    assert node.process(fx.OpaqueThing(1)) == "remotemedia.testing.nodes.OpaqueThing"


def test_opaque_objects_pass_by_reference_between_nodes(host: RuntimeHost) -> None:
    make, use = fx.FixtureMakeOpaque(), fx.FixtureUseOpaque(name="use")
    things, _ = host.process_batch(make, ["v"])
    outputs, error = host.process_batch(use, things)
    assert error is None
    assert outputs == [{"value": "v", "id": id(make.made[0])}]
    assert make.made[0].seen_by == ["use"]
    with pytest.raises(TypeError, match="expects an OpaqueThing"):
        use.process("not opaque")


def test_duck_node_is_valid_and_not_a_node_is_not() -> None:
    assert validate_node(fx.DuckNode()) is None
    assert fx.DuckNode().process(1) == "quack:1"
    problem = validate_node(fx.NotANode())
    assert problem is not None and "'not-a-node'" in problem


def test_custom_pipeline_uses_unregistered_local_classes(host: RuntimeHost) -> None:
    pipeline = fx.make_custom_pipeline(factor=4)
    multiply, label = pipeline.nodes
    assert "<locals>" in type(multiply).__qualname__ and "<locals>" in type(label).__qualname__
    with pytest.raises(Exception, match="Unknown node type"):
        get_node_class(type(label).__name__)
    assert get_node_class(type(multiply).__name__) is not type(multiply)  # the built-in Multiply
    values: list[Any] = [1, 2]
    for node in pipeline:
        values, error = host.process_batch(node, values)
        assert error is None
    assert values == ["label:4", "label:8"]
    copy = deserialize_node_from_ipc(serialize_node_for_ipc(multiply))
    assert copy.process(2) == 8


def test_sources(host: RuntimeHost) -> None:
    assert fx.FixtureRangeSource.is_source and fx.FixtureAsyncRangeSource.is_source
    cursor = host.start_source(fx.FixtureAsyncRangeSource(count=3, delay=0.001, fail_at=2))
    items: list[Any] = []
    while True:
        chunk, done, error = host.next_chunk(cursor, 10, 60.0)
        items += chunk
        if done:
            break
    assert items == [0, 1]
    assert error is not None and error["index"] == 2 and "fail_deep_inside" in error["traceback"]
