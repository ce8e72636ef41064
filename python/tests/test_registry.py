"""Registry: names and aliases, unknown types, module allow-list; manifests built through it."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import pytest

from remotemedia import (
    ManifestError,
    ModuleNotAllowedError,
    Node,
    NodeTypeNotFoundError,
    RemoteMediaError,
    build_nodes_from_manifest,
    create_node,
    get_node_class,
    register_allowed_module,
    register_node,
)
from remotemedia.nodes import CalculatorNode, PassThroughNode

pytestmark = pytest.mark.usefixtures("clean_registry")


def _manifest(
    nodes: list[dict[str, Any]], connections: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    document: dict[str, Any] = {"version": "v1", "metadata": {"name": "t"}, "nodes": nodes}
    if connections is not None:
        document["connections"] = connections
    return document


def test_builtin_names_and_aliases() -> None:
    assert get_node_class("PassThroughNode") is PassThroughNode
    assert get_node_class("PassThrough") is PassThroughNode
    assert get_node_class("Calculator") is CalculatorNode
    assert get_node_class("CalculatorNode") is CalculatorNode
    for name in ("AudioGain", "ChannelMix", "Resample"):
        assert get_node_class(name) is get_node_class(name + "Node")


def test_register_without_node_suffix_adds_it_and_explicit_aliases() -> None:
    @register_node(aliases=("Parrot",))
    class Echo(Node):
        def process(self, data: Any) -> Any:
            return data

    assert get_node_class("Echo") is Echo
    assert get_node_class("EchoNode") is Echo
    assert get_node_class("Parrot") is Echo


def test_name_conflict_is_an_error() -> None:
    @register_node
    class ClashNode(Node):
        pass

    class Other(Node):
        pass

    with pytest.raises(
        RemoteMediaError, match="as 'Clash': that name already belongs to .*ClashNode"
    ):
        register_node(aliases=("Clash",))(Other)
    assert get_node_class("Clash") is ClashNode
    with pytest.raises(NodeTypeNotFoundError):
        get_node_class("Other")  # nothing registered when any name clashes
    assert register_node(ClashNode) is ClashNode  # re-registering the same class is fine


def test_register_node_rejects_non_nodes() -> None:
    with pytest.raises(TypeError, match="expects a Node subclass"):
        register_node(dict)  # type: ignore[type-var]


def test_unknown_type_lists_known_types() -> None:
    with pytest.raises(NodeTypeNotFoundError) as info:
        get_node_class("Nope")
    error = info.value
    assert isinstance(error, RemoteMediaError)
    assert error.node_type == "Nope"
    assert {"PassThroughNode", "PassThrough", "CalculatorNode"} <= set(error.known_types)
    assert "Unknown node type 'Nope'" in str(error)
    assert "PassThroughNode" in str(error)


def test_module_path_is_refused_unless_allowed() -> None:
    assert "this" not in sys.modules
    for node_type in ("this:Anything", "this.Anything"):
        with pytest.raises(ModuleNotAllowedError, match="module 'this', which is not allowed"):
            get_node_class(node_type)
    assert "this" not in sys.modules  # refused before any import


def test_module_path_with_allowed_modules_argument() -> None:
    assert (
        get_node_class(
            "remotemedia.nodes.basic:CalculatorNode", allowed_modules=["remotemedia.nodes"]
        )
        is CalculatorNode
    )
    assert (
        get_node_class(
            "remotemedia.nodes.basic.PassThroughNode", allowed_modules=["remotemedia.nodes.basic"]
        )
        is PassThroughNode
    )
    with pytest.raises(ModuleNotAllowedError):
        get_node_class(
            "remotemedia.nodes.basic:CalculatorNode", allowed_modules=["remotemedia.nodes.basics"]
        )


def test_register_allowed_module() -> None:
    with pytest.raises(ModuleNotAllowedError):
        get_node_class("remotemedia.nodes.audio:ResampleNode")
    register_allowed_module("remotemedia.nodes.audio")
    assert get_node_class("remotemedia.nodes.audio:ResampleNode").__name__ == "ResampleNode"
    with pytest.raises(ValueError, match="Not a module name"):
        register_allowed_module("not a module")


def test_allowed_module_errors() -> None:
    with pytest.raises(ManifestError, match="not a Node subclass"):
        get_node_class("collections:OrderedDict", allowed_modules=["collections"])
    with pytest.raises(ManifestError, match="has no attribute 'Missing'"):
        get_node_class("remotemedia.nodes.basic:Missing", allowed_modules=["remotemedia"])
    with pytest.raises(ManifestError, match="Cannot import module 'remotemedia.nope'"):
        get_node_class("remotemedia.nope:Thing", allowed_modules=["remotemedia"])


def test_create_node_uses_node_id_as_name() -> None:
    node = create_node("Calculator", {"operation": "add", "operand": 1}, "plus_one")
    assert isinstance(node, CalculatorNode)
    assert node.name == "plus_one"
    assert node.process(1) == 2
    assert create_node("PassThrough").name == "PassThroughNode"


def test_create_node_wraps_constructor_errors() -> None:
    with pytest.raises(
        ManifestError, match="Cannot create node 'c' of type 'Calculator': ValueError"
    ) as info:
        create_node("Calculator", {"operation": "pow"}, "c")
    assert isinstance(info.value.__cause__, ValueError)
    with pytest.raises(ManifestError, match="must be an object"):
        create_node("Calculator", [1, 2], "c")  # type: ignore[arg-type]


def test_params_a_node_does_not_take_are_dropped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="remotemedia.registry"):
        node = create_node("Calculator", {"operation": "add", "operand": 2, "bogus": 1}, "c")
    assert node.process(1) == 3
    assert "node 'c' (CalculatorNode): ignoring params it does not take: bogus" in caplog.text


def test_build_nodes_in_connection_order() -> None:
    manifest = _manifest(
        [
            {
                "id": "b",
                "node_type": "Calculator",
                "params": {"operation": "multiply", "operand": 3},
            },
            {"id": "a", "node_type": "PassThrough"},
            {
                "id": "c",
                "node_type": "remotemedia.nodes.basic:CalculatorNode",
                "params": {"operand": 1},
            },
        ],
        [{"from": "a", "to": "b"}, {"from": "b", "to": "c"}],
    )
    nodes = build_nodes_from_manifest(json.dumps(manifest), allowed_modules=["remotemedia.nodes"])
    assert [n.name for n in nodes] == ["a", "b", "c"]
    value: Any = 2
    for node in nodes:
        value = node.process(value)
    assert value == 7


def test_build_graphs_each_node_after_those_feeding_it() -> None:
    ids = ["join", "left", "src", "right", "other"]
    manifest = _manifest(
        [{"id": i, "node_type": "PassThrough"} for i in ids],
        [
            {"from": "src", "to": "left"},
            {"from": "src", "to": "right"},
            {"from": "left", "to": "join"},
            {"from": "right", "to": "join"},
        ],
    )
    assert [n.name for n in build_nodes_from_manifest(manifest)] == [
        "src",
        "left",
        "right",
        "join",
        "other",
    ]


def test_build_upstreams_javascript_dialect_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    manifest = {
        "version": "1.0",
        "nodes": [
            {"id": "calc", "nodeType": "Calculator"},
            {"id": "pass", "nodeType": "Passthrough"},
        ],
        "connections": [{"from": "calc", "to": "pass"}],
    }
    with caplog.at_level(logging.WARNING, logger="remotemedia.manifest"):
        nodes = build_nodes_from_manifest(manifest)
    assert [n.name for n in nodes] == ["calc", "pass"]
    assert 'normalized: version "1.0" -> "v1", nodeType -> node_type' in caplog.text


def test_build_single_node_without_connections() -> None:
    nodes = build_nodes_from_manifest(
        _manifest([{"id": "only", "node_type": "PassThroughNode", "params": {}}])
    )
    assert [n.name for n in nodes] == ["only"]


def test_build_refuses_module_paths_not_allowed() -> None:
    with pytest.raises(ModuleNotAllowedError):
        build_nodes_from_manifest(_manifest([{"id": "x", "node_type": "os:system"}]))


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ({"version": "v2", "nodes": []}, "Unsupported manifest version 'v2'"),
        ({"version": "v1", "nodes": []}, "'nodes' must be a non-empty list"),
        (_manifest([{"id": "x"}]), r"nodes\[0\] \('x'\) needs a string 'node_type'"),
        (_manifest([{"node_type": "PassThrough"}]), r"nodes\[0\]\.id must be a non-empty string"),
        (
            _manifest([{"id": "x", "node_type": "PassThrough", "params": [1]}]),
            r"nodes\[0\]\.params",
        ),
        (
            _manifest(
                [{"id": "x", "node_type": "PassThrough"}, {"id": "x", "node_type": "PassThrough"}]
            ),
            "'x' appears more than once",
        ),
        (
            _manifest([{"id": "a", "node_type": "PassThrough"}], [{"from": "a", "to": "zzz"}]),
            r"connections\[0\]\.to refers to unknown node id 'zzz'",
        ),
        (
            _manifest(
                [{"id": i, "node_type": "PassThrough"} for i in "ab"],
                [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}],
            ),
            "form a cycle: 'a' -> 'b' -> 'a'",
        ),
        (
            _manifest(
                [{"id": i, "node_type": "PassThrough"} for i in "abcd"],
                [{"from": "a", "to": "b"}, {"from": "c", "to": "d"}, {"from": "d", "to": "c"}],
            ),
            "form a cycle: 'c' -> 'd' -> 'c'",
        ),
        (
            _manifest([{"id": "x", "node_type": "Calculator", "params": {"operation": "pow"}}]),
            "Cannot create node 'x'.*unknown operation 'pow'",
        ),
    ],
)
def test_build_rejects_invalid_manifests(manifest: Any, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        build_nodes_from_manifest(manifest)


def test_build_unknown_type() -> None:
    with pytest.raises(NodeTypeNotFoundError, match="Unknown node type 'Mystery'"):
        build_nodes_from_manifest(_manifest([{"id": "x", "node_type": "Mystery"}]))
