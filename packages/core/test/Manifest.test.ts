// Manifest v1 decoding: upstream documents decode unchanged, and every error kind names its JSON path.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { Manifest, ManifestError } from "../src/index.js"

const fixtureText = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")
const fixture = (name: string): unknown => JSON.parse(fixtureText(name))

const node = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  node_type: "PassThroughNode",
  params: {},
  ...extra
})

const manifestOf = (nodes: ReadonlyArray<unknown>, connections?: ReadonlyArray<unknown>): Record<string, unknown> => ({
  version: "v1",
  metadata: { name: "test" },
  nodes,
  ...(connections === undefined ? {} : { connections })
})

const chain = (...ids: ReadonlyArray<string>) => ({
  nodes: ids.map((id) => node(id)),
  connections: ids.slice(1).map((to, i) => ({ from: ids[i]!, to }))
})

const decodeError = (input: unknown) => Effect.flip(Manifest.decodeManifest(input))

describe("Manifest.decodeManifest: valid manifests", () => {
  it.effect("decodes upstream Pipeline.serialize() output (object) unchanged", () =>
    Effect.gen(function*() {
      const input = fixture("upstream-calc-pipeline.json")
      const { manifest, ordered } = yield* Manifest.decodeManifest(input)
      assert.deepStrictEqual(manifest, input)
      assert.deepStrictEqual(
        ordered.map((n) => n.id),
        ["pass_0", "calc_1"]
      )
      assert.deepStrictEqual(ordered[1]?.params, { operation: "multiply", operand: 2 })
      assert.strictEqual(manifest.metadata.created_at, "2025-11-20T10:00:00.123456Z")
    }))

  it.effect("decodes upstream Pipeline.serialize() output given as a JSON string", () =>
    Effect.gen(function*() {
      const text = fixtureText("upstream-calc-pipeline.json")
      const { manifest, ordered } = yield* Manifest.decodeManifest(text)
      assert.deepStrictEqual(manifest, JSON.parse(text))
      assert.deepStrictEqual(
        ordered.map((n) => n.node_type),
        ["PassThroughNode", "CalculatorNode"]
      )
    }))

  it.effect("keeps unknown extra fields at the top level, in metadata, nodes and connections", () =>
    Effect.gen(function*() {
      const input = fixture("upstream-extra-fields.json")
      const { manifest, ordered } = yield* Manifest.decodeManifest(input)
      assert.deepStrictEqual(manifest, input)
      const m = manifest as Record<string, unknown>
      assert.deepStrictEqual(m["runtime"], { prefer: "rust" })
      assert.strictEqual(m["x-generator"], "remotemedia 0.4.2")
      assert.strictEqual(manifest.metadata["author"], "upstream")
      assert.deepStrictEqual(manifest.metadata["tags"], ["audio", "asr"])
      assert.deepStrictEqual(ordered[0]?.["capabilities"], { gpu: false, batching: { max: 8 } })
      assert.deepStrictEqual(ordered[0]?.["execution"], { runtime_hint: "python", timeout_ms: 5000 })
      assert.strictEqual(ordered[1]?.["host"], "gpu-box-1")
      assert.strictEqual(manifest.connections?.[0]?.["buffer_size"], 16)
      assert.strictEqual(manifest.connections?.[0]?.["label"], "speech")
    }))

  it.effect("keeps unknown extra fields when decoding from a JSON string", () =>
    Effect.gen(function*() {
      const text = fixtureText("upstream-extra-fields.json")
      const { manifest } = yield* Manifest.decodeManifest(text)
      assert.deepStrictEqual(manifest, JSON.parse(text))
    }))

  it.effect("orders nodes along connections given out of order, leaving manifest.nodes as written", () =>
    Effect.gen(function*() {
      const { manifest, ordered } = yield* Manifest.decodeManifest(fixture("out-of-order.json"))
      assert.deepStrictEqual(
        ordered.map((n) => n.id),
        ["a", "b", "c", "d"]
      )
      assert.deepStrictEqual(
        manifest.nodes.map((n) => n.id),
        ["d", "b", "a", "c"]
      )
    }))

  it.effect("accepts a single-node manifest without connections", () =>
    Effect.gen(function*() {
      const input = manifestOf([node("only")])
      const { manifest, ordered } = yield* Manifest.decodeManifest(input)
      assert.deepStrictEqual(manifest, input)
      assert.isFalse("connections" in manifest)
      assert.deepStrictEqual(
        ordered.map((n) => n.id),
        ["only"]
      )
    }))

  it.effect("accepts a single-node manifest with an empty connections array", () =>
    Effect.gen(function*() {
      const { ordered } = yield* Manifest.decodeManifest(manifestOf([node("only")], []))
      assert.deepStrictEqual(
        ordered.map((n) => n.id),
        ["only"]
      )
    }))

  it.effect("decodes a node carrying a cloudpickle instance instead of node_type", () =>
    Effect.gen(function*() {
      const input = fixture("instance-node.json")
      const { manifest, ordered } = yield* Manifest.decodeManifest(input)
      assert.deepStrictEqual(manifest, input)
      const inst = ordered[1]
      assert.strictEqual(inst?.id, "counter_1")
      assert.isUndefined(inst?.node_type)
      assert.deepStrictEqual(inst?.instance, {
        format: "cloudpickle",
        data: "gASVIAAAAAAAAAA=",
        class_name: "my_nodes.Counter"
      })
    }))

  it.effect("accepts node ids made of letters, digits, '_' and '-'", () =>
    Effect.gen(function*() {
      const { ordered } = yield* Manifest.decodeManifest({ version: "v1", metadata: { name: "ids" }, ...chain("A-1", "b_2") })
      assert.deepStrictEqual(
        ordered.map((n) => n.id),
        ["A-1", "b_2"]
      )
    }))
})

describe("Manifest.decodeManifest: syntax and schema errors", () => {
  it.effect("an invalid JSON string fails with kind 'syntax' and an empty path", () =>
    Effect.gen(function*() {
      const err = yield* decodeError("{\"version\": \"v1\", \"nodes\": [")
      assert.instanceOf(err, ManifestError)
      assert.strictEqual(err._tag, "ManifestError")
      assert.strictEqual(err.kind, "syntax")
      assert.strictEqual(err.path, "")
      assert.include(err.detail, "not valid JSON")
      assert.match(err.message, /^Invalid manifest: not valid JSON/)
    }))

  it.effect("a wrongly typed nodes[1].node_type fails with kind 'schema' and that exact path", () =>
    Effect.gen(function*() {
      const input = manifestOf([node("a"), { id: "b", node_type: 42, params: {} }], [{ from: "a", to: "b" }])
      const err = yield* decodeError(input)
      assert.strictEqual(err._tag, "ManifestError")
      assert.strictEqual(err.kind, "schema")
      assert.strictEqual(err.path, "nodes[1].node_type")
      assert.include(err.message, "Invalid manifest at nodes[1].node_type")
    }))

  it.effect("the same type error in a JSON string reports the same path", () =>
    Effect.gen(function*() {
      const input = manifestOf([node("a"), { id: "b", node_type: 42, params: {} }], [{ from: "a", to: "b" }])
      const err = yield* decodeError(JSON.stringify(input))
      assert.strictEqual(err.kind, "schema")
      assert.strictEqual(err.path, "nodes[1].node_type")
    }))

  it.effect("a missing metadata.name fails at path metadata.name", () =>
    Effect.gen(function*() {
      const err = yield* decodeError({ version: "v1", metadata: { description: "no name" }, nodes: [node("a")] })
      assert.strictEqual(err.kind, "schema")
      assert.strictEqual(err.path, "metadata.name")
      assert.include(err.message, "metadata.name")
    }))

  it.effect("a node id outside ^[a-zA-Z0-9_-]+$ fails at nodes[0].id", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(manifestOf([node("bad id!")]))
      assert.strictEqual(err.kind, "schema")
      assert.strictEqual(err.path, "nodes[0].id")
      assert.include(err.message, "node id must match")
    }))

  it.effect("nodes that is not an array fails at path nodes", () =>
    Effect.gen(function*() {
      const err = yield* decodeError({ version: "v1", metadata: { name: "x" }, nodes: { a: node("a") } })
      assert.strictEqual(err.kind, "schema")
      assert.strictEqual(err.path, "nodes")
    }))

  it.effect("an instance with an unsupported format fails under nodes[0].instance, naming cloudpickle", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(manifestOf([{ id: "a", instance: { format: "pickle", data: "AA==" } }]))
      assert.strictEqual(err.kind, "schema")
      assert.match(err.path, /^nodes\[0\]\.instance/)
      assert.include(err.message, "cloudpickle")
    }))

  it.effect("an instance whose data is not a string fails at nodes[0].instance.data", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(manifestOf([{ id: "a", instance: { format: "cloudpickle", data: 5 } }]))
      assert.strictEqual(err.kind, "schema")
      assert.strictEqual(err.path, "nodes[0].instance.data")
    }))

  it.effect("a wrongly typed connection end fails at connections[i].to", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(manifestOf([node("a"), node("b")], [{ from: "a", to: 7 }]))
      assert.strictEqual(err.kind, "schema")
      assert.strictEqual(err.path, "connections[0].to")
    }))

  it.effect("a missing version fails at path version", () =>
    Effect.gen(function*() {
      const err = yield* decodeError({ metadata: { name: "x" }, nodes: [node("a")] })
      assert.strictEqual(err.kind, "schema")
      assert.strictEqual(err.path, "version")
    }))

  it.effect("a document that is not an object fails with kind 'schema'", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(JSON.stringify([1, 2, 3]))
      assert.strictEqual(err.kind, "schema")
      assert.strictEqual(err.path, "")
    }))
})

describe("Manifest.decodeManifest: semantic errors", () => {
  it.effect("version 'v2' fails at path version with kind 'semantic'", () =>
    Effect.gen(function*() {
      const err = yield* decodeError({ ...manifestOf([node("a")]), version: "v2" })
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "version")
      assert.include(err.message, "'v2'")
      assert.include(err.message, "Invalid manifest at version")
    }))

  it.effect("an empty nodes array fails at path nodes", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(manifestOf([], []))
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "nodes")
      assert.include(err.message, "at least one node")
    }))

  it.effect("a node with neither node_type nor instance fails at nodes[i].node_type", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(manifestOf([node("a"), { id: "b", params: {} }], [{ from: "a", to: "b" }]))
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "nodes[1].node_type")
      assert.include(err.message, "node_type or instance")
    }))

  it.effect("a node with both node_type and instance fails at nodes[i]", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(
        manifestOf([{ id: "a", node_type: "X", instance: { format: "cloudpickle", data: "AA==" } }])
      )
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "nodes[0]")
    }))

  it.effect("a duplicate node id fails at nodes[i].id naming the id", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(
        manifestOf([node("a"), node("b"), node("a")], [{ from: "a", to: "b" }])
      )
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "nodes[2].id")
      assert.include(err.message, "'a'")
      assert.include(err.message, "nodes[0]")
    }))

  it.effect("a connection to an unknown node fails at connections[i].to", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(
        manifestOf([node("a"), node("b")], [{ from: "a", to: "b" }, { from: "b", to: "ghost" }])
      )
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "connections[1].to")
      assert.include(err.message, "'ghost'")
    }))

  it.effect("a connection from an unknown node fails at connections[i].from", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(manifestOf([node("a"), node("b")], [{ from: "nope", to: "b" }]))
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "connections[0].from")
      assert.include(err.message, "'nope'")
    }))

  it.effect("fan-out (one node with two outputs) is rejected as non-linear", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(
        manifestOf([node("a"), node("b"), node("c")], [{ from: "a", to: "b" }, { from: "a", to: "c" }])
      )
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "connections[1]")
      assert.include(err.message, "'a' has more than one output")
      assert.include(err.message, "linear")
    }))

  it.effect("fan-in (one node with two inputs) is rejected as non-linear", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(
        manifestOf([node("a"), node("b"), node("c")], [{ from: "a", to: "c" }, { from: "b", to: "c" }])
      )
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "connections[1]")
      assert.include(err.message, "'c' has more than one input")
    }))

  it.effect("a cycle through all nodes is rejected (no starting point)", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(
        manifestOf([node("a"), node("b"), node("c")], [{ from: "a", to: "b" }, { from: "b", to: "c" }, {
          from: "c",
          to: "a"
        }])
      )
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "connections")
      assert.include(err.message, "found 0 starting points")
    }))

  it.effect("a cycle detached from the chain is rejected", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(
        manifestOf([node("a"), node("b"), node("c"), node("d")], [{ from: "a", to: "b" }, { from: "c", to: "d" }, {
          from: "d",
          to: "c"
        }])
      )
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "connections")
      assert.include(err.message, "it reaches 2")
    }))

  it.effect("disconnected nodes are rejected (two starting points)", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(manifestOf([node("a"), node("b"), node("c")], [{ from: "a", to: "b" }]))
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "connections")
      assert.include(err.message, "found 2 starting points")
    }))

  it.effect("several nodes without any connections are rejected", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(manifestOf([node("a"), node("b")]))
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "connections")
      assert.include(err.message, "2 nodes but no connections")
    }))

  it.effect("a self-loop is rejected at connections[i]", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(manifestOf([node("a"), node("b")], [{ from: "a", to: "b" }, { from: "b", to: "b" }]))
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "connections[1]")
      assert.include(err.message, "'b' is connected to itself")
    }))

  it.effect("failures are typed ManifestError values, seen through Effect.result too", () =>
    Effect.gen(function*() {
      const result = yield* Effect.result(Manifest.decodeManifest(manifestOf([node("a")], [{ from: "a", to: "a" }])))
      assert.strictEqual(result._tag, "Failure")
      if (result._tag === "Failure") {
        assert.strictEqual(result.failure._tag, "ManifestError")
        assert.strictEqual(result.failure.path, "connections[0]")
      }
    }))
})
