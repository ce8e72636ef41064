"""Standalone callers: a plain Python process runs pipelines on the TypeScript runtime.

The runtime (the ``remotemedia`` CLI's hidden ``host`` command) is started as a
child process with four pipes (PROTOCOL.md, "Standalone callers"): on the
control channel this process sends ``run`` requests and gets each run's
``outputs`` or ``error``; on the worker channel it is the *worker*: a thread of
its own serves worker protocol v1 (the worker server, reused) and runs the
caller's own ``Node`` objects, registered for the run, as the exact objects —
their state is the caller's afterwards. Manifest nodes run in the child, on the
transport selected there. On ``ray`` (named by the call or REMOTEMEDIA_TRANSPORT)
the caller's Nodes are shipped instead, pickled into the manifest, to run on the
cluster as copies.

One child per process, started on first use, reused, started again after it
died, ended at interpreter exit; it ends by itself when this process dies (its
control channel ends, and it watches its parent pid).
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import fcntl
import itertools
import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeAlias

from ._runtime import Outputs, _outputs
from .errors import RuntimeNotFoundError, WorkerCrashedError, js_failure
from .node import Node
from .pipeline import Pipeline
from .runtime_host import RuntimeHost, describe_node
from .serialization import serialize_node_for_ipc
from .worker.codec import CodecError, decode, encode_parts
from .worker.framing import FrameReader, FrameWriter, ProtocolError
from .worker.main import serve, widen_pipe

__all__ = ["StandaloneRuntime", "find_command", "standalone_runtime"]

log = logging.getLogger("remotemedia.standalone")

PROTOCOL_VERSION: Final = 1
_CHILD_FDS: Final = (3, 4, 5, 6)
"""The child's control-in, control-out, worker-out and worker-in."""
_EXIT_GRACE: Final = 5.0
"""How long the child may take to end (seconds) before it is killed."""

_Settle: TypeAlias = Callable[["dict[str, Any] | BaseException"], None]
"""What receives a request's reply, or the failure that ended the channel first."""

_SHIPPING_TRANSPORTS: Final = frozenset({"ray"})
"""Transports whose Python nodes run on other machines: the caller's Nodes are shipped to them."""

_WORKSPACE: Final = Path(__file__).resolve().parents[2]
"""The workspace this package was installed from (``python/`` lies inside it)."""


# ---------------------------------------------------------------------------
# FINDING THE RUNTIME
# ---------------------------------------------------------------------------


def _node() -> str:
    given = os.environ.get("REMOTEMEDIA_NODE")
    if given:
        if not os.access(given, os.X_OK) or not os.path.isfile(given):
            raise RuntimeNotFoundError(
                f"REMOTEMEDIA_NODE={given!r} is not an executable file: point it at a Node.js "
                "(20 or newer) executable, or unset it to use `node` from PATH"
            )
        return os.path.abspath(given)
    found = shutil.which("node")
    if found is None:
        raise RuntimeNotFoundError(
            "Cannot find Node.js, which runs the remotemedia runtime: install Node.js 20 or newer "
            "(https://nodejs.org) so that `node` is on PATH, or set REMOTEMEDIA_NODE to its "
            "executable"
        )
    return found


def find_command() -> list[str]:
    """The command that starts the runtime, before ``host`` and its flags.

    Precedence: env ``REMOTEMEDIA_CLI`` (the CLI's bin ``.js``, run with Node, or
    an executable), the workspace this package was installed from
    (``packages/cli/dist/bin.js``), ``remotemedia`` on PATH. Node.js comes from
    env ``REMOTEMEDIA_NODE``, else ``node`` on PATH. Raises
    :class:`RuntimeNotFoundError` saying what to install when nothing fits.
    """
    given = os.environ.get("REMOTEMEDIA_CLI")
    if given:
        path = Path(given)
        if not path.is_file():
            raise RuntimeNotFoundError(
                f"REMOTEMEDIA_CLI={given!r} does not name a file: point it at the remotemedia CLI "
                "(packages/cli/dist/bin.js of a built workspace, or the `remotemedia` executable "
                "that `npm install -g @remotemedia/cli` provides), or unset it"
            )
        if path.suffix in (".js", ".mjs", ".cjs"):
            return [_node(), str(path.resolve())]
        return [str(path.resolve())]
    bin_js = _WORKSPACE / "packages" / "cli" / "dist" / "bin.js"
    if bin_js.is_file():
        return [_node(), str(bin_js)]
    found = shutil.which("remotemedia")
    if found is not None:
        return [found]
    unbuilt = (
        f" (the workspace at {_WORKSPACE} has not been built: run `npm run build` there)"
        if (_WORKSPACE / "packages" / "cli").is_dir()
        else ""
    )
    raise RuntimeNotFoundError(
        "Cannot find the remotemedia runtime (the TypeScript CLI): install it with "
        "`npm install -g @remotemedia/cli` so that `remotemedia` is on PATH, or set "
        f"REMOTEMEDIA_CLI to its bin.js{unbuilt}"
    )


# ---------------------------------------------------------------------------
# RUNS AND THE CALLER'S OBJECTS
# ---------------------------------------------------------------------------


class _Run:
    """One ``run`` in flight: where its reply goes, and the exceptions its own nodes raised."""

    __slots__ = ("future", "loop", "raised", "refs")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.refs: list[int] = []
        self.raised: dict[int, BaseException] = {}

    def settle(self, outcome: dict[str, Any] | BaseException) -> None:
        """Resolve the run's future from any thread (a closed loop has nobody waiting)."""

        def resolve() -> None:
            if self.future.done():
                return
            if isinstance(outcome, BaseException):
                self.future.set_exception(outcome)
            else:
                self.future.set_result(outcome)

        try:
            self.loop.call_soon_threadsafe(resolve)
        except RuntimeError:
            pass


class _Registry:
    """The caller's objects registered for runs in flight, by ref (the worker's ``LiveNodes``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refs: dict[int, tuple[Any, _Run]] = {}
        self._next = itertools.count(1)

    def register(self, node: Any, run: _Run) -> int:
        with self._lock:
            ref = next(self._next)
            self._refs[ref] = (node, run)
        run.refs.append(ref)
        return ref

    def release(self, run: _Run) -> None:
        with self._lock:
            for ref in run.refs:
                self._refs.pop(ref, None)

    def node(self, ref: int) -> Any:
        with self._lock:
            entry = self._refs.get(ref)
        if entry is None:
            raise LookupError(f"no object is registered as ref {ref} (its run is over)")
        return entry[0]

    def remember(self, ref: int, exc: BaseException) -> int:
        with self._lock:
            number = next(self._next)
            entry = self._refs.get(ref)
        if entry is not None:
            entry[1].raised[number] = exc
        return number


def _live(node: Node, registry: _Registry, run: _Run) -> dict[str, Any]:
    info = describe_node(node)
    return {
        "live": registry.register(node, run),
        "name": info["name"],
        "class_name": info["class_name"],
        "is_source": info["is_source"],
    }


def _shipped(node: Node, position: int) -> dict[str, Any]:
    """A manifest node carrying ``node`` pickled (its cleanup() runs first, as for any shipping)."""
    info = describe_node(node)
    return {
        "id": f"{info['name']}_{position}",
        "instance": {
            "format": "cloudpickle",
            "data": base64.b64encode(serialize_node_for_ipc(node)).decode("ascii"),
            "class_name": info["class_name"],
        },
    }


def _pipeline(pipeline: Any, registry: _Registry, run: _Run, ship: bool) -> dict[str, Any]:
    """The ``pipeline`` field of a ``run``: the caller's Nodes registered as live refs, or with
    ``ship`` pickled into a manifest chain (they run where the transport puts them, as copies)."""
    if not isinstance(pipeline, Node | Pipeline | list):
        return {"manifest": pipeline}
    nodes = [pipeline] if isinstance(pipeline, Node) else list(pipeline)
    name = pipeline.name if isinstance(pipeline, Pipeline) else None
    if not ship:
        live = [_live(n, registry, run) if isinstance(n, Node) else n for n in nodes]
        return {"nodes": live, "name": name}
    entries = [
        _shipped(n, i) if isinstance(n, Node) else {"id": f"{n.get('node_type')}_{i}", **n}
        for i, n in enumerate(nodes)
    ]
    ids = [entry["id"] for entry in entries]
    return {
        "manifest": {
            "version": "v1",
            "metadata": {"name": name or "pipeline"},
            "nodes": entries,
            "connections": [{"from": a, "to": b} for a, b in itertools.pairwise(ids)],
        }
    }


def _ships_instances(transport: str | None) -> bool:
    """Whether the transport runs the caller's Nodes away from this process: on ``ray`` they
    belong on the cluster, so they travel as pickles (like inside the runtime), not as refs."""
    return (transport or os.environ.get("REMOTEMEDIA_TRANSPORT") or "") in _SHIPPING_TRANSPORTS


# ---------------------------------------------------------------------------
# ERRORS
# ---------------------------------------------------------------------------


def _failure(reply: dict[str, Any], run: _Run) -> BaseException:
    """The exception a failed run raises: the caller's own exception object when one of its
    nodes raised it, else what :func:`~remotemedia.errors.js_failure` makes of the error."""
    python = reply.get("python")
    details = reply.get("details")
    info = dict(details) if isinstance(details, dict) else {}
    if isinstance(python, dict):
        own = run.raised.get(python.get("exception"))  # type: ignore[arg-type]
        if own is not None:
            return own
        info["python"] = python
    return js_failure(str(reply.get("name")), str(reply.get("message")), reply.get("stack"), info)


# ---------------------------------------------------------------------------
# THE CHILD
# ---------------------------------------------------------------------------


def _spawn(command: list[str], ends: tuple[int, int, int, int]) -> int:
    """Start ``command host ...`` with ``ends`` as its fds 3-6, stdin /dev/null and stdout on
    our stderr (nothing the runtime or its embedded Python prints reaches our stdout)."""
    # Above every target first, so that no dup2 onto 3..6 overwrites an end not yet moved.
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 16) for fd in ends]
    devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    try:
        actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, 2, 1)]
        actions += [(os.POSIX_SPAWN_DUP2, fd, to) for fd, to in zip(high, _CHILD_FDS)]
        argv = [
            *command,
            "host",
            "--control-in",
            "3",
            "--control-out",
            "4",
            "--worker-out",
            "5",
            "--worker-in",
            "6",
        ]
        # posix_spawn, not fork + preexec_fn: safe with the threads this process runs.
        return os.posix_spawn(argv[0], argv, dict(os.environ), file_actions=actions)
    finally:
        for fd in (*high, devnull):
            os.close(fd)


class _Child:
    """A running runtime child: its control channel, and the thread serving its worker channel."""

    def __init__(self, command: list[str], registry: _Registry) -> None:
        control_in_r, control_in_w = os.pipe()
        control_out_r, control_out_w = os.pipe()
        worker_out_r, worker_out_w = os.pipe()
        worker_in_r, worker_in_w = os.pipe()
        for pipe in (control_in_r, control_out_r, worker_out_r, worker_in_r):
            widen_pipe(pipe)  # large items cross in fewer hand-offs, as to a spawned worker
        try:
            self.pid = _spawn(command, (control_in_r, control_out_w, worker_out_w, worker_in_r))
        except OSError as exc:
            for fd in (control_in_r, control_in_w, control_out_r, control_out_w):
                os.close(fd)
            for fd in (worker_out_r, worker_out_w, worker_in_r, worker_in_w):
                os.close(fd)
            raise RuntimeNotFoundError(
                f"Cannot start the remotemedia runtime ({' '.join(command)}): {exc}"
            ) from exc
        for fd in (control_in_r, control_out_w, worker_out_w, worker_in_r):
            os.close(fd)
        self.command = command
        self._requests_fd = control_in_w
        self._requests = FrameWriter(control_in_w)
        self._replies = FrameReader(os.fdopen(control_out_r, "rb", buffering=0))
        self._lock = threading.Lock()
        self._runs: dict[int, _Settle] = {}
        self._seq = itertools.count(1)
        self._failure: BaseException | None = None
        self._exited = threading.Event()
        self.hello: dict[str, Any] | None = None
        threading.Thread(
            target=self._serve_worker,
            args=(worker_out_r, worker_in_w, registry),
            name=f"remotemedia-worker-{self.pid}",
            daemon=True,
        ).start()
        threading.Thread(
            target=self._read_replies, name=f"remotemedia-control-{self.pid}", daemon=True
        ).start()

    @property
    def alive(self) -> bool:
        return self._failure is None

    def _serve_worker(self, requests: int, replies: int, registry: _Registry) -> None:
        """The worker channel, on this thread with its own event loop, until the child ends it."""
        status = 0
        try:
            status = serve(requests, replies, host=RuntimeHost(), live=registry)
        except OSError as exc:  # the child died while a reply was being written
            log.debug("worker channel of runtime %d closed: %s", self.pid, exc)
        finally:
            os.close(requests)
            os.close(replies)
        if status != 0:
            # A child that broke the worker protocol cannot run this process's nodes any more:
            # end it, so that its runs fail now and the next call starts a new one.
            log.error("runtime %d broke the worker protocol: stopping it", self.pid)
            self._kill()

    def submit(self, message: dict[str, Any], settle: _Settle) -> int:
        """Send a request; ``settle`` gets its reply; returns its seq. Raises when the child is gone."""
        with self._lock:
            if self._failure is not None:
                raise self._failure
            seq = next(self._seq)
            self._runs[seq] = settle
        try:
            parts = encode_parts({**message, "seq": seq})
            self._requests.write_parts(parts)
        except BaseException as exc:
            with self._lock:
                self._runs.pop(seq, None)
            if isinstance(exc, CodecError):
                # Data that cannot cross (a cycle, an unsupported type), as in the embedded runtime.
                raise TypeError(str(exc)) from exc
            raise
        return seq

    def cancel(self, target: int) -> None:
        """Stop the run ``target`` (its caller stopped waiting): it gets no reply; its nodes are cleaned up."""
        with self._lock:
            self._runs.pop(target, None)
        with contextlib.suppress(Exception):  # a child already gone has nothing left to stop
            self.submit({"op": "cancel", "target": target}, lambda _reply: None)

    def _read_replies(self) -> None:
        problem: str | None = None
        try:
            while True:
                body = self._replies.read()
                if body is None:
                    break
                message = decode(body)
                problem = self._receive(message)
                if problem is not None:
                    break
        except (ProtocolError, CodecError, OSError) as exc:
            problem = f"unreadable reply: {exc}"
        if problem is not None:
            log.error("remotemedia runtime %d: %s", self.pid, problem)
            self._kill()
        self._ended(problem)

    def _receive(self, message: Any) -> str | None:
        """Handle one control message; returns what is wrong with it, if anything."""
        if not isinstance(message, dict):
            return "a control message is not a map"
        op = message.get("op")
        if self.hello is None:
            if op != "hello" or message.get("protocol") != PROTOCOL_VERSION:
                return f"expected hello (protocol {PROTOCOL_VERSION}), got {message!r:.200}"
            self.hello = message
            return None
        with self._lock:
            settle = self._runs.pop(message.get("seq"), None)  # type: ignore[arg-type]
        if settle is None:
            return f"reply {op!r} to no request"
        settle(message)
        return None

    def _ended(self, problem: str | None) -> None:
        """The control channel ended: reap the child and fail the runs still waiting."""
        status = self._wait(_EXIT_GRACE)
        if os.WIFSIGNALED(status):
            how = f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
        else:
            how = f"exited with code {os.WEXITSTATUS(status)}"
        details = {
            "pid": self.pid,
            "exitCode": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": signal.Signals(os.WTERMSIG(status)).name if os.WIFSIGNALED(status) else None,
            "causes": ["RuntimeCrashed"],
        }
        why = f" ({problem})" if problem else ""
        failure = WorkerCrashedError(
            "RuntimeCrashed",
            f"the remotemedia runtime (pid {self.pid}, {' '.join(self.command)}) {how}{why}; "
            "its stderr above says more. The next call starts a new one.",
            None,
            details,
        )
        with self._lock:
            self._failure = failure
            waiting = list(self._runs.values())
            self._runs.clear()
        for settle in waiting:
            settle(failure)
        try:
            os.close(self._requests_fd)
        except OSError:
            pass
        self._exited.set()

    def _wait(self, grace: float) -> int:
        """Reap the child, killing it when it takes longer than ``grace`` seconds to exit."""
        deadline = time.monotonic() + grace
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid != 0:
                return status
            if time.monotonic() >= deadline:
                self._kill()
                return os.waitpid(self.pid, 0)[1]
            time.sleep(0.01)

    def _kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        """Ask the child to shut down (runs in flight finish first), wait, kill if it hangs."""
        if self._failure is None:
            done = threading.Event()
            try:
                self.submit({"op": "shutdown"}, lambda _: done.set())
            except (OSError, WorkerCrashedError):
                pass
            done.wait(_EXIT_GRACE)
        if not self._exited.wait(_EXIT_GRACE):
            self._kill()
            self._exited.wait(_EXIT_GRACE)


# ---------------------------------------------------------------------------
# THE RUNTIME
# ---------------------------------------------------------------------------


class StandaloneRuntime:
    """Runs pipelines on a runtime child shared by every caller of this process (any thread,
    any event loop, several runs at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: _Child | None = None
        self._registry = _Registry()
        atexit.register(self.close)

    @property
    def pid(self) -> int | None:
        """The runtime child's process id, while one runs."""
        child = self._child
        return child.pid if child is not None and child.alive else None

    def _current(self) -> _Child:
        with self._lock:
            child = self._child
            if child is None or not child.alive:
                child = self._child = _Child(find_command(), self._registry)
            return child

    async def execute(
        self, pipeline: Any, inputs: list[Any] | None, transport: str | None = None
    ) -> Outputs:
        """Run ``pipeline`` (a Node, a list of Nodes and manifest node dicts, a Pipeline or a
        manifest dict, validated by the caller) over ``inputs``; returns every output in order.

        The caller's Nodes run in this process as the exact objects; a failure re-raises the
        exception a node raised (the same object when it was one of the caller's nodes).
        """
        run = _Run(asyncio.get_running_loop())
        try:
            message = {
                "op": "run",
                "pipeline": _pipeline(pipeline, self._registry, run, _ships_instances(transport)),
                "inputs": inputs,
                "transport": transport,
            }
            child = self._current()
            seq = child.submit(message, run.settle)
            try:
                reply = await run.future
            except asyncio.CancelledError:
                child.cancel(seq)
                raise
            if reply.get("op") == "outputs":
                return _outputs(reply["outputs"])
            raise _failure(reply, run)
        finally:
            self._registry.release(run)

    def close(self) -> None:
        """End the runtime child (runs in flight finish first); a later call starts a new one."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            child.close()


_runtime: StandaloneRuntime | None = None
_runtime_lock = threading.Lock()


def standalone_runtime() -> StandaloneRuntime:
    """This process's runtime (made on first use; its child starts with the first run)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = StandaloneRuntime()
        return _runtime
