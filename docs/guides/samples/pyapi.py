import asyncio
from remotemedia import Pipeline
from remotemedia.nodes import CalculatorNode, PassThroughNode

async def main():
    p = Pipeline([PassThroughNode(name="pass"), CalculatorNode(name="calc", operation="multiply", operand=2)], name="calc")
    print(await p.run([1, 2, 3]))
    print(await p.run([4], transport="ipc"))

asyncio.run(main())
