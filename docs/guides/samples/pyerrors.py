import asyncio
import os
import threading
from remotemedia import Node, execute_pipeline_with_input
from remotemedia.errors import RemoteMediaError

class Crashes(Node):
    def process(self, x):
        os._exit(3)

class Holds(Node):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.cfg = {"inner": {"lock": threading.Lock()}}

    def process(self, x):
        return x

def show(label, e):
    first_line = str(e).splitlines()[0]
    if "Known types: " in first_line:  # the list of every registered type is long: keep its first three
        head, known = first_line.split("Known types: ")
        first_line = head + "Known types: " + ", ".join(known.split(", ")[:3]) + ", ..."
    print(f"{label}: {type(e).__name__}: {first_line}")

async def main():
    for label, nodes, transport in [
        ("unknown node_type", [{"id": "a", "node_type": "NoSuchNode", "params": {}}], None),
        ("worker crash", [Crashes(name="crashes")], "ipc"),
        ("pickling", [Holds(name="holds")], "ipc"),
    ]:
        try:
            await execute_pipeline_with_input(nodes, [1], transport=transport)
        except RemoteMediaError as e:
            show(label, e)

asyncio.run(main())
