"""serialize_node_for_ipc / deserialize_node_from_ipc: lifecycle, by-value pickling, errors."""

from __future__ import annotations

import asyncio
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from remotemedia import (
    Node,
    NodeInitializationError,
    RemoteMediaError,
    SerializationError,
    deserialize_node_from_ipc,
    serialize_node_for_ipc,
)
from remotemedia.nodes import CalculatorNode, PassThroughNode

# ---------------------------------------------------------------------------
# Nodes used by the tests. They live in this (not installed) test module, so
# serialization must pickle their classes by value.
# ---------------------------------------------------------------------------


class Scaler(Node):
    def __init__(self, factor: int, **config: Any) -> None:
        super().__init__(factor=factor, **config)
        self.factor = factor
        self.history = {"seen": [1, 2, 3], "weights": np.arange(4, dtype=np.float64)}
        self.inits = 0
        self.cleanups = 0

    def initialize(self) -> None:
        self.inits += 1

    def cleanup(self) -> None:
        self.cleanups += 1

    def process(self, data: Any) -> Any:
        return data * self.factor


class AsyncScaler(Scaler):
    async def initialize(self) -> None:
        await asyncio.sleep(0)
        self.inits += 1

    async def cleanup(self) -> None:
        await asyncio.sleep(0)
        self.cleanups += 1


class LockedResource(Node):
    """Holds a lock as runtime state: dropped when pickled, re-created by initialize()."""

    _runtime_attrs = ("lock",)

    def __init__(self) -> None:
        super().__init__()
        self.lock: Any = threading.Lock()

    def initialize(self) -> None:
        self.lock = threading.Lock()

    def process(self, data: Any) -> Any:
        with self.lock:
            return data


class Holder:
    def __init__(self, value: Any) -> None:
        self.value = value


class Bag(Node):
    """A node whose attributes are set by each test."""

    def __init__(self, name: str = "bag", **attrs: Any) -> None:
        super().__init__(name=name)
        for key, value in attrs.items():
            setattr(self, key, value)

    def process(self, data: Any) -> Any:
        return data


class FailsToInitialize(Node):
    def __init__(self) -> None:
        super().__init__(name="fragile")
        self.armed = False

    def initialize(self) -> None:
        if self.armed:
            raise RuntimeError("model file missing")


class FailsToCleanUp(Node):
    def cleanup(self) -> None:
        raise OSError("device busy")


def _capturing(lock: Any) -> Callable[[], Any]:
    def callback() -> Any:
        return lock

    return callback


def _error(node: Node, **kwargs: Any) -> SerializationError:
    with pytest.raises(SerializationError) as info:
        serialize_node_for_ipc(node, **kwargs)
    return info.value


# ---------------------------------------------------------------------------
# Round trips, rerun under each supported pickle protocol by subclassing.
# ---------------------------------------------------------------------------


class RoundTripTests:
    protocol = 5

    def roundtrip(self, node: Node) -> Node:
        return deserialize_node_from_ipc(serialize_node_for_ipc(node, protocol=self.protocol))

    def test_state_survives(self) -> None:
        node = Scaler(3, name="triple", extra="x")
        copy = self.roundtrip(node)
        assert isinstance(copy, Scaler)
        assert (copy.name, copy.config, copy.factor) == ("triple", {"factor": 3, "extra": "x"}, 3)
        assert copy.history["seen"] == [1, 2, 3]
        np.testing.assert_array_equal(copy.history["weights"], [0, 1, 2, 3])
        assert copy.process(5) == 15

    def test_cleanup_before_and_initialize_after(self) -> None:
        node = Scaler(2)
        node.initialize()
        copy = self.roundtrip(node)
        assert (node.cleanups, node.is_initialized) == (1, False)
        assert (copy.cleanups, copy.inits, copy.is_initialized) == (1, 2, True)

    def test_async_lifecycle(self) -> None:
        node = AsyncScaler(2)
        copy = self.roundtrip(node)
        assert node.cleanups == 1
        assert (copy.cleanups, copy.inits, copy.is_initialized) == (1, 1, True)

    def test_async_lifecycle_inside_running_loop(self) -> None:
        async def main() -> Node:
            return self.roundtrip(AsyncScaler(2))

        copy = asyncio.run(main())
        assert isinstance(copy, AsyncScaler)
        assert (copy.inits, copy.is_initialized) == (1, True)

    def test_runtime_attrs_are_recreated(self) -> None:
        copy = self.roundtrip(LockedResource())
        assert isinstance(copy.lock, type(threading.Lock()))
        assert copy.process(7) == 7

    def test_builtin_nodes_travel_by_reference(self) -> None:
        data = serialize_node_for_ipc(
            CalculatorNode(operation="add", operand=1), protocol=self.protocol
        )
        assert b"remotemedia.nodes.basic" in data
        copy = deserialize_node_from_ipc(data)
        assert type(copy) is CalculatorNode
        assert copy.process(1) == 2

    def test_circular_but_picklable_references(self) -> None:
        node = Bag()
        holder = Holder(node)
        node.me = node  # type: ignore[attr-defined]
        node.holder = holder  # type: ignore[attr-defined]
        node.ring = [holder, {"back": node}]  # type: ignore[attr-defined]
        copy: Any = self.roundtrip(node)
        assert copy.me is copy
        assert copy.holder.value is copy
        assert copy.ring[0] is copy.holder
        assert copy.ring[1]["back"] is copy

    @pytest.mark.parametrize("cls", [Scaler, AsyncScaler])
    def test_fresh_interpreter_loads_test_module_class_by_value(
        self, cls: type[Scaler], tmp_path: Path
    ) -> None:
        data = serialize_node_for_ipc(cls(7, name="seven"), protocol=self.protocol)
        script = textwrap.dedent(
            """
            import importlib.util, sys
            from remotemedia import deserialize_node_from_ipc
            assert importlib.util.find_spec(sys.argv[1]) is None, "module must not be importable"
            node = deserialize_node_from_ipc(sys.stdin.buffer.read())
            print(type(node).__name__, node.name, node.inits, node.is_initialized, node.process(6))
            """
        )
        result = _run_python(script, cls.__module__, stdin=data, cwd=tmp_path)
        assert result == f"{cls.__name__} seven 1 True 42"


class TestRoundTripProtocol5(RoundTripTests):
    protocol = 5


class TestRoundTripProtocol4(RoundTripTests):
    protocol = 4


def _run_python(script: str, *args: str, stdin: bytes, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    completed = subprocess.run(
        [sys.executable, "-c", script, *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    return completed.stdout.decode().strip()


def test_main_module_class_round_trips_between_fresh_interpreters(tmp_path: Path) -> None:
    producer = textwrap.dedent(
        """
        import sys
        from remotemedia import Node, serialize_node_for_ipc

        class Greeter(Node):
            def process(self, data):
                return f"hello {data} from {self.name}"

        sys.stdout.buffer.write(serialize_node_for_ipc(Greeter(name="main")))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    produced = subprocess.run(
        [sys.executable, "-c", producer],
        capture_output=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=True,
    ).stdout
    consumer = (
        "import sys; from remotemedia import deserialize_node_from_ipc as load; "
        "print(load(sys.stdin.buffer.read()).process('ts'))"
    )
    assert _run_python(consumer, stdin=produced, cwd=tmp_path) == "hello ts from main"


# ---------------------------------------------------------------------------
# Errors while serializing: the attribute path is found by probing.
# ---------------------------------------------------------------------------


def test_lock_attribute_is_named() -> None:
    error = _error(Bag(name="worker", lock=threading.Lock()))
    assert (error.node_name, error.attribute_path) == ("worker", "lock")
    assert isinstance(error, RemoteMediaError)
    assert str(error).startswith(
        "Cannot serialize node 'worker': attribute 'lock' holds a non-picklable _thread.lock ("
    )
    assert (
        "Suggestion: create it in initialize() instead of __init__(), or list 'lock' in _runtime_attrs."
        in str(error)
    )


def test_open_write_mode_file_is_named(tmp_path: Path) -> None:
    with open(tmp_path / "out.txt", "w") as handle:
        error = _error(Bag(name="reader", count=3, file_handle=handle))
    assert error.attribute_path == "file_handle"
    assert (
        "Cannot serialize node 'reader': attribute 'file_handle' holds a non-picklable _io.TextIOWrapper"
        in str(error)
    )
    assert (
        error.suggestion
        == "open the file in initialize() and close it in cleanup(), or list 'file_handle' in _runtime_attrs."
    )


def test_nested_dict_path() -> None:
    lock = threading.Lock()
    error = _error(Bag(cfg={"outer": 1, "inner": {"ok": [1, 2], "cb": lock}}))
    assert error.attribute_path == "cfg['inner']['cb']"
    assert "list 'cfg' in _runtime_attrs" in error.suggestion


def test_nested_dict_holding_lambda_capturing_lock() -> None:
    lock = threading.Lock()
    error = _error(Bag(cfg={"inner": {"cb": lambda: lock}}))
    assert error.attribute_path == "cfg['inner']['cb'].<closure>.lock"
    assert "_thread.lock" in error.reason


def test_list_path() -> None:
    error = _error(Bag(items=[1, "two", threading.Lock(), 4]))
    assert error.attribute_path == "items[2]"


def test_closure_path() -> None:
    error = _error(Bag(callback=_capturing(threading.RLock())))
    assert error.attribute_path == "callback.<closure>.lock"
    assert "_thread.RLock" in error.reason


def test_nested_object_path() -> None:
    error = _error(Bag(holder=Holder(Holder({"deep": threading.Lock()}))))
    assert error.attribute_path == "holder.value.value['deep']"


def test_cycle_before_the_culprit_is_not_blamed() -> None:
    node = Bag(name="cyclic")
    node.holder = Holder(node)  # type: ignore[attr-defined]
    node.friends = [node, {"me": node}]  # type: ignore[attr-defined]
    node.lock = threading.Lock()  # type: ignore[attr-defined]
    error = _error(node)
    assert error.attribute_path == "lock"


def test_cycle_through_the_culprit_terminates() -> None:
    first = Holder(None)
    second = Holder(first)
    first.value = [second, threading.Lock()]
    error = _error(Bag(chain=first))
    assert error.attribute_path == "chain.value[1]"


def test_error_is_fast_for_a_large_node() -> None:
    big = np.zeros(50 * 1024 * 1024 // 8, dtype=np.float64)
    layers = {f"layer{i}": {"weights": big, "bias": big[:10]} for i in range(4)}
    node = Bag(
        name="model",
        blob=big,
        layers=layers,
        misc=[big, {"store": [big, {"guard": threading.Lock()}]}],
    )
    started = time.monotonic()
    error = _error(node)
    elapsed = time.monotonic() - started
    assert error.attribute_path == "misc[1]['store'][1]['guard']"
    assert elapsed < 2.0, f"error took {elapsed:.2f}s"


def test_size_limit() -> None:
    node = Bag(name="heavy", payload=b"x" * 100_000)
    error = _error(node, max_size=10_000)
    assert error.attribute_path is None
    assert "exceeds the limit of 10,000 bytes" in str(error)
    size = int(str(error).split("pickled size of ")[1].split(" bytes")[0].replace(",", ""))
    assert size > 100_000
    assert len(serialize_node_for_ipc(node, max_size=size)) == size


def test_cleanup_failure_is_reported() -> None:
    with pytest.raises(
        SerializationError, match=r"cleanup\(\) raised OSError: device busy"
    ) as info:
        serialize_node_for_ipc(FailsToCleanUp(name="dev"))
    assert isinstance(info.value.__cause__, OSError)


def test_argument_validation() -> None:
    with pytest.raises(TypeError, match="expects a remotemedia Node, got dict"):
        serialize_node_for_ipc({"not": "a node"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="protocol"):
        serialize_node_for_ipc(PassThroughNode(), protocol=2)
    with pytest.raises(ValueError, match="max_size"):
        serialize_node_for_ipc(PassThroughNode(), max_size=0)


# ---------------------------------------------------------------------------
# Errors while deserializing.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"", b"definitely not a pickle", b"\x80\x05garbage", bytes(range(256))]
)
def test_garbage_bytes(data: bytes) -> None:
    with pytest.raises(
        SerializationError, match="Cannot deserialize node: data is not a valid pickle"
    ):
        deserialize_node_from_ipc(data)


def test_non_node_payload() -> None:
    with pytest.raises(SerializationError, match="the data holds a dict, not a remotemedia Node"):
        deserialize_node_from_ipc(pickle.dumps({"a": 1}))
    with pytest.raises(TypeError, match="expects bytes, got str"):
        deserialize_node_from_ipc("abc")  # type: ignore[arg-type]


def test_failing_initialize_after_unpickling() -> None:
    node = FailsToInitialize()
    node.armed = True
    data = serialize_node_for_ipc(node)
    with pytest.raises(NodeInitializationError) as info:
        deserialize_node_from_ipc(data)
    assert (
        str(info.value) == "Node 'fragile' failed to initialize: RuntimeError: model file missing"
    )
    assert isinstance(info.value.__cause__, RuntimeError)
    assert info.value.node_name == "fragile"


def test_class_from_missing_module() -> None:
    data = b"\x80\x04cremotemedia_ghost_module\nGhostNode\n)\x81."
    with pytest.raises(SerializationError) as info:
        deserialize_node_from_ipc(data)
    message = str(info.value)
    assert (
        "'GhostNode' from module 'remotemedia_ghost_module', which cannot be imported here"
        in message
    )
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


def test_class_missing_from_module() -> None:
    data = b"\x80\x04cremotemedia.nodes\nGhostNode\n)\x81."
    with pytest.raises(
        SerializationError, match="module 'remotemedia.nodes' has no attribute 'GhostNode'"
    ):
        deserialize_node_from_ipc(data)


# ---------------------------------------------------------------------------
# Internals the behaviour above relies on.
# ---------------------------------------------------------------------------


def test_by_value_rule() -> None:
    from remotemedia._pickler import _needs_by_value

    assert _needs_by_value(Scaler.__module__)  # this test module is not installed
    for module in ("__main__", "remotemedia.node", "numpy", "json", "cloudpickle"):
        assert not _needs_by_value(module), module


def test_probe_stops_at_its_deadline() -> None:
    from remotemedia._probe import find_culprit

    node = Bag(items=[Holder(i) for i in range(100)] + [threading.Lock()])
    error = RuntimeError("original failure")
    culprit = find_culprit(node, error, budget_s=0.0)
    assert not culprit.complete
    assert culprit.obj is node
    full = find_culprit(node, error)
    assert (full.path, full.complete) == ("items[100]", True)


def test_incomplete_search_is_worded_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    import remotemedia._probe as probe

    monkeypatch.setattr(probe, "_MAX_DEPTH", 1)
    error = _error(Bag(name="deep", holder=Holder(Holder(threading.Lock()))))
    assert error.attribute_path == "holder"
    assert "holds a test_serialization.Holder with something non-picklable inside" in error.reason
    assert "stopped at its time or depth limit" in error.reason


def test_source_node_and_audio_state_round_trip() -> None:
    from remotemedia import Audio

    class Tone(Node):
        is_source = True

        def __init__(self) -> None:
            super().__init__(name="tone")
            self.block = Audio(np.linspace(-1, 1, 8, dtype=np.float32), 8000, 2)

        def process(self) -> Iterator[Audio]:  # type: ignore[override]
            yield self.block
            yield self.block

    copy = deserialize_node_from_ipc(serialize_node_for_ipc(Tone()))
    assert copy.is_source
    blocks = list(copy.process())  # type: ignore[call-arg]
    assert len(blocks) == 2
    assert isinstance(blocks[0], Audio) and blocks[0].frames == 4


def test_error_message_format() -> None:
    error = SerializationError("reader", "file_handle", "holds a non-picklable X (no)", "do Y.")
    assert (
        str(error)
        == "Cannot serialize node 'reader': attribute 'file_handle' holds a non-picklable X (no). Suggestion: do Y."
    )
    bare = SerializationError(None, None, "data is bad", "retry.", action="deserialize")
    assert str(bare) == "Cannot deserialize node: data is bad. Suggestion: retry."


class _CountsInit(Node):
    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.inits = 0

    def initialize(self) -> None:
        self.inits += 1

    def process(self, data: Any) -> Any:
        return data


def test_deserialize_without_initialize_leaves_the_node_for_the_caller() -> None:
    restored = deserialize_node_from_ipc(
        serialize_node_for_ipc(_CountsInit(name="n")), initialize=False
    )
    assert isinstance(restored, _CountsInit)
    assert restored.is_initialized is False
    assert restored.inits == 0
    restored.initialize()
    assert (restored.is_initialized, restored.inits) == (True, 1)
