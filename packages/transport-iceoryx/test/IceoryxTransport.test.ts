// IceoryxTransport: payloads through shared memory (read in place, kept intact, grown, refused by size), zero copy
// (tensors allocated in shared memory, replies by reference, released once no view is left), crashes, and the
// iceoryx2 resources a run leaves (none after a normal end, a crash, or a killed parent's next run).
import { spawn } from "node:child_process"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Executor, NodeInitializeError, NodeProcessError, Tensor, Transport, TransportUnavailable } from "@remotemedia/core"
import { Effect } from "effect"
import { WorkerCrashed } from "../src/index.js"
import * as IceoryxTransport from "../src/IceoryxTransport.js"
import { base, fixture, fixturesDir, leftovers, python, sleep } from "./helpers.js"

const run = (nodes: ReadonlyArray<unknown>, items: ReadonlyArray<unknown>, extra: IceoryxTransport.IceoryxOptions = {}) =>
  Executor.executePipelineWithInput(nodes, items as never).pipe(Effect.provide(IceoryxTransport.layer({ ...base, ...extra })))

const ramp = (n: number, scale = 1) => new Float32Array(n).map((_, i) => (i % 1000) * scale)
const sum = (a: ArrayLike<number>) => {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]!
  return s
}

describe("IceoryxTransport: payloads in shared memory", () => {
  it.live("a large tensor reaches the node as a read-only view it does not own, and comes back intact", () =>
    Effect.gen(function*() {
      const data = ramp(1 << 20)
      const [seen] = yield* run([fixture("describe", "Describe")], [new Tensor(data, [1024, 1024])])
      assert.deepStrictEqual(seen, { writeable: false, owns: false, dtype: "float32", shape: [1024, 1024], sum: sum(data) })
      const [back] = yield* run([fixture("identity", "Identity")], [new Tensor(data, [1024, 1024])])
      assert.instanceOf(back, Tensor)
      assert.deepStrictEqual((back).shape, [1024, 1024])
      assert.deepStrictEqual((back).data, data)
      assert.deepStrictEqual(leftovers(), [])
    }))

  it.live("arrays made in the worker come back, small ones in the frame and large ones through shared memory", () =>
    Effect.gen(function*() {
      const outputs = yield* run([fixture("zeros", "Zeros")], [10, 1 << 22])
      assert.deepStrictEqual(outputs.map((t) => (t as Tensor).data.length), [10, 1 << 22])
      const scaled = yield* run([fixture("scale", "Scale", { factor: 3 })], [new Tensor(ramp(300_000), [300_000])])
      assert.deepStrictEqual((scaled[0] as Tensor).data, ramp(300_000, 3))
    }))

  it.live("a node that keeps its inputs keeps intact data, past the samples one side may hold (copied out then)", () =>
    Effect.gen(function*() {
      const inputs = Array.from({ length: 12 }, (_, i) => new Tensor(new Float32Array(50_000).fill(i + 1), [50_000]))
      const outputs = yield* run([fixture("keep", "Keep")], [...inputs, "check"], { shm: { samples: 4 } })
      assert.deepStrictEqual(outputs.at(-1), inputs.map((_, i) => 50_000 * (i + 1)))
    }))

  it.live("a batch with more large parts than shared memory carries per message sends the rest in the frame, all intact", () =>
    Effect.gen(function*() {
      const inputs = Array.from({ length: 9 }, (_, i) => new Tensor(new Float32Array(70_000).fill(i + 1), [70_000]))
      const outputs = yield* run([fixture("identity", "Identity")], inputs, { shm: { samples: 2 } })
      assert.deepStrictEqual(outputs.map((t) => sum((t as Tensor).data as Float32Array)), inputs.map((_, i) => 70_000 * (i + 1)))
    }))

  it.live("a payload larger than the initial slice grows the segment (64 MiB from a 4 KiB start)", () =>
    Effect.gen(function*() {
      const data = ramp(16 << 20)
      const [back] = yield* run([fixture("identity", "Identity")], [new Tensor(data, [16 << 20])], { shm: { initialSliceBytes: 4096 } })
      assert.strictEqual((back as Tensor).data.length, 16 << 20)
      assert.strictEqual(sum((back as Tensor).data as Float32Array), sum(data))
    }), 60_000)

  it.live("a payload over maxPayloadBytes fails its item with an error naming its size, never truncated", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(run([fixture("identity", "Identity")], [new Tensor(new Uint8Array(2 << 20), [2 << 20])], {
        shm: { maxPayloadBytes: 1 << 20 }
      }))
      assert.instanceOf(error, NodeProcessError)
      assert.include(String((error).message), "a payload of 2097152 bytes exceeds the limit of 1048576 bytes")
      assert.deepStrictEqual(leftovers(), [])
    }))
})

/** Runs `body` on a transport with one pooled worker (started by a first run), shut down afterwards. */
const pooled = <A, E>(
  body: (transport: Transport.Transport["Service"]) => Effect.Effect<A, E>,
  extra: IceoryxTransport.IceoryxOptions = {}
) =>
  Effect.scoped(Effect.gen(function*() {
    const transport = yield* IceoryxTransport.make({ ...base, pool: { size: 1 }, ...extra })
    yield* runOn(transport, [fixture("identity", "Identity")], [1])
    return yield* body(transport)
  }))

const runOn = (transport: Transport.Transport["Service"], nodes: ReadonlyArray<unknown>, items: Iterable<unknown>) =>
  Executor.executePipelineWithInput(nodes, items as never).pipe(Effect.provideService(Transport.Transport, transport))

/** Collects garbage, then lets the finalizers of collected buffers run. */
const collect = Effect.promise(async () => {
  globalThis.gc!()
  await sleep(10)
})

describe("IceoryxTransport: zero copy", () => {
  it.live("a tensor allocated in shared memory reaches the node as a read-only view and comes back as a view of the same memory", () =>
    Effect.gen(function*() {
      const sent = ramp(1 << 18)
      const kept = yield* pooled((transport) =>
        Effect.gen(function*() {
          const t = IceoryxTransport.tensor(transport, "float32", [256, 1024])
          t.data.set(sent)
          const [seen] = yield* runOn(transport, [fixture("describe", "Describe")], [t])
          assert.deepStrictEqual(seen, { writeable: false, owns: false, dtype: "float32", shape: [256, 1024], sum: sum(sent) })
          const [back] = yield* runOn(transport, [fixture("identity", "Identity")], [t])
          // no copy either way: the reply references the very sample sent, lent as the same ArrayBuffer
          assert.strictEqual((back as Tensor).data.buffer, t.data.buffer)
          assert.strictEqual((back as Tensor).data.byteOffset, t.data.byteOffset)
          assert.deepStrictEqual((back as Tensor).shape, [256, 1024])
          const [half] = yield* runOn(transport, [fixture("half", "Half")], [t])
          assert.strictEqual((half as Tensor).data.buffer, t.data.buffer)
          assert.strictEqual((half as Tensor).data.byteOffset, t.data.byteOffset + t.data.byteLength / 2)
          assert.deepStrictEqual((half as Tensor).data, sent.subarray(1 << 17))
          // an output received by reference, sent on to the same worker, goes by reference again
          const [again] = yield* runOn(transport, [fixture("identity", "Identity")], [half])
          assert.strictEqual((again as Tensor).data.buffer, t.data.buffer)
          // a plain tensor is copied into a sample once; the node's answer references that sample
          const plain = new Tensor(ramp(1 << 18), [1 << 18])
          const [copied] = yield* runOn(transport, [fixture("identity", "Identity")], [plain])
          assert.notStrictEqual((copied as Tensor).data.buffer, plain.data.buffer)
          const [onward] = yield* runOn(transport, [fixture("identity", "Identity")], [copied])
          assert.strictEqual((onward as Tensor).data.buffer, (copied as Tensor).data.buffer)
          assert.deepStrictEqual((onward as Tensor).data, plain.data)
          return t
        })
      )
      // the worker is gone and every resource removed; the views still held stay intact
      assert.deepStrictEqual(leftovers(), [])
      assert.deepStrictEqual(kept.data, sent)
    }))

  it.live("samples go back once neither side has a view: allocations keep going by reference, round trip after round trip", () =>
    Effect.gen(function*() {
      // 8 samples: at most 3 payloads pinned for views of Node.js at once, so this needs every release to work
      yield* pooled((transport) =>
        Effect.gen(function*() {
          for (let i = 0; i < 12; i++) {
            const t = IceoryxTransport.tensor(transport, "float32", [100_000])
            t.data.fill(i)
            const [back] = yield* runOn(transport, [fixture("identity", "Identity")], [t])
            assert.strictEqual((back as Tensor).data.buffer, t.data.buffer, `round trip ${i}`)
            assert.strictEqual(sum((back as Tensor).data as Float32Array), 100_000 * i)
            yield* collect
          }
        }), { shm: { samples: 8 } })
      assert.deepStrictEqual(leftovers(), [])
    }))

  it.live("a node that keeps inputs allocated in shared memory keeps intact data after Node.js dropped its views", () =>
    Effect.gen(function*() {
      // Node.js drops each tensor once sent; later payloads carry the release notices, and later
      // allocations reuse released samples: none of those the node still holds.
      const sums = yield* pooled((transport) =>
        Effect.gen(function*() {
          function* items() {
            for (let i = 0; i < 9; i++) {
              const t = IceoryxTransport.tensor(transport, "float32", [50_000])
              t.data.fill(i + 1)
              yield t
              globalThis.gc!()
            }
            yield "check"
          }
          const outputs = yield* runOn(transport, [fixture("keep", "Keep")], items())
          return outputs.at(-1)
        }), { shm: { samples: 8 } })
      assert.deepStrictEqual(sums, [1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => 50_000 * v))
      assert.deepStrictEqual(leftovers(), [])
    }))

  it.effect("without a worker running, allocate gives a plain buffer (copied when sent)", () =>
    Effect.gen(function*() {
      const transport = yield* IceoryxTransport.make({ ...base })
      const t = IceoryxTransport.tensor(transport, "int16", [3, 4])
      assert.strictEqual(t.data.length, 12)
      assert.strictEqual(IceoryxTransport.allocate(transport, 64).byteLength, 64)
    }))
})

describe("IceoryxTransport: crashes and resources", () => {
  it.live("a SIGKILLed worker surfaces as WorkerCrashed within 1 s, leaves nothing, and the next run starts cleanly", () =>
    Effect.gen(function*() {
      const big = new Tensor(ramp(1 << 18), [1 << 18])
      const started = Date.now()
      const error = yield* Effect.flip(run([fixture("kill", "KillSelf")], [big, "die"]))
      assert.instanceOf(error, NodeProcessError)
      const cause = (error).cause
      assert.instanceOf(cause, WorkerCrashed)
      assert.strictEqual((cause).signal, "SIGKILL")
      assert.isBelow(Date.now() - started, 5_000) // the whole run, worker start included
      assert.deepStrictEqual(leftovers(), [])
      const [back] = yield* run([fixture("kill", "KillSelf")], [big])
      assert.deepStrictEqual((back as Tensor).data, big.data)
    }))

  it.live("a worker SIGKILLed mid-item fails the run with WorkerCrashed within 1 s of the kill", () =>
    Effect.gen(function*() {
      const pids: Array<number> = []
      let killedAt = 0
      const killer = Effect.promise(async () => {
        while (pids.length === 0) await sleep(20)
        await sleep(300) // the Sleep node is running by now
        killedAt = Date.now()
        process.kill(pids[0]!, "SIGKILL")
      })
      const [error] = yield* Effect.all([
        Effect.flip(run([fixture("sleep", "Sleep")], [new Tensor(ramp(1 << 18), [1 << 18]), 10], { onWorker: (w) => pids.push(w.pid) })),
        killer
      ], { concurrency: 2 })
      assert.isBelow(Date.now() - killedAt, 1_000)
      assert.instanceOf((error as NodeProcessError).cause, WorkerCrashed)
      assert.deepStrictEqual(leftovers(), [])
    }))

  it.live("resources a SIGKILLed parent left are swept by the next transport made", () =>
    Effect.gen(function*() {
      const child = spawn(process.execPath, [join(fixturesDir, "stale_parent.mjs"), python, fixturesDir], { stdio: ["ignore", "pipe", "inherit"] })
      yield* Effect.promise(() =>
        new Promise<void>((resolve, reject) => {
          child.stdout.on("data", (d: Buffer) => d.toString().includes("holding") && resolve())
          child.on("exit", (code) => reject(new Error(`the parent exited early (${code})`)))
        })
      )
      const pid = child.pid!
      assert.isNotEmpty(leftovers(pid))
      child.kill("SIGKILL")
      yield* Effect.promise(() => new Promise((resolve) => child.on("exit", resolve)))
      yield* Effect.promise(() => sleep(200)) // its worker dies with it (parent-death signal)
      // Its files are still there now, unless a transport made meanwhile by another test process swept them already.
      yield* IceoryxTransport.make({ ...base })
      assert.deepStrictEqual(leftovers(pid), [])
    }), 60_000)

  it.live("a worker whose iceoryx2 is another version is refused at hello, naming both versions and what to install", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(run([fixture("identity", "Identity")], [1], {
        workerCommand: [join(fixturesDir, "other_iceoryx_worker.py")]
      }))
      assert.instanceOf(error, NodeInitializeError)
      const message = String((error).cause)
      assert.include(message, "the worker's iceoryx2 is 0.9.3, the addon's 0.10.0")
      assert.include(message, "remotemedia[iceoryx]")
      // The refused worker is killed; its channel goes once it has exited.
      for (let i = 0; i < 50 && leftovers().length > 0; i++) yield* Effect.promise(() => sleep(20))
      assert.deepStrictEqual(leftovers(), [])
    }))

  it.effect("an interpreter without the iceoryx2 wheel fails with TransportUnavailable naming what to install", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(IceoryxTransport.make({ python: "/usr/bin/python3" }))
      assert.instanceOf(error, TransportUnavailable)
      assert.include(error.message, "pip install 'remotemedia[iceoryx]' (iceoryx2==0.10.0)")
    }))
})
