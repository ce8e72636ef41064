// Pipeline normalisation (FR-004): every accepted input form, id assignment, and up-front rejection of bad input.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { InvalidPipelineInput, ManifestError, NodeRef, Pipeline } from "../src/index.js"

const fixtureText = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")
const fixture = (name: string): unknown => JSON.parse(fixtureText(name))

const tsNode = (extra: Partial<NodeRef.TsNode> = {}): NodeRef.TsNode => ({ process: (x) => x, ...extra })

// Core only defines the PythonInstance interface (the Python bridge implements it), so a hand-made
// object carrying PythonInstanceTypeId is a legitimate stand-in for a live Python Node handle here.
const pyHandle = (name: string, className: string): NodeRef.PythonInstance => ({
  [NodeRef.PythonInstanceTypeId]: NodeRef.PythonInstanceTypeId,
  name,
  className
})

const ids = (p: Pipeline.Pipeline): ReadonlyArray<string> => p.nodes.map((n) => n.id)

const asInputError = (e: InvalidPipelineInput | ManifestError): InvalidPipelineInput => {
  if (!(e instanceof InvalidPipelineInput)) return assert.fail(`expected InvalidPipelineInput, got ${e._tag}: ${e.message}`)
  return e
}
const asManifestError = (e: InvalidPipelineInput | ManifestError): ManifestError => {
  if (!(e instanceof ManifestError)) return assert.fail(`expected ManifestError, got ${e._tag}: ${e.message}`)
  return e
}
const normalizeError = (input: unknown) => Effect.map(Effect.flip(Pipeline.normalize(input)), asInputError)

// A foreign pipeline description (standing in for a Python Pipeline handle) that only a resolver understands.
interface FakePythonPipeline {
  readonly __fakePythonPipeline: true
  readonly name: string
  readonly nodes: ReadonlyArray<unknown>
}
const fakePythonPipeline = (name: string, nodes: ReadonlyArray<unknown>): FakePythonPipeline => ({
  __fakePythonPipeline: true,
  name,
  nodes
})
const isFakePythonPipeline = (u: unknown): u is FakePythonPipeline =>
  typeof u === "object" && u !== null && (u as { __fakePythonPipeline?: unknown }).__fakePythonPipeline === true

// The resolver registry is global (shared by everything in this process), so the name is unique to this file.
Pipeline.registerInputResolver({
  name: "core-test/Pipeline.test.ts/fake-python-pipeline",
  canResolve: isFakePythonPipeline,
  resolve: (input) =>
    isFakePythonPipeline(input)
      ? Effect.succeed({ name: input.name, nodes: input.nodes })
      : Effect.fail(new InvalidPipelineInput({ summary: "not a fake python pipeline", issues: [] }))
})

// Stands in for a Python Node handle whose validation fails (e.g. no callable process()).
const brokenHandle = { __fakeBrokenHandle: true } as const
Pipeline.registerInputResolver({
  name: "core-test/Pipeline.test.ts/fake-broken-handle",
  canResolve: (u) => typeof u === "object" && u !== null && "__fakeBrokenHandle" in u,
  resolve: () =>
    Effect.fail(
      new InvalidPipelineInput({
        summary: "Invalid Python node",
        issues: [{ position: 0, type: "my_nodes.Broken", reason: "node 'broken' has no callable process()" }]
      })
    )
})

describe("Pipeline.normalize: resolver errors inside arrays", () => {
  it.effect("report the caller's position of the rejected element", () =>
    Effect.gen(function*() {
      const error = yield* normalizeError([tsNode({ name: "ok" }), tsNode({ name: "ok2" }), brokenHandle])
      assert.strictEqual(error.issues.length, 1)
      assert.strictEqual(error.issues[0]!.position, 2)
      assert.include(error.message, "[2] my_nodes.Broken: node 'broken' has no callable process()")
    }))
})

describe("Pipeline.normalize: accepted inputs", () => {
  it.effect("returns a Pipeline as is", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.make([tsNode({ name: "a" }), tsNode({ name: "b" })], { name: "given" })
      const q = yield* Pipeline.normalize(p)
      assert.strictEqual(q, p)
      assert.isTrue(Pipeline.isPipeline(q))
    }))

  it.effect("accepts an array of mixed NodeRefs and assigns ids by the rules", () =>
    Effect.gen(function*() {
      const upper = tsNode({ name: "upper" })
      const calc = NodeRef.manifestNode("calc", "CalculatorNode", { operation: "add", operand: 2 })
      const bytes = new Uint8Array([1, 2, 3])
      const pickled = NodeRef.serializedInstance({ bytes, name: "counter", className: "my_nodes.Counter" })
      const whisper = pyHandle("whisper", "my_nodes.Whisper")
      const explicit = tsNode({ id: "explicit", name: "ignored" })
      const anonymous = tsNode()
      const p = yield* Pipeline.normalize([upper, calc, pickled, whisper, explicit, anonymous])
      assert.strictEqual(p._tag, "Pipeline")
      assert.strictEqual(p.name, "pipeline")
      assert.deepStrictEqual(ids(p), ["upper_0", "calc", "counter_2", "whisper_3", "explicit", "node_5"])
      const refs = p.nodes.map((n) => n.ref)
      assert.strictEqual(refs[0], upper)
      assert.strictEqual(refs[1], calc)
      assert.strictEqual(refs[2], pickled)
      assert.strictEqual(refs[3], whisper)
      assert.strictEqual(refs[4], explicit)
      assert.strictEqual(refs[5], anonymous)
    }))

  it.effect("uses options.name for an array", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.normalize([tsNode()], { name: "my-chain" })
      assert.strictEqual(p.name, "my-chain")
    }))

  it.effect("a serialized instance with an explicit id keeps it", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.normalize([
        NodeRef.serializedInstance({ bytes: new Uint8Array([9]), name: "counter", id: "my-counter" })
      ])
      assert.deepStrictEqual(ids(p), ["my-counter"])
    }))

  it.effect("an empty explicit id or name falls back to node_${position}", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.normalize([tsNode({ name: "first" }), tsNode({ id: "", name: "" })])
      assert.deepStrictEqual(ids(p), ["first_0", "node_1"])
    }))

  it.effect("turns plain {id, node_type, params} specs inside an array into manifest nodes", () =>
    Effect.gen(function*() {
      const upper = tsNode({ name: "upper" })
      const p = yield* Pipeline.normalize([
        { id: "pass_0", node_type: "PassThroughNode", params: { keep: true } },
        upper,
        { id: "calc_2", node_type: "CalculatorNode" }
      ])
      assert.deepStrictEqual(ids(p), ["pass_0", "upper_1", "calc_2"])
      const first = p.nodes[0]?.ref
      assert.isTrue(NodeRef.isManifestNode(first))
      if (NodeRef.isManifestNode(first)) {
        assert.strictEqual(first.nodeType, "PassThroughNode")
        assert.deepStrictEqual(first.params, { keep: true })
      }
      const last = p.nodes[2]?.ref
      assert.isTrue(NodeRef.isManifestNode(last))
      if (NodeRef.isManifestNode(last)) {
        assert.strictEqual(last.nodeType, "CalculatorNode")
        assert.deepStrictEqual(last.params, {})
      }
      assert.strictEqual(p.nodes[1]?.ref, upper)
    }))

  it.effect("accepts the upstream manifest object: metadata name, manifest ids, manifest nodes", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.normalize(fixture("upstream-calc-pipeline.json"))
      assert.strictEqual(p.name, "calc-pipeline")
      assert.deepStrictEqual(ids(p), ["pass_0", "calc_1"])
      const calc = p.nodes[1]?.ref
      assert.isTrue(NodeRef.isManifestNode(calc))
      if (NodeRef.isManifestNode(calc)) {
        assert.strictEqual(calc.id, "calc_1")
        assert.strictEqual(calc.nodeType, "CalculatorNode")
        assert.deepStrictEqual(calc.params, { operation: "multiply", operand: 2 })
      }
    }))

  it.effect("accepts a manifest JSON string", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.normalize(fixtureText("upstream-calc-pipeline.json"))
      assert.strictEqual(p.name, "calc-pipeline")
      assert.deepStrictEqual(ids(p), ["pass_0", "calc_1"])
    }))

  it.effect("a manifest keeps node order along connections and node extras verbatim", () =>
    Effect.gen(function*() {
      const ordered = yield* Pipeline.normalize(fixture("out-of-order.json"))
      assert.deepStrictEqual(ids(ordered), ["a", "b", "c", "d"])
      const extras = yield* Pipeline.normalize(fixture("upstream-extra-fields.json"))
      const vad = extras.nodes[0]?.ref
      assert.isTrue(NodeRef.isManifestNode(vad))
      if (NodeRef.isManifestNode(vad)) {
        assert.deepStrictEqual(vad.extra["capabilities"], { gpu: false, batching: { max: 8 } })
        assert.deepStrictEqual(vad.extra["execution"], { runtime_hint: "python", timeout_ms: 5000 })
        assert.strictEqual(vad.extra["is_streaming"], true)
      }
      const asr = extras.nodes[1]?.ref
      if (NodeRef.isManifestNode(asr)) assert.strictEqual(asr.extra["host"], "gpu-box-1")
      else assert.fail("expected a manifest node")
    }))

  it.effect("a graph manifest becomes a pipeline with its connections, nodes in topological order; a chain has none", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.normalize({
        version: "v1",
        metadata: { name: "fan" },
        nodes: [{ id: "asr", node_type: "Whisper" }, { id: "vad", node_type: "SileroVAD" }, { id: "log", node_type: "Logger" }],
        connections: [{ from: "vad", to: "asr", label: "speech" }, { from: "vad", to: "log" }]
      })
      assert.deepStrictEqual(ids(p), ["vad", "asr", "log"])
      assert.deepStrictEqual(p.connections, [{ from: "vad", to: "asr" }, { from: "vad", to: "log" }])
      const chain = yield* Pipeline.normalize(fixture("out-of-order.json"))
      assert.isUndefined(chain.connections)
    }))

  it.effect("instance nodes from a manifest become SerializedInstance with the decoded bytes", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.fromManifest(fixture("instance-node.json"))
      assert.strictEqual(p.name, "instance-pipeline")
      assert.deepStrictEqual(ids(p), ["pass_0", "counter_1"])
      const inst = p.nodes[1]?.ref
      assert.isTrue(NodeRef.isSerializedInstance(inst))
      if (NodeRef.isSerializedInstance(inst)) {
        assert.strictEqual(inst.id, "counter_1")
        assert.strictEqual(inst.className, "my_nodes.Counter")
        assert.instanceOf(inst.bytes, Uint8Array)
        assert.deepStrictEqual(Array.from(inst.bytes), [128, 4, 149, 32, 0, 0, 0, 0, 0, 0, 0])
      }
    }))

  it.effect("a single TS node becomes a one-node pipeline", () =>
    Effect.gen(function*() {
      const single = tsNode({ name: "solo" })
      const p = yield* Pipeline.normalize(single)
      assert.deepStrictEqual(ids(p), ["solo_0"])
      assert.strictEqual(p.nodes[0]?.ref, single)
      const anon = yield* Pipeline.normalize(tsNode())
      assert.deepStrictEqual(ids(anon), ["node_0"])
    }))

  it.effect("a single Python instance handle becomes a one-node pipeline with id ${name}_0", () =>
    Effect.gen(function*() {
      const handle = pyHandle("resampler", "my_nodes.Resampler")
      const p = yield* Pipeline.normalize(handle, { name: "py" })
      assert.strictEqual(p.name, "py")
      assert.deepStrictEqual(ids(p), ["resampler_0"])
      assert.strictEqual(p.nodes[0]?.ref, handle)
    }))

  it.effect("a single manifest node and a single serialized instance are accepted", () =>
    Effect.gen(function*() {
      const m = yield* Pipeline.normalize(NodeRef.manifestNode("echo", "PassThroughNode"))
      assert.deepStrictEqual(ids(m), ["echo"])
      const s = yield* Pipeline.normalize(NodeRef.serializedInstance({ bytes: new Uint8Array([1]), name: "vad" }))
      assert.deepStrictEqual(ids(s), ["vad_0"])
    }))

  it.effect("a foreign object is handed to the registered InputResolver that recognises it", () =>
    Effect.gen(function*() {
      const foreign = fakePythonPipeline("py-pipeline", [
        pyHandle("vad", "nodes.VAD"),
        { id: "calc", node_type: "CalculatorNode", params: { operand: 3 } },
        pyHandle("asr", "nodes.ASR")
      ])
      const p = yield* Pipeline.normalize(foreign)
      assert.strictEqual(p.name, "py-pipeline")
      assert.deepStrictEqual(ids(p), ["vad_0", "calc", "asr_2"])
      assert.isTrue(NodeRef.isManifestNode(p.nodes[1]?.ref))
      const renamed = yield* Pipeline.normalize(foreign, { name: "override" })
      assert.strictEqual(renamed.name, "override")
    }))

  it.effect("resolvable elements inside an array are expanded in place", () =>
    Effect.gen(function*() {
      const head = tsNode({ name: "head" })
      const p = yield* Pipeline.normalize([
        head,
        fakePythonPipeline("inner", [pyHandle("vad", "nodes.VAD"), pyHandle("asr", "nodes.ASR")]),
        tsNode({ name: "tail" })
      ])
      assert.deepStrictEqual(ids(p), ["head_0", "vad_1", "asr_2", "tail_3"])
    }))

  it.effect("Pipeline.make builds a pipeline with the given name", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.make([NodeRef.manifestNode("x", "PassThroughNode"), tsNode()], { name: "made" })
      assert.strictEqual(p.name, "made")
      assert.deepStrictEqual(ids(p), ["x", "node_1"])
    }))

  it.effect("a source TS node in first position is accepted", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.normalize([tsNode({ name: "mic", isSource: true }), tsNode()])
      assert.deepStrictEqual(ids(p), ["mic_0", "node_1"])
    }))
})

describe("Pipeline.normalize: rejections", () => {
  const badValues: ReadonlyArray<readonly [string, unknown, string, string]> = [
    ["a number", 42, "number", "not a node"],
    ["null", null, "null", "not a node"],
    ["a string", "PassThroughNode", "string", "not a node"],
    ["an object without process", { run: 1 }, "Object{run}", "not a node"],
    ["an object whose process is not a function", { process: "nope" }, "Object{process}", "'process' is not a function"],
    [
      "a TS node whose initialize is not a function",
      { process: (x: unknown) => x, initialize: 5 },
      "Object{process,initialize}",
      "'initialize' must be a function"
    ],
    [
      "a TS node whose cleanup is not a function",
      { process: (x: unknown) => x, cleanup: "later" },
      "Object{process,cleanup}",
      "'cleanup' must be a function"
    ]
  ]

  for (const [label, value, type, reason] of badValues) {
    it.effect(`rejects ${label} inside an array, naming its position and type`, () =>
      Effect.gen(function*() {
        const err = yield* normalizeError([tsNode(), value])
        assert.strictEqual(err._tag, "InvalidPipelineInput")
        assert.strictEqual(err.issues.length, 1)
        assert.strictEqual(err.issues[0]?.position, 1)
        assert.strictEqual(err.issues[0]?.type, type)
        assert.include(err.issues[0]?.reason, reason)
        assert.include(err.message, `[1] ${type}: `)
      }))
  }

  it.effect("reports every bad position at once, in issues and in the message, before running anything", () =>
    Effect.gen(function*() {
      let initialized = 0
      const good = tsNode({
        initialize: () => {
          initialized++
        }
      })
      const err = yield* normalizeError([good, 7, null, good, "x", { process: 1 }])
      assert.deepStrictEqual(
        err.issues.map((i) => i.position),
        [1, 2, 4, 5]
      )
      assert.deepStrictEqual(
        err.issues.map((i) => i.type),
        ["number", "null", "string", "Object{process}"]
      )
      assert.strictEqual(err.summary, "4 invalid pipeline node(s)")
      for (const issue of err.issues) {
        assert.include(err.message, `[${issue.position}] ${issue.type}: ${issue.reason}`)
      }
      assert.strictEqual(initialized, 0)
    }))

  it.effect("Pipeline.make reports bad positions the same way", () =>
    Effect.gen(function*() {
      const err = yield* Effect.flip(Pipeline.make([undefined, tsNode(), 3n]))
      assert.strictEqual(err._tag, "InvalidPipelineInput")
      assert.deepStrictEqual(
        err.issues.map((i) => [i.position, i.type]),
        [[0, "undefined"], [2, "bigint"]]
      )
    }))

  it.effect("rejects an empty array", () =>
    Effect.gen(function*() {
      const err = yield* normalizeError([])
      assert.strictEqual(err._tag, "InvalidPipelineInput")
      assert.deepStrictEqual(err.issues, [])
      assert.strictEqual(err.message, "A pipeline needs at least one node")
    }))

  it.effect("rejects duplicate explicit ids, naming the id and both positions", () =>
    Effect.gen(function*() {
      const err = yield* normalizeError([tsNode({ id: "dup" }), tsNode({ id: "other" }), tsNode({ id: "dup" })])
      assert.strictEqual(err.issues.length, 1)
      assert.strictEqual(err.issues[0]?.position, 2)
      assert.include(err.issues[0]?.reason, "duplicate node id 'dup'")
      assert.include(err.issues[0]?.reason, "position 0")
      assert.include(err.message, "[2] ")
      assert.include(err.message, "'dup'")
    }))

  it.effect("rejects an explicit id that collides with a generated one", () =>
    Effect.gen(function*() {
      const err = yield* normalizeError([NodeRef.manifestNode("node_1", "PassThroughNode"), tsNode()])
      assert.strictEqual(err.issues[0]?.position, 1)
      assert.include(err.issues[0]?.reason, "duplicate node id 'node_1'")
    }))

  it.effect("rejects a source TS node that is not first", () =>
    Effect.gen(function*() {
      const err = yield* normalizeError([tsNode({ name: "a" }), tsNode({ name: "mic", isSource: true })])
      assert.strictEqual(err.issues.length, 1)
      assert.strictEqual(err.issues[0]?.position, 1)
      assert.include(err.issues[0]?.reason, "must come first")
      assert.include(err.message, "[1] ")
    }))

  const notPipelines: ReadonlyArray<readonly [string, unknown, string]> = [
    ["a number", 42, "number"],
    ["a Date", new Date(0), "Date"],
    ["undefined", undefined, "undefined"],
    ["a plain object that is no node or manifest", { foo: 1, bar: 2 }, "Object{foo,bar}"]
  ]
  for (const [label, value, type] of notPipelines) {
    it.effect(`rejects ${label} as a pipeline input`, () =>
      Effect.gen(function*() {
        const err = yield* normalizeError(value)
        assert.strictEqual(err._tag, "InvalidPipelineInput")
        assert.strictEqual(err.issues.length, 1)
        assert.strictEqual(err.issues[0]?.position, 0)
        assert.strictEqual(err.issues[0]?.type, type)
        assert.include(err.message, "Cannot build a pipeline from this input")
        assert.include(err.message, `[0] ${type}: `)
      }))
  }

  it.effect("a manifest string that is not JSON fails with a syntax ManifestError", () =>
    Effect.gen(function*() {
      const err = asManifestError(yield* Effect.flip(Pipeline.normalize("not a manifest")))
      assert.strictEqual(err._tag, "ManifestError")
      assert.strictEqual(err.kind, "syntax")
    }))

  it.effect("a manifest object with a bad node fails with a ManifestError naming the path", () =>
    Effect.gen(function*() {
      const err = asManifestError(
        yield* Effect.flip(
          Pipeline.normalize({ version: "v1", metadata: { name: "x" }, nodes: [{ id: "a b", node_type: "X" }] })
        )
      )
      assert.strictEqual(err.kind, "schema")
      assert.strictEqual(err.path, "nodes[0].id")
    }))

  it.effect("Pipeline.fromManifest fails on an invalid manifest", () =>
    Effect.gen(function*() {
      const err = yield* Effect.flip(Pipeline.fromManifest({ version: "v2", metadata: { name: "x" }, nodes: [] }))
      assert.strictEqual(err._tag, "ManifestError")
      if (err._tag === "ManifestError") assert.strictEqual(err.path, "version")
    }))
})
