"""Upstream's small test nodes, EchoNode, the pass-through spellings and the node types not bundled."""

from __future__ import annotations

from typing import Any

import pytest

from remotemedia import build_nodes_from_manifest, create_node, get_node_class
from remotemedia.errors import NodeNotBundledError, NodeTypeNotFoundError
from remotemedia.node import Node
from remotemedia.nodes import (
    BatcherNode,
    ChainedTransformNode,
    ConditionalExpanderNode,
    CounterNode,
    EchoNode,
    ErrorProneNode,
    ExpanderNode,
    FilterNode,
    PassThroughNode,
    RangeGeneratorNode,
    TransformAndExpandNode,
)
from remotemedia.registry import register_node


def _outputs(result: Any) -> list[Any]:
    if result is None:
        return []
    if isinstance(result, (dict, int, float, str)):
        return [result]
    return list(result)


def test_expander_and_conditional_expander() -> None:
    assert _outputs(ExpanderNode().process(5)) == [5, 6, 7]
    assert _outputs(create_node("Expander", {"expansionFactor": 2}).process({"value": 1})) == [
        {"value": 1, "index": 0},
        {"value": 2, "index": 1},
    ]
    assert _outputs(ExpanderNode(expansion_factor=2).process("a")) == ["a_0", "a_1"]
    assert len(_outputs(ConditionalExpanderNode().process({"value": -4}))) == 4
    assert len(_outputs(ConditionalExpanderNode().process(99))) == 10
    assert _outputs(ConditionalExpanderNode().process("x")) == []


def test_filter_batcher_counter_range() -> None:
    keep = FilterNode(min_value=2)
    assert [x for x in (1, 2, {"value": 3}, "s") if _outputs(keep.process(x))] == [2, {"value": 3}]
    batcher = BatcherNode(batch_size=2)
    assert [_outputs(batcher.process(i)) for i in range(5)] == [
        [],
        [{"batch": [0, 1], "size": 2}],
        [],
        [{"batch": [2, 3], "size": 2}],
        [],
    ]
    counter = CounterNode(initial_count=10)
    assert [counter.process(c)["count"] for c in "abc"] == [11, 12, 13]
    assert _outputs(RangeGeneratorNode().process(3)) == [{"value": 0}, {"value": 1}, {"value": 2}]
    assert _outputs(RangeGeneratorNode().process({"start": 2, "end": 8, "step": 3})) == [
        {"value": 2},
        {"value": 5},
    ]


def test_transforms_chains_and_errors() -> None:
    assert [o["text"] for o in _outputs(TransformAndExpandNode().process("Ab"))] == [
        "AB",
        "ab",
        "bA",
    ]
    assert _outputs(TransformAndExpandNode(transforms=["double"]).process(1)) == [
        {"text": "11", "transform": "double"}
    ]
    with pytest.raises(ValueError, match="unknown transforms"):
        TransformAndExpandNode(transforms=["shout"])
    assert _outputs(ChainedTransformNode().process(1)) == [
        {"stage": 1, "value": 2},
        {"stage": 2, "value": 12},
        {"stage": 3, "value": 144, "final": True},
    ]
    assert _outputs(ChainedTransformNode(emit_intermediates=False).process({"value": 0})) == [
        {"stage": 3, "value": 100, "final": True}
    ]
    node = ErrorProneNode(error_on_value=3)
    assert node.process({"value": 1}) == {"value": 1, "status": "ok"}
    with pytest.raises(ValueError, match="Error triggered by value: 3"):
        node.process(3)


def test_echo_and_pass_through_spellings() -> None:
    echo = create_node("EchoNode", {"operation": "echo"})
    assert isinstance(echo, EchoNode)
    assert [echo.process("hi"), echo.process(5), echo.process("yo")] == [
        "Echo #1: hi",
        5,
        "Echo #3: yo",
    ]
    for name in ("PassthroughNode", "Passthrough", "passthrough", "PassThrough"):
        assert get_node_class(name) is PassThroughNode
    with pytest.raises(ValueError, match="operation must be 'echo'"):
        EchoNode(operation="shout")


@pytest.mark.parametrize(
    "node_type",
    [
        "WhisperSTT",
        "KokoroTTSNode",
        "KokoroTTS",
        "LFM2AudioNode",
        "RemotePipelineNode",
        "PythonNode",
    ],
)
def test_not_bundled_types_say_so_from_a_manifest(node_type: str) -> None:
    manifest = {
        "version": "v1",
        "nodes": [{"id": "n", "node_type": node_type, "params": {"model": "x"}}],
        "connections": [],
    }
    with pytest.raises(NodeNotBundledError) as caught:
        build_nodes_from_manifest(manifest)
    message = str(caught.value)
    assert f"Node type {node_type!r}" in message and "is not bundled" in message
    assert f"@register_node(aliases=({node_type!r},))" in message
    assert "Unknown node type" not in message and not isinstance(
        caught.value, NodeTypeNotFoundError
    )
    assert caught.value.node_type == node_type


@pytest.mark.usefixtures("clean_registry")
def test_a_registered_implementation_replaces_the_not_bundled_error() -> None:
    @register_node(aliases=("WhisperSTT",))
    class FakeWhisper(Node):
        def __init__(self, *, model: str = "tiny", name: str | None = None) -> None:
            super().__init__(name=name, model=model)

        def process(self, data: Any) -> Any:
            return {"text": "hello"}

    assert isinstance(create_node("WhisperSTT", {"model": "base.en"}), FakeWhisper)
    with pytest.raises(NodeTypeNotFoundError):
        get_node_class("NoSuchNodeAnywhere")


def test_resamplers_pass_events_on_and_vad_takes_upstreams_sample_rate_spelling() -> None:
    event = {"has_speech": True, "timestamp_ms": 32}
    for node_type in ("FastResampleNode", "AudioResample"):
        node = create_node(
            node_type, {"target_rate": 16000} if node_type == "FastResampleNode" else {}
        )
        assert node.process(event) is event
    vad = create_node("SileroVADNode", {"sample_rate": 8000})
    assert vad.sampling_rate == 8000  # type: ignore[attr-defined]


def test_stream_endpoints_pass_items_on() -> None:
    for node_type in ("AudioInput", "AudioOutput", "VideoInput", "TextOutput"):
        node = create_node(node_type, {}, node_type.lower())
        assert type(node).__name__ == "StreamEndpointNode"
        assert node.process("x") == "x"
