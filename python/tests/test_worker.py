"""``python -m remotemedia.worker`` end to end: a real subprocess driven over its two pipes."""

from __future__ import annotations

import asyncio
import mmap
import os
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pytest

from remotemedia import Node, serialize_node_for_ipc
from remotemedia.worker.codec import EXT_TENSOR, decode, encode
from remotemedia.worker.framing import FrameReader, frame
from remotemedia.worker.testvectors import TailPart, split_body

TESTS_DIR = Path(__file__).parent

# ---------------------------------------------------------------------------
# Nodes. This module is not installed, so instances of these classes travel
# pickled by value; manifests name them as "test_worker:Class" (allowed with
# --allow-module test_worker, the tests folder being on the worker's path).
# ---------------------------------------------------------------------------


class Doubler(Node):
    def process(self, data: Any) -> Any:
        return data * 2


class Counter(Node):
    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.count = 0
        self.inits = 0
        self.cleanups = 0

    def initialize(self) -> None:
        self.inits += 1

    def process(self, data: Any) -> Any:
        self.count += 1
        return {"count": self.count, "inits": self.inits, "data": data}

    def cleanup(self) -> None:
        self.cleanups += 1


class FailOn(Node):
    def __init__(self, bad: Any = "bad", **config: Any) -> None:
        super().__init__(**config)
        self.bad = bad

    def process(self, data: Any) -> Any:
        if data == self.bad:
            raise ValueError(f"cannot take {data!r}")
        return data


class Fanout(Node):
    def process(self, data: Any) -> Iterator[Any]:
        for i in range(data):
            yield f"{data}.{i}"


class Printer(Node):
    def initialize(self) -> None:
        print("initialize says hi")

    def process(self, data: Any) -> Any:
        print(f"processing {data}")
        sys.stdout.flush()
        return data


class AsyncLoopUser(Node):
    """Keeps an asyncio primitive made in initialize(): only works if process() runs on the same loop."""

    async def initialize(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    async def process(self, data: Any) -> Any:
        await self.queue.put(data)
        return (asyncio.get_running_loop() is self.loop, await self.queue.get())


class Source(Node):
    is_source = True

    def __init__(self, count: int = 5, log: str | None = None, **config: Any) -> None:
        super().__init__(**config)
        self.count = count
        self.log = log

    def process(self) -> Iterator[int]:  # type: ignore[override]
        try:
            yield from range(self.count)
        finally:
            if self.log:
                Path(self.log).write_text("closed")


class AsyncSource(Source):
    async def process(self) -> AsyncIterator[int]:  # type: ignore[override]
        for i in range(self.count):
            await asyncio.sleep(0)
            yield i


class Sleeper(Node):
    def process(self, data: Any) -> Any:
        time.sleep(data)
        return data


class Nap(Node):
    """Sleeps ``seconds`` per item, then returns it."""

    def __init__(self, seconds: float = 0.2, **config: Any) -> None:
        super().__init__(**config)
        self.seconds = seconds

    def process(self, data: Any) -> Any:
        time.sleep(self.seconds)
        return data


class SlowSource(Node):
    """A source yielding ``0 .. count - 1``, one every ``seconds``."""

    is_source = True

    def __init__(self, count: int = 100, seconds: float = 0.05, **config: Any) -> None:
        super().__init__(**config)
        self.count = count
        self.seconds = seconds

    def process(self) -> Iterator[int]:  # type: ignore[override]
        for i in range(self.count):
            time.sleep(self.seconds)
            yield i


class ModulesSeen(Node):
    """Reports which of the modules a worker needs only for some values it has imported."""

    def process(self, data: Any) -> Any:
        return [name for name in ("numpy", "asyncio", "importlib.metadata") if name in sys.modules]


def _receive_buffer(array: Any) -> int:
    """The size of the worker's receive buffer ``array`` is a view of; 0 when it is none's."""
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    return len(base.obj) if isinstance(base, memoryview) and isinstance(base.obj, mmap.mmap) else 0


class BufferProbe(Node):
    """A PassThrough that also tells the size of the receive buffer its input is a view of."""

    def process(self, data: Any) -> Any:
        return [_receive_buffer(data), data]


class Keeper(Node):
    """Keeps every input array; tells its receive buffer's size and the sums of all arrays kept."""

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.kept: list[Any] = []

    def process(self, data: Any) -> Any:
        self.kept.append(data)
        return [_receive_buffer(data), [int(a.sum()) for a in self.kept]]


class BadCleanup(Node):
    def process(self, data: Any) -> Any:
        return data

    def cleanup(self) -> None:
        if self.is_initialized:
            raise RuntimeError("cannot release")


# ---------------------------------------------------------------------------
# A minimal parent, written against PROTOCOL.md
# ---------------------------------------------------------------------------


class Parent:
    def __init__(self, *args: str) -> None:
        req_r, self._req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (it outlives __init__: close() closes it)
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "remotemedia.worker",
                "--in-fd",
                str(req_r),
                "--out-fd",
                str(rep_w),
                "--allow-module",
                "test_worker",
                *args,
            ],
            pass_fds=(req_r, rep_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
        )
        os.close(req_r)
        os.close(rep_w)
        self._replies: BinaryIO = os.fdopen(rep_r, "rb")
        self.reader = FrameReader(self._replies)
        self.seq = 0
        try:
            self.hello = self.recv()
        except BaseException:
            self.close()
            raise

    def send_raw(self, data: bytes) -> None:
        os.write(self._req_w, data)

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(frame(encode(message)))

    def recv(self) -> dict[str, Any]:
        body = self.reader.read()
        assert body is not None, f"worker closed its reply pipe; stderr:\n{self.log()}"
        message: dict[str, Any] = decode(body)
        return message

    def process_split(self, slot: int, array: np.ndarray[Any, Any]) -> tuple[dict[str, Any], int]:
        """Send ``array`` to ``slot`` in a split body's tail, as TypeScript sends large values.

        Returns the reply and the size of the frame body.
        """
        self.seq += 1
        part = TailPart(EXT_TENSOR, [array.dtype.name, list(array.shape)], array.tobytes())
        body, _ = split_body(
            {"op": "process", "seq": self.seq, "slots": [slot], "items": [part], "first_index": 0}
        )
        self.send_raw(frame(body))
        reply = self.recv()
        assert reply["seq"] == self.seq, reply
        return reply, len(body)

    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        self.seq += 1
        self.send({"op": op, "seq": self.seq, **fields})
        reply = self.recv()
        assert reply["seq"] == self.seq
        return reply

    def load(self, slot: int, node: Node | None = None, **manifest: Any) -> dict[str, Any]:
        if node is not None:
            return self.request(
                "load_instance",
                slot=slot,
                node_id=node.name,
                class_name=type(node).__qualname__,
                data=serialize_node_for_ipc(node),
            )
        return self.request("load_manifest", slot=slot, **manifest)

    def log(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    def wait(self, timeout: float = 10) -> int:
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for closer in (lambda: os.close(self._req_w), self._replies.close, self.stderr.close):
            try:
                closer()
            except OSError:
                pass
        if self.proc.stdout:
            self.proc.stdout.close()


@pytest.fixture
def parent() -> Iterator[Parent]:
    p = Parent()
    yield p
    p.close()


def ok_shutdown(p: Parent) -> None:
    assert p.request("shutdown")["op"] == "ok"
    assert p.wait() == 0


# ---------------------------------------------------------------------------
# Start-up
# ---------------------------------------------------------------------------


def test_hello_reports_versions_and_pid(parent: Parent) -> None:
    import cloudpickle
    import msgpack

    import remotemedia

    hello = parent.hello
    assert hello["op"] == "hello" and hello["protocol"] == 1
    assert hello["pid"] == parent.proc.pid
    assert hello["python"] == sys.version.split()[0]
    assert hello["cloudpickle"] == cloudpickle.__version__
    assert hello["msgpack"] == ".".join(map(str, msgpack.version))
    assert hello["remotemedia"] == remotemedia.__version__
    assert (
        "numpy" in hello and hello["numpy"] is None
    )  # not imported by a worker before it needs it
    ok_shutdown(parent)


def test_importing_the_worker_imports_no_numpy_asyncio_or_importlib_metadata() -> None:
    code = (
        "import sys, remotemedia.worker.server, remotemedia.worker.main\n"
        "print([m for m in ('numpy', 'asyncio', 'importlib.metadata') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_worker_imports_numpy_only_for_the_first_tensor(parent: Parent) -> None:
    parent.load(0, node_id="p", node_type="PassThroughNode")
    parent.load(1, ModulesSeen(name="seen"))
    plain = parent.request(
        "process", slots=[0, 1], items=["text", 2**70, {"a": [1.5, None]}], first_index=0
    )
    assert plain["outputs"] == [[], [], []]
    tensor = parent.request("process", slots=[0, 1], items=[np.zeros(2, np.float32)], first_index=3)
    assert tensor["outputs"] == [["numpy"]]
    ok_shutdown(parent)


def test_command_line_takes_both_option_forms_and_repeated_options() -> None:
    from remotemedia.worker.main import _parse

    options = _parse(
        [
            "--in-fd",
            "5",
            "--out-fd=6",
            "--parent-pid",
            "7",
            "--import",
            "a",
            "--import=b",
            "--allow-module",
            "c",
            "--log-level=DEBUG",
        ]
    )
    assert (options.in_fd, options.out_fd, options.parent_pid) == (5, 6, 7)
    assert (options.imports, options.allowed, options.log_level) == (["a", "b"], ["c"], "DEBUG")
    defaults = _parse([])
    assert (defaults.in_fd, defaults.out_fd, defaults.parent_pid, defaults.imports) == (
        3,
        4,
        None,
        [],
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--in-fd", "three"], "argument --in-fd: invalid int value: 'three'"),
        (["--import"], "argument --import: expected one argument"),
    ],
)
def test_command_line_errors_exit_2_with_the_usage(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from remotemedia.worker.main import _parse

    with pytest.raises(SystemExit) as exit_info:
        _parse(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m remotemedia.worker") and message in err


def test_help_lists_every_option() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "remotemedia.worker", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0
    options = (
        "--in-fd",
        "--out-fd",
        "--parent-pid",
        "--max-frame-bytes",
        "--import",
        "--allow-module",
        "--log-level",
    )
    for option in options:
        assert option in out.stderr  # fd 1 is the log's too: the worker points it at stderr first


def test_import_option_loads_modules_before_hello(tmp_path: Path) -> None:
    (tmp_path / "worker_imported_mod.py").write_text(
        "import sys\nprint('imported!', file=sys.stderr)\n"
    )
    os.environ["PYTHONPATH"] = str(tmp_path)
    try:
        p = Parent("--import", "worker_imported_mod")
    finally:
        del os.environ["PYTHONPATH"]
    try:
        assert "imported!" in p.log()
        ok_shutdown(p)
    finally:
        p.close()


def test_failing_import_exits_before_hello_with_the_traceback_on_stderr() -> None:
    with pytest.raises(AssertionError, match="closed its reply pipe"):
        Parent("--import", "no_such_module_anywhere")


# ---------------------------------------------------------------------------
# Loading and processing
# ---------------------------------------------------------------------------


def test_manifest_node_processes_and_cleans_up(parent: Parent) -> None:
    loaded = parent.load(
        0,
        node_id="calc",
        node_type="CalculatorNode",
        params={"operation": "multiply", "operand": 3},
    )
    assert loaded == {
        "op": "loaded",
        "seq": 1,
        "slot": 0,
        "node_id": "calc",
        "name": "calc",
        "class_name": "remotemedia.nodes.basic.CalculatorNode",
        "is_source": False,
    }
    assert parent.request("process", slots=[0], items=[1, 2.5], first_index=0) == {
        "op": "result",
        "outputs": [3, 7.5],
        "seq": 2,
    }
    assert parent.request("cleanup", slot=0) == {"op": "ok", "seq": 3}
    ok_shutdown(parent)


def test_qualified_manifest_types_of_allowed_modules_are_built(parent: Parent) -> None:
    assert parent.load(0, node_id="d", node_type="test_worker:Doubler", params={})["op"] == "loaded"
    assert parent.request("process", slots=[0], items=["ab"], first_index=0)["outputs"] == ["abab"]


def test_unknown_node_type_is_a_load_error(parent: Parent) -> None:
    reply = parent.load(0, node_id="x", node_type="NoSuchNode", params={})
    assert reply["op"] == "error" and reply["phase"] == "load" and reply["node_id"] == "x"
    assert (reply["module"], reply["type"]) == ("remotemedia.errors", "NodeTypeNotFoundError")
    assert "NoSuchNode" in reply["message"]
    assert (
        parent.load(0, node_id="x", node_type="PassThrough", params={})["op"] == "loaded"
    )  # slot still free


def test_instance_is_initialized_once_keeps_its_state_and_is_cleaned_up_once(
    parent: Parent,
) -> None:
    node = Counter(name="counter")
    node.count = 40  # state the constructor does not describe
    assert parent.load(0, node)["class_name"] == "test_worker.Counter"
    out = parent.request("process", slots=[0], items=["a", "b"], first_index=0)["outputs"]
    assert out == [{"count": 41, "inits": 1, "data": "a"}, {"count": 42, "inits": 1, "data": "b"}]
    reply = parent.request("cleanup", slot=0, return_state=True)
    import pickle

    state = pickle.loads(reply["state"])
    # one cleanup in the parent before shipping, one in the worker at the end
    assert (state.count, state.inits, state.cleanups) == (42, 1, 2)
    assert (node.count, node.inits, node.cleanups) == (40, 0, 1)  # the parent's copy was cleaned up
    ok_shutdown(parent)


def test_fused_chain_runs_inside_the_worker_with_per_node_indexes(parent: Parent) -> None:
    parent.load(0, Doubler(name="double"))
    parent.load(1, Fanout(name="fan"))
    parent.load(2, FailOn(name="fail", bad="4.3"))
    reply = parent.request("process", slots=[0, 1, 2], items=[1], first_index=0)
    assert reply == {"op": "result", "outputs": ["2.0", "2.1"], "seq": 4}
    reply = parent.request("process", slots=[0, 1, 2], items=[2, 0], first_index=1)
    assert reply["op"] == "error" and reply["phase"] == "process"
    assert reply["node_id"] == "fail" and reply["index"] == 5
    assert reply["outputs"] == ["4.0", "4.1", "4.2"]
    assert reply["type"] == "ValueError" and reply["message"] == "cannot take '4.3'"
    assert "in process" in reply["traceback"] and reply["traceback"].startswith("Traceback")


def test_a_failure_upstream_still_sends_earlier_outputs_through_the_chain(parent: Parent) -> None:
    parent.load(0, FailOn(name="first", bad=3))
    parent.load(1, Doubler(name="second"))
    reply = parent.request("process", slots=[0, 1], items=[1, 2, 3, 4], first_index=10)
    assert (reply["node_id"], reply["index"], reply["outputs"]) == ("first", 12, [2, 4])
    # the worker stays usable after a node error
    assert parent.request("process", slots=[0, 1], items=[5], first_index=14)["outputs"] == [10]
    ok_shutdown(parent)


def test_every_data_kind_passes_through_a_node(parent: Parent) -> None:
    parent.load(0, node_id="p", node_type="PassThrough", params={})
    from remotemedia import Audio, VideoFrame

    items = [
        "é🎧",
        2**70,
        -(2**63),
        1.5,
        False,
        True,
        b"\x00\xff",
        [1, [2]],
        {"type": "x"},
        np.arange(6, dtype=np.int16).reshape(2, 3),
        Audio(np.zeros(4, np.float32), 8000, 2),
        VideoFrame(bytes(3), 1, 1, "rgb24"),
        {1, 2},
    ]
    out = parent.request("process", slots=[0], items=items, first_index=0)["outputs"]
    assert out[:9] == items[:9]
    np.testing.assert_array_equal(out[9], items[9])
    assert isinstance(out[10], Audio) and isinstance(out[11], VideoFrame) and out[12] == {1, 2}


def test_large_inputs_are_views_of_one_receive_buffer_reused_from_request_to_request(
    parent: Parent,
) -> None:
    parent.load(0, BufferProbe(name="probe"))
    buffers, bodies = [], []
    for size, fill in ((400_000, 1), (300_000, 2), (200_000, 3)):
        array = np.full(size, fill, np.uint8)
        reply, body = parent.process_split(0, array)
        buffer, out = reply["outputs"][0]
        np.testing.assert_array_equal(out, array)
        buffers.append(buffer)
        bodies.append(body)
    # the first frame's buffer, reused: nothing of the previous request is kept while reading
    assert buffers == [bodies[0]] * 3
    ok_shutdown(parent)


def test_a_node_keeping_its_inputs_keeps_them_intact_when_the_next_frames_arrive(
    parent: Parent,
) -> None:
    parent.load(0, Keeper(name="keep"))
    buffers, bodies = [], []
    for size, fill in ((400_000, 1), (300_000, 2), (200_000, 3)):
        reply, body = parent.process_split(0, np.full(size, fill, np.uint8))
        buffer, sums = reply["outputs"][0]
        buffers.append(buffer)
        bodies.append(body)
    assert sums == [400_000, 600_000, 600_000]
    assert buffers == bodies  # each frame in a buffer of its own: the earlier ones are still in use
    ok_shutdown(parent)


def test_outputs_that_cannot_be_encoded_fail_the_request_not_the_worker(parent: Parent) -> None:
    import threading

    class MakesLock(Node):
        def process(self, data: Any) -> Any:
            return threading.Lock()

    parent.load(0, MakesLock(name="lock"))
    reply = parent.request("process", slots=[0], items=[1], first_index=0)
    assert reply["op"] == "error" and reply["phase"] == "process" and reply["node_id"] == "lock"
    assert "lock" in reply["message"] and reply["index"] is None
    ok_shutdown(parent)


def test_async_nodes_run_on_one_persistent_loop(parent: Parent) -> None:
    parent.load(0, AsyncLoopUser(name="a"))
    out = parent.request("process", slots=[0], items=[1, 2], first_index=0)["outputs"]
    assert out == [[True, 1], [True, 2]]
    out = parent.request("process", slots=[0], items=[3], first_index=2)["outputs"]
    assert out == [[True, 3]]


def test_timed_batches_report_each_nodes_item_times(parent: Parent) -> None:
    parent.load(0, Doubler(name="a"))
    parent.load(1, Fanout(name="b"))
    reply = parent.request("process", slots=[0, 1], items=[1, 2], first_index=0, timed=True)
    assert reply["outputs"] == ["2.0", "2.1", "4.0", "4.1", "4.2", "4.3"]
    assert len(reply["times"]["a"]) == 2 and len(reply["times"]["b"]) == 2
    assert all(isinstance(t, float) and t >= 0 for t in reply["times"]["a"])


def test_print_in_a_node_goes_to_stderr_never_to_the_channel(parent: Parent) -> None:
    parent.load(0, Printer(name="p"))
    assert parent.request("process", slots=[0], items=[7], first_index=0)["outputs"] == [7]
    ok_shutdown(parent)
    assert parent.proc.stdout is not None and parent.proc.stdout.read() == b""
    assert "initialize says hi" in parent.log() and "processing 7" in parent.log()


# ---------------------------------------------------------------------------
# Failures while loading and cleaning up
# ---------------------------------------------------------------------------


def test_class_not_importable_in_the_worker_names_module_and_class(
    parent: Parent, tmp_path: Path
) -> None:
    script = tmp_path / "elsewhere_nodes.py"
    script.write_text(
        textwrap.dedent("""
        from remotemedia import Node
        class Gain(Node):
            def process(self, data):
                return data
    """)
    )
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import pickle, elsewhere_nodes;"
        "sys.stdout.buffer.write(pickle.dumps(elsewhere_nodes.Gain(name='g')))"
    )
    data = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], check=True, capture_output=True
    ).stdout
    reply = parent.request(
        "load_instance", slot=0, node_id="g", class_name="elsewhere_nodes.Gain", data=data
    )
    assert reply["op"] == "error" and reply["phase"] == "load"
    assert (reply["module"], reply["type"]) == ("remotemedia.errors", "SerializationError")
    assert "'Gain'" in reply["message"] and "'elsewhere_nodes'" in reply["message"]


def test_initialize_failure_is_reported_with_its_traceback(parent: Parent) -> None:
    class BadInit(Node):
        def initialize(self) -> None:
            raise OSError("no device")

        def process(self, data: Any) -> Any:
            return data

    reply = parent.load(0, BadInit(name="bad"))
    assert (reply["op"], reply["phase"], reply["node_id"], reply["type"]) == (
        "error",
        "initialize",
        "bad",
        "OSError",
    )
    assert "no device" in reply["traceback"]


def test_objects_that_are_not_nodes_are_rejected_at_load(parent: Parent) -> None:
    import cloudpickle

    reply = parent.request(
        "load_instance", slot=0, node_id="n", class_name="int", data=cloudpickle.dumps(5)
    )
    assert reply["op"] == "error" and reply["phase"] == "load"
    assert "not a remotemedia Node" in reply["message"] or "no callable" in reply["message"]


def test_cleanup_failure_is_reported_and_the_slot_is_freed(parent: Parent) -> None:
    parent.load(0, BadCleanup(name="bc"))
    reply = parent.request("cleanup", slot=0)
    assert (reply["op"], reply["phase"], reply["type"]) == ("error", "cleanup", "RuntimeError")
    assert parent.load(0, Doubler(name="d"))["op"] == "loaded"
    ok_shutdown(parent)


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Source, AsyncSource])
def test_source_chain_is_pulled_until_done(parent: Parent, cls: type[Source]) -> None:
    assert parent.load(0, cls(name="src", count=5))["is_source"] is True
    parent.load(1, Doubler(name="d"))
    outputs: list[Any] = []
    for _ in range(10):
        reply = parent.request("pull", slots=[0, 1], max_items=2)
        outputs += reply["outputs"]
        if reply["done"]:
            break
    assert outputs == [0, 2, 4, 6, 8]


def test_end_closes_an_unfinished_source(parent: Parent, tmp_path: Path) -> None:
    log = tmp_path / "closed.txt"
    parent.load(0, Source(name="src", count=100, log=str(log)))
    assert parent.request("pull", slots=[0], max_items=1)["outputs"] == [0]
    assert parent.request("end", slots=[0])["op"] == "ok"
    assert log.read_text() == "closed"


def test_process_on_a_source_slot_is_a_protocol_error(parent: Parent) -> None:
    parent.load(0, Source(name="src"))
    reply = parent.request("process", slots=[0], items=[1], first_index=0)
    assert reply["phase"] == "protocol"
    assert parent.wait() == 2


def test_large_fast_batches_keep_their_indexes_outputs_and_times(parent: Parent) -> None:
    parent.load(0, FailOn(name="f", bad=700))
    reply = parent.request("process", slots=[0], items=list(range(1000)), first_index=0)
    assert (reply["phase"], reply["index"], reply["outputs"]) == ("process", 700, list(range(700)))
    reply = parent.request(
        "process", slots=[0], items=list(range(1000, 3000)), first_index=1000, timed=True
    )
    assert reply["outputs"] == list(range(1000, 3000)) and len(reply["times"]["f"]) == 2000


# ---------------------------------------------------------------------------
# Cancelling (PROTOCOL.md, "cancel")
# ---------------------------------------------------------------------------


def _send(parent: Parent, op: str, **fields: Any) -> int:
    parent.seq += 1
    parent.send({"op": op, "seq": parent.seq, **fields})
    return parent.seq


def test_cancel_stops_a_batch_between_items_and_the_worker_goes_on(parent: Parent) -> None:
    parent.load(0, Nap(name="nap", seconds=0.2))
    batch = _send(parent, "process", slots=[0], items=list(range(10)), first_index=0)
    time.sleep(0.3)  # in the middle of the second item
    sent = time.monotonic()
    cancel = _send(parent, "cancel", target=batch)
    reply = parent.recv()
    assert time.monotonic() - sent < 0.25
    assert (reply["op"], reply["seq"], reply["phase"], reply["node_id"]) == (
        "error",
        batch,
        "cancelled",
        "nap",
    )
    assert (reply["type"], reply["module"], reply["index"]) == (
        "Cancelled",
        "remotemedia.worker",
        None,
    )
    assert "outputs" not in reply
    assert parent.recv() == {"op": "ok", "seq": cancel}
    assert parent.request("process", slots=[0], items=["again"], first_index=10)["outputs"] == [
        "again"
    ]
    ok_shutdown(parent)


def test_cancel_stops_a_fused_chain_between_its_nodes(parent: Parent) -> None:
    parent.load(0, Nap(name="first", seconds=0.1))
    parent.load(1, Nap(name="second", seconds=0.1))
    batch = _send(parent, "process", slots=[0, 1], items=[1, 2, 3], first_index=0)
    time.sleep(0.25)  # the first node's last item
    _send(parent, "cancel", target=batch)
    reply = parent.recv()
    assert (reply["phase"], reply["node_id"]) == (
        "cancelled",
        "second",
    )  # stopped before the second node ran
    assert parent.recv()["op"] == "ok"


def test_frames_read_while_looking_for_a_cancel_are_kept_and_answered_in_order(
    parent: Parent,
) -> None:
    parent.load(0, Nap(name="nap", seconds=0.1))
    parent.load(1, Doubler(name="d"))
    # no cancel: the batch finishes, then the request that arrived meanwhile is answered
    batch = _send(parent, "process", slots=[0], items=[1, 2, 3, 4], first_index=0)
    time.sleep(0.15)
    other = _send(parent, "process", slots=[1], items=[21], first_index=0)
    assert (parent.recv()["seq"], parent.recv()) == (
        batch,
        {"op": "result", "seq": other, "outputs": [42]},
    )
    # a cancel behind another request: the batch stops, then the other request, then the cancel's ok
    batch = _send(parent, "process", slots=[0], items=list(range(10)), first_index=4)
    time.sleep(0.15)
    other = _send(parent, "process", slots=[1], items=[5], first_index=1)
    cancel = _send(parent, "cancel", target=batch)
    replies = [parent.recv() for _ in range(3)]
    assert [(r["seq"], r["op"]) for r in replies] == [
        (batch, "error"),
        (other, "result"),
        (cancel, "ok"),
    ]
    assert replies[0]["phase"] == "cancelled" and replies[1]["outputs"] == [10]


def test_cancel_of_a_request_that_is_not_running_is_answered_ok(parent: Parent) -> None:
    parent.load(0, Doubler(name="d"))
    done = parent.request("process", slots=[0], items=[1], first_index=0)
    assert parent.request("cancel", target=done["seq"]) == {"op": "ok", "seq": parent.seq}
    assert parent.request("cancel", target=12345)["op"] == "ok"
    assert parent.request("cancel")["phase"] == "protocol"  # the target is required
    assert parent.wait() == 2


def test_cancel_stops_a_pull_while_its_items_run_through_the_chain(parent: Parent) -> None:
    parent.load(0, Source(name="src", count=64))
    parent.load(1, Nap(name="nap", seconds=0.1))
    pull = _send(parent, "pull", slots=[0, 1], max_items=64)
    time.sleep(0.25)
    sent = time.monotonic()
    _send(parent, "cancel", target=pull)
    reply = parent.recv()
    assert time.monotonic() - sent < 0.2  # within one item (100 ms); the whole pull takes 6.4 s
    assert (reply["seq"], reply["phase"], reply["node_id"], reply["done"]) == (
        pull,
        "cancelled",
        "nap",
        True,
    )
    assert parent.recv()["op"] == "ok"
    assert parent.request("end", slots=[0, 1])["op"] == "ok"


def test_cancel_stops_a_slow_source_inside_a_long_pull(parent: Parent) -> None:
    parent.load(0, SlowSource(name="src", seconds=0.05))
    pull = _send(parent, "pull", slots=[0], max_items=64, max_wait_ms=10_000)
    time.sleep(0.2)
    sent = time.monotonic()
    _send(parent, "cancel", target=pull)
    reply = parent.recv()
    assert (
        time.monotonic() - sent < 0.15
    )  # one item (50 ms) and then some; the whole pull takes 3.2 s
    assert (reply["seq"], reply["phase"], reply["node_id"]) == (pull, "cancelled", "src")


def test_the_request_pipe_closing_during_a_batch_stops_it_and_the_worker_exits_0(
    parent: Parent,
) -> None:
    parent.load(0, Nap(name="nap", seconds=0.2))
    _send(parent, "process", slots=[0], items=list(range(10)), first_index=0)
    time.sleep(0.3)
    closed = time.monotonic()
    os.close(parent._req_w)
    assert parent.wait() == 0
    assert time.monotonic() - closed < 0.5
    assert parent.reader.read() is None  # nothing was answered


# ---------------------------------------------------------------------------
# Frame cap (PROTOCOL.md, "Frames")
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("eof", [True, False])
def test_a_request_announcing_4_gib_is_a_protocol_error_at_once_without_allocating(
    parent: Parent, eof: bool
) -> None:
    started = time.monotonic()
    parent.send_raw(struct.pack(">I", 0xFFFF_FFFF))
    if eof:
        os.close(parent._req_w)
    reply = parent.recv()
    assert (reply["op"], reply["phase"], reply["seq"]) == ("error", "protocol", None)
    assert (
        "a frame announcing 4294967295 bytes exceeds the limit of 1073741824 bytes"
        in reply["message"]
    )
    assert parent.wait(timeout=1) == 2
    assert time.monotonic() - started < 1
    assert (
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1 << 20
    )  # KiB: no 4 GiB ever touched


def test_a_large_frame_under_the_cap_that_ends_early_is_reported_at_once(parent: Parent) -> None:
    started = time.monotonic()
    parent.send_raw(struct.pack(">I", 900_000_000) + b"\x80" * 1000)
    os.close(parent._req_w)
    reply = parent.recv()
    assert (
        "truncated frame: stream ended after 1000 of 900000000 announced bytes" in reply["message"]
    )
    assert parent.wait(timeout=1) == 2
    assert time.monotonic() - started < 1


def test_max_frame_bytes_caps_requests_and_replies() -> None:
    p = Parent("--max-frame-bytes", "5000")
    try:
        p.load(0, Doubler(name="d"))
        assert p.request("process", slots=[0], items=[b"x" * 2000], first_index=0)["outputs"] == [
            b"x" * 4000
        ]
        # a reply over the cap cannot be sent: that request fails, the worker goes on
        reply = p.request("process", slots=[0], items=[b"y" * 3000], first_index=1)
        assert (reply["phase"], reply["node_id"], reply["type"]) == (
            "process",
            "d",
            "FrameTooLarge",
        )
        assert "exceeds the limit of 5000 bytes" in reply["message"]
        assert p.request("process", slots=[0], items=[1], first_index=2)["outputs"] == [2]
        # a request over the cap is a protocol error
        _send(p, "process", slots=[0], items=[b"z" * 6000], first_index=3)
        reply = p.recv()
        assert (reply["phase"], reply["seq"]) == ("protocol", None)
        assert (
            "a frame announcing 60" in reply["message"]
            and "exceeds the limit of 5000 bytes" in reply["message"]
        )
        assert p.wait() == 2
    finally:
        p.close()


# ---------------------------------------------------------------------------
# Protocol errors, timeouts, parent death
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (frame(b"\x92\x01"), "invalid msgpack"),
        (frame(b"\xc1\x00\x00\x00\x09\x80"), "map length 9 is out of range for a 6-byte body"),
        (
            frame(b"\xc1\x00\x00\x00\x15" + encode({"op": "end", "seq": 1, "slots": [0]})),
            "no extension value refers to its tail",
        ),
        (frame(encode([1, 2])), "must be a map"),
        (frame(encode({"op": "dance", "seq": 1})), "unknown message op 'dance'"),
        (
            frame(encode({"op": "process", "seq": 1, "slots": [9], "items": [], "first_index": 0})),
            "slot 9 is not loaded",
        ),
        (
            frame(
                encode(
                    {"op": "load_manifest", "seq": 1, "slot": "0", "node_id": "x", "node_type": "P"}
                )
            ),
            "field 'slot'",
        ),
        (frame(encode({"op": "cleanup"})), "lacks an integer 'seq'"),
        (b"\x00\x00\x00\x09\x82", "truncated frame"),
    ],
)
def test_malformed_requests_are_protocol_errors_and_the_worker_exits_2(
    parent: Parent, raw: bytes, match: str
) -> None:
    parent.send_raw(raw)
    if raw.startswith(b"\x00\x00\x00\x09"):
        os.close(parent._req_w)  # the stream ends inside the frame
    reply = parent.recv()
    assert reply["op"] == "error" and reply["phase"] == "protocol"
    assert match in reply["message"]
    assert parent.wait() == 2


def test_undecodable_item_fails_that_request_only(parent: Parent) -> None:
    import msgpack

    from remotemedia.worker.codec import EXT_PICKLE, _media_payload

    parent.load(0, Doubler(name="d"))
    bad = msgpack.ExtType(EXT_PICKLE, _media_payload(["gone.Thing"], b"\x80\x05cgone\nThing\n."))
    parent.seq += 1
    parent.send(
        {"op": "process", "seq": parent.seq, "slots": [0], "items": [bad], "first_index": 0}
    )
    reply = parent.recv()
    assert (reply["op"], reply["phase"], reply["seq"]) == ("error", "process", parent.seq)
    assert "gone.Thing" in reply["message"]
    assert parent.request("process", slots=[0], items=[2], first_index=1)["outputs"] == [4]


def test_a_broken_tail_reference_fails_that_request_only(parent: Parent) -> None:
    parent.load(0, Doubler(name="d"))
    parent.seq += 1
    part = TailPart(EXT_TENSOR, ["uint8", [4]], bytes(8), ref=(4, 4))  # points into the map
    body, _ = split_body(
        {"op": "process", "seq": parent.seq, "slots": [0], "items": [part], "first_index": 0}
    )
    parent.send_raw(frame(body))
    reply = parent.recv()
    assert (reply["op"], reply["phase"], reply["seq"]) == ("error", "process", parent.seq)
    assert "tail reference to bytes 4..8 is outside the tail" in reply["message"]
    assert parent.request("process", slots=[0], items=[2], first_index=1)["outputs"] == [4]


def test_item_timeout_names_the_item_and_the_worker_exits_3(parent: Parent) -> None:
    parent.load(0, Sleeper(name="sleepy"))
    t0 = time.monotonic()
    reply = parent.request(
        "process", slots=[0], items=[0, 0.01, 5], first_index=0, item_timeout_ms=300
    )
    assert time.monotonic() - t0 < 3
    assert (reply["op"], reply["phase"], reply["node_id"], reply["index"]) == (
        "error",
        "timeout",
        "sleepy",
        2,
    )
    assert reply["type"] == "TimeoutError"
    assert parent.wait() == 3


def test_eof_on_the_request_pipe_ends_the_worker(parent: Parent) -> None:
    os.close(parent._req_w)
    assert parent.wait() == 0


def test_worker_exits_when_its_parent_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    middle = textwrap.dedent(f"""
        import os, subprocess, sys, time
        r, w = os.pipe(); r2, w2 = os.pipe()
        p = subprocess.Popen([sys.executable, "-m", "remotemedia.worker", "--in-fd", str(r), "--out-fd", str(w2)],
                             pass_fds=(r, w2))
        open({str(pid_file)!r}, "w").write(str(p.pid))
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", middle])
    try:
        deadline = time.monotonic() + 20
        while not (pid_file.exists() and pid_file.read_text()):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        worker_pid = int(pid_file.read_text())
        time.sleep(0.5)  # let the worker arm its parent-death signal
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while _alive(worker_pid):
            assert time.monotonic() < deadline, "worker outlived its parent"
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
