"""Text nodes of upstream's examples and WASM tests: TextProcessorNode, UppercaseTransform and SimpleSource."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..node import Node
from ..registry import register_node

__all__ = ["SimpleSource", "TextProcessorNode", "UppercaseTransform"]


def _first_word(text: str) -> str:
    words = text.split()
    return words[0] if words else ""


def _last_word(text: str) -> str:
    words = text.split()
    return words[-1] if words else ""


_OPERATIONS: dict[str, Callable[[str], str | int]] = {
    "uppercase": str.upper,
    "lowercase": str.lower,
    "reverse": lambda text: text[::-1],
    "word_count": lambda text: len(text.split()),
    "char_count": len,
    "title_case": str.title,
    "remove_spaces": lambda text: text.replace(" ", ""),
    "first_word": _first_word,
    "last_word": _last_word,
}


@register_node
class TextProcessorNode(Node):
    """Applies text operations to ``{"text": s, "operations": [op, ...]}`` (upstream's text_processor.py).

    The output is ``{"original_text", "operations", "results", "processed_by",
    "node_config"}``: ``results`` maps each operation to its result
    (``uppercase``, ``lowercase``, ``reverse``, ``word_count``, ``char_count``,
    ``title_case``, ``remove_spaces``, ``first_word``, ``last_word``; an unknown
    one maps ``unknown_operation_<op>`` to a message), ``processed_by`` is
    ``TextProcessorNode[<name>]`` and ``node_config`` the node's params. As
    upstream, a bad input is answered with an ``{"error", ...}`` item, not raised.

    ``operation`` and ``prefix`` are the params of upstream's hello-pipeline
    example: ``operation`` becomes the default of ``operations`` (else
    ``["uppercase"]``) and adds ``processed_text``, ``prefix`` followed by that
    operation's result. Also registered as ``TextProcessor``.
    """

    def __init__(
        self, *, operation: str | None = None, prefix: str = "", name: str | None = None
    ) -> None:
        if operation is not None and operation not in _OPERATIONS:
            raise ValueError(
                f"TextProcessorNode: unknown operation {operation!r}; "
                f"expected one of {', '.join(_OPERATIONS)}"
            )
        if not isinstance(prefix, str):
            raise TypeError(f"TextProcessorNode: prefix must be a string, got {prefix!r}")
        config: dict[str, Any] = {}
        if operation is not None:
            config["operation"] = operation
        if prefix:
            config["prefix"] = prefix
        super().__init__(name=name, **config)
        self.operation = operation
        self.prefix = prefix

    def process(self, data: Any) -> dict[str, Any]:
        processed_by = f"TextProcessorNode[{self.name}]"
        if not isinstance(data, dict):
            return {
                "error": "Input must be a dictionary",
                "input": data,
                "processed_by": processed_by,
            }
        if "text" not in data:
            return {
                "error": "Input must contain 'text' key",
                "input": data,
                "processed_by": processed_by,
            }
        text = data["text"]
        operations = data.get("operations", [self.operation or "uppercase"])
        if not isinstance(text, str) or not isinstance(operations, list):
            return {
                "error": "'text' must be a string and 'operations' a list of operation names",
                "text": text,
                "operations": operations,
                "processed_by": processed_by,
            }
        results: dict[str, Any] = {}
        for op in operations:
            apply = _OPERATIONS.get(op) if isinstance(op, str) else None
            if apply is None:
                results[f"unknown_operation_{op}"] = f"Unknown operation: {op}"
            else:
                results[op] = apply(text)
        output = {
            "original_text": text,
            "operations": operations,
            "results": results,
            "processed_by": processed_by,
            "node_config": dict(self.config),
        }
        if self.operation is not None:
            output["processed_text"] = f"{self.prefix}{_OPERATIONS[self.operation](text)}"
        return output


@register_node
class UppercaseTransform(Node):
    """Upper-cases each string; anything else passes unchanged (the transform of upstream's WASM test manifest)."""

    def process(self, data: Any) -> Any:
        return data.upper() if isinstance(data, str) else data


@register_node
class SimpleSource(Node):
    """Source: yields ``value`` ``count`` times (the source of upstream's WASM test manifest)."""

    is_source = True

    def __init__(self, *, value: Any, count: int = 1, name: str | None = None) -> None:
        if type(count) is not int or count < 0:
            raise ValueError(f"SimpleSource: count must be a non-negative integer, got {count!r}")
        super().__init__(name=name, value=value, count=count)
        self.value = value
        self.count = count

    def process(self) -> Iterator[Any]:  # type: ignore[override]
        for _ in range(self.count):
            yield self.value
