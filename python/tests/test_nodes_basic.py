"""PassThroughNode and CalculatorNode behaviour."""

from __future__ import annotations

from typing import Any

import pytest

from remotemedia.nodes import CalculatorNode, PassThroughNode


def test_pass_through_returns_input_unchanged() -> None:
    node = PassThroughNode()
    value = {"a": [1, 2]}
    assert node.process(value) is value
    assert node.process(None) is None


def test_multiply_by_two() -> None:
    node = CalculatorNode(operation="multiply", operand=2)
    assert [node.process(x) for x in range(1, 6)] == [2, 4, 6, 8, 10]


@pytest.mark.parametrize(
    ("operation", "operand", "value", "expected"),
    [
        ("add", 5, 1, 6),
        ("add", 0.5, 1, 1.5),
        ("subtract", 3, 10, 7),
        ("subtract", 3, 1, -2),
        ("multiply", 2, 1.5, 3.0),
        ("multiply", -1, 4, -4),
        ("divide", 2, 7, 3.5),
        ("divide", 4, 8, 2.0),
    ],
)
def test_calculator_table(operation: str, operand: float, value: float, expected: float) -> None:
    result = CalculatorNode(operation=operation, operand=operand).process(value)
    assert result == expected
    assert type(result) is type(expected)


def test_list_input_maps_each_element() -> None:
    assert CalculatorNode(operation="add", operand=10).process([1, 2, 3]) == [11, 12, 13]
    assert CalculatorNode(operation="add", operand=10).process([]) == []


@pytest.mark.parametrize(
    ("operation", "operands", "expected"),
    [
        ("add", [1, 2, 3], 6),
        ("subtract", [10, 3, 2], 5),
        ("multiply", [2, 3, 4], 24),
        ("divide", [100, 5, 2], 10.0),
        ("add", [42], 42),
    ],
)
def test_dict_form_folds_left(operation: str, operands: list[float], expected: float) -> None:
    node = CalculatorNode(operation="multiply", operand=1000)  # not used by the dict form
    assert node.process({"operation": operation, "operands": operands}) == {"result": expected}


def test_divide_by_zero_is_a_clear_error() -> None:
    node = CalculatorNode(name="calc")
    with pytest.raises(ZeroDivisionError, match="CalculatorNode 'calc': cannot divide 5 by zero"):
        node.process({"operation": "divide", "operands": [5, 0]})
    with pytest.raises(ValueError, match="divides by zero"):
        CalculatorNode(operation="divide", operand=0)


@pytest.mark.parametrize("operation", ["power", "", "ADD", None])
def test_invalid_operation_rejected_at_construction(operation: Any) -> None:
    with pytest.raises(ValueError, match="unknown operation"):
        CalculatorNode(operation=operation, operand=1)


def test_invalid_operand_rejected_at_construction() -> None:
    with pytest.raises(TypeError, match="operand must be a number"):
        CalculatorNode(operation="add", operand="1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("3", "expects a number"),
        (True, "expects a number"),
        ([1, "x"], "expects a number"),
        ({"operation": "add"}, "'operands' must be a non-empty list"),
        ({"operation": "add", "operands": []}, "'operands' must be a non-empty list"),
        ({"operation": "root", "operands": [1]}, "unknown operation 'root'"),
    ],
)
def test_invalid_input(data: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        CalculatorNode(operation="add", operand=1).process(data)


def test_config_records_params() -> None:
    node = CalculatorNode(name="calc", operation="divide", operand=4)
    assert node.config == {"operation": "divide", "operand": 4}
