"""Python-side helpers of the remotemedia python-bridge (module `_remotemedia_bridge`).

Loaded once by the bridge; not importable from the venv. Compiled code is cached
(repeated `eval` of the same expression is common) and registered with
`linecache`, so tracebacks show the source lines of code run from JS.
"""

import __main__
import linecache
import sys
import threading
import traceback
from collections import OrderedDict

_CACHE_SIZE = 256
_compiled = OrderedDict()
_serial = 0


def _compile(source, mode):
    global _serial
    key = (source, mode)
    code = _compiled.get(key)
    if code is not None:
        _compiled.move_to_end(key)
        return code
    _serial += 1
    filename = f"<js-{mode}-{_serial}>"
    code = compile(source, filename, mode)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    _compiled[key] = code
    if len(_compiled) > _CACHE_SIZE:
        (_, _), old = _compiled.popitem(last=False)
        linecache.cache.pop(old.co_filename, None)
    return code


def evaluate(source, local_names):
    """Evaluates an expression in `__main__`'s namespace plus `local_names`.

    The names are merged into a copy of the globals (not passed as separate
    locals) so comprehensions and lambdas in the expression can see them.
    """
    code = _compile(source, "eval")
    namespace = __main__.__dict__
    if local_names:
        namespace = dict(namespace)
        namespace.update(local_names)
    return eval(code, namespace)


def execute(source, namespace):
    """Runs statements in `namespace`, `__main__`'s dict by default."""
    code = _compile(source, "exec")
    exec(code, __main__.__dict__ if namespace is None else namespace)


def format_exception(exc, tb):
    """The full traceback of `exc`, without this module's own frames."""
    if tb is None:
        tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def big_to_bytes(value):
    """(negative, little-endian magnitude bytes) of an int."""
    magnitude = -value if value < 0 else value
    return value < 0, magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "little")


def big_from_bytes(negative, data):
    magnitude = int.from_bytes(data, "little")
    return -magnitude if negative else magnitude


def loaded_module(name):
    return sys.modules.get(name)


# The bridge's event loop: one per interpreter, run forever by a daemon thread
# (it never keeps the process alive). Awaitable results of calls from JS are
# awaited there, concurrently, and `done(ok, value)` reports each outcome from
# that thread.
_loop = None
_loop_lock = threading.Lock()


def event_loop():
    global _loop
    with _loop_lock:
        if _loop is None:
            import asyncio

            loop = asyncio.new_event_loop()
            threading.Thread(
                target=loop.run_forever, name="remotemedia-asyncio", daemon=True
            ).start()
            _loop = loop
    return _loop


def schedule(awaitable, done):
    import asyncio

    asyncio.run_coroutine_threadsafe(_settle(awaitable, done), event_loop())


async def _settle(awaitable, done):
    try:
        value = await awaitable
    except BaseException as exc:  # noqa: BLE001 - a cancelled or exiting awaitable still settles
        done(False, exc)
    else:
        done(True, value)
