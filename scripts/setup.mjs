#!/usr/bin/env node
// One-step setup shared by `npm test` and `npm run demo`: npm packages, the Python venv, native builds.
// Plain Node (no dependencies), idempotent, and quick when nothing changed.
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const log = (msg) => process.stderr.write(`[setup] ${msg}\n`)
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"], ...opts })
const hash = (...files) => {
  const h = createHash("sha256")
  for (const f of files) h.update(existsSync(f) ? readFileSync(f) : "")
  return h.digest("hex")
}
const stampOk = (stamp, value) => existsSync(stamp) && readFileSync(stamp, "utf8") === value

// 1. npm packages: install when node_modules is missing or older than the lockfile.
const lock = join(root, "package-lock.json")
const installed = join(root, "node_modules", ".package-lock.json")
if (!existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs)) {
  log("installing npm packages")
  run("npm", existsSync(lock) && process.env.CI ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"])
}

// 1b. Which Node runs the tools. vitest 5 and tsup 9 need Node ^22.18 || ^24.11 || >=26. A system Node that fits is used
// as it is; elsewhere the pinned runner (the optional, platform-matched `node-<os>-<cpu>` package, linked by npm as
// node_modules/.bin/node, which npm scripts find first on PATH) runs them.
const fits = (version) => {
  const [major, minor] = version.split(".").map(Number)
  return (major === 22 && minor >= 18) || (major === 24 && minor >= 11) || major >= 26
}
const binDir = join(root, "node_modules", ".bin")
const runnerLink = join(binDir, "node")
const systemNode = (process.env.PATH ?? "").split(":").filter((dir) => dir !== "" && resolve(dir) !== binDir)
  .map((dir) => join(dir, "node")).find((file) => existsSync(file))
const systemVersion = systemNode === undefined
  ? undefined
  : execFileSync(systemNode, ["-p", "process.versions.node"], { encoding: "utf8" }).trim()
if (systemVersion !== undefined && fits(systemVersion)) {
  if (existsSync(runnerLink)) {
    rmSync(runnerLink)
    log(`using the system Node ${systemVersion} (${systemNode}); the pinned runner is not needed`)
  }
} else if (!existsSync(runnerLink) || !fits(execFileSync(runnerLink, ["-p", "process.versions.node"], { encoding: "utf8" }).trim())) {
  log(`Node ${systemVersion ?? "(none on PATH)"} is too old for the tools (they need ^22.18 || ^24.11 || >=26) and no pinned ` +
    `runner exists for ${process.platform}-${process.arch}: install a newer Node and run the command again`)
  process.exit(1)
}

// 2. The Python venv (python/.venv) with the remotemedia package, its dev tools, the media extra (onnxruntime, PyAV)
// the iceoryx extra (the iceoryx2 wheel transport-iceoryx's workers use) and the ray extra (Ray, which
// transport-ray's driver and actors run on),
// plus the Silero VAD model wheel. That wheel declares torch as its dependency, which its ONNX model does not need:
// it is installed with --no-deps. Reinstalls when pyproject.toml or the model pin changes.
const pyDir = join(root, "python")
const venv = join(pyDir, ".venv")
const venvPython = join(venv, "bin", "python")
const pyStamp = join(venv, ".remotemedia-stamp")
const sileroVad = "silero-vad==6.2.3"
const pyHash = `${hash(join(pyDir, "pyproject.toml"))} ${sileroVad}`
if (!existsSync(venvPython) || !stampOk(pyStamp, pyHash)) {
  const base = process.env.REMOTEMEDIA_BOOTSTRAP_PYTHON ?? "python3"
  log(`creating Python venv at python/.venv with ${base}`)
  if (!existsSync(venvPython)) run(base, ["-m", "venv", venv])
  const pip = [venvPython, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
  run(pip[0], [...pip.slice(1), "-e", `${pyDir}[dev,media,iceoryx,ray]`])
  run(pip[0], [...pip.slice(1), "--no-deps", sileroVad])
  writeFileSync(pyStamp, pyHash)
}
// Bytecode for the package, as a wheel install has it: worker processes then start without compiling remotemedia
// (where PYTHONDONTWRITEBYTECODE is set, every start would compile it again). Only stale files are recompiled.
run(venvPython, ["-m", "compileall", "-q", join(pyDir, "remotemedia")])
