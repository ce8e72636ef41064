// `remotemedia run` as a user runs it: manifests and Python module:attr targets, inputs, outputs, transports, failures, Ctrl-C.
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Audio } from "@remotemedia/core"
import { decode, encode } from "../src/JsonCodec.js"
import { cli, JS_FRAME, jsonLines, workdir } from "./cli.js"

const chain = {
  version: "v1",
  metadata: { name: "chain" },
  nodes: [
    { id: "pass", node_type: "PassThrough" },
    { id: "triple", node_type: "Calculator", params: { operation: "multiply", operand: 3 } }
  ],
  connections: [{ from: "pass", to: "triple" }]
}

/** A temp dir holding `pipeline.json` (the manifest given) and the Python fixtures. */
const withManifest = (manifest: unknown): string => {
  const dir = workdir()
  writeFileSync(join(dir, "pipeline.json"), JSON.stringify(manifest))
  return dir
}

describe("remotemedia run <manifest.json>", () => {
  it("runs one --input item and prints its output as a JSON line", async () => {
    const r = await cli(["run", "pipeline.json", "--input", "7"], { cwd: withManifest(chain) })
    assert.strictEqual(r.stderr, "")
    assert.strictEqual(r.code, 0)
    assert.deepStrictEqual(jsonLines(r.stdout), [21])
  })

  it("runs a manifest in upstream's JavaScript dialect: outputs alone on stdout, the normalization warning on stderr", async () => {
    const dialect = {
      version: "1.0",
      nodes: [
        { id: "pass", nodeType: "PassThrough" },
        { id: "triple", nodeType: "Calculator", params: { operation: "multiply", operand: 3 } }
      ],
      connections: [{ from: "pass", to: "triple" }]
    }
    const r = await cli(["run", "pipeline.json", "--input", "2"], { cwd: withManifest(dialect) })
    assert.strictEqual(r.code, 0, r.stderr)
    assert.strictEqual(r.stdout, "6\n")
    assert.include(r.stderr, `manifest in upstream's JavaScript dialect, normalized: version "1.0" -> "v1", nodeType -> node_type`)
  })

  it("runs every line of --input-file in order, skipping blank lines", async () => {
    const dir = withManifest(chain)
    writeFileSync(join(dir, "items.jsonl"), ["1", "", "2.5", "[1, 2]", "  ", "-4", ""].join("\n"))
    const r = await cli(["run", "pipeline.json", "--input-file", "items.jsonl"], { cwd: dir })
    assert.strictEqual(r.code, 0, r.stderr)
    assert.deepStrictEqual(jsonLines(r.stdout), [3, 7.5, [3, 6], -12])
  })

  it("names file:line for an input line that is not JSON, and runs nothing past it", async () => {
    const dir = withManifest(chain)
    writeFileSync(join(dir, "items.jsonl"), "1\n\n{oops\n2\n")
    const r = await cli(["run", "pipeline.json", "--input-file", "items.jsonl"], { cwd: dir })
    assert.strictEqual(r.code, 1)
    assert.match(r.stderr, /^remotemedia: items\.jsonl:3: not valid JSON/)
    assert.notMatch(r.stderr, JS_FRAME)
  })

  it("reads and writes Audio in its $audio JSON form (AudioGain doubling the samples)", async () => {
    const manifest = {
      version: "v1",
      metadata: { name: "gain" },
      nodes: [{ id: "gain", node_type: "AudioGain", params: { gain_db: 20 * Math.log10(2) } }]
    }
    const input = encode(new Audio(Float32Array.of(0.25, -0.125, 0.5, 0), 16_000, 2))
    const r = await cli(["run", "pipeline.json", "--input", JSON.stringify(input)], { cwd: withManifest(manifest) })
    assert.strictEqual(r.code, 0, r.stderr)
    const [line] = jsonLines(r.stdout)
    assert.containsAllKeys(line, ["$audio"])
    const audio = decode(line)
    assert.instanceOf(audio, Audio)
    assert.strictEqual(audio.sampleRate, 16_000)
    assert.strictEqual(audio.channels, 2)
    const samples = [...audio.samples]
    for (const [i, expected] of [0.5, -0.25, 1, 0].entries()) assert.closeTo(samples[i]!, expected, 1e-6)
  })

  it("runs on the ipc transport with --transport ipc", async () => {
    const dir = withManifest(chain)
    writeFileSync(join(dir, "items.jsonl"), "1\n2\n3\n")
    const r = await cli(["run", "pipeline.json", "--transport", "ipc", "--input-file", "items.jsonl", "--verbose"], { cwd: dir })
    assert.strictEqual(r.code, 0, r.stderr)
    assert.deepStrictEqual(jsonLines(r.stdout), [3, 6, 9])
    assert.include(r.stderr, "transport ipc (from option)")
  })

  it("takes the transport from --config", async () => {
    const dir = withManifest(chain)
    writeFileSync(join(dir, "other.json"), JSON.stringify({ transport: "ipc" }))
    const r = await cli(["run", "pipeline.json", "--config", "other.json", "--input", "1", "--verbose"], { cwd: dir })
    assert.strictEqual(r.code, 0, r.stderr)
    assert.deepStrictEqual(jsonLines(r.stdout), [3])
    assert.include(r.stderr, "transport ipc (from config)")
  })

  it("prints the run's metrics as one JSON object on stderr with --metrics", async () => {
    const r = await cli(["run", "pipeline.json", "--input", "1", "--input", "2", "--metrics"], { cwd: withManifest(chain) })
    assert.strictEqual(r.code, 0, r.stderr)
    const metrics = JSON.parse(r.stderr) as { pipeline: string; nodes: ReadonlyArray<{ nodeId: string; itemsIn: number }> }
    assert.strictEqual(metrics.pipeline, "chain")
    assert.deepStrictEqual(metrics.nodes.map((n) => [n.nodeId, n.itemsIn]), [["pass", 2], ["triple", 2]])
  })

  it("rejects an unknown --transport, listing the known ones (usage error)", async () => {
    const r = await cli(["run", "pipeline.json", "--transport", "carrier-pigeon", "--input", "1"], { cwd: withManifest(chain) })
    assert.strictEqual(r.code, 2)
    assert.strictEqual(r.stdout, "")
    assert.match(r.stderr, /unknown transport name 'carrier-pigeon'.*known: inproc, ipc, iceoryx, ray/)
  })
})

describe("remotemedia run <module:attr>", () => {
  it("runs a stateful Python Node from a module in the working directory", async () => {
    const r = await cli(["run", "cli_nodes:counter", "--input", "\"a\"", "--input", "{\"b\": 1}", "--input", "null"])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.deepStrictEqual(jsonLines(r.stdout), [
      { item: "a", total: 2 },
      { item: { b: 1 }, total: 4 },
      { item: null, total: 6 }
    ])
  })

  it("runs a Python Pipeline and a list of nodes", async () => {
    const pair = await cli(["run", "cli_nodes:pair", "--input", "0"])
    assert.strictEqual(pair.code, 0, pair.stderr)
    assert.deepStrictEqual(jsonLines(pair.stdout), [{ item: { item: 0, total: 1 }, total: 10 }])
    const listed = await cli(["run", "cli_nodes:listed", "--input", "0"])
    assert.strictEqual(listed.code, 0, listed.stderr)
    assert.deepStrictEqual(jsonLines(listed.stdout), [{ item: { item: 0, total: 1 }, total: 100 }])
  })

  it("shows the Python traceback and exception type of a raising node, exit 1, no JS stack", async () => {
    const r = await cli(["run", "cli_nodes:boom", "--input", "5"])
    assert.strictEqual(r.code, 1)
    assert.strictEqual(r.stdout, "")
    assert.include(r.stderr, "Node 'boom")
    assert.include(r.stderr, "ValueError: cannot take 5")
    assert.include(r.stderr, "Traceback (most recent call last):")
    assert.include(r.stderr, "cli_nodes.py")
    assert.notMatch(r.stderr, JS_FRAME)
  })

  it("adds the JS stack with --verbose", async () => {
    const r = await cli(["run", "cli_nodes:boom", "--input", "5", "--verbose"])
    assert.strictEqual(r.code, 1)
    assert.include(r.stderr, "Traceback (most recent call last):")
    assert.match(r.stderr, JS_FRAME)
  })

  it("reports a missing attribute as the Python error", async () => {
    const r = await cli(["run", "cli_nodes:nothing_here", "--input", "1"])
    assert.strictEqual(r.code, 1)
    assert.include(r.stderr, "AttributeError")
    assert.include(r.stderr, "nothing_here")
  })

  it("stops on SIGINT mid-run: every node cleaned up, exit 130", async () => {
    const dir = workdir()
    const log = join(dir, "cleanup.log")
    writeFileSync(join(dir, "items.jsonl"), Array.from({ length: 50 }, (_, i) => String(i)).join("\n"))
    let sent = false
    const r = await cli(["run", "cli_nodes:slow", "--input-file", "items.jsonl"], {
      cwd: dir,
      env: { CLI_TEST_LOG: log },
      onStdout: (child, stdout) => {
        // Mid-run: the first output is out and most items are still to come.
        if (!sent && stdout.includes("\n")) {
          sent = true
          child.kill("SIGINT")
        }
      }
    })
    assert.isTrue(sent, "the run produced an output before the interrupt")
    assert.strictEqual(r.code, 130, r.stderr)
    assert.isBelow(jsonLines(r.stdout).length, 50)
    assert.strictEqual(readFileSync(log, "utf8"), "cleanup\n")
    assert.include(r.stderr, "interrupted")
  })
})

describe("remotemedia run, other targets", () => {
  it("refuses a target that is neither a manifest, a script nor module:attr (usage error)", async () => {
    const r = await cli(["run", "nonsense"])
    assert.strictEqual(r.code, 2)
    assert.include(r.stderr, "cannot tell what to run from 'nonsense'")
  })

  it("names a manifest file that cannot be read", async () => {
    const r = await cli(["run", "missing.json", "--input", "1"])
    assert.strictEqual(r.code, 1)
    assert.match(r.stderr, /^remotemedia: cannot read missing\.json: ENOENT/)
  })

  it("works through npm's bin link from another working directory", async () => {
    const r = await cli(["run", "pipeline.json", "--input", "2"], { cwd: withManifest(chain), viaLink: true })
    assert.strictEqual(r.code, 0, r.stderr)
    assert.deepStrictEqual(jsonLines(r.stdout), [6])
  })
})
