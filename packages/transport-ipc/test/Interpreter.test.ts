// Interpreter: which Python runs the workers (option > REMOTEMEDIA_PYTHON > venv > VIRTUAL_ENV > repository > python3).
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { findPython } from "../src/internal/Interpreter.js"

const fakeVenv = (root: string) => {
  mkdirSync(join(root, "bin"), { recursive: true })
  writeFileSync(join(root, "bin", "python"), "")
  return join(root, "bin", "python")
}

describe("Interpreter.findPython", () => {
  it("follows the documented precedence", () => {
    const dir = mkdtempSync(join(tmpdir(), "interp-"))
    const optionVenv = fakeVenv(join(dir, "opt"))
    const activeVenv = fakeVenv(join(dir, "active"))
    const repoVenv = fakeVenv(join(dir, "repo", "python", ".venv"))
    const cwd = join(dir, "repo", "packages", "x")
    mkdirSync(cwd, { recursive: true })
    const env = { REMOTEMEDIA_PYTHON: activeVenv, VIRTUAL_ENV: join(dir, "active") }
    assert.deepStrictEqual(findPython({ python: optionVenv }, env, cwd), { python: optionVenv, source: "option" })
    assert.strictEqual(findPython({}, env, cwd).source, "env")
    assert.deepStrictEqual(findPython({ venv: join(dir, "opt") }, {}, cwd).python, optionVenv)
    assert.deepStrictEqual(findPython({}, { VIRTUAL_ENV: join(dir, "active") }, cwd).python, activeVenv)
    assert.deepStrictEqual(findPython({}, {}, cwd), { python: repoVenv, source: "repository" })
    assert.deepStrictEqual(findPython({}, {}, tmpdir()).python, "python3")
  })

  it("refuses an explicitly named interpreter that does not exist", () => {
    assert.throws(() => findPython({ python: "/no/such/python" }), /does not exist/)
    assert.throws(() => findPython({}, { REMOTEMEDIA_PYTHON: "/no/such/python" }), /env REMOTEMEDIA_PYTHON/)
  })
})
