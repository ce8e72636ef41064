"""Node: name/config defaults, lifecycle idempotence (sync and async), manifest, pickling hooks."""

from __future__ import annotations

import asyncio
import inspect
import pickle
import threading
from typing import Any

import pytest

from remotemedia import Node


class Configured(Node):
    def __init__(self, *, factor: int = 2, name: str | None = None) -> None:
        super().__init__(name=name, factor=factor)
        self.factor = factor

    def process(self, data: Any) -> Any:
        return data * self.factor


class SyncLifecycle(Node):
    def __init__(self, fail_times: int = 0) -> None:
        super().__init__()
        self.inits = 0
        self.cleanups = 0
        self.fail_times = fail_times

    def initialize(self) -> None:
        self.inits += 1
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("not yet")

    def cleanup(self) -> None:
        self.cleanups += 1


class AsyncLifecycle(Node):
    def __init__(self) -> None:
        super().__init__()
        self.inits = 0
        self.cleanups = 0

    async def initialize(self) -> None:
        await asyncio.sleep(0)
        self.inits += 1

    async def cleanup(self) -> None:
        await asyncio.sleep(0)
        self.cleanups += 1


class Parent(Node):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def initialize(self) -> None:
        self.calls.append("parent")


class Child(Parent):
    def initialize(self) -> None:
        super().initialize()
        self.calls.append("child")


class ChildFailsAfterSuper(Parent):
    def initialize(self) -> None:
        super().initialize()
        raise ValueError("child failed")


class FailingCleanup(Node):
    def cleanup(self) -> None:
        raise OSError("cannot close")


class WithRuntimeState(Node):
    _runtime_attrs = ("lock",)

    def __init__(self) -> None:
        super().__init__(size=3)
        self.lock: threading.Lock | None = threading.Lock()
        self.kept = [1, 2, 3]

    def initialize(self) -> None:
        self.lock = threading.Lock()


class InheritsRuntimeState(WithRuntimeState):
    _runtime_attrs = ("scratch",)

    def __init__(self) -> None:
        super().__init__()
        self.scratch = threading.Lock()


class Counter(Node):
    is_source = True

    def process(self) -> Any:  # type: ignore[override]
        yield from range(3)


def test_name_defaults_to_class_name_and_config_holds_other_kwargs() -> None:
    node = Configured()
    assert node.name == "Configured"
    assert node.config == {"factor": 2}
    named = Configured(name="double", factor=3)
    assert named.name == "double"
    assert named.config == {"factor": 3}
    assert repr(named) == "Configured(name='double')"
    assert Node(name="n", a=1, b="x").config == {"a": 1, "b": "x"}


def test_name_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="name must be a string"):
        Node(name=3)  # type: ignore[arg-type]


def test_base_process_names_the_class() -> None:
    with pytest.raises(NotImplementedError, match="^Node does not implement process"):
        Node().process(1)

    class Forgot(Node):
        pass

    with pytest.raises(NotImplementedError, match="Forgot does not implement process"):
        Forgot().process(1)


def test_base_node_lifecycle() -> None:
    node = Node()
    assert not node.is_initialized
    assert node.initialize() is None
    assert node.is_initialized
    node.cleanup()
    assert not node.is_initialized


def test_sync_initialize_is_idempotent_and_cleanup_resets() -> None:
    node = SyncLifecycle()
    assert not node.is_initialized
    node.initialize()
    node.initialize()
    assert node.inits == 1
    assert node.is_initialized
    node.cleanup()
    assert node.cleanups == 1
    assert not node.is_initialized
    node.initialize()
    assert node.inits == 2


def test_async_initialize_is_idempotent() -> None:
    node = AsyncLifecycle()
    assert inspect.iscoroutinefunction(node.initialize)
    assert inspect.iscoroutinefunction(node.cleanup)
    asyncio.run(node.initialize())
    asyncio.run(node.initialize())
    assert node.inits == 1
    assert node.is_initialized
    asyncio.run(node.cleanup())
    assert node.cleanups == 1
    assert not node.is_initialized


def test_failed_initialize_leaves_node_uninitialized_and_can_retry() -> None:
    node = SyncLifecycle(fail_times=1)
    with pytest.raises(RuntimeError, match="not yet"):
        node.initialize()
    assert not node.is_initialized
    node.initialize()
    assert node.is_initialized
    assert node.inits == 2


def test_super_chain_runs_each_body_once() -> None:
    node = Child()
    node.initialize()
    node.initialize()
    assert node.calls == ["parent", "child"]
    assert node.is_initialized


def test_failure_after_super_initialize_leaves_node_uninitialized() -> None:
    node = ChildFailsAfterSuper()
    with pytest.raises(ValueError, match="child failed"):
        node.initialize()
    assert not node.is_initialized


def test_cleanup_resets_flag_even_when_it_raises() -> None:
    node = FailingCleanup()
    node.initialize()
    with pytest.raises(OSError):
        node.cleanup()
    assert not node.is_initialized


def test_to_manifest_uses_upstream_keys() -> None:
    node = Configured(name="double", factor=4)
    assert node.to_manifest() == {
        "id": "double",
        "node_type": "Configured",
        "params": {"factor": 4},
    }
    manifest = node.to_manifest()
    manifest["params"]["factor"] = 99
    assert node.config == {"factor": 4}


def test_pickling_drops_runtime_attrs_and_initialized_flag() -> None:
    node = WithRuntimeState()
    node.initialize()
    copy = pickle.loads(pickle.dumps(node))
    assert copy.lock is None
    assert copy.kept == [1, 2, 3]
    assert copy.config == {"size": 3}
    assert not copy.is_initialized
    assert node.is_initialized and node.lock is not None
    copy.initialize()
    assert isinstance(copy.lock, type(threading.Lock()))


def test_runtime_attrs_accumulate_over_base_classes() -> None:
    copy = pickle.loads(pickle.dumps(InheritsRuntimeState()))
    assert copy.lock is None
    assert copy.scratch is None


def test_runtime_attrs_must_be_a_tuple_of_names() -> None:
    with pytest.raises(TypeError, match="_runtime_attrs must be a tuple"):

        class Wrong(Node):
            _runtime_attrs = "handle"  # type: ignore[assignment]


def test_is_source_is_a_class_attribute() -> None:
    assert Node.is_source is False
    assert Configured().is_source is False
    source = Counter()
    assert source.is_source is True
    assert list(source.process()) == [0, 1, 2]
