"""Python-side helpers of the remotemedia python-bridge (module `_remotemedia_bridge`).

Loaded once by the bridge; not importable from the venv. Compiled code is cached
(repeated `eval` of the same expression is common) and registered with
`linecache`, so tracebacks show the source lines of code run from JS.
"""

import __main__
import linecache
import sys
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
