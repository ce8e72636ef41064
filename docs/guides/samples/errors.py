import asyncio
from remotemedia import Node, execute_pipeline_with_input

class Fails(Node):
    def process(self, x):
        raise ValueError(f"bad item {x}")

def show(label, e):
    first_line = str(e).splitlines()[0]
    print(f"{label}{type(e).__name__}: {first_line}")

async def main():
    try:
        await execute_pipeline_with_input([Fails(), 1.5, "x"], [1])
    except TypeError as e:
        show("", e)
    try:
        await execute_pipeline_with_input([Fails(name="fails")], [1])
    except ValueError as e:
        show("", e)

asyncio.run(main())
