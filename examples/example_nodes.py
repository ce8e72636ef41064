"""Python nodes shared by the numbered examples (imported by the .py forms and, via the bridge, the .mjs forms)."""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import numpy as np
from remotemedia import Node


def where() -> str:
    """``caller`` in the process that started the run, else ``worker <pid>``."""
    return "caller" if str(os.getpid()) == os.environ.get("EXAMPLE_CALLER_PID") else "worker"


class RunningStats(Node):
    """Keeps a running count, sum and mean of the numbers it sees (Welford's variance too)."""

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.count = 0
        self.mean = 0.0
        self._m2 = 0.0
        self.ran_in = "nowhere yet"

    def process(self, x: float) -> dict[str, Any]:
        self.ran_in = where()
        self.count += 1
        delta = x - self.mean
        self.mean += delta / self.count
        self._m2 += delta * (x - self.mean)
        std = math.sqrt(self._m2 / self.count)
        return {
            "x": x,
            "n": self.count,
            "mean": round(self.mean, 3),
            "std": round(std, 3),
        }


class WordTally(Node):
    """Counts words in an in-memory SQLite database opened by initialize() and closed by cleanup().

    A ``sqlite3.Connection`` cannot be pickled, so it is never held across a serialization:
    cleanup() closes it (the transport calls cleanup() before pickling) and initialize() opens
    a new one in the worker. ``lifecycle`` records each call and the process it ran in.
    """

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.db: sqlite3.Connection | None = None
        self.lifecycle: list[str] = []

    def initialize(self) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE TABLE words (word TEXT PRIMARY KEY, n INTEGER)")
        self.lifecycle.append(f"initialize() in the {where()}")

    def process(self, line: str) -> dict[str, Any]:
        if self.db is None:
            raise RuntimeError(f"{self.name}: process() before initialize()")
        for word in line.lower().split():
            self.db.execute(
                "INSERT INTO words VALUES (?, 1) ON CONFLICT(word) DO UPDATE SET n = n + 1",
                (word,),
            )
        top = self.db.execute("SELECT word, n FROM words ORDER BY n DESC, word LIMIT 2").fetchall()
        return {
            "line": line,
            "top": [f"{w}={n}" for w, n in top],
            "lifecycle": self.lifecycle,
        }

    def cleanup(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        self.lifecycle.append(f"cleanup() in the {where()}")


class EagerWordTally(WordTally):
    """The mistake: opening the database in __init__, so the node holds it when it is pickled."""

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.db = sqlite3.connect(":memory:")

    def initialize(self) -> None:
        pass

    def cleanup(self) -> None:
        pass


class FailOn(Node):
    """Returns 100 / x; raises ZeroDivisionError for x == 0 (a node's own exception)."""

    def process(self, x: float) -> float:
        return 100 / x


class CrashOn(Node):
    """Ends its process abruptly (os._exit, no cleanup) on the item ``crash_on``; only a worker survives that."""

    def __init__(self, crash_on: int = 3, **config: Any) -> None:
        super().__init__(crash_on=crash_on, **config)
        self.crash_on = crash_on

    def process(self, x: int) -> int:
        if x == self.crash_on:
            os._exit(17)
        return x


class Words(Node):
    """One sentence in, one output per word out (a generator node: 1 -> N)."""

    def process(self, sentence: str) -> Iterator[dict[str, Any]]:
        for i, word in enumerate(sentence.split()):
            yield {"text": word, "index": i}


class Ticker(Node):
    """A source: ``count`` sentences, one every ``interval_s`` seconds (an async generator)."""

    is_source = True

    def __init__(self, count: int = 3, interval_s: float = 0.05, **config: Any) -> None:
        super().__init__(count=count, interval_s=interval_s, **config)
        self.count = count
        self.interval_s = interval_s

    async def process(self) -> AsyncIterator[str]:
        import asyncio

        for i in range(self.count):
            await asyncio.sleep(self.interval_s)
            yield f"sentence {i} has {i + 3} words" + " more" * i


class BatchStats(Node):
    """Gathers numbers into batches of ``size``; each full batch yields its stats and the running totals.

    State across items: the open batch, the batch count and the grand total. Inputs that do not
    fill a batch produce no output.
    """

    def __init__(self, size: int = 4, **config: Any) -> None:
        super().__init__(size=size, **config)
        self.size = size
        self.batch: list[float] = []
        self.batches = 0
        self.total = 0.0

    def process(self, x: float) -> dict[str, Any] | None:
        self.batch.append(x)
        if len(self.batch) < self.size:
            return None
        values, self.batch = np.array(self.batch), []
        self.batches += 1
        self.total += float(values.sum())
        return {
            "batch": self.batches,
            "min": float(values.min()),
            "max": float(values.max()),
            "mean": round(float(values.mean()), 3),
            "running_total": round(self.total, 3),
        }


class SpectrumPeak(Node):
    """CPU-heavy and stateless: the strongest frequency of a seeded noise signal (a 2**20-point FFT).

    Any copy gives the same answer for the same seed, so on the ray transport it may run as
    several actors (``replicas``), each reserving one CPU; other transports ignore ``ray_options``.
    """

    stateless = True
    ray_options: ClassVar[dict[str, Any]] = {"replicas": 2, "num_cpus": 1}

    def process(self, seed: int) -> dict[str, Any]:
        signal = np.random.default_rng(seed).standard_normal(1 << 20)
        peak = int(np.abs(np.fft.rfft(signal)).argmax())
        return {"seed": seed, "peak": peak, "pid": os.getpid()}


class Tally(Node):
    """Stateful: counts the items it saw and sums their peaks (one actor on ray: its state lives there)."""

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.seen = 0
        self.total = 0

    def process(self, item: dict[str, Any]) -> dict[str, Any]:
        self.seen += 1
        self.total += item["peak"]
        return {**item, "seen": self.seen, "total": self.total}


def chosen_transport(default: str = "inproc") -> str:
    """The transport an example runs on: its first argument, else $REMOTEMEDIA_TRANSPORT, else ``default``.

    Also records this process as the caller, for :func:`where`.
    """
    import sys

    os.environ["EXAMPLE_CALLER_PID"] = str(os.getpid())
    return (
        (sys.argv[1] if len(sys.argv) > 1 else "")
        or os.environ.get("REMOTEMEDIA_TRANSPORT", "")
        or default
    )
