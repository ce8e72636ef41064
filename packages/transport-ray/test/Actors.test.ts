// Nodes as Ray actors, seen from TypeScript: placement from a node's Ray options, stateless replicas, an actor's death
// (WorkerCrashed naming the actor, its host and pid), restarts from the pickle. The node classes are defined in the
// embedded interpreter's __main__, so they reach the actors by value, as a user's own classes do.
import "@remotemedia/python-bridge" // registers the resolver for Python object handles
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Executor, NodeInitializeError, NodeProcessError, NodeRef, PythonError } from "@remotemedia/core"
import { start } from "@remotemedia/python-bridge"
import { WorkerCrashed } from "@remotemedia/transport-ipc"
import { Effect } from "effect"
import * as RayTransport from "../src/RayTransport.js"
import { address, python } from "./helpers.js"

const py = start({ venv: dirname(dirname(python)) })
const defined = py.exec([
  "import os",
  "from pathlib import Path",
  "from remotemedia import Node",
  "",
  "class Spread(Node):",
  "    stateless = True",
  "    ray_options = {'replicas': 2, 'num_cpus': 1}",
  "    def process(self, x):",
  "        import time",
  "        time.sleep(0.05)",
  "        return {'x': x, 'pid': os.getpid()}",
  "",
  "class Tally(Node):",
  "    ray_options = {'replicas': 2}",
  "    def __init__(self, **config):",
  "        super().__init__(**config)",
  "        self.total = 0",
  "    def process(self, x):",
  "        self.total += x",
  "        return self.total",
  "",
  "class Mortal(Node):",
  "    def process(self, x):",
  "        if x == 2:",
  "            os._exit(1)",
  "        return x",
  "",
  "class Phoenix(Node):",
  "    def __init__(self, log='', **config):",
  "        super().__init__(**config)",
  "        self.log = log",
  "    def initialize(self):",
  "        with open(self.log, 'a') as f:",
  "            f.write(f'init {os.getpid()}\\n')",
  "    def process(self, x):",
  "        marker = Path(self.log + '.died')",
  "        if not marker.exists():",
  "            marker.touch()",
  "            os._exit(1)",
  "        return x * 10"
].join("\n"))

const make = (expression: string) =>
  Effect.promise(async () => {
    await defined
    return py.eval(expression)
  })

const run = (nodes: ReadonlyArray<unknown>, items: ReadonlyArray<unknown>, options: RayTransport.RayOptions = {}) =>
  Executor.executePipelineWithInput(nodes as never, items as never).pipe(
    Effect.provide(RayTransport.layer({ python, address, stderrLogLevel: "Debug", ...options }))
  )

describe("RayTransport: nodes as actors", () => {
  it.live("a Node's ray_options make a pool of stateless replicas: a batch shared in order, each its own process", () =>
    Effect.gen(function*() {
      const spread = yield* make("Spread(name='spread')")
      const outputs = (yield* run([spread], [0, 1, 2, 3, 4, 5, 6, 7])) as ReadonlyArray<{ x: number; pid: number }>
      assert.deepStrictEqual(outputs.map((o) => o.x), [0, 1, 2, 3, 4, 5, 6, 7])
      assert.strictEqual(new Set(outputs.map((o) => o.pid)).size, 2)
    }))

  it.live("replicas of a stateful node are refused at load, naming the node and what to declare", () =>
    Effect.gen(function*() {
      const tally = yield* make("Tally(name='tally')")
      const error = yield* Effect.flip(run([tally], [1]))
      assert.instanceOf(error, NodeInitializeError)
      assert.instanceOf(error.cause, PythonError)
      const cause = error.cause
      assert.strictEqual(cause.pyType, "PlacementError")
      assert.include(cause.pyMessage, "node 'tally_0' (__main__.Tally) asks for 2 replicas")
      assert.include(cause.pyMessage, "declare it stateless")
    }))

  it.live("a manifest node's ray params place it; a placement no host offers fails naming what the cluster has", () =>
    Effect.gen(function*() {
      const gpu = NodeRef.manifestNode("scale", "FixtureScale", { factor: 2, ray: { num_gpus: 1 } })
      const error = yield* Effect.flip(
        Executor.executePipelineWithInput([gpu], [1]).pipe(
          Effect.provide(RayTransport.layer({ python, address, imports: ["remotemedia.testing"] }))
        )
      )
      assert.instanceOf(error, NodeInitializeError)
      assert.include((error.cause as PythonError).pyMessage, "asks for {GPU: 1} per actor, which no node of the Ray cluster offers")
      const cpu = NodeRef.manifestNode("scale", "FixtureScale", { factor: 2, ray: { num_cpus: 1 } })
      const outputs = yield* Executor.executePipelineWithInput([cpu], [1, 2]).pipe(
        Effect.provide(RayTransport.layer({ python, address, imports: ["remotemedia.testing"] }))
      )
      assert.deepStrictEqual(outputs, [2, 4])
    }))

  it.live("an actor that dies fails the run with WorkerCrashed naming the actor, its host and its pid", () =>
    Effect.gen(function*() {
      const mortal = yield* make("Mortal(name='mortal')")
      const error = yield* Effect.flip(run([mortal], [1, 2, 3]))
      assert.instanceOf(error, NodeProcessError)
      assert.strictEqual(error.nodeId, "mortal_0")
      assert.instanceOf(error.cause, WorkerCrashed)
      const crashed = error.cause
      assert.match(crashed.actor ?? "", /^[0-9a-f]{32}$/)
      assert.match(crashed.host ?? "", /^\d+\.\d+\.\d+\.\d+$/)
      assert.isAbove(crashed.pid, 0)
      assert.include(crashed.message, `Ray actor ${crashed.actor} on host ${crashed.host}`)
    }))

  it.live("with actorRestarts, a dead actor is recreated from its pickle, initialized again, and the batch retried", () =>
    Effect.gen(function*() {
      const log = join(mkdtempSync(join(tmpdir(), "ray-phoenix-")), "life.log")
      const phoenix = yield* make(`Phoenix(name='phoenix', log=${JSON.stringify(log)})`)
      const outputs = yield* run([phoenix], [1, 2], { actorRestarts: 1 })
      assert.deepStrictEqual(outputs, [10, 20])
      const inits = readFileSync(log, "utf8").trim().split("\n")
      assert.lengthOf(inits, 2)
      assert.notStrictEqual(inits[0], inits[1], "the second initialize ran in a new process")
    }))
})
