"""The baseline of bench/ray/run.mjs: BenchMatmul.process called in a plain loop, in this one Python process.

Usage: python plain_loop.py <items> <reps> <size> [<procs>]; prints {"ns": <total of the loop>} as JSON.
With <procs> > 1 (the machine's control, not a baseline): the items split into <procs> contiguous parts, each
looped by a forked process of its own, all started together after their warm-up; "ns" is until the last is done.
"""

import json
import multiprocessing as mp
import sys
import time

from ray_bench_nodes import BenchMatmul

n, reps, size = (int(a) for a in sys.argv[1:4])
procs = int(sys.argv[4]) if len(sys.argv) > 4 else 1


def loop(items, start=None, done=None):
    node = BenchMatmul(size=size, reps=reps)
    node.process(
        0
    )  # warm-up, untimed (the transports' actors get a warm-up too: see case.mjs)
    if start is not None:
        start.wait()
    out = [node.process(i) for i in items]
    assert len(out) == len(items) and all(abs(o - i) <= 1 for o, i in zip(out, items))
    if done is not None:
        done.put(time.perf_counter_ns())
    return out


if procs == 1:
    items = list(range(n))
    node = BenchMatmul(size=size, reps=reps)
    node.process(0)
    t0 = time.perf_counter_ns()
    out = [node.process(i) for i in items]
    total = time.perf_counter_ns() - t0
    assert len(out) == n and abs(out[-1] - (n - 1)) <= 1
else:
    ctx = mp.get_context("fork")
    start = ctx.Barrier(procs + 1)
    done = ctx.Queue()
    size_, extra = divmod(n, procs)
    parts, at = [], 0
    for k in range(procs):
        end = at + size_ + (1 if k < extra else 0)
        parts.append(list(range(at, end)))
        at = end
    workers = [ctx.Process(target=loop, args=(part, start, done)) for part in parts]
    for w in workers:
        w.start()
    start.wait()
    t0 = time.perf_counter_ns()
    ends = [done.get() for _ in workers]
    total = max(ends) - t0
    for w in workers:
        w.join()
print(json.dumps({"ns": total}))
