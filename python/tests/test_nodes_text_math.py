"""MultiplyNode, AddNode, TextProcessorNode, UppercaseTransform, SimpleSource and SimpleCalculator."""

from __future__ import annotations

from typing import Any

import pytest

from remotemedia import create_node, get_node_class
from remotemedia.nodes import (
    AddNode,
    CalculatorNode,
    MultiplyNode,
    SimpleSource,
    TextProcessorNode,
    UppercaseTransform,
)
from remotemedia.runtime_host import RuntimeHost


@pytest.fixture
def host() -> Any:
    h = RuntimeHost()
    yield h
    h.close()


def test_multiply_and_add_map_numbers_and_pass_the_rest() -> None:
    times, plus = MultiplyNode(factor=3), AddNode(addend=1)
    items: list[Any] = [5, 7.5, -3, [1, 2, "x"], "text", None, True]
    out = [plus.process(times.process(item)) for item in items]
    assert out == [16, 23.5, -8, [4, 7, "x"], "text", None, True]
    assert type(out[0]) is int and type(out[1]) is float


def test_defaults_are_upstreams() -> None:
    assert MultiplyNode().process(21) == 42
    assert AddNode().process(4) == 4


def test_manifest_spelling_multiplier_is_the_factor() -> None:
    node = create_node("MultiplyNode", {"multiplier": 2}, "double")
    assert isinstance(node, MultiplyNode) and node.config == {"factor": 2}
    assert [node.process(x) for x in [5, 7, 3]] == [10, 14, 6]
    with pytest.raises(TypeError, match="both 'factor' and 'multiplier'"):
        MultiplyNode(factor=2, multiplier=3)
    with pytest.raises(TypeError, match="factor must be a number"):
        MultiplyNode(factor="2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="addend must be a number"):
        AddNode(addend=True)


def test_upstream_calculator_example_through_the_host(host: RuntimeHost) -> None:
    # Upstream's browser demo: MultiplyNode(2) -> AddNode(10) turns [5, 7, 3] into [20, 24, 16].
    values: list[Any] = [5, 7, 3]
    for node in (
        create_node("MultiplyNode", {"multiplier": 2}),
        create_node("AddNode", {"addend": 10}),
    ):
        values, error = host.process_batch(node, values)
        assert error is None
    assert values == [20, 24, 16]


def test_text_processor_matches_upstreams_output() -> None:
    node = create_node("TextProcessorNode", {}, "text1")
    assert node.process({"text": "Hello WASM", "operations": ["uppercase", "word_count"]}) == {
        "original_text": "Hello WASM",
        "operations": ["uppercase", "word_count"],
        "results": {"uppercase": "HELLO WASM", "word_count": 2},
        "processed_by": "TextProcessorNode[text1]",
        "node_config": {},
    }


def test_text_processor_every_operation() -> None:
    ops = list(TextProcessorNode().process({"text": "", "operations": []})["results"])
    assert ops == []
    results = TextProcessorNode().process(
        {
            "text": "the quick  fox",
            "operations": [
                "uppercase",
                "lowercase",
                "reverse",
                "word_count",
                "char_count",
                "title_case",
                "remove_spaces",
                "first_word",
                "last_word",
                "shout",
            ],
        }
    )["results"]
    assert results == {
        "uppercase": "THE QUICK  FOX",
        "lowercase": "the quick  fox",
        "reverse": "xof  kciuq eht",
        "word_count": 3,
        "char_count": 14,
        "title_case": "The Quick  Fox",
        "remove_spaces": "thequickfox",
        "first_word": "the",
        "last_word": "fox",
        "unknown_operation_shout": "Unknown operation: shout",
    }
    assert TextProcessorNode().process({"text": "  "})["results"] == {"uppercase": "  "}
    empty = TextProcessorNode().process({"text": "", "operations": ["first_word", "last_word"]})
    assert empty["results"] == {"first_word": "", "last_word": ""}


def test_text_processor_answers_bad_input_with_an_error_item() -> None:
    node = TextProcessorNode(name="t")
    assert node.process("plain") == {
        "error": "Input must be a dictionary",
        "input": "plain",
        "processed_by": "TextProcessorNode[t]",
    }
    assert node.process({"txt": "x"})["error"] == "Input must contain 'text' key"
    assert "must be a string" in node.process({"text": 5})["error"]
    assert "a list" in node.process({"text": "x", "operations": "uppercase"})["error"]


def test_text_processor_hello_pipeline_params() -> None:
    node = create_node("TextProcessorNode", {"operation": "lowercase", "prefix": "OUT: "}, "shout")
    out = node.process({"text": "Hello There"})
    assert out["operations"] == ["lowercase"]
    assert out["results"] == {"lowercase": "hello there"}
    assert out["processed_text"] == "OUT: hello there"
    assert out["node_config"] == {"operation": "lowercase", "prefix": "OUT: "}
    assert "processed_text" not in TextProcessorNode().process({"text": "x"})
    with pytest.raises(ValueError, match="unknown operation 'shout'"):
        TextProcessorNode(operation="shout")
    with pytest.raises(TypeError, match="prefix must be a string"):
        TextProcessorNode(prefix=1)  # type: ignore[arg-type]


def test_uppercase_transform() -> None:
    node = UppercaseTransform()
    assert [node.process(x) for x in ["abc", "Grüße", 3, None]] == ["ABC", "GRÜSSE", 3, None]


def test_simple_source_then_uppercase(host: RuntimeHost) -> None:
    source = create_node("SimpleSource", {"count": 3, "value": "test"}, "source_1")
    assert isinstance(source, SimpleSource) and SimpleSource.is_source
    cursor = host.start_source(source)
    items: list[Any] = []
    while True:
        chunk, done, error = host.next_chunk(cursor, 10, 60.0)
        assert error is None
        items += chunk
        if done:
            break
    assert items == ["test"] * 3
    outputs, error = host.process_batch(UppercaseTransform(), items)
    assert (outputs, error) == (["TEST"] * 3, None)
    assert list(SimpleSource(value=1, count=0).process()) == []
    for count in (-1, True, 1.0):
        with pytest.raises(ValueError, match="non-negative integer"):
            SimpleSource(value="x", count=count)  # type: ignore[arg-type]


def test_simple_calculator_is_the_calculator() -> None:
    assert get_node_class("SimpleCalculator") is CalculatorNode
    node = create_node("SimpleCalculator", {"operation": "add"}, "browser-node")
    assert [node.process(x) for x in [1, 2.5]] == [1, 2.5]
