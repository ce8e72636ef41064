// `remotemedia validate` on valid, broken and unparsable manifests: what prints where, and the exit code.
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { cli, JS_FRAME, workdir } from "./cli.js"

const validateText = async (text: string) => {
  const dir = workdir()
  writeFileSync(join(dir, "m.json"), text)
  return cli(["validate", "m.json"], { cwd: dir })
}

describe("remotemedia validate", () => {
  it("summarizes a valid manifest on stdout, exit 0", async () => {
    const r = await validateText(JSON.stringify({
      version: "v1",
      metadata: { name: "ok" },
      nodes: [{ id: "b", node_type: "PassThrough" }, { id: "a", node_type: "Calculator", params: { operand: 1 } }],
      connections: [{ from: "a", to: "b" }]
    }))
    assert.strictEqual(r.stderr, "")
    assert.strictEqual(r.code, 0)
    assert.strictEqual(r.stdout, "m.json: valid manifest 'ok', 2 node(s): a -> b\n")
  })

  it("reports every schema problem with its JSON path, one per line, exit 1", async () => {
    const r = await validateText(JSON.stringify({
      version: "v1",
      metadata: { name: 1 },
      nodes: [{ id: "fine", node_type: "PassThrough" }, { id: "not ok", params: 3 }, { node_type: 5 }],
      connections: [{ from: "fine" }]
    }))
    assert.strictEqual(r.code, 1)
    assert.strictEqual(r.stdout, "")
    assert.deepStrictEqual(r.stderr.trimEnd().split("\n"), [
      "metadata.name: Expected string",
      "nodes[1].id: node id must match ^[a-zA-Z0-9_-]+$",
      "nodes[1].params: Expected object",
      "nodes[2].id: Missing key",
      "nodes[2].node_type: Expected string | undefined",
      "connections[0].to: Missing key",
      "m.json: not a valid manifest (6 problems)"
    ])
  })

  it("reports every semantic problem with its path once the shape is right", async () => {
    const r = await validateText(JSON.stringify({
      version: "v2",
      metadata: { name: "many" },
      nodes: [{ id: "a", node_type: "PassThrough" }, { id: "a", node_type: "PassThrough" }, { id: "b" }, { id: "c", node_type: "X" }, {
        id: "d",
        node_type: "X"
      }],
      connections: [{ from: "a", to: "ghost" }, { from: "b", to: "b" }]
    }))
    assert.strictEqual(r.code, 1)
    assert.deepStrictEqual(r.stderr.trimEnd().split("\n"), [
      "version: unsupported version 'v2' (expected 'v1')",
      "nodes[1].id: duplicate node id 'a' (first used by nodes[0])",
      "nodes[2].node_type: missing: a node needs node_type or instance",
      "connections[0].to: unknown node 'ghost'",
      "connections[1]: node 'b' is connected to itself",
      "m.json: not a valid manifest (5 problems)"
    ])
  })

  it("names the nodes of a cycle", async () => {
    const r = await validateText(JSON.stringify({
      version: "v1",
      metadata: { name: "loop" },
      nodes: [{ id: "a", node_type: "X" }, { id: "b", node_type: "X" }],
      connections: [{ from: "a", to: "b" }, { from: "b", to: "a" }]
    }))
    assert.strictEqual(r.code, 1)
    assert.match(r.stderr, /^connections: the connections form a cycle: 'a' -> 'b' -> 'a'\n/)
  })

  it("summarizes a graph with its connections; upstream's JavaScript dialect is accepted with a warning", async () => {
    const r = await validateText(JSON.stringify({
      version: "1.0",
      metadata: { name: "fan" },
      nodes: [{ id: "vad", nodeType: "SileroVAD" }, { id: "asr1", nodeType: "Whisper" }, { id: "asr2", nodeType: "Whisper" }],
      connections: [{ from: "vad", to: "asr1" }, { from: "vad", to: "asr2" }]
    }))
    assert.strictEqual(r.code, 0)
    assert.strictEqual(r.stdout, "m.json: valid manifest 'fan', 3 node(s): vad, asr1, asr2; connections vad -> asr1, vad -> asr2\n")
    assert.strictEqual(
      r.stderr,
      "m.json: warning: manifest in upstream's JavaScript dialect, normalized: version \"1.0\" -> \"v1\", nodeType -> node_type\n"
    )
  })

  it("reports a semantic problem with its path once the shape is right", async () => {
    const r = await validateText(JSON.stringify({
      version: "v1",
      metadata: { name: "dup" },
      nodes: [{ id: "a", node_type: "PassThrough" }, { id: "a", node_type: "PassThrough" }]
    }))
    assert.strictEqual(r.code, 1)
    assert.match(r.stderr, /^nodes\[1\]\.id: duplicate node id 'a'/)
  })

  it("gives the line and column of invalid JSON, exit 1", async () => {
    const r = await validateText("{\n  \"version\": \"v1\",\n  \"nodes\" []\n}\n")
    assert.strictEqual(r.code, 1)
    assert.match(r.stderr, /^remotemedia: m\.json:3:11: not valid JSON: /)
    assert.notMatch(r.stderr, JS_FRAME)
  })

  it("gives the end position of truncated JSON", async () => {
    const r = await validateText("{\n  \"version\": \"v1\",\n")
    assert.strictEqual(r.code, 1)
    assert.match(r.stderr, /^remotemedia: m\.json:3:1: not valid JSON: /)
  })
})
