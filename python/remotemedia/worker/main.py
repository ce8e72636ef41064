"""Worker start-up: guard the channel, tie the worker's life to its parent, then serve.

Order matters: fd 1 is pointed at stderr before anything can print, and
``hello`` is sent only once the worker can actually build nodes. Start-up time
matters too: nothing the worker imports before its first request pulls in
numpy, asyncio or importlib.metadata.
"""

from __future__ import annotations

import _thread
import argparse
import importlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ..ray.driver import RaySettings
    from ..runtime_host import RuntimeHost
    from .server import LiveNodes
    from .shm import ShmChannel

__all__ = ["main", "serve"]

_PR_SET_PDEATHSIG = 1

log = logging.getLogger("remotemedia.worker")


def _guard_stdout() -> None:
    """Send fd 1 to stderr: a node's print() must never reach a protocol pipe."""
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace")


def _die_with_parent(parent_pid: int | None) -> None:
    """Exit when the parent does, even while a node is busy.

    On Linux the kernel sends SIGKILL when the parent dies (PR_SET_PDEATHSIG);
    elsewhere, and as a second guard, a thread polls the parent pid. EOF on the
    request pipe (the parent's end closed) ends the message loop as well.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)  # the interpreter's own symbols include libc's
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError) as exc:
            log.warning("cannot set the parent-death signal: %s", exc)
    original = parent_pid if parent_pid is not None else os.getppid()
    if os.getppid() != original:  # the parent died before the signal was armed
        os._exit(0)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != original:
                os._exit(0)

    # _thread, not threading: Thread.start() waits for the new thread to run, up to a
    # millisecond of start-up on a VM; this thread needs no handshake.
    _thread.start_new_thread(watch, ())


_PIPE_SIZE = 1 << 18


def widen_pipe(fd: int) -> None:
    """Grow a pipe's kernel buffer (64 KiB by default on Linux) to 256 KiB when allowed.

    Large frames then cross in 4x fewer writer/reader hand-offs (1 MiB measured slower
    for 64 MiB frames when the processes run on different CPUs). Not an error
    when the fd is no pipe, the platform has no F_SETPIPE_SZ, or the limit
    (``/proc/sys/fs/pipe-max-size``) is lower.
    """
    import fcntl

    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is None:
        return
    try:
        fcntl.fcntl(fd, setsize, _PIPE_SIZE)
    except OSError:
        pass


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m remotemedia.worker",
        description="Run remotemedia nodes for a parent process (see PROTOCOL.md).",
    )
    parser.add_argument("--in-fd", type=int, default=3, help="fd the requests arrive on (3)")
    parser.add_argument("--out-fd", type=int, default=4, help="fd the replies go to (4)")
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when it dies")
    parser.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE at start (e.g. to register node types); repeatable",
    )
    parser.add_argument(
        "--allow-module",
        dest="allowed",
        action="append",
        default=[],
        metavar="MODULE",
        help="let manifests name classes of MODULE by qualified path; repeatable",
    )
    parser.add_argument(
        "--max-frame-bytes",
        type=_frame_size,
        default=None,
        metavar="N",
        help="the largest frame body accepted or sent, in bytes (default 1 GiB); "
        "a request announcing more is a protocol error",
    )
    parser.add_argument(
        "--shm",
        type=_shm_settings,
        default=None,
        metavar="JSON",
        help="open a shared-memory payload channel (iceoryx2) the parent created: "
        '{"prefix", "root", "name", "threshold", "samples", "initial_slice_len"}',
    )
    parser.add_argument(
        "--ray",
        type=_ray_settings,
        default=None,
        metavar="JSON",
        help="serve the nodes as Ray actors on a cluster (remotemedia.ray.driver): "
        '{"address", "namespace", "actor_restarts", "placement_timeout_s", "local"}',
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("REMOTEMEDIA_WORKER_LOG", "INFO"),
        help="DEBUG, INFO, WARNING, ... (default: $REMOTEMEDIA_WORKER_LOG or INFO)",
    )
    return parser.parse_args(argv)


def _frame_size(text: str) -> int:
    """argparse type of --max-frame-bytes: 1 .. 2^32 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 1 <= value <= 0xFFFF_FFFF:
        raise argparse.ArgumentTypeError(f"must be between 1 and 4294967295, got {value}")
    return value


_SHM_KEYS: Final = (
    "prefix",
    "root",
    "name",
    "threshold",
    "samples",
    "initial_slice_len",
)


def _shm_settings(text: str) -> dict[str, Any]:
    """argparse type of --shm: a JSON object with exactly the keys of :data:`_SHM_KEYS`."""
    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not JSON: {text!r}") from None
    if not isinstance(value, dict) or sorted(value) != sorted(_SHM_KEYS):
        raise argparse.ArgumentTypeError(f"expected an object with keys {', '.join(_SHM_KEYS)}")
    return value


_RAY_KEYS: Final = ("address", "namespace", "actor_restarts", "placement_timeout_s", "local")


def _ray_settings(text: str) -> dict[str, Any]:
    """argparse type of --ray: a JSON object with keys among :data:`_RAY_KEYS`."""
    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not JSON: {text!r}") from None
    if not isinstance(value, dict) or not set(value) <= set(_RAY_KEYS):
        raise argparse.ArgumentTypeError(
            f"expected an object with keys among {', '.join(_RAY_KEYS)}"
        )
    return value


def _connect_ray(settings: RaySettings) -> dict[str, Any]:
    """Join the cluster --ray names; exits (status 1) naming the problem when it cannot."""
    try:
        from ..ray.driver import connect
    except ImportError as exc:
        log.error(
            "the ray transport needs Ray in this interpreter (%s): pip install 'remotemedia[ray]'",
            exc,
        )
        sys.exit(1)
    try:
        return connect(settings)
    except ConnectionError as exc:
        log.error("%s", exc)
        sys.exit(1)


def _open_shm(settings: dict[str, Any]) -> ShmChannel:
    """The payload channel --shm names; exits (status 1) when the iceoryx2 wheel is missing."""
    try:
        from .shm import ShmChannel
    except ImportError as exc:
        log.error(
            "the iceoryx transport needs the iceoryx2 wheel in this interpreter (%s): "
            "pip install 'remotemedia[iceoryx]' (iceoryx2==0.10.0)",
            exc,
        )
        sys.exit(1)
    return ShmChannel(**settings)


def main(argv: list[str] | None = None) -> int:
    """Run the worker; returns the exit status (0 after shutdown or EOF)."""
    _guard_stdout()
    args = _parse(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent(args.parent_pid)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            stream=sys.stderr,
            level=args.log_level.upper(),
            format="%(levelname)s %(name)s: %(message)s",
        )
    for fd in (args.in_fd, args.out_fd):
        os.set_blocking(fd, True)
        widen_pipe(fd)

    from .. import register_allowed_module
    from .framing import DEFAULT_MAX_FRAME

    for module in args.allowed:
        register_allowed_module(module)
    for module in args.imports:
        importlib.import_module(module)
    cap = DEFAULT_MAX_FRAME if args.max_frame_bytes is None else args.max_frame_bytes
    shm = None if args.shm is None else _open_shm(args.shm)
    ray = None
    if args.ray is not None:
        ray = (args.ray, _connect_ray(args.ray), args.imports, args.allowed)
    try:
        return serve(args.in_fd, args.out_fd, max_frame=cap, shm=shm, ray=ray)
    finally:
        if shm is not None:
            shm.close()


def serve(
    in_fd: int,
    out_fd: int,
    *,
    max_frame: int | None = None,
    host: RuntimeHost | None = None,
    live: LiveNodes | None = None,
    shm: ShmChannel | None = None,
    ray: tuple[RaySettings, dict[str, Any], Sequence[str], Sequence[str]] | None = None,
) -> int:
    """Say ``hello`` on ``out_fd``, then answer requests from ``in_fd`` until ``shutdown`` or
    EOF (returns 0) or a protocol error (2). Touches nothing else of the process: a standalone
    caller runs it on a thread of its own, with its own ``host`` (event loop) and ``live``
    objects; neither fd is closed. With ``shm``, large raw parts travel through that
    shared-memory payload channel, and ``hello`` names its iceoryx2 version. With ``ray``
    (the --ray settings, the hello fields of the cluster joined, the --import and
    --allow-module modules), the nodes run as Ray actors (:mod:`remotemedia.ray.driver`)."""
    from .framing import DEFAULT_MAX_FRAME, FrameReader, FrameWriter
    from .server import Worker, hello_message

    cap = DEFAULT_MAX_FRAME if max_frame is None else max_frame
    writer = FrameWriter(out_fd, max_frame=cap)
    # Unbuffered: the reader keeps its own read-ahead window, so it knows what is waiting.
    reader = FrameReader(os.fdopen(in_fd, "rb", buffering=0, closefd=False), max_frame=cap)
    worker: Worker
    hello = hello_message()
    if ray is None:
        worker = Worker(reader, writer, host, live, shm)
    else:
        from ..ray.driver import RayDriver

        settings, joined, imports, allowed = ray
        worker = RayDriver(reader, writer, settings, imports, allowed, shm)
        hello.update(joined)
    if shm is not None:
        from .shm import iceoryx2_version

        hello["iceoryx2"] = iceoryx2_version()
    worker.send(hello)
    return worker.serve()
