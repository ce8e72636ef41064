import asyncio
from remotemedia import execute_pipeline_with_input
from my_nodes import Counter

async def main():
    counter = Counter(name="counter", step=2)
    calc = {"id": "calc", "node_type": "CalculatorNode", "params": {"operation": "add", "operand": 10}}
    out = await execute_pipeline_with_input([calc, counter], [1, 2, 3])
    print(out, counter.calls)

asyncio.run(main())
