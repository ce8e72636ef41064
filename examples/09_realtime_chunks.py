"""Real-time-style chunked processing: the clip played at its own pace, the VAD's latency per chunk.

Shows: ClipPlayer, a source yielding one 32 ms chunk every 32 ms (stamped with the time it was
"recorded"), into SpeechDetector (Silero VAD); each window's output carries its latency since the
stamp, printed per chunk (every 8th here), with the median and the worst; the whole run takes
about as long as the clip (3.6 s) because input arrives in real time.

Run: `npx remotemedia run examples/09_realtime_chunks.py [-- ipc|iceoryx]`.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from remotemedia import execute_pipeline

from example_nodes import chosen_transport
from vad_node import ClipPlayer, SpeechDetector


async def main() -> None:
    transport = chosen_transport()
    started = time.monotonic()
    events = await execute_pipeline(
        [ClipPlayer(name="mic"), SpeechDetector(name="vad")], transport=transport
    )
    elapsed = time.monotonic() - started
    print(f"transport: {transport}")
    for event in events[::8]:
        state = "speech" if event["speech"] else "quiet "
        print(
            f"chunk {event['window']:3d} at {event['end_ms'] / 1000:4.2f} s  {state}"
            f"  p={event['probability']:.2f}  latency {event['latency_ms']:6.2f} ms"
        )
    latencies = [event["latency_ms"] for event in events]
    print(
        f"{len(events)} chunks in {elapsed:.1f} s; latency median"
        f" {statistics.median(latencies):.2f} ms, max {max(latencies):.2f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
