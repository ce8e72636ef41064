// The README's Python demo as a user runs it: `remotemedia run examples/demo.py` from the repo root, on the default transport.
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { cli } from "./cli.js"

const root = join(import.meta.dirname, "..", "..", "..")

/** The demo's per-chunk table rows: start time, label, level and (tones only) pitch. */
const rows = (stdout: string) =>
  [...stdout.matchAll(/^\s*(\d+\.\d) s {2}(\w+)\s+p=([\d.]+)\s+(-?[\d.]+) dBFS(?: {2}(\d+) Hz)?$/gm)].map((m) => ({
    start: Number(m[1]),
    label: m[2],
    confidence: Number(m[3]),
    level: Number(m[4]),
    pitch: m[5] === undefined ? undefined : Number(m[5])
  }))

describe("examples/demo.py", () => {
  it("classifies the synthesized sweep and noise after the manifest gain, and the caller's classifier holds the totals", async () => {
    const r = await cli(["run", "examples/demo.py"], { cwd: root })
    assert.strictEqual(r.code, 0, r.stderr)
    const table = rows(r.stdout)
    assert.deepStrictEqual(
      table.map((row) => row.label),
      [...Array<string>(4).fill("silence"), ...Array<string>(8).fill("tone"), ...Array<string>(4).fill("noise"), ...Array<string>(4).fill("silence")]
    )
    for (const row of table) assert.isAbove(row.confidence, 0.9)
    // the -12 dBFS sweep comes out at -6 dBFS: the AudioGain manifest node (+6 dB) ran before the classifier
    for (const row of table.filter((r) => r.label === "tone")) assert.approximately(row.level, -6, 0.2)
    const pitches = table.flatMap((row) => (row.pitch === undefined ? [] : [row.pitch]))
    assert.strictEqual(pitches.length, 8)
    assert.isBelow(pitches[0] ?? 0, 300)
    assert.isAbove(pitches[7] ?? 0, 3_000)
    for (let i = 1; i < pitches.length; i++) assert.isAbove(pitches[i] ?? 0, pitches[i - 1] ?? 0)
    assert.include(
      r.stdout,
      "the caller's own classifier afterwards: 20 chunks, 100 frames, frames per label {'silence': 40, 'tone': 40, 'noise': 20}, model released by cleanup(): True"
    )
  })

  it("runs the same through the npm bin link (`npx remotemedia run examples/demo.py`)", async () => {
    const r = await cli(["run", "examples/demo.py"], { cwd: root, viaLink: true })
    assert.strictEqual(r.code, 0, r.stderr)
    assert.include(r.stdout, "the caller's own classifier afterwards: 20 chunks, 100 frames")
  })
})
