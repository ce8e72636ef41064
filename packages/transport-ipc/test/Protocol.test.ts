// The shared test vectors of PROTOCOL.md, both directions, plus reply validation.
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Audio, Tensor, VideoFrame } from "@remotemedia/core"
import { BLOB_THRESHOLD, Codec } from "../src/internal/Codec.js"
import { decodeBody, FrameDecoder, FrameEncoder } from "../src/internal/Framing.js"
import { invalidRequest } from "../src/internal/Control.js"
import { type ErrorReply, invalidReason } from "../src/internal/Protocol.js"
import { causeOf } from "../src/internal/Stages.js"
import { WorkerCrashed } from "../src/IpcError.js"
import { PickledObject } from "../src/PickledObject.js"
import { hex, loadVectors, tag, unhex, untag, vectorsDir } from "./vectors.js"

const codec = new Codec()
const decode = (body: Uint8Array) => decodeBody(codec, body)

const pythonVectors = loadVectors("python_to_ts")
type PickleTag = { readonly $pickle: { readonly type_name: string; readonly data: string } }
const fraction = (pythonVectors.find((v) => v.name === "result_pickled_object")!.message as { outputs: [PickleTag] }).outputs[0].$pickle

const everyKind = [
  "héllo 🎧 wörld",
  "",
  0,
  -1,
  127,
  128,
  -33,
  65535,
  2 ** 31,
  2 ** 40,
  -(2 ** 40),
  Number.MAX_SAFE_INTEGER,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  2n ** 64n - 1n,
  2n ** 64n,
  -(2n ** 64n) - 5n,
  2n ** 100n,
  1.5,
  -0.25,
  1e300,
  NaN,
  Infinity,
  -Infinity,
  true,
  false,
  null,
  undefined,
  Uint8Array.from({ length: 256 }, (_, i) => i),
  new Uint8Array(0),
  [1, [2, [3]], []],
  { type: "audio", samples: [0.5], nested: { k: [null] } },
  {},
  new Tensor(Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 3]),
  new Tensor(Float64Array.from([-1.5, 2.25])),
  new Tensor(Int8Array.from([-128, 127])),
  new Tensor(Int16Array.from([1, -2])),
  new Tensor(Int32Array.from([-(2 ** 31), 2 ** 31 - 1])),
  new Tensor(BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n])),
  new Tensor(Uint8Array.from([0, 255])),
  new Tensor(Uint16Array.from([65535])),
  new Tensor(Uint32Array.from([2 ** 32 - 1])),
  new Tensor(BigUint64Array.from([2n ** 64n - 1n])),
  new Tensor(new Float32Array(0), [0, 3]),
  new Audio(Float32Array.from([0, 0.5, -0.5, 1]), 16000, 2),
  new VideoFrame(Uint8Array.from({ length: 12 }, (_, i) => i), 2, 2, "rgb24"),
  new VideoFrame(new Uint8Array(6).fill(7), 2, 2, "yuv420p"),
  new PickledObject(fraction.type_name, unhex(fraction.data))
]

/**
 * The requests this encoder writes to vectors/ts_to_python.json, as FrameEncoder.encode sends them
 * (with the raw-part size from which they go to a split body's tail, when not BLOB_THRESHOLD).
 */
const tsToPython: ReadonlyArray<readonly [string, Record<string, unknown>, number?]> = [
  ["load_manifest", { op: "load_manifest", slot: 0, node_id: "scale", node_type: "Scale", params: { factor: 3, opts: { type: "x" } }, seq: 1 }],
  ["load_instance", { op: "load_instance", slot: 1, node_id: "acc", class_name: "my_nodes.Acc", data: Uint8Array.from([0x80, 5, 0x4e, 0x2e]), seq: 2 }],
  ["process_every_kind", { op: "process", slots: [0, 1], items: everyKind, first_index: 0, timed: false, item_timeout_ms: undefined, seq: 3 }],
  ["process_timed_with_timeout", { op: "process", slots: [0], items: [1], first_index: 64, timed: true, item_timeout_ms: 250, seq: 4 }],
  ["pull", { op: "pull", slots: [2, 3], max_items: 64, max_wait_ms: 5, item_timeout_ms: undefined, seq: 5 }],
  ["end", { op: "end", slots: [2, 3], seq: 6 }],
  ["cleanup", { op: "cleanup", slot: 1, return_state: true, seq: 7 }],
  ["shutdown", { op: "shutdown", seq: 8 }],
  ["cancel", { op: "cancel", target: 5, seq: 10 }],
  ["load_live", { op: "load_live", slot: 3, node_id: "counter_0", ref: 1, seq: 11 }],
  ["control_hello", { op: "hello", protocol: 1, runtime: "0.1.0", node: "v20.20.2" }],
  ["control_outputs", { op: "outputs", seq: 1, outputs: [2, new Tensor(Float32Array.from([2.5, -1]))] }],
  [
    "control_error",
    {
      op: "error",
      seq: 2,
      name: "NodeProcessError",
      message: "Node 'counter_0' failed on item 1: ValueError: bad item 2",
      stack: "NodeProcessError: Node 'counter_0' failed on item 1: ValueError: bad item 2\n    at run (Host.ts:1:1)",
      details: { nodeId: "counter_0", itemIndex: 1, causes: ["NodeProcessError", "PythonError"] },
      python: {
        type: "ValueError",
        module: "builtins",
        message: "bad item 2",
        traceback: "Traceback (most recent call last):\n  File \"x.py\", line 1, in process\nValueError: bad item 2\n",
        exception: 7
      }
    }
  ],
  ["control_ok", { op: "ok", seq: 3 }],
  [
    "process_split_body",
    {
      op: "process",
      slots: [0],
      items: [
        new Tensor(Float32Array.from({ length: 6 }, (_, i) => i - 2.5), [2, 3]),
        "between",
        new Audio(Float32Array.from([0.5, -0.25, 1, 0]), 8000, 1),
        new VideoFrame(Uint8Array.from({ length: 24 }, (_, i) => i), 4, 2, "rgb24"),
        new Tensor(Int16Array.from([1, -2])), // under the threshold: inline
        new PickledObject(fraction.type_name, unhex(fraction.data))
      ],
      first_index: 0,
      seq: 9
    },
    16
  ]
]

const frameOf = (message: unknown, threshold = BLOB_THRESHOLD): string =>
  hex(Buffer.concat(new FrameEncoder(codec, undefined, threshold).encode(message)))

describe("shared vectors", () => {
  if (process.env["UPDATE_VECTORS"] === "1") {
    const document = {
      direction: "ts_to_python",
      protocol: 1,
      about: "frames written by the TypeScript encoder; see PROTOCOL.md, 'Test vectors'",
      vectors: tsToPython.map(([name, message, threshold]) => ({ name, frame: frameOf(message, threshold), message: tag(message) }))
    }
    writeFileSync(join(vectorsDir, "ts_to_python.json"), JSON.stringify(document, null, 1) + "\n")
  }

  const tsVectors = loadVectors("ts_to_python")

  it("ts_to_python: the file lists exactly the messages this suite defines", () => {
    assert.deepStrictEqual(tsVectors.map((v) => v.name), tsToPython.map(([name]) => name))
  })

  for (const [name, message, threshold] of tsToPython) {
    it(`ts_to_python ${name}: the encoder writes the exact frame`, () => {
      const vector = tsVectors.find((v) => v.name === name)!
      assert.strictEqual(frameOf(message, threshold), vector.frame)
      assert.deepStrictEqual(tag(message), vector.message)
    })
  }

  it("ts_to_python process_split_body: a split body, which this side decodes back too", () => {
    const body = new FrameDecoder().push(unhex(tsVectors.find((v) => v.name === "process_split_body")!.frame))[0]!
    assert.strictEqual(body[0], 0xc1)
    assert.deepStrictEqual(tag(decode(body)), tag(tsToPython.find(([name]) => name === "process_split_body")![1]))
  })

  for (const vector of pythonVectors) {
    it(`python_to_ts ${vector.name}: the frame decodes to its message`, () => {
      const frames = new FrameDecoder().push(unhex(vector.frame))
      assert.strictEqual(frames.length, 1)
      const decoded = decode(frames[0]!)
      assert.deepStrictEqual(decoded, untag(vector.message))
      // Control requests of a standalone caller, else worker replies
      assert.strictEqual((vector.name.startsWith("control_") ? invalidRequest : invalidReason)(decoded), undefined)
    })
  }

  it("python_to_ts: integers up to 2^53 decode as numbers, beyond as bigints", () => {
    const body = new FrameDecoder().push(unhex(pythonVectors.find((v) => v.name === "result_every_kind")!.frame))[0]!
    const outputs = (decode(body) as { outputs: ReadonlyArray<unknown> }).outputs
    assert.strictEqual(outputs[9], 2 ** 53)
    assert.strictEqual(outputs[10], 2n ** 53n + 1n)
    assert.strictEqual(outputs[16], 2n ** 100n)
  })
})

describe("Protocol.invalidReason", () => {
  it("accepts every reply shape and rejects broken ones with a reason", () => {
    assert.strictEqual(invalidReason({ op: "ok", seq: 1 }), undefined)
    assert.strictEqual(invalidReason({ op: "result", seq: 1, outputs: [] }), undefined)
    assert.match(invalidReason([1])!, /must be a map/)
    assert.match(invalidReason({ op: "dance", seq: 1 })!, /unknown message op "dance"/)
    assert.match(invalidReason({ op: "result", seq: 1 })!, /'outputs'/)
    assert.match(invalidReason({ op: "ok" })!, /'seq'/)
    assert.match(invalidReason({ op: "error", seq: 1, phase: "nap", type: "", message: "", traceback: "" })!, /'phase'/)
  })

  it("accepts a Ray driver's 'crashed' error reply and checks its extra fields", () => {
    assert.strictEqual(invalidReason(crashed), undefined)
    assert.strictEqual(invalidReason({ ...crashed, pid: null }), undefined)
    assert.match(invalidReason({ ...crashed, actor: 7 })!, /'actor'/)
    assert.match(invalidReason({ ...crashed, pid: "12" })!, /'pid'/)
  })
})

const crashed: ErrorReply = {
  op: "error",
  seq: 3,
  phase: "crashed",
  node_id: "scale",
  type: "ActorDiedError",
  message: "The actor died unexpectedly\nworker exit type: SYSTEM_ERROR",
  traceback: "",
  index: 4,
  actor: "a1b2c3",
  host: "10.0.0.7",
  ray_node: "feed",
  pid: 4242
}

describe("Stages.causeOf", () => {
  it("a 'crashed' reply becomes a WorkerCrashed naming the actor, its host and pid", () => {
    const crash = causeOf(crashed, "scale", "a batch of 2 item(s)")
    assert.instanceOf(crash, WorkerCrashed)
    assert.deepStrictEqual(crash.nodeIds, ["scale"])
    assert.deepStrictEqual(crash.stderrTail, ["The actor died unexpectedly", "worker exit type: SYSTEM_ERROR"])
    assert.strictEqual(
      crash.message,
      "Ray actor a1b2c3 on host 10.0.0.7 (nodes scale, pid 4242) died during a batch of 2 item(s): " +
        "The actor died unexpectedly\nworker exit type: SYSTEM_ERROR"
    )
    assert.strictEqual((causeOf({ ...crashed, pid: null }, "scale", "x") as WorkerCrashed).pid, 0)
  })

  it("other error replies stay the node's PythonError; a worker crash's message is unchanged", () => {
    assert.strictEqual(causeOf({ ...crashed, phase: "process", type: "ValueError" }, "scale", "x")._tag, "PythonError")
    const crash = new WorkerCrashed({ pid: 9, nodeIds: ["a"], exitCode: 1, signal: null, stderrTail: [], during: "x" })
    assert.strictEqual(crash.message, "Python worker 9 (nodes a) exited with code 1 during x; stderr was empty")
  })
})

describe("Control.invalidRequest", () => {
  it("accepts run and shutdown and rejects broken requests with a reason", () => {
    assert.strictEqual(invalidRequest({ op: "shutdown", seq: 0 }), undefined)
    assert.strictEqual(invalidRequest({ op: "run", seq: 1, pipeline: { nodes: [] }, inputs: [1], transport: null }), undefined)
    assert.match(invalidRequest({ op: "run", pipeline: { nodes: [] }, inputs: [] })!, /'seq'/)
    assert.match(invalidRequest({ op: "run", seq: 1, pipeline: { nodes: [] } })!, /'inputs'/)
    assert.match(invalidRequest({ op: "run", seq: 1, pipeline: { graph: 1 }, inputs: [] })!, /'pipeline'/)
    assert.match(invalidRequest({ op: "run", seq: 1, pipeline: { nodes: [] }, inputs: [], transport: 3 })!, /'transport'/)
    assert.match(invalidRequest({ op: "fly", seq: 1 })!, /unknown message op "fly"/)
  })
})
