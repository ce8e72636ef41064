// The `remotemedia` command line itself: help, version, usage errors and their exit codes.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { cli } from "./cli.js"

const version = (JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")) as { version: string }).version

describe("remotemedia", () => {
  it("--help lists the commands and exit codes", async () => {
    const r = await cli(["--help"])
    assert.strictEqual(r.code, 0)
    assert.include(r.stdout, "Usage: remotemedia <command>")
    for (const word of ["run <target>", "validate <manifest.json>", "--version", "130"]) assert.include(r.stdout, word)
  })

  it("run --help documents every option and the JSON form of binary values", async () => {
    const r = await cli(["run", "--help"])
    assert.strictEqual(r.code, 0)
    for (const option of ["--transport", "--input ", "--input-file", "--config", "--metrics", "--verbose", "module:attr"]) {
      assert.include(r.stdout, option)
    }
    for (const tag of ["$bytes", "$bigint", "$tensor", "$audio", "$video", "$object"]) assert.include(r.stdout, tag)
  })

  it("validate --help", async () => {
    const r = await cli(["validate", "--help"])
    assert.strictEqual(r.code, 0)
    assert.include(r.stdout, "Usage: remotemedia validate <manifest.json>")
  })

  it("--version prints the package version", async () => {
    const r = await cli(["--version"])
    assert.strictEqual(r.code, 0)
    assert.strictEqual(r.stdout, `${version}\n`)
  })

  it("an unknown command is a usage error (exit 2)", async () => {
    const r = await cli(["frobnicate"])
    assert.strictEqual(r.code, 2)
    assert.strictEqual(r.stdout, "")
    assert.strictEqual(r.stderr, "remotemedia: unknown command 'frobnicate'\nRun 'remotemedia --help' for usage.\n")
  })

  it("an unknown option is a usage error (exit 2)", async () => {
    const r = await cli(["run", "x.json", "--fast"])
    assert.strictEqual(r.code, 2)
    assert.include(r.stderr, "Unknown option '--fast'")
    assert.include(r.stderr, "Run 'remotemedia run --help' for usage.")
  })

  it("no command is a usage error (exit 2)", async () => {
    const r = await cli([])
    assert.strictEqual(r.code, 2)
    assert.include(r.stderr, "no command given")
  })
})
