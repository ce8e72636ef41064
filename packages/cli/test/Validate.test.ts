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
      metadata: {},
      nodes: [{ id: "fine", node_type: "PassThrough" }, { id: "not ok", params: 3 }, { node_type: 5 }],
      connections: [{ from: "fine" }]
    }))
    assert.strictEqual(r.code, 1)
    assert.strictEqual(r.stdout, "")
    assert.deepStrictEqual(r.stderr.trimEnd().split("\n"), [
      "metadata.name: Missing key",
      "nodes[1].id: node id must match ^[a-zA-Z0-9_-]+$",
      "nodes[1].params: Expected object | undefined",
      "nodes[2].id: Missing key",
      "nodes[2].node_type: Expected string | undefined",
      "connections[0].to: Missing key",
      "m.json: not a valid manifest (6 problems)"
    ])
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
