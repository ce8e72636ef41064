"""Conformance (Python API): the argument contract, raised before anything runs, and node exceptions keeping their type."""

import asyncio
import json
import traceback

from remotemedia import Node, execute_pipeline, execute_pipeline_with_input


class Echo(Node):
    def initialize(self):
        raise AssertionError("no node may start when the arguments are wrong")

    def process(self, x):
        return x


class NotANode:
    def run(self, x):
        return x


class Raises(Node):
    def process(self, x):
        raise ValueError(f"bad sample rate {x}")


class BadChunk(Exception):
    """Defined in the script: the caller catches this very class."""


class RaisesCustom(Node):
    def process(self, x):
        raise BadChunk(f"chunk {x} is torn")


async def outcome(awaitable):
    try:
        await awaitable
    except Exception as exc:  # noqa: BLE001 - the report names whatever arrived
        text = "".join(traceback.format_exception(exc))
        return {
            "type": type(exc).__name__,
            "message": str(exc),
            "same_class": type(exc) is BadChunk if "chunk" in str(exc) else None,
            "traceback_names_process": "in process" in text,
        }
    return None


async def main():
    cases = {
        "bad_items": outcome(execute_pipeline([Echo(name="e"), "x", 1.5])),
        "not_a_node": outcome(execute_pipeline(NotANode())),
        "empty": outcome(execute_pipeline([])),
        "input_not_list": outcome(execute_pipeline_with_input([Echo(name="e")], "abc")),
        "input_empty": outcome(execute_pipeline_with_input([Echo(name="e")], [])),
        "other_type": outcome(execute_pipeline(42)),
        "value_error": outcome(execute_pipeline_with_input([Raises(name="r")], [7])),
        "custom": outcome(execute_pipeline_with_input([RaisesCustom(name="c")], [3])),
    }
    print(json.dumps({name: await case for name, case in cases.items()}))


if __name__ == "__main__":
    asyncio.run(main())
