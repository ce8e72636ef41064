"""MultiplyNode and AddNode: upstream's simple math nodes (numbers and lists of numbers; anything else passes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..node import Node
from ..registry import register_node
from .basic import _is_number

__all__ = ["AddNode", "MultiplyNode"]


def _check_number(node: str, param: str, value: object) -> None:
    if not _is_number(value):
        raise TypeError(f"{node}: {param} must be a number, got {value!r}")


def _map_numbers(data: Any, apply: Callable[[Any], Any]) -> Any:
    """``apply`` to a number, or to each number of a list; other values are returned unchanged."""
    if isinstance(data, list):
        return [apply(item) if _is_number(item) else item for item in data]
    return apply(data) if _is_number(data) else data


@register_node
class MultiplyNode(Node):
    """Multiplies a number, or each number of a list, by ``factor`` (default 2).

    Values that are not numbers (and non-number list elements) pass
    unchanged, as in upstream's runtime. Upstream's manifests spell the
    parameter ``multiplier`` (which its node ignores, keeping the default 2);
    here ``multiplier`` is accepted as another name for ``factor``. Also
    registered as ``Multiply``.
    """

    def __init__(
        self,
        *,
        factor: float | None = None,
        multiplier: float | None = None,
        name: str | None = None,
    ) -> None:
        if factor is not None and multiplier is not None:
            raise TypeError("MultiplyNode: got both 'factor' and 'multiplier' for one parameter")
        value = factor if factor is not None else multiplier if multiplier is not None else 2
        _check_number("MultiplyNode", "factor", value)
        super().__init__(name=name, factor=value)
        self.factor = value

    def process(self, data: Any) -> Any:
        return _map_numbers(data, lambda x: x * self.factor)


@register_node
class AddNode(Node):
    """Adds ``addend`` (default 0) to a number, or to each number of a list.

    Values that are not numbers (and non-number list elements) pass
    unchanged, as in upstream's runtime. Also registered as ``Add``.
    """

    def __init__(self, *, addend: float = 0, name: str | None = None) -> None:
        _check_number("AddNode", "addend", addend)
        super().__init__(name=name, addend=addend)
        self.addend = addend

    def process(self, data: Any) -> Any:
        return _map_numbers(data, lambda x: x + self.addend)
