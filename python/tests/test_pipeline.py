"""Pipeline: node list handling and the exact manifest v1 shape of serialize()."""

from __future__ import annotations

import json
import re
import threading

import pytest

from remotemedia import ManifestError, Node, Pipeline, build_nodes_from_manifest
from remotemedia.nodes import CalculatorNode, PassThroughNode

_ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def _pipeline() -> Pipeline:
    return Pipeline(
        [
            PassThroughNode(name="pass"),
            CalculatorNode(name="calc", operation="multiply", operand=2),
        ],
        name="demo",
    )


def test_nodes_len_iter_and_add_node_chaining() -> None:
    first, second = PassThroughNode(), PassThroughNode(name="second")
    pipeline = Pipeline(name="p")
    assert pipeline.add_node(first).add_node(second) is pipeline
    assert len(pipeline) == 2
    assert list(pipeline) == [first, second]
    assert pipeline.nodes == (first, second)
    assert Pipeline().name == "pipeline"
    assert len(Pipeline()) == 0


def test_add_node_rejects_non_nodes() -> None:
    with pytest.raises(
        TypeError, match="accepts only remotemedia Node instances, got builtins.str"
    ):
        Pipeline(name="p").add_node("PassThroughNode")  # type: ignore[arg-type]


def test_serialize_exact_shape() -> None:
    manifest = json.loads(_pipeline().serialize())
    created_at = manifest["metadata"].pop("created_at")
    assert _ISO_UTC.match(created_at), created_at
    assert manifest == {
        "version": "v1",
        "metadata": {"name": "demo"},
        "nodes": [
            {"id": "pass_0", "node_type": "PassThroughNode", "params": {}},
            {
                "id": "calc_1",
                "node_type": "CalculatorNode",
                "params": {"operation": "multiply", "operand": 2},
            },
        ],
        "connections": [{"from": "pass_0", "to": "calc_1"}],
    }


def test_description_only_when_given() -> None:
    assert "description" not in json.loads(_pipeline().serialize())["metadata"]
    described = json.loads(_pipeline().serialize(description="doubles numbers"))
    assert described["metadata"]["description"] == "doubles numbers"
    assert list(described["metadata"]) == ["name", "created_at", "description"]


def test_single_node_has_no_connections() -> None:
    manifest = json.loads(Pipeline([PassThroughNode()], name="one").serialize())
    assert manifest["nodes"] == [
        {"id": "PassThroughNode_0", "node_type": "PassThroughNode", "params": {}}
    ]
    assert manifest["connections"] == []


def test_same_names_get_distinct_ids() -> None:
    manifest = Pipeline([PassThroughNode(), PassThroughNode(), PassThroughNode()]).to_manifest()
    assert [n["id"] for n in manifest["nodes"]] == [
        "PassThroughNode_0",
        "PassThroughNode_1",
        "PassThroughNode_2",
    ]
    assert manifest["connections"] == [
        {"from": "PassThroughNode_0", "to": "PassThroughNode_1"},
        {"from": "PassThroughNode_1", "to": "PassThroughNode_2"},
    ]


def test_non_json_params_name_the_node() -> None:
    pipeline = Pipeline([Node(name="holder", lock=threading.Lock())])
    with pytest.raises(ManifestError, match=r"node 'holder_0' \(Node\).*not JSON-serializable"):
        pipeline.serialize()


def test_serialized_manifest_builds_equivalent_nodes() -> None:
    nodes = build_nodes_from_manifest(_pipeline().serialize())
    assert [type(n) for n in nodes] == [PassThroughNode, CalculatorNode]
    assert [n.name for n in nodes] == ["pass_0", "calc_1"]
    assert nodes[1].process(nodes[0].process(21)) == 42


def test_serialize_matches_the_fixture_core_decodes() -> None:
    """The TypeScript core decodes packages/core/test/fixtures/upstream-calc-pipeline.json;
    Pipeline.serialize() must write that exact shape (only created_at differs)."""
    import json
    from pathlib import Path

    from remotemedia.nodes import CalculatorNode, PassThroughNode

    fixture_path = (
        Path(__file__).parents[2] / "packages/core/test/fixtures/upstream-calc-pipeline.json"
    )
    fixture = json.loads(fixture_path.read_text())
    pipeline = Pipeline(
        [
            PassThroughNode(name="pass"),
            CalculatorNode(name="calc", operation="multiply", operand=2),
        ],
        name="calc-pipeline",
    )
    written = json.loads(pipeline.serialize())
    assert written["metadata"].pop("created_at").endswith("Z")
    fixture["metadata"].pop("created_at")
    assert written == fixture
