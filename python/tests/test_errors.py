"""How a Python exception described by the TypeScript runtime comes back to Python code."""

from __future__ import annotations

from remotemedia.errors import JsError, WorkerCrashedError, js_failure


def _rebuilt(exc: BaseException) -> BaseException:
    record = {
        "type": type(exc).__qualname__,
        "module": type(exc).__module__,
        "message": str(exc),
        "traceback": "Traceback (most recent call last):\n  ...\n",
    }
    return js_failure("NodeProcessError", "failed", None, {"python": record})


def test_an_exception_comes_back_as_its_class_with_the_same_str() -> None:
    for original in (
        ValueError("bad rate 7"),
        KeyError("no entry for 3"),
        KeyError(3),
        OSError("gone"),
    ):
        back = _rebuilt(original)
        assert type(back) is type(original)
        assert str(back) == str(original)


def test_a_key_error_keeps_its_key() -> None:
    back = _rebuilt(KeyError("missing"))
    assert isinstance(back, KeyError) and back.args == ("missing",)


def test_a_transport_failure_and_an_unknown_class() -> None:
    crashed = js_failure("NodeProcessError", "died", None, {"causes": ["WorkerCrashed"]})
    assert isinstance(crashed, WorkerCrashedError)
    unknown = js_failure("Oops", "no idea", None, {"python": {"type": "Nope", "module": "no.such"}})
    assert isinstance(unknown, JsError)
