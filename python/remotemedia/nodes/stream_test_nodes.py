"""Upstream's small streaming test nodes: each maps one input to a known number of outputs."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..node import Node
from ..registry import register_node
from .params import camel_case_params

__all__ = [
    "BatcherNode",
    "ChainedTransformNode",
    "ConditionalExpanderNode",
    "CounterNode",
    "ErrorProneNode",
    "ExpanderNode",
    "FilterNode",
    "RangeGeneratorNode",
    "TransformAndExpandNode",
]


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _value(data: Any, default: Any = None) -> Any:
    """``data["value"]`` for a dict input, else the input itself (or ``default`` if not a number)."""
    if isinstance(data, Mapping):
        return data.get("value", 0)
    return data if default is None or _is_number(data) else default


@register_node
@camel_case_params
class ExpanderNode(Node):
    """Yields ``expansion_factor`` outputs per input.

    A number ``x`` gives ``x + i``; ``{"value": x}`` gives ``{"value": x + i, "index": i}``;
    anything else gives ``f"{data}_{i}"`` (for ``i`` in ``0 .. expansion_factor - 1``).
    """

    def __init__(self, *, expansion_factor: int = 3, name: str | None = None) -> None:
        super().__init__(name=name, expansion_factor=expansion_factor)
        self.expansion_factor = expansion_factor

    def process(self, data: Any) -> Iterator[Any]:
        for i in range(self.expansion_factor):
            if isinstance(data, Mapping) and "value" in data:
                yield {"value": data["value"] + i, "index": i}
            elif _is_number(data):
                yield data + i
            else:
                yield f"{data}_{i}"


@register_node
@camel_case_params
class FilterNode(Node):
    """Passes inputs whose number (or ``["value"]``) is >= ``min_value``; drops the rest."""

    def __init__(self, *, min_value: float = 0.0, name: str | None = None) -> None:
        super().__init__(name=name, min_value=min_value)
        self.min_value = min_value

    def process(self, data: Any) -> Any:
        value = _value(data)
        return data if _is_number(value) and value >= self.min_value else None


@register_node
@camel_case_params
class BatcherNode(Node):
    """Collects inputs; every ``batch_size`` of them yields ``{"batch": [...], "size": n}``.

    A partial batch at the end of the stream is not emitted (the runtime has no
    end-of-stream hook), as upstream.
    """

    def __init__(self, *, batch_size: int = 3, name: str | None = None) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(
                f"BatcherNode: batch_size must be a positive integer, got {batch_size!r}"
            )
        super().__init__(name=name, batch_size=batch_size)
        self.batch_size = batch_size
        self.buffer: list[Any] = []

    def process(self, data: Any) -> dict[str, Any] | None:
        self.buffer.append(data)
        if len(self.buffer) < self.batch_size:
            return None
        batch, self.buffer = self.buffer[: self.batch_size], self.buffer[self.batch_size :]
        return {"batch": batch, "size": self.batch_size}


@register_node
class RangeGeneratorNode(Node):
    """``{"start", "end", "step"}`` (defaults 0, 10, 1) or a number ``end`` -> ``{"value": v}`` each."""

    def process(self, data: Any) -> Iterator[dict[str, int]]:
        if isinstance(data, Mapping):
            start, end, step = data.get("start", 0), data.get("end", 10), data.get("step", 1)
        else:
            start, end, step = 0, int(data), 1
        for value in range(start, end, step):
            yield {"value": value}


_TRANSFORMS: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "lower": str.lower,
    "reverse": lambda text: text[::-1],
    "double": lambda text: text * 2,
}


@register_node
class TransformAndExpandNode(Node):
    """Yields ``{"text": t(str(data)), "transform": t}`` for each of ``transforms``.

    ``transforms`` lists ``upper``, ``lower``, ``reverse``, ``double``
    (default: the first three, in that order).
    """

    def __init__(self, *, transforms: list[str] | None = None, name: str | None = None) -> None:
        chosen = list(transforms) if transforms is not None else ["upper", "lower", "reverse"]
        unknown = [t for t in chosen if t not in _TRANSFORMS]
        if unknown:
            raise ValueError(
                f"TransformAndExpandNode: unknown transforms {unknown}; "
                f"expected some of {', '.join(_TRANSFORMS)}"
            )
        super().__init__(name=name, transforms=chosen)
        self.transforms = chosen

    def process(self, data: Any) -> Iterator[dict[str, str]]:
        text = str(data)
        for transform in self.transforms:
            yield {"text": _TRANSFORMS[transform](text), "transform": transform}


@register_node
@camel_case_params
class CounterNode(Node):
    """Counts inputs: each yields ``{"count": n, "input": data}`` with ``n`` from ``initial_count + 1``."""

    def __init__(self, *, initial_count: int = 0, name: str | None = None) -> None:
        super().__init__(name=name, initial_count=initial_count)
        self.count = initial_count

    def process(self, data: Any) -> dict[str, Any]:
        self.count += 1
        return {"count": self.count, "input": data}


@register_node
class ConditionalExpanderNode(Node):
    """A value ``v`` (a number or ``["value"]``) yields ``min(int(abs(v)), 10)`` outputs.

    Each is ``{"original": v, "index": i, "count": n}``; a non-number yields nothing.
    """

    def process(self, data: Any) -> Iterator[dict[str, Any]]:
        value = _value(data, default=0)
        if not _is_number(value):
            return
        count = min(int(abs(value)), 10)
        for i in range(count):
            yield {"original": value, "index": i, "count": count}


@register_node
@camel_case_params
class ChainedTransformNode(Node):
    """Doubles, adds 10, squares: yields ``{"stage": 1|2, "value"}`` steps, then stage 3 (final).

    The intermediate stages are emitted only when ``emit_intermediates`` (default true).
    """

    def __init__(self, *, emit_intermediates: bool = True, name: str | None = None) -> None:
        super().__init__(name=name, emit_intermediates=emit_intermediates)
        self.emit_intermediates = bool(emit_intermediates)

    def process(self, data: Any) -> Iterator[dict[str, Any]]:
        value = _value(data, default=0)
        if not _is_number(value):
            value = 0
        doubled = value * 2
        shifted = doubled + 10
        if self.emit_intermediates:
            yield {"stage": 1, "value": doubled}
            yield {"stage": 2, "value": shifted}
        yield {"stage": 3, "value": shifted**2, "final": True}


@register_node
@camel_case_params
class ErrorProneNode(Node):
    """Raises ``ValueError`` for the value ``error_on_value``; otherwise ``{"value", "status": "ok"}``."""

    def __init__(self, *, error_on_value: float = -1.0, name: str | None = None) -> None:
        super().__init__(name=name, error_on_value=error_on_value)
        self.error_on_value = error_on_value

    def process(self, data: Any) -> dict[str, Any]:
        value = _value(data)
        if value == self.error_on_value:
            raise ValueError(f"Error triggered by value: {value}")
        return {"value": value, "status": "ok"}
