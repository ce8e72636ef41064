"""A pipeline on a Ray cluster: a replicated stateless node feeding a stateful one, each as Ray actors.

Shows: SpectrumPeak (CPU-heavy NumPy, ``stateless = True``, ``ray_options = {"replicas": 2,
"num_cpus": 1}``) runs as two actors, each its own copy, the batch split between them in two
contiguous halves; Tally (stateful) is one actor, so its count runs 1..8 over both halves, in
order. Items go actor to actor through Ray's object store; only Tally's outputs come back. The
caller's Tally is untouched afterwards: the actors ran pickled copies. With no RAY_ADDRESS, the
driver starts a local Ray cluster of its own (a few seconds) and stops it at the end; on other
transports ``ray_options`` are ignored and one process serves SpectrumPeak.

Run: `npx remotemedia run examples/10_ray_cluster.py [-- ray|ipc|inproc]` (default ray),
or on a cluster: `RAY_ADDRESS=<head>:6379 npx remotemedia run examples/10_ray_cluster.py`.
"""

from __future__ import annotations

import asyncio

from remotemedia import execute_pipeline_with_input

from example_nodes import SpectrumPeak, Tally, chosen_transport


async def main() -> None:
    transport = chosen_transport(default="ray")
    tally = Tally(name="tally")
    seeds = list(range(1, 9))
    outputs = await execute_pipeline_with_input(
        [SpectrumPeak(name="spectrum"), tally], seeds, transport=transport
    )
    print(f"transport: {transport}")
    copies: dict[int, str] = {}
    for out in outputs:
        copy = copies.setdefault(out["pid"], f"copy {len(copies) + 1}")
        print(
            f"seed {out['seed']}  peak {out['peak']:6}  spectrum {copy}"
            f"  tally seen={out['seen']} total={out['total']}"
        )
    print(f"processes that ran spectrum: {len(copies)}")
    print(f"the caller's tally afterwards: seen={tally.seen} total={tally.total}")


if __name__ == "__main__":
    asyncio.run(main())
