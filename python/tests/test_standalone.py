"""Standalone callers: `python script.py` runs pipelines on the TypeScript runtime child (the
real CLI's ``host`` command), its own Node objects served back to it over the worker protocol."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from remotemedia._standalone import find_command
from remotemedia.errors import RuntimeNotFoundError

BIN = Path(__file__).resolve().parents[2] / "packages" / "cli" / "dist" / "bin.js"

pytestmark = pytest.mark.skipif(not BIN.is_file(), reason="the CLI is not built (npm run build)")

PRELUDE = """
import asyncio, json, os, sys, threading, time
from remotemedia import Node, Pipeline, execute_pipeline_with_input
from remotemedia._standalone import standalone_runtime
from remotemedia.errors import TransportError, WorkerCrashedError

class Counter(Node):
    def __init__(self, step=1, **kw):
        super().__init__(**kw)
        self.step = step
        self.calls = 0
        self.total = 0
        self.initialized = 0
        self.cleaned = 0
        self.threads = set()
    def initialize(self):
        self.initialized += 1
    def process(self, x):
        self.calls += 1
        self.total += x
        self.threads.add(threading.get_ident())
        return x * self.step
    def cleanup(self):
        self.cleaned += 1

class Fails(Node):
    def process(self, x):
        if x == 2:
            self.raised = ValueError(f"bad item {x}")
            raise self.raised
        return x

class Slow(Node):
    def process(self, x):
        time.sleep(x)
        return x

rt = standalone_runtime()
def out(**fields):
    print(json.dumps(fields), flush=True)
"""


def run_script(
    body: str, tmp_path: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[list[dict[str, Any]], subprocess.CompletedProcess[str]]:
    script = tmp_path / "script.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    done = subprocess.run(
        [sys.executable, str(script)],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=tmp_path,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    # Every stdout line is the script's own: the runtime child writes nothing there.
    return [json.loads(line) for line in done.stdout.splitlines()], done


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(" ")[2] == "Z"
    except FileNotFoundError:
        return True


def test_a_stateful_node_keeps_its_state_across_calls_and_the_caller_sees_it(
    tmp_path: Path,
) -> None:
    lines, _ = run_script(
        """
        c = Counter(step=2, name="counter")
        first = asyncio.run(execute_pipeline_with_input([c], [1, 2, 3]))
        pid = rt.pid
        second = asyncio.run(execute_pipeline_with_input(Pipeline([c], name="p"), [10]))
        out(first=first, second=second, calls=c.calls, total=c.total, initialized=c.initialized,
            cleaned=c.cleaned, same_child=pid == rt.pid, main=threading.get_ident() in c.threads,
            pids=[os.getpid()])
        """,
        tmp_path,
    )
    assert lines == [
        {
            "first": [2, 4, 6],
            "second": [20],
            "calls": 4,
            "total": 16,
            "initialized": 2,
            "cleaned": 2,
            "same_child": True,
            "main": False,
            "pids": lines[0]["pids"],
        }
    ]


@pytest.mark.parametrize("transport", ["inproc", "ipc"])
def test_a_mixed_list_runs_live_nodes_here_and_manifest_nodes_in_the_child(
    tmp_path: Path, transport: str
) -> None:
    lines, _ = run_script(
        f"""
        a, b = Counter(step=3, name="a"), Counter(step=1, name="b")
        calc = {{"id": "calc", "node_type": "CalculatorNode",
                 "params": {{"operation": "add", "operand": 1}}}}
        outputs = asyncio.run(execute_pipeline_with_input([a, calc, b], [1, 2],
                                                          transport={transport!r}))
        manifest = {{"version": "v1", "metadata": {{"name": "m"}},
                     "nodes": [calc], "connections": []}}
        only = asyncio.run(execute_pipeline_with_input(manifest, [5], transport={transport!r}))
        out(outputs=outputs, a=a.calls, b=b.total, only=only)
        """,
        tmp_path,
    )
    assert lines == [{"outputs": [4, 7], "a": 2, "b": 11, "only": [6]}]


def test_media_values_cross_and_async_nodes_run_on_the_worker_thread_loop(tmp_path: Path) -> None:
    lines, _ = run_script(
        """
        import numpy as np
        from remotemedia import Audio
        class Gain(Node):
            def process(self, audio):
                return Audio(audio.samples * 2, audio.sample_rate, audio.channels)
        class Double(Node):
            def process(self, a):
                return np.asarray(a) * 2
        audio = Audio(np.array([0.25, -0.5], dtype=np.float32), 16000, 1)
        [got] = asyncio.run(execute_pipeline_with_input([Gain(name="g")], [audio]))
        [arr] = asyncio.run(execute_pipeline_with_input([Double(name="d"), Double(name="e")],
                                                        [np.arange(3, dtype=np.int32)]))
        class Later(Node):
            async def process(self, x):
                await asyncio.sleep(0.01)
                return x + 1
        class Split(Node):
            async def process(self, x):
                for i in range(x):
                    yield i
        spread = asyncio.run(execute_pipeline_with_input([Later(name="l"), Split(name="s")], [1, 2]))
        out(audio=got.samples.tolist(), rate=got.sample_rate, arr=arr.tolist(), dtype=str(arr.dtype),
            spread=spread)
        """,
        tmp_path,
    )
    assert lines == [
        {
            "audio": [0.5, -1.0],
            "rate": 16000,
            "arr": [0, 4, 8],
            "dtype": "int32",
            "spread": [0, 1, 0, 1, 2],
        }
    ]


def test_concurrent_calls_from_one_loop_and_from_several_threads(tmp_path: Path) -> None:
    lines, _ = run_script(
        """
        async def one(i):
            c = Counter(step=i, name=f"c{i}")
            return await execute_pipeline_with_input([c], [1, 2])
        async def many():
            return await asyncio.gather(*(one(i) for i in range(1, 6)))
        together = asyncio.run(many())
        results = {}
        def thread(i):
            results[i] = asyncio.run(one(i))
        threads = [threading.Thread(target=thread, args=(i,)) for i in range(1, 5)]
        for t in threads: t.start()
        for t in threads: t.join()
        slow = Slow(name="slow")
        async def overlap():
            t0 = time.perf_counter()
            await asyncio.gather(execute_pipeline_with_input([Slow(name="s1")], [0.5]),
                                 execute_pipeline_with_input([Slow(name="s2")], [0.5]))
            return time.perf_counter() - t0
        out(together=together, threads=[results[i] for i in range(1, 5)],
            overlap=asyncio.run(overlap()))
        """,
        tmp_path,
    )
    [line] = lines
    assert line["together"] == [[i, 2 * i] for i in range(1, 6)]
    assert line["threads"] == [[i, 2 * i] for i in range(1, 5)]
    # One caller worker thread serves live nodes one request at a time: runs overlap elsewhere only.
    assert line["overlap"] >= 1.0


def test_a_value_error_raised_by_a_node_arrives_as_that_same_object(tmp_path: Path) -> None:
    lines, _ = run_script(
        """
        import traceback
        f = Fails(name="fails")
        try:
            asyncio.run(execute_pipeline_with_input([Counter(name="c"), f], [1, 2, 3]))
        except Exception as exc:
            tb = "".join(traceback.format_exception(exc))
            out(same=exc is f.raised, type=type(exc).__name__, message=str(exc),
                frame="raise self.raised" in tb)
        calc = {"id": "calc", "node_type": "CalculatorNode", "params": {}}
        try:
            asyncio.run(execute_pipeline_with_input(
                [calc], [{"operation": "divide", "operands": [1, 0]}]))
        except Exception as exc:
            out(type=type(exc).__name__, notes=len(getattr(exc, "__notes__", [])))
        """,
        tmp_path,
    )
    assert lines[0] == {"same": True, "type": "ValueError", "message": "bad item 2", "frame": True}
    assert lines[1]["type"] == "ZeroDivisionError" and lines[1]["notes"] == 1


def test_a_killed_child_fails_the_run_clearly_and_the_next_call_starts_a_new_one(
    tmp_path: Path,
) -> None:
    lines, _ = run_script(
        """
        asyncio.run(execute_pipeline_with_input([Counter(name="warm")], [1]))
        first = rt.pid
        def kill():
            time.sleep(0.5)
            os.kill(first, 9)
        threading.Thread(target=kill).start()
        t0 = time.perf_counter()
        try:
            asyncio.run(execute_pipeline_with_input([Slow(name="slow")], [0.2, 0.2, 0.2, 0.2, 5]))
        except TransportError as exc:
            out(kind=type(exc).__name__, crashed=isinstance(exc, WorkerCrashedError),
                message=str(exc), took=time.perf_counter() - t0)
        again = asyncio.run(execute_pipeline_with_input([Counter(name="again")], [7]))
        out(again=again, new=rt.pid != first)
        """,
        tmp_path,
    )
    assert lines[0]["kind"] == "WorkerCrashedError" and lines[0]["crashed"]
    assert "was killed by SIGKILL" in lines[0]["message"]
    assert lines[0]["took"] < 4  # not the slow item's 5 s: failed as soon as the child died
    assert lines[1] == {"again": [7], "new": True}


def test_the_child_ends_with_its_caller(tmp_path: Path) -> None:
    lines, _ = run_script(
        """
        asyncio.run(execute_pipeline_with_input([Counter(name="c")], [1]))
        out(child=rt.pid)
        """,
        tmp_path,
    )
    child = lines[0]["child"]
    deadline = time.monotonic() + 10
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(child)

    script = tmp_path / "parent.py"
    script.write_text(
        PRELUDE
        + textwrap.dedent(
            """
            asyncio.run(execute_pipeline_with_input([Counter(name="c")], [1]))
            out(child=rt.pid)
            time.sleep(60)
            """
        )
    )
    with subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdout is not None
        child = json.loads(parent.stdout.readline())["child"]
        parent.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(child)


def test_a_cli_that_is_not_there_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REMOTEMEDIA_CLI", str(tmp_path / "nowhere" / "bin.js"))
    with pytest.raises(
        RuntimeNotFoundError, match="REMOTEMEDIA_CLI=.*does not name a file"
    ) as info:
        find_command()
    assert "npm install -g @remotemedia/cli" in str(info.value)
    assert isinstance(info.value, RuntimeError)

    monkeypatch.setenv("REMOTEMEDIA_CLI", str(BIN))
    monkeypatch.setenv("REMOTEMEDIA_NODE", str(tmp_path / "no-node"))
    with pytest.raises(RuntimeNotFoundError, match="REMOTEMEDIA_NODE=.*Node.js"):
        find_command()

    monkeypatch.delenv("REMOTEMEDIA_NODE")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeNotFoundError, match="install Node.js 20 or newer"):
        find_command()


def test_a_run_through_a_missing_cli_raises_runtime_not_found(tmp_path: Path) -> None:
    lines, _ = run_script(
        """
        from remotemedia.errors import RuntimeNotFoundError
        try:
            asyncio.run(execute_pipeline_with_input([Counter(name="c")], [1]))
        except RuntimeNotFoundError as exc:
            out(message=str(exc))
        """,
        tmp_path,
        env={"REMOTEMEDIA_CLI": "/nonexistent/bin.js"},
    )
    assert "REMOTEMEDIA_CLI='/nonexistent/bin.js'" in lines[0]["message"]


FAKE_HOST = """#!{python}
# A fake runtime child: says hello on fd 4 ({hello}), reads one request, then {then}.
import os, sys, time
from remotemedia.worker.codec import encode
from remotemedia.worker.framing import FrameReader, frame
os.write(4, frame(encode({hello})))
FrameReader(os.fdopen(3, "rb", buffering=0)).read()
{then_code}
time.sleep(30)
"""


@pytest.mark.parametrize(
    ("hello", "then", "then_code", "expected"),
    [
        (
            {"op": "hello", "protocol": 1, "runtime": "fake", "node": "v0"},
            "breaks the worker protocol",
            "os.write(5, b'\\\\x00\\\\x00\\\\x00\\\\x01\\\\xc1')",
            "was killed by SIGKILL",
        ),
        (
            {"op": "hello", "protocol": 2, "runtime": "fake", "node": "v0"},
            "waits",
            "",
            "expected hello (protocol 1)",
        ),
    ],
)
def test_a_child_that_breaks_the_protocol_fails_the_run_at_once(
    tmp_path: Path, hello: dict[str, Any], then: str, then_code: str, expected: str
) -> None:
    fake = tmp_path / "fake-remotemedia"
    fake.write_text(
        FAKE_HOST.format(python=sys.executable, hello=hello, then=then, then_code=then_code)
    )
    fake.chmod(0o755)
    lines, _ = run_script(
        """
        t0 = time.perf_counter()
        try:
            asyncio.run(execute_pipeline_with_input([Counter(name="c")], [1]))
        except WorkerCrashedError as exc:
            out(message=str(exc), took=time.perf_counter() - t0)
        """,
        tmp_path,
        env={"REMOTEMEDIA_CLI": str(fake)},
    )
    assert expected in lines[0]["message"]
    assert lines[0]["took"] < 10
