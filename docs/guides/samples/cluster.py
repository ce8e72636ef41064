import asyncio
from remotemedia import execute_pipeline_with_input
from cluster_nodes import Spectrum, Tally

async def main():
    offset = {"id": "offset", "node_type": "CalculatorNode",
              "params": {"operation": "add", "operand": 100, "ray": {"num_cpus": 0}}}
    tally = Tally(name="tally")
    out = await execute_pipeline_with_input(
        [offset, Spectrum(name="spectrum"), tally], [1, 2, 3, 4, 5, 6], transport="ray")
    replicas = {}
    for o in out:
        replica = replicas.setdefault(o["pid"], f"replica {len(replicas) + 1}")
        print(f"seed {o['seed']}  peak {o['peak']:6}  {replica}  tally.seen={o['seen']}")
    print(f"{len(replicas)} actor processes ran spectrum; the caller's tally.seen: {tally.seen}")

asyncio.run(main())
