"""Conformance (Python API): a stateful node across two calls beside a manifest node; each process logs its lifecycle."""

import asyncio
import json
import os
import sys

from remotemedia import Node, Pipeline, execute_pipeline, execute_pipeline_with_input

LOG = sys.argv[1]


def log(event: str) -> None:
    with open(LOG, "a") as f:
        f.write(f"{event} {os.getpid()}\n")


class Counter(Node):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.total = 0

    def initialize(self):
        log("initialize")

    def process(self, x):
        self.total += x
        return {"x": x, "total": self.total}

    def cleanup(self):
        log("cleanup")


class Shout(Node):
    def process(self, text):
        return f"{text}!".upper()


async def main():
    counter = Counter(name="counter")
    first = await execute_pipeline_with_input(
        [counter, {"id": "pass", "node_type": "PassThrough", "params": {}}], [1, 2, 3]
    )
    second = await execute_pipeline_with_input(Pipeline([counter], name="again"), [4])
    single = await execute_pipeline(Shout(name="shout"))
    many = await execute_pipeline_with_input([Shout(name="s2")], [f"item{i}" for i in range(500)])

    class Local(Node):
        """Defined inside a function, as upstream's scripts often do."""

        def process(self, x):
            return x * 2

    local = await execute_pipeline_with_input([Local(name="local")], [21])
    report = {
        "first": first,
        "second": second,
        "caller_total": counter.total,
        "single": single,
        "many_ok": many == [f"ITEM{i}!" for i in range(500)],
        "local": local,
        "pid": os.getpid(),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    asyncio.run(main())
