"""runtime_host: building and checking nodes, lifecycle, batches, sources, error records, the loop."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import numpy as np
import pytest

import remotemedia.testing as fx
from remotemedia import (
    Audio,
    ModuleNotAllowedError,
    Node,
    NodeInitializationError,
    NodeTypeNotFoundError,
    Pipeline,
    serialize_node_for_ipc,
)
from remotemedia.nodes import CalculatorNode, PassThroughNode
from remotemedia.runtime_host import (
    RuntimeHost,
    SourceCursor,
    build_node,
    describe_node,
    deserialize_instance,
    error_record,
    is_cancelled,
    resolve_input,
    validate_node,
)


@pytest.fixture
def host() -> Iterator[RuntimeHost]:
    h = RuntimeHost()
    yield h
    h.close()


@pytest.fixture
def no_asyncio_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The host must drive async nodes on its own loop, never through asyncio.run."""

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("asyncio.run must not be used by the runtime host")

    monkeypatch.setattr(asyncio, "run", forbidden)


class Returns(Node):
    """Returns whatever the function given for the input returns."""

    def __init__(self, fn: Any) -> None:
        super().__init__()
        self.fn = fn

    def process(self, data: Any) -> Any:
        return self.fn(data)


def _gen(n: int) -> Iterator[int]:
    yield from range(n)


async def _agen(n: int) -> AsyncIterator[int]:
    for i in range(n):
        await asyncio.sleep(0)
        yield i


async def _coro(value: Any) -> Any:
    await asyncio.sleep(0)
    return value


def inner_helper(value: Any) -> Any:
    raise KeyError(f"no entry for {value!r}")


# ---------------------------------------------------------------------------
# Error records
# ---------------------------------------------------------------------------


class TestErrorRecord:
    def test_type_is_the_qualname_beside_its_module(self) -> None:
        record = error_record(ValueError("x"))
        assert (record["type"], record["module"]) == ("ValueError", "builtins")
        record = error_record(NodeInitializationError("n", ValueError("x")))
        assert (record["type"], record["module"]) == (
            "NodeInitializationError",
            "remotemedia.errors",
        )

    def test_carries_message_index_and_the_node_traceback_without_host_frames(
        self, host: RuntimeHost
    ) -> None:
        node = Returns(inner_helper)
        outputs, error = host.process_batch(node, ["a"], 7)
        assert outputs == []
        assert error is not None
        assert error["type"] == "KeyError"
        assert error["message"] == "\"no entry for 'a'\""
        assert error["index"] == 7
        tb = error["traceback"]
        assert tb.startswith("Traceback (most recent call last):")
        assert "in inner_helper" in tb and "in process" in tb
        assert "remotemedia/runtime_host.py" not in tb

    def test_chained_causes_are_kept(self, host: RuntimeHost) -> None:
        def chained(_: Any) -> Any:
            try:
                raise OSError("disk gone")
            except OSError as exc:
                raise RuntimeError("cannot read weights") from exc

        _, error = host.process_batch(Returns(chained), [1])
        assert error is not None
        assert "OSError: disk gone" in error["traceback"]
        assert "direct cause" in error["traceback"]


# ---------------------------------------------------------------------------
# Building, checking and describing nodes
# ---------------------------------------------------------------------------


class TestValidation:
    def test_nodes_and_duck_typed_objects_are_accepted(self) -> None:
        assert validate_node(PassThroughNode()) is None
        assert validate_node(fx.DuckNode()) is None

    def test_object_without_process_is_rejected_naming_node_and_method(self) -> None:
        problem = validate_node(fx.NotANode(name="broken"))
        assert problem == (
            "node 'broken' (remotemedia.testing.nodes.NotANode) has no callable process() method"
        )

    def test_object_without_initialize_is_rejected(self) -> None:
        class OnlyProcess:
            name = "half"

            def process(self, data: Any) -> Any:
                return data

        problem = validate_node(OnlyProcess())
        assert problem is not None
        assert "'half'" in problem and "initialize()" in problem and "process()" not in problem

    def test_junk_names_its_type_and_both_methods(self) -> None:
        assert validate_node(42) == (
            "Python object of type int is not a node: "
            "it has no callable process() or initialize() method"
        )
        problem = validate_node({"node_type": "PassThrough"})
        assert problem is not None and "dict" in problem

    def test_a_class_is_not_an_instance(self) -> None:
        problem = validate_node(fx.FixtureEcho)
        assert problem is not None
        assert "is a class, not a node instance" in problem and "FixtureEcho()" in problem

    def test_node_subclass_that_does_not_override_process(self) -> None:
        class Lazy(Node):
            pass

        problem = validate_node(Lazy(name="lazy"))
        assert (
            problem is not None and "'lazy'" in problem and "does not override process()" in problem
        )

    def test_raising_attributes_count_as_missing(self) -> None:
        class Exploding:
            @property
            def process(self) -> Any:
                raise RuntimeError("boom")

            def initialize(self) -> None:
                return None

        problem = validate_node(Exploding())
        assert problem is not None and "process()" in problem


class TestDescribeAndResolve:
    def test_describe_node(self) -> None:
        node = fx.FixtureRangeSource(name="src")
        info = describe_node(node)
        assert info["node"] is node
        assert info["name"] == "src"
        assert info["class_name"] == "remotemedia.testing.nodes.FixtureRangeSource"
        assert info["is_source"] is True
        assert info["problem"] is None

    def test_describe_falls_back_to_the_class_name(self) -> None:
        info = describe_node(object())
        assert info["name"] == "object"
        assert info["class_name"] == "object"
        assert info["is_source"] is False
        assert info["problem"] is not None

    def test_resolve_a_pipeline_gives_its_nodes_in_order(self) -> None:
        a, b = PassThroughNode(name="a"), fx.FixtureEcho(name="b")
        resolved = resolve_input(Pipeline([a, b], name="p"))
        assert resolved["kind"] == "pipeline"
        assert resolved["name"] == "p"
        assert [n["node"] for n in resolved["nodes"]] == [a, b]
        assert [n["name"] for n in resolved["nodes"]] == ["a", "b"]

    def test_resolve_anything_else_describes_it_as_a_node(self) -> None:
        node = fx.FixtureCounter(name="c")
        resolved = resolve_input(node)
        assert (
            resolved["kind"] == "node" and resolved["node"] is node and resolved["problem"] is None
        )
        assert resolve_input("text")["problem"] is not None


class TestBuilding:
    def test_builds_registered_types_and_aliases_with_params_and_id(self) -> None:
        node = build_node("Calculator", {"operation": "multiply", "operand": 2}, "calc_1")
        assert isinstance(node, CalculatorNode)
        assert node.name == "calc_1" and node.operand == 2
        assert isinstance(build_node("PassThrough", None, "p"), PassThroughNode)
        assert isinstance(build_node("FixtureCounterNode", {"start": 4}, "c"), fx.FixtureCounter)

    def test_unknown_and_unallowed_types_raise(self) -> None:
        with pytest.raises(NodeTypeNotFoundError):
            build_node("NoSuchNode", {}, "x")
        with pytest.raises(ModuleNotAllowedError):
            build_node("os.path:join", {}, "x")

    def test_deserialize_instance_round_trips_and_leaves_initialize_to_the_host(
        self, host: RuntimeHost
    ) -> None:
        original = fx.FixtureModel(factor=5, name="model")
        copy = deserialize_instance(serialize_node_for_ipc(original))
        assert isinstance(copy, fx.FixtureModel) and copy is not original
        assert not copy.is_initialized and copy.loads == 0
        assert host.initialize(copy) is None
        assert copy.is_initialized and copy.loads == 1 and copy.process(3) == 15


# ---------------------------------------------------------------------------
# Lifecycle
# ---------------------------------------------------------------------------


class LoopSpy(Node):
    """Records the running loop (or None) and thread in each lifecycle method."""

    def __init__(self) -> None:
        super().__init__()
        self.loops: list[Any] = []

    async def initialize(self) -> None:
        self.loops.append(asyncio.get_running_loop())

    async def process(self, data: Any) -> Any:
        self.loops.append(asyncio.get_running_loop())
        return data

    async def cleanup(self) -> None:
        self.loops.append(asyncio.get_running_loop())


class TestLifecycle:
    def test_sync_initialize_and_cleanup(self, host: RuntimeHost) -> None:
        node = fx.FixtureLifecycle()
        assert host.initialize(node) is None
        assert host.initialize(node) is None  # Node makes the second call a no-op
        assert host.cleanup(node) is None
        assert (node.initialized, node.cleaned_up) == (1, 1)

    @pytest.mark.usefixtures("no_asyncio_run")
    def test_async_lifecycle_runs_on_one_persistent_loop(self, host: RuntimeHost) -> None:
        node = LoopSpy()
        assert host.initialize(node) is None
        for _ in range(3):
            assert host.process_batch(node, [1, 2]) == ([1, 2], None)
        assert host.cleanup(node) is None
        assert len(node.loops) == 8
        assert all(loop is host.loop for loop in node.loops)
        assert host.loop is not None and not host.loop.is_closed()

    def test_initialize_failure_is_a_record(self, host: RuntimeHost) -> None:
        node = fx.FixtureFailInitialize(message="weights missing")
        error = host.initialize(node)
        assert error is not None
        assert error["type"] == "RuntimeError" and error["message"] == "weights missing"
        assert error["index"] is None and "in initialize" in error["traceback"]
        assert not node.is_initialized and node.initialized == 1

    def test_async_initialize_failure_is_a_record_without_asyncio_frames(
        self, host: RuntimeHost
    ) -> None:
        class AsyncBroken(Node):
            async def initialize(self) -> None:
                await asyncio.sleep(0)
                raise OSError("no device")

            def process(self, data: Any) -> Any:
                return data

        error = host.initialize(AsyncBroken())
        assert error is not None and error["type"] == "OSError"
        assert "base_events.py" not in error["traceback"]
        assert "in initialize" in error["traceback"]

    def test_cleanup_failure_is_a_record_and_missing_cleanup_is_fine(
        self, host: RuntimeHost
    ) -> None:
        node = fx.FixtureFailCleanup(name="leaky")
        assert host.initialize(node) is None
        error = host.cleanup(node)
        assert error is not None and "'leaky' cannot release" in error["message"]
        assert node.cleaned_up == 1
        assert host.cleanup(fx.DuckNode()) is None

    def test_async_cleanup(self, host: RuntimeHost) -> None:
        node = fx.FixtureAsyncLifecycle()
        assert host.initialize(node) is None
        assert host.process_batch(node, ["x"]) == (["x"], None)
        assert host.cleanup(node) is None
        assert node.events == ["initialize", "process", "cleanup"]


# ---------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------


class TestProcessBatch:
    @pytest.mark.parametrize(
        ("fn", "expected"),
        [
            (lambda x: x, [1]),
            (lambda x: None, []),
            (lambda x: [x, x], [[1, 1]]),
            (lambda x: (x, x), [(1, 1)]),
            (lambda x: {"type": "audio", "v": x}, [{"type": "audio", "v": 1}]),
            (lambda x: "text", ["text"]),
            (lambda x: b"\x00", [b"\x00"]),
            (lambda x: _gen(3), [0, 1, 2]),
            (lambda x: _gen(0), []),
            (lambda x: iter(["a", "b"]), ["a", "b"]),
            (lambda x: _agen(2), [0, 1]),
            (lambda x: _coro(x + 1), [2]),
            (lambda x: _coro(None), []),
            (lambda x: _coro([x]), [[1]]),
            (lambda x: _coro(_gen(2)), [0, 1]),
            (lambda x: np.float32(1.5), [np.float32(1.5)]),
        ],
        ids=[
            "value",
            "none",
            "list-is-one-value",
            "tuple-is-one-value",
            "dict",
            "str",
            "bytes",
            "generator",
            "empty-generator",
            "iterator",
            "async-generator",
            "coroutine",
            "coroutine-none",
            "coroutine-list",
            "coroutine-generator",
            "numpy-scalar",
        ],
    )
    def test_return_shapes(self, host: RuntimeHost, fn: Any, expected: list[Any]) -> None:
        assert host.process_batch(Returns(fn), [1]) == (expected, None)

    def test_media_values_are_one_output_each(self, host: RuntimeHost) -> None:
        audio = Audio(np.zeros(4, dtype=np.float32), 16000)
        array = np.arange(6, dtype=np.float64).reshape(2, 3)
        outputs, error = host.process_batch(fx.FixtureEcho(), [audio, array])
        assert error is None and outputs[0] is audio and outputs[1] is array

    def test_fixture_return_shapes(self, host: RuntimeHost) -> None:
        assert host.process_batch(fx.FixtureExpand(), [0, 1, 2]) == ([10, 20, 21], None)
        assert host.process_batch(fx.FixtureAsyncExpand(), [2, 0, 1]) == ([20, 21, 10], None)
        assert host.process_batch(fx.FixtureKeepEven(), [1, 2, 3, 4]) == ([2, 4], None)
        assert host.process_batch(fx.FixtureAsyncScale(factor=3), [1, 2]) == ([3, 6], None)

    def test_empty_batch(self, host: RuntimeHost) -> None:
        assert host.process_batch(fx.FixtureEcho(), []) == ([], None)

    def test_state_accumulates_across_items_and_batches(self, host: RuntimeHost) -> None:
        node = fx.FixtureAccumulator()
        assert host.process_batch(node, [1, 2, 3]) == ([1, 3, 6], None)
        assert host.process_batch(node, [4], 3) == ([10], None)

    def test_order_is_kept_when_a_batch_switches_from_sync_to_async(
        self, host: RuntimeHost
    ) -> None:
        def mixed(x: int) -> Any:
            if x % 3 == 0:
                return _coro(x)
            if x % 3 == 1:
                return _agen(2)
            return x

        outputs, error = host.process_batch(Returns(mixed), [1, 2, 3, 4, 5, 6])
        assert error is None
        assert outputs == [0, 1, 2, 3, 0, 1, 5, 6]

    def test_failure_keeps_earlier_outputs_and_indexes_the_item(self, host: RuntimeHost) -> None:
        node = fx.FixtureFailAt(fail_at=2)
        outputs, error = host.process_batch(node, ["a", "b", "c", "d"], 100)
        assert outputs == ["a", "b"]
        assert error is not None
        assert error["index"] == 102 and error["type"] == "ValueError"
        assert "in fail_deep_inside" in error["traceback"]
        assert node.processed == 3  # stopped at the failing item

    def test_generator_failure_keeps_what_it_yielded(self, host: RuntimeHost) -> None:
        def partial(x: int) -> Iterator[int]:
            yield x
            raise RuntimeError("half way")

        outputs, error = host.process_batch(Returns(partial), [5, 6])
        assert outputs == [5]
        assert error is not None and error["index"] == 0 and error["message"] == "half way"

    def test_async_failure_after_switching_indexes_the_item(self, host: RuntimeHost) -> None:
        async def fail_on_three(x: int) -> int:
            await asyncio.sleep(0)
            if x == 3:
                inner_helper(x)
            return x

        outputs, error = host.process_batch(Returns(fail_on_three), [1, 2, 3, 4], 10)
        assert outputs == [1, 2]
        assert error is not None and error["index"] == 12 and error["type"] == "KeyError"
        assert "in inner_helper" in error["traceback"]
        assert "base_events.py" not in error["traceback"]
        assert "remotemedia/runtime_host.py" not in error["traceback"]

    def test_base_exceptions_are_not_swallowed(self, host: RuntimeHost) -> None:
        def interrupt(_: Any) -> Any:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            host.process_batch(Returns(interrupt), [1])

    def test_timed_batches_give_one_time_per_item(self, host: RuntimeHost) -> None:
        outputs, error, times = host.process_batch_timed(fx.FixtureExpand(), [1, 2], 0)
        assert (outputs, error) == ([10, 20, 21], None)
        assert len(times) == 2 and all(t >= 0 for t in times)
        outputs, error, times = host.process_batch_timed(fx.FixtureFailAt(fail_at=1), [1, 2, 3], 4)
        assert outputs == [1] and error is not None and error["index"] == 5 and len(times) == 2

    def test_a_large_sync_batch(self, host: RuntimeHost) -> None:
        items = list(range(100_000))
        outputs, error = host.process_batch(fx.FixtureEcho(), items)
        assert error is None and outputs == items


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


PATIENT = 60.0
"""A max_wait no test reaches, for tests that assert exact chunk sizes."""


class ValueSource(Node):
    is_source = True

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value

    def process(self) -> Any:  # type: ignore[override]
        return self.value


class TestSources:
    def test_process_is_not_called_until_the_first_chunk(self, host: RuntimeHost) -> None:
        node = fx.FixtureRangeSource(count=3)
        cursor = host.start_source(node)
        assert isinstance(cursor, SourceCursor) and node.yielded == 0

    def test_sync_generator_in_chunks(self, host: RuntimeHost) -> None:
        node = fx.FixtureRangeSource(count=5)
        cursor = host.start_source(node)
        assert host.next_chunk(cursor, 2, PATIENT) == ([0, 1], False, None)
        assert host.next_chunk(cursor, 2, PATIENT) == ([2, 3], False, None)
        assert host.next_chunk(cursor, 2, PATIENT) == ([4], True, None)
        assert host.next_chunk(cursor, 2, PATIENT) == ([], True, None)
        assert node.finished and not node.closed

    def test_async_generator_in_chunks(self, host: RuntimeHost) -> None:
        cursor = host.start_source(fx.FixtureAsyncRangeSource(count=3, start=7))
        assert host.next_chunk(cursor, 2, PATIENT) == ([7, 8], False, None)
        assert host.next_chunk(cursor, 2, PATIENT) == ([9], True, None)

    @pytest.mark.parametrize(
        ("value", "expected"),
        [(None, []), (5, [5]), ([1, 2], [[1, 2]]), (_coro("late"), ["late"])],
        ids=["none", "one", "list-is-one-item", "coroutine"],
    )
    def test_non_generator_sources(
        self, host: RuntimeHost, value: Any, expected: list[Any]
    ) -> None:
        cursor = host.start_source(ValueSource(value))
        assert host.next_chunk(cursor, 64, PATIENT) == (expected, True, None)

    def test_a_coroutine_returning_an_async_generator(self, host: RuntimeHost) -> None:
        async def make() -> AsyncIterator[int]:
            return _agen(2)

        assert host.next_chunk(host.start_source(ValueSource(make())), 64, PATIENT) == (
            [0, 1],
            True,
            None,
        )

    def test_slow_sources_hand_over_items_as_they_come(self, host: RuntimeHost) -> None:
        class Slow(Node):
            is_source = True

            def process(self) -> Iterator[int]:  # type: ignore[override]
                for i in range(3):
                    time.sleep(0.02)
                    yield i

        cursor = host.start_source(Slow())
        chunks = []
        while True:
            items, done, error = host.next_chunk(cursor, 64, 0.005)
            assert error is None
            chunks.append(items)
            if done:
                break
        assert chunks[:3] == [[0], [1], [2]]

    def test_failure_keeps_items_and_counts_from_the_start(self, host: RuntimeHost) -> None:
        class Breaks(Node):
            is_source = True

            def process(self) -> Iterator[int]:  # type: ignore[override]
                yield from range(3)
                inner_helper("eof")

        cursor = host.start_source(Breaks())
        assert host.next_chunk(cursor, 2, PATIENT) == ([0, 1], False, None)
        items, done, error = host.next_chunk(cursor, 5, PATIENT)
        assert items == [2] and done
        assert error is not None and error["index"] == 3 and "in inner_helper" in error["traceback"]
        assert host.next_chunk(cursor) == ([], True, None)

    def test_process_failing_at_once(self, host: RuntimeHost) -> None:
        class Fails(Node):
            is_source = True

            def process(self) -> Any:  # type: ignore[override]
                raise RuntimeError("no camera")

        items, done, error = host.next_chunk(host.start_source(Fails()))
        assert (items, done) == ([], True)
        assert error is not None and error["index"] == 0 and error["message"] == "no camera"

    def test_async_source_failure(self, host: RuntimeHost) -> None:
        class Fails(Node):
            is_source = True

            async def process(self) -> AsyncIterator[int]:  # type: ignore[override]
                yield 1
                raise RuntimeError("stream lost")

        items, done, error = host.next_chunk(host.start_source(Fails()), 10, PATIENT)
        assert (items, done) == ([1], True)
        assert (
            error is not None and error["index"] == 1 and "base_events.py" not in error["traceback"]
        )

    @pytest.mark.parametrize("cls", [fx.FixtureRangeSource, fx.FixtureAsyncRangeSource])
    def test_close_stops_the_generator_early(self, host: RuntimeHost, cls: type) -> None:
        node = cls(count=10)
        cursor = host.start_source(node)
        assert host.next_chunk(cursor, 2, PATIENT)[0] == [0, 1]
        assert host.close_source(cursor) is None
        assert node.closed and not node.finished
        assert host.next_chunk(cursor) == ([], True, None)

    def test_close_before_start_and_after_end(self, host: RuntimeHost) -> None:
        cursor = host.start_source(fx.FixtureRangeSource(count=1))
        assert host.close_source(cursor) is None
        assert host.next_chunk(cursor) == ([], True, None)
        done = host.start_source(fx.FixtureRangeSource(count=1))
        assert host.next_chunk(done, 64, PATIENT) == ([0], True, None)
        assert host.close_source(done) is None

    def test_close_failure_is_a_record(self, host: RuntimeHost) -> None:
        class BadFinally(Node):
            is_source = True

            def process(self) -> Iterator[int]:  # type: ignore[override]
                try:
                    yield 1
                    yield 2
                finally:
                    raise RuntimeError("finally failed")

        cursor = host.start_source(BadFinally())
        assert host.next_chunk(cursor, 1, PATIENT)[0] == [1]
        error = host.close_source(cursor)
        assert error is not None and error["message"] == "finally failed"


# ---------------------------------------------------------------------------
# Cancellation
# ---------------------------------------------------------------------------


class CancelsAt(Node):
    """Sets ``flag`` while processing item ``at`` (as a caller giving up mid-batch would)."""

    def __init__(self, flag: threading.Event, at: int, asynchronous: bool = False) -> None:
        super().__init__()
        self.flag = flag
        self.at = at
        self.asynchronous = asynchronous
        self.seen: list[int] = []

    def process(self, data: Any) -> Any:
        self.seen.append(data)
        if data == self.at:
            self.flag.set()
        return _coro(data * 10) if self.asynchronous else data * 10


class CancelsSource(Node):
    """Yields 0, 1, ... and sets ``flag`` when it yields ``at``."""

    is_source = True

    def __init__(self, flag: threading.Event, at: int, asynchronous: bool = False) -> None:
        super().__init__()
        self.flag = flag
        self.at = at
        self.asynchronous = asynchronous
        self.closed = False

    def process(self) -> Any:  # type: ignore[override]
        return self._agen() if self.asynchronous else self._gen()

    def _gen(self) -> Iterator[int]:
        try:
            for i in range(100):
                if i == self.at:
                    self.flag.set()
                yield i
        finally:
            self.closed = True

    async def _agen(self) -> AsyncIterator[int]:
        try:
            for i in range(100):
                if i == self.at:
                    self.flag.set()
                await asyncio.sleep(0)
                yield i
        finally:
            self.closed = True


class TestCancellation:
    def test_a_batch_stops_before_the_item_after_the_cancel(self, host: RuntimeHost) -> None:
        flag = threading.Event()
        node = CancelsAt(flag, at=2)
        outputs, error = host.process_batch(node, [0, 1, 2, 3, 4], 10, flag)
        assert outputs == [0, 10, 20] and node.seen == [0, 1, 2]
        assert is_cancelled(error)
        assert error is not None and error["index"] == 13 and error["type"] == "Cancelled"
        assert error["module"] == "remotemedia.runtime_host"

    def test_a_flag_set_before_the_call_runs_nothing(self, host: RuntimeHost) -> None:
        flag = threading.Event()
        flag.set()
        node = CancelsAt(flag, at=-1)
        outputs, error = host.process_batch(node, [0, 1], 5, flag)
        assert outputs == [] and node.seen == []
        assert is_cancelled(error) and error is not None and error["index"] == 5

    def test_an_unset_flag_changes_nothing(self, host: RuntimeHost) -> None:
        flag = threading.Event()
        assert host.process_batch(fx.FixtureExpand(), [1, 2], 0, flag) == ([10, 20, 21], None)
        assert host.process_batch(fx.FixtureAsyncScale(factor=3), [1, 2], 0, flag) == ([3, 6], None)

    def test_another_thread_stops_a_slow_batch_after_the_item_in_progress(
        self, host: RuntimeHost
    ) -> None:
        flag = threading.Event()
        threading.Timer(0.05, flag.set).start()
        t0 = time.perf_counter()
        slow = Returns(lambda x: time.sleep(0.02) or x)
        outputs, error = host.process_batch(slow, range(50), 0, flag)
        elapsed = time.perf_counter() - t0
        assert is_cancelled(error) and 2 <= len(outputs) <= 4
        assert elapsed < 0.05 + 0.02 + 0.03, elapsed

    def test_an_async_batch_awaits_the_item_in_progress_and_leaves_no_task(
        self, host: RuntimeHost
    ) -> None:
        flag = threading.Event()
        node = CancelsAt(flag, at=1, asynchronous=True)
        outputs, error = host.process_batch(node, [0, 1, 2, 3], 0, flag)
        assert outputs == [0, 10] and node.seen == [0, 1]
        assert is_cancelled(error) and error is not None and error["index"] == 2
        loop = host.loop
        assert loop is not None and not loop.is_running()
        assert asyncio.all_tasks(loop) == set()
        gc.collect()  # a coroutine dropped un-awaited would warn now (warnings are errors here)
        assert host.process_batch(fx.FixtureAsyncScale(factor=2), [4], 0, threading.Event()) == (
            [8],
            None,
        )

    def test_the_item_that_switches_a_batch_to_async_finishes_before_the_stop(
        self, host: RuntimeHost
    ) -> None:
        flag = threading.Event()

        def mixed(x: int) -> Any:
            if x == 1:
                flag.set()
                return _coro(x)
            return x

        outputs, error = host.process_batch(Returns(mixed), [0, 1, 2], 0, flag)
        assert outputs == [0, 1] and is_cancelled(error)
        gc.collect()

    def test_timed_batches_stop_and_time_only_the_items_processed(self, host: RuntimeHost) -> None:
        flag = threading.Event()
        outputs, error, times = host.process_batch_timed(CancelsAt(flag, at=1), [0, 1, 2], 3, flag)
        assert outputs == [0, 10] and len(times) == 2
        assert is_cancelled(error) and error is not None and error["index"] == 5

    @pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
    def test_a_source_stops_between_items_and_stays_open(
        self, host: RuntimeHost, asynchronous: bool
    ) -> None:
        flag = threading.Event()
        node = CancelsSource(flag, at=1, asynchronous=asynchronous)
        cursor = host.start_source(node)
        items, done, error = host.next_chunk(cursor, 64, PATIENT, flag)
        assert (items, done) == ([0, 1], False)
        assert is_cancelled(error) and error is not None and error["index"] == 2
        assert host.next_chunk(cursor, 2, PATIENT) == ([2, 3], False, None)
        assert host.close_source(cursor) is None and node.closed
        if asynchronous:
            assert host.loop is not None and asyncio.all_tasks(host.loop) == set()

    def test_a_source_cancelled_before_its_first_chunk_is_not_started(
        self, host: RuntimeHost
    ) -> None:
        flag = threading.Event()
        flag.set()
        node = fx.FixtureRangeSource(count=3)
        cursor = host.start_source(node)
        items, done, error = host.next_chunk(cursor, 64, PATIENT, flag)
        assert (items, done) == ([], False) and is_cancelled(error)
        assert not cursor.started and node.yielded == 0
        assert host.close_source(cursor) is None

    def test_node_failures_are_not_cancellations(self, host: RuntimeHost) -> None:
        _, error = host.process_batch(fx.FixtureFailAt(fail_at=0), [1], 0, threading.Event())
        assert error is not None and not is_cancelled(error)
        assert not is_cancelled(None)

        class Cancelled(Exception):  # a node's own exception, named alike
            pass

        assert not is_cancelled(error_record(Cancelled()))


# ---------------------------------------------------------------------------
# The host's loop
# ---------------------------------------------------------------------------


class TestLoop:
    def test_no_loop_until_async_code_needs_one(self, host: RuntimeHost) -> None:
        host.process_batch(fx.FixtureEcho(), [1])
        assert host.loop is None
        host.process_batch(fx.FixtureAsyncScale(), [1])
        assert host.loop is not None

    def test_close_then_reuse_makes_a_new_loop(self, host: RuntimeHost) -> None:
        host.process_batch(fx.FixtureAsyncScale(), [1])
        first = host.loop
        host.close()
        assert first is not None and first.is_closed()
        assert host.loop is None
        assert host.process_batch(fx.FixtureAsyncScale(), [2]) == ([4], None)
        second: Any = host.loop
        assert second is not None and second is not first

    def test_close_cancels_leftover_tasks(self, host: RuntimeHost) -> None:
        cancelled = []

        async def forever() -> None:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        class Spawns(Node):
            async def process(self, data: Any) -> Any:
                asyncio.get_running_loop().create_task(forever())
                return data

        assert host.process_batch(Spawns(), [1]) == ([1], None)
        host.close()
        assert cancelled == [True]

    def test_module_functions_share_one_default_host(self) -> None:
        import remotemedia.runtime_host as rh

        assert rh.process_batch.__self__ is rh.default_host  # type: ignore[attr-defined]
        assert rh.initialize.__self__ is rh.default_host  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------
# Deferred calls: coroutines for the caller's own event loop
# ---------------------------------------------------------------------------


class Sleeper(Node):
    """``async def process``; counts coroutines in flight (shared by instances of one test)."""

    def __init__(self, gauge: dict[str, int], delay: float = 0.05) -> None:
        super().__init__()
        self.gauge = gauge
        self.delay = delay

    async def _hold(self) -> None:
        self.gauge["now"] += 1
        self.gauge["most"] = max(self.gauge["most"], self.gauge["now"])
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.gauge["now"] -= 1

    async def initialize(self) -> None:
        await self._hold()

    async def process(self, data: Any) -> Any:
        await self._hold()
        return data

    async def cleanup(self) -> None:
        await self._hold()


def _gauge() -> dict[str, int]:
    return {"now": 0, "most": 0}


def _is_coroutine(value: Any) -> bool:
    return asyncio.iscoroutine(value)


class TestDeferred:
    def test_sync_work_comes_back_as_the_result_without_a_loop(self, host: RuntimeHost) -> None:
        node = Returns(lambda x: x * 2)
        assert host.initialize_deferred(node) is None
        assert host.process_batch_deferred(node, [1, 2]) == ([2, 4], None)
        outputs, error, times = host.process_batch_timed_deferred(node, [3])  # type: ignore[misc]
        assert (outputs, error, len(times)) == ([6], None, 1)
        cursor = host.start_source(fx.FixtureRangeSource(count=2))
        assert host.next_chunk_deferred(cursor, 64, PATIENT) == ([0, 1], True, None)
        assert host.close_source_deferred(cursor) is None
        assert host.cleanup_deferred(node) is None
        assert host.loop is None, "the host made no loop of its own"

    def test_async_work_comes_back_as_a_coroutine_with_the_same_result(
        self, host: RuntimeHost
    ) -> None:
        node = Sleeper(_gauge(), delay=0)
        for pending, expected in [
            (host.initialize_deferred(node), None),
            (host.process_batch_deferred(node, [1, 2], 5), ([1, 2], None)),
            (host.cleanup_deferred(node), None),
        ]:
            assert _is_coroutine(pending)
            assert asyncio.run(pending) == expected  # type: ignore[arg-type]
        timed = host.process_batch_timed_deferred(node, [1, 2])
        assert _is_coroutine(timed)
        outputs, error, times = asyncio.run(timed)  # type: ignore[arg-type]
        assert (outputs, error, len(times)) == ([1, 2], None, 2)
        assert host.loop is None

    def test_a_batch_switching_to_async_keeps_order_and_indexes_failures(
        self, host: RuntimeHost
    ) -> None:
        def fn(x: int) -> Any:
            if x == 3:
                raise ValueError("three")
            return _coro(x) if x % 2 else x

        pending = host.process_batch_deferred(Returns(fn), [0, 1, 2, 3, 4], 10)
        assert _is_coroutine(pending)
        outputs, error = asyncio.run(pending)  # type: ignore[arg-type]
        assert outputs == [0, 1, 2]
        assert error is not None and error["type"] == "ValueError" and error["index"] == 13

    def test_a_cancelled_async_batch_stops_between_items(self, host: RuntimeHost) -> None:
        flag = threading.Event()
        node = CancelsAt(flag, at=1, asynchronous=True)
        pending = host.process_batch_deferred(node, [0, 1, 2, 3], 0, flag)
        outputs, error = asyncio.run(pending)  # type: ignore[arg-type]
        assert outputs == [0, 10] and is_cancelled(error) and error is not None
        assert error["index"] == 2 and node.seen == [0, 1]

    def test_async_sources_come_back_as_coroutines(self, host: RuntimeHost) -> None:
        async def make() -> AsyncIterator[int]:
            return _agen(2)

        async def chunks() -> list[Any]:
            got = []
            for source in (fx.FixtureAsyncRangeSource(count=3, start=7), ValueSource(make())):
                cursor = host.start_source(source)
                while True:
                    pending = host.next_chunk_deferred(cursor, 2, PATIENT)
                    assert _is_coroutine(pending)
                    items, done, error = await pending  # type: ignore[misc]
                    got.append((items, done, error))
                    if done:
                        break
            return got

        assert asyncio.run(chunks()) == [
            ([7, 8], False, None),
            ([9], True, None),
            ([0, 1], False, None),
            ([], True, None),
        ]

    def test_closing_an_async_source_is_a_coroutine_that_runs_its_finally(
        self, host: RuntimeHost
    ) -> None:
        flag = threading.Event()
        node = CancelsSource(flag, at=100, asynchronous=True)
        cursor = host.start_source(node)

        async def run() -> Any:
            first = await host.next_chunk_deferred(cursor, 2, PATIENT)  # type: ignore[misc]
            closing = host.close_source_deferred(cursor)
            assert _is_coroutine(closing)
            return first, await closing  # type: ignore[misc]

        assert asyncio.run(run()) == (([0, 1], False, None), None)
        assert node.closed

    def test_async_source_failure_is_a_record(self, host: RuntimeHost) -> None:
        async def failing() -> AsyncIterator[int]:
            yield 1
            raise RuntimeError("dry")

        async def run() -> Any:
            cursor = host.start_source(ValueSource(failing()))
            return await host.next_chunk_deferred(cursor, 64, PATIENT)  # type: ignore[misc]

        items, done, error = asyncio.run(run())
        assert items == [1] and done
        assert error is not None and error["type"] == "RuntimeError" and error["index"] == 1

    def test_many_calls_overlap_on_a_loop_run_by_another_thread(self, host: RuntimeHost) -> None:
        """As the bridge runs them: one thread starts each call, a loop thread awaits them."""
        gauge = _gauge()
        nodes = [Sleeper(gauge) for _ in range(100)]
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        try:
            t0 = time.perf_counter()
            futures = [
                asyncio.run_coroutine_threadsafe(host.process_batch_deferred(n, [i]), loop)  # type: ignore[arg-type]
                for i, n in enumerate(nodes)
            ]
            results = [f.result(timeout=10) for f in futures]
            elapsed = time.perf_counter() - t0
            lifecycle = [
                asyncio.run_coroutine_threadsafe(call(n), loop)  # type: ignore[arg-type]
                for n in nodes[:20]
                for call in (host.initialize_deferred, host.cleanup_deferred)
            ]
            assert [f.result(timeout=10) for f in lifecycle] == [None] * 40
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
            loop.close()
        assert results == [([i], None) for i in range(100)]
        assert gauge["most"] > 10, "coroutines of different nodes were in flight together"
        assert elapsed < 2.5, f"100 x 50 ms took {elapsed:.2f} s"
        assert host.loop is None
