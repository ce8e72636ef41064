// Manifest v1 decoding: upstream documents decode unchanged, and every error kind names its JSON path.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
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
      const input = fixture("instance-node.json") as { nodes: Array<Record<string, unknown>> }
      const { manifest, ordered } = yield* Manifest.decodeManifest(input)
      assert.deepStrictEqual<unknown>(manifest, { ...input, nodes: input.nodes.map((n) => ({ params: {}, ...n })) }, "params default to {}")
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

  it.effect("a wrongly typed metadata.name fails at path metadata.name", () =>
    Effect.gen(function*() {
      const err = yield* decodeError({ version: "v1", metadata: { name: 7 }, nodes: [node("a")] })
      assert.strictEqual(err.kind, "schema")
      assert.strictEqual(err.path, "metadata.name")
      assert.include(err.message, "metadata.name")
    }))

  it.effect("lists every schema problem with its path, the first one in path and detail", () =>
    Effect.gen(function*() {
      const err = yield* decodeError({
        version: 1,
        metadata: {},
        nodes: [{ id: "ok", node_type: "X" }, { id: "bad id", params: 3 }, { node_type: 5 }],
        connections: [{ from: "ok" }]
      })
      assert.strictEqual(err.kind, "schema")
      assert.deepStrictEqual(err.problems.map((p) => p.path), [
        "version",
        "nodes[1].id",
        "nodes[1].params",
        "nodes[2].id",
        "nodes[2].node_type",
        "connections[0].to"
      ])
      assert.strictEqual(err.path, "version")
      assert.strictEqual(err.detail, err.problems[0]!.detail)
      assert.include(err.message, "and 5 more")
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

  it.effect("a cycle through all nodes is rejected naming its nodes", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(
        manifestOf([node("a"), node("b"), node("c")], [{ from: "a", to: "b" }, { from: "b", to: "c" }, {
          from: "c",
          to: "a"
        }])
      )
      assert.strictEqual(err.kind, "semantic")
      assert.strictEqual(err.path, "connections")
      assert.include(err.message, "cycle: 'a' -> 'b' -> 'c' -> 'a'")
    }))

  it.effect("a cycle beside an acyclic part names only the cycle's nodes", () =>
    Effect.gen(function*() {
      const err = yield* decodeError(
        manifestOf([node("a"), node("b"), node("c"), node("d")], [{ from: "a", to: "c" }, { from: "c", to: "d" }, {
          from: "d",
          to: "c"
        }, { from: "a", to: "b" }])
      )
      assert.strictEqual(err.path, "connections")
      assert.include(err.detail, "'c' -> 'd' -> 'c'")
      assert.notInclude(err.detail, "'a'")
      assert.notInclude(err.detail, "'b'")
    }))

  it.effect("lists every semantic problem: version, each node, duplicate ids, each bad connection", () =>
    Effect.gen(function*() {
      const err = yield* decodeError({
        version: "v2",
        metadata: { name: "many" },
        nodes: [{ id: "a" }, node("b"), node("b"), { id: "c", node_type: "X", instance: { format: "cloudpickle", data: "" } }],
        connections: [{ from: "a", to: "zz" }, { from: "yy", to: "b" }, { from: "b", to: "b" }]
      })
      assert.strictEqual(err.kind, "semantic")
      assert.deepStrictEqual(err.problems, [
        { path: "version", detail: "unsupported version 'v2' (expected 'v1')" },
        { path: "nodes[0].node_type", detail: "missing: a node needs node_type or instance" },
        { path: "nodes[2].id", detail: "duplicate node id 'b' (first used by nodes[1])" },
        { path: "nodes[3]", detail: "a node has either node_type or instance, not both" },
        { path: "connections[0].to", detail: "unknown node 'zz'" },
        { path: "connections[1].from", detail: "unknown node 'yy'" },
        { path: "connections[2]", detail: "node 'b' is connected to itself" }
      ])
      assert.strictEqual(err.path, "version")
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

describe("Manifest.decodeManifest: graphs", () => {
  const ids = (nodes: ReadonlyArray<{ readonly id: string }>) => nodes.map((n) => n.id)

  it.effect("fan-out, fan-in and several sources decode in topological order, ties in document order", () =>
    Effect.gen(function*() {
      const fanOut = yield* Manifest.decodeManifest(
        manifestOf([node("c"), node("b"), node("vad")], [{ from: "vad", to: "b" }, { from: "vad", to: "c" }])
      )
      assert.isFalse(fanOut.linear)
      assert.deepStrictEqual(ids(fanOut.ordered), ["vad", "c", "b"])
      const fanIn = yield* Manifest.decodeManifest(
        manifestOf([node("mix"), node("left"), node("right")], [{ from: "left", to: "mix" }, { from: "right", to: "mix" }])
      )
      assert.deepStrictEqual(ids(fanIn.ordered), ["left", "right", "mix"])
    }))

  it.effect("nodes without connections are each a source and a sink; one node or one chain is linear", () =>
    Effect.gen(function*() {
      const loose = yield* Manifest.decodeManifest(manifestOf([node("a"), node("b")]))
      assert.isFalse(loose.linear)
      assert.deepStrictEqual(ids(loose.ordered), ["a", "b"])
      assert.isTrue((yield* Manifest.decodeManifest(manifestOf([node("a")]))).linear)
      const chained = yield* Manifest.decodeManifest({ version: "v1", metadata: { name: "c" }, ...chain("x", "y", "z") })
      assert.isTrue(chained.linear)
      assert.deepStrictEqual(ids(chained.ordered), ["x", "y", "z"])
    }))
})

describe("Manifest.decodeManifest: upstream's dialect", () => {
  const capture = () => {
    const lines: Array<string> = []
    const logger = Logger.make((o) => {
      lines.push(`${o.logLevel}: ${(o.message as ReadonlyArray<unknown>).map(String).join(" ")}`)
    })
    return { lines, layer: Logger.layer([logger]) }
  }

  it.effect("metadata.name missing decodes as \"\", params absent as {}, is_streaming kept", () =>
    Effect.gen(function*() {
      const { lines, layer } = capture()
      const { manifest, ordered } = yield* Manifest.decodeManifest({
        version: "v1",
        metadata: {},
        nodes: [{ id: "a", node_type: "PassThrough", is_streaming: true }]
      }).pipe(Effect.provide(layer))
      assert.strictEqual(manifest.metadata.name, "")
      assert.deepStrictEqual(ordered[0]?.params, {})
      assert.strictEqual(ordered[0]?.is_streaming, true)
      assert.deepStrictEqual(lines, [], "a v1 document logs nothing")
    }))

  it.effect("camelCase keys and version \"1.0\" are accepted with one warning naming the normalized keys", () =>
    Effect.gen(function*() {
      const { lines, layer } = capture()
      const { manifest, ordered } = yield* Manifest.decodeManifest({
        version: "1.0",
        metadata: { name: "js", createdAt: "2025-01-01" },
        nodes: [
          { id: "vad", nodeType: "SileroVAD", isStreaming: true, params: { threshold: 0.5 } },
          { id: "asr", nodeType: "Whisper" }
        ],
        connections: [{ from: "vad", to: "asr" }]
      }).pipe(Effect.provide(layer))
      assert.strictEqual(manifest.version, "v1")
      assert.strictEqual(manifest.metadata.created_at, "2025-01-01")
      assert.deepStrictEqual(ordered.map((n) => [n.node_type, n.is_streaming, n.params]), [
        ["SileroVAD", true, { threshold: 0.5 }],
        ["Whisper", undefined, {}]
      ])
      assert.isFalse("nodeType" in ordered[0]!)
      assert.deepStrictEqual(lines, [
        "Warn: manifest in upstream's JavaScript dialect, normalized: version \"1.0\" -> \"v1\", createdAt -> created_at, nodeType -> node_type, isStreaming -> is_streaming"
      ])
    }))
})
