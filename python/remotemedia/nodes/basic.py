"""General-purpose built-in nodes: PassThroughNode and CalculatorNode."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from ..node import Node
from ..registry import register_node

__all__ = ["CalculatorNode", "PassThroughNode", "StreamEndpointNode"]

_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "subtract": operator.sub,
    "multiply": operator.mul,
    "divide": operator.truediv,
}


def _is_number(value: object) -> bool:
    if type(value) is int or type(value) is float:
        return True
    import numbers  # not at module level: importing remotemedia stays cheap

    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_operation(node: str, operation: object) -> str:
    if not isinstance(operation, str) or operation not in _OPERATIONS:
        raise ValueError(
            f"CalculatorNode {node!r}: unknown operation {operation!r}; "
            f"expected one of {', '.join(_OPERATIONS)}"
        )
    return operation


@register_node(aliases=("PassthroughNode", "Passthrough", "passthrough"))
class PassThroughNode(Node):
    """Returns each input unchanged.

    Also registered as ``PassThrough`` and under upstream's spellings
    ``PassthroughNode``, ``Passthrough`` and ``passthrough``.
    """

    def process(self, data: Any) -> Any:
        return data


@register_node(
    aliases=("AudioInput", "AudioOutput", "VideoInput", "VideoOutput", "TextInput", "TextOutput")
)
class StreamEndpointNode(Node):
    """Upstream's stream endpoints (``AudioInput``, ``AudioOutput``, ``VideoInput``,
    ``VideoOutput``, ``TextInput``, ``TextOutput``): where a device or a connection feeds the
    pipeline, or receives its results. Here the caller's items are the input and the run's
    outputs the output, so an endpoint passes each item on unchanged."""

    def process(self, data: Any) -> Any:
        return data


@register_node(aliases=("SimpleCalculator",))
class CalculatorNode(Node):
    """Arithmetic on numbers. Also registered as ``Calculator`` and ``SimpleCalculator``
    (the calculator upstream's placement test manifests name, with no class of its own).

    * a number ``x`` becomes ``x <operation> operand``;
    * a list of numbers becomes the list of results, element by element;
    * a dict ``{"operation": op, "operands": [a, b, c, ...]}`` becomes
      ``{"result": ((a op b) op c) ...}`` (a left fold; the node's own
      operation and operand are not used).

    ``operation`` is one of ``add``, ``subtract``, ``multiply``, ``divide``;
    ``divide`` follows Python's true division (ints give a float). Division
    by zero raises ``ZeroDivisionError`` naming the node.
    """

    def __init__(
        self,
        *,
        operation: str = "add",
        operand: float = 0,
        name: str | None = None,
    ) -> None:
        label = name or type(self).__name__
        _check_operation(label, operation)
        if not _is_number(operand):
            raise TypeError(f"CalculatorNode {label!r}: operand must be a number, got {operand!r}")
        if operation == "divide" and operand == 0:
            raise ValueError(
                f"CalculatorNode {label!r}: operation 'divide' with operand 0 divides by zero"
            )
        super().__init__(name=name, operation=operation, operand=operand)
        self.operation = operation
        self.operand = operand

    def process(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {"result": self._fold(data)}
        if isinstance(data, list):
            return [self._apply(self.operation, self._number(item), self.operand) for item in data]
        return self._apply(self.operation, self._number(data), self.operand)

    def _fold(self, request: Mapping[Any, Any]) -> Any:
        operation = _check_operation(self.name, request.get("operation"))
        operands = request.get("operands")
        if not isinstance(operands, list) or not operands:
            raise ValueError(
                f"CalculatorNode {self.name!r}: 'operands' must be a non-empty list of numbers, "
                f"got {operands!r}"
            )
        result = self._number(operands[0])
        for operand in operands[1:]:
            result = self._apply(operation, result, self._number(operand))
        return result

    def _number(self, value: Any) -> Any:
        if not _is_number(value):
            raise TypeError(
                f"CalculatorNode {self.name!r} expects a number, a list of numbers or "
                f"{{'operation': ..., 'operands': [...]}}, got {type(value).__name__}: {value!r}"
            )
        return value

    def _apply(self, operation: str, left: Any, right: Any) -> Any:
        try:
            return _OPERATIONS[operation](left, right)
        except ZeroDivisionError:
            raise ZeroDivisionError(
                f"CalculatorNode {self.name!r}: cannot divide {left!r} by zero"
            ) from None
