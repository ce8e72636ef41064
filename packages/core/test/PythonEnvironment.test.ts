// PythonEnvironment: the one precedence every transport uses to find Python (options, env, venvs walking up, PATH).
import { assert, describe, it } from "@effect/vitest"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PythonEnvironment } from "../src/index.js"

/** A directory that looks like a venv: pyvenv.cfg and bin/python. */
const fakeVenv = (dir: string): string => {
  mkdirSync(join(dir, "bin"), { recursive: true })
  writeFileSync(join(dir, "pyvenv.cfg"), "home = /usr/bin\n")
  writeFileSync(join(dir, "bin", "python"), "")
  return dir
}

const layout = () => {
  const dir = mkdtempSync(join(tmpdir(), "pyenv-"))
  const venvs = {
    option: fakeVenv(join(dir, "option")),
    rmPython: fakeVenv(join(dir, "rm-python")),
    rmVenv: fakeVenv(join(dir, "rm-venv")),
    active: fakeVenv(join(dir, "active")),
    repo: fakeVenv(join(dir, "repo", "python", ".venv")),
    pkg: fakeVenv(join(dir, "sdk", "python", ".venv"))
  }
  const cwd = join(dir, "repo", "packages", "app")
  const packageDir = join(dir, "sdk", "node_modules", "@remotemedia", "core", "dist")
  mkdirSync(cwd, { recursive: true })
  mkdirSync(packageDir, { recursive: true })
  const bare = join(dir, "bare")
  mkdirSync(bare)
  return { dir, venvs, cwd, packageDir, bare }
}

const pick = (found: PythonEnvironment.Found | PythonEnvironment.NotFound) => {
  assert.strictEqual(found._tag, "Found", found._tag === "NotFound" ? found.reason : "")
  const { python, source, venv } = found as PythonEnvironment.Found
  return { python, source, venv }
}

describe("PythonEnvironment.find", () => {
  it("follows one precedence: options, REMOTEMEDIA_PYTHON, REMOTEMEDIA_VENV, VIRTUAL_ENV, cwd, package, PATH", () => {
    const { bare, cwd, packageDir, venvs } = layout()
    const py = PythonEnvironment.venvPython
    const env = {
      REMOTEMEDIA_PYTHON: py(venvs.rmPython),
      REMOTEMEDIA_VENV: venvs.rmVenv,
      VIRTUAL_ENV: venvs.active
    }
    const ctx = { env, cwd, packageDir }
    assert.deepStrictEqual(pick(PythonEnvironment.find({ python: py(venvs.option), venv: venvs.repo }, ctx)), {
      python: py(venvs.option),
      source: "option python",
      venv: venvs.option
    })
    assert.deepStrictEqual(pick(PythonEnvironment.find({ venv: venvs.option }, ctx)).source, "option venv")
    assert.deepStrictEqual(pick(PythonEnvironment.find({}, ctx)), {
      python: py(venvs.rmPython),
      source: "$REMOTEMEDIA_PYTHON",
      venv: venvs.rmPython
    })
    const noRmPython = { ...env, REMOTEMEDIA_PYTHON: undefined }
    assert.deepStrictEqual(pick(PythonEnvironment.find({}, { ...ctx, env: noRmPython })).venv, venvs.rmVenv)
    const activeOnly = { VIRTUAL_ENV: venvs.active }
    assert.deepStrictEqual(pick(PythonEnvironment.find({}, { ...ctx, env: activeOnly })).source, "$VIRTUAL_ENV")
    assert.deepStrictEqual(pick(PythonEnvironment.find({}, { ...ctx, env: {} })), {
      python: py(venvs.repo),
      source: "working directory",
      venv: venvs.repo
    })
    assert.deepStrictEqual(pick(PythonEnvironment.find({}, { env: {}, cwd: bare, packageDir })).venv, venvs.pkg)
    assert.deepStrictEqual(pick(PythonEnvironment.find({}, { env: {}, cwd: bare })), {
      python: "python3",
      source: "PATH",
      venv: undefined
    })
  })

  it("skips a stale VIRTUAL_ENV but never falls through an explicit choice", () => {
    const { cwd, dir, venvs } = layout()
    assert.strictEqual(pick(PythonEnvironment.find({}, { env: { VIRTUAL_ENV: join(dir, "gone") }, cwd })).venv, venvs.repo)
    const missing = PythonEnvironment.find({}, { env: { REMOTEMEDIA_VENV: join(dir, "gone") }, cwd })
    assert.strictEqual(missing._tag, "NotFound")
    assert.include((missing as PythonEnvironment.NotFound).reason, `${join(dir, "gone")} ($REMOTEMEDIA_VENV) is not a virtual environment`)
    const noPython = PythonEnvironment.find({ python: "/no/such/python" }, { env: {}, cwd })
    assert.include((noPython as PythonEnvironment.NotFound).reason, "the Python interpreter /no/such/python (option python) does not exist")
  })

  it("for the embedded interpreter, requires a venv and says what was tried", () => {
    const { bare, dir } = layout()
    const system = join(dir, "usr", "bin", "python3")
    mkdirSync(join(dir, "usr", "bin"), { recursive: true })
    writeFileSync(system, "")
    const outside = PythonEnvironment.find({ python: system }, { env: {}, cwd: bare, requireVenv: true })
    assert.include((outside as PythonEnvironment.NotFound).reason, "is not inside a virtual environment")
    assert.strictEqual(pick(PythonEnvironment.find({ python: system }, { env: {}, cwd: bare })).venv, undefined)
    const none = PythonEnvironment.find({}, { env: {}, cwd: bare, requireVenv: true })
    assert.strictEqual(none._tag, "NotFound")
    assert.include((none as PythonEnvironment.NotFound).reason, "no Python virtual environment found")
    assert.include((none as PythonEnvironment.NotFound).tried, join(bare, "python", ".venv"))
  })
})
