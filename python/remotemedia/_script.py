"""A Python script run inside the TypeScript runtime (``remotemedia run script.py``), on a thread of its own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import runpy
import sys
import threading
import traceback

__all__ = ["ScriptRun"]


class ScriptRun:
    """Runs ``path`` as ``__main__`` with ``sys.argv = argv`` on a new thread, started at once.

    The thread is not one of the bridge's, so the script may block it (``asyncio.run(main())``)
    while its pipelines run on the bridge's threads.
    """

    def __init__(self, path: str, argv: list[str]) -> None:
        self._path = path
        self._argv = argv
        self._exit: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._main, name="remotemedia-script", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        code = 1
        try:
            code = self._run()
        finally:
            # Whatever happened (stderr gone, say), the runtime learns the script ended.
            self._exit.set_result(code)

    def _run(self) -> int:
        sys.argv = list(self._argv)
        try:
            runpy.run_path(self._path, run_name="__main__")
            code = 0
        except SystemExit as exit_:
            code = _exit_code(exit_.code)
        except KeyboardInterrupt:
            code = 130
        except BaseException as exc:  # noqa: BLE001 - any failure of the script is its exit status
            _print_from_script(exc, self._path)
            code = 1
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        return code

    async def wait(self) -> int:
        """The script's exit code, once it ends."""
        return await asyncio.wrap_future(self._exit)

    def interrupt(self) -> None:
        """Raises ``KeyboardInterrupt`` in the script (at its next bytecode, as Ctrl-C would)."""
        ident = self._thread.ident
        if ident is not None and self._thread.is_alive():
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(ident), ctypes.py_object(KeyboardInterrupt)
            )


def _print_from_script(exc: BaseException, path: str) -> None:
    """Prints ``exc``'s traceback from the script's own first frame on (as ``python script.py`` would)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != path:
        tb = tb.tb_next
    with contextlib.suppress(OSError, ValueError):
        traceback.print_exception(type(exc), exc, tb or exc.__traceback__)


def _exit_code(code: object) -> int:
    """``sys.exit(code)``'s status, as the interpreter computes it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    with contextlib.suppress(OSError, ValueError):
        print(code, file=sys.stderr)
    return 1
