// The guides' code samples, run as a user would. Every sample lives in docs/guides/samples/ and the guides show it
// with {@includeCode}; each `<name>.out.txt` is a console transcript (`$ command` lines, each followed by what it
// prints, stdout and stderr together as a terminal shows them) that the guides include too. This test runs every
// command of every transcript from docs/guides/samples/ and asserts its output and exit code (`$ echo $?` followed
// by the code; 0 when the transcript does not say), so the page shows exactly what is asserted. Volatile parts
// (timings, pids, timestamps, the checkout's path) are masked on both sides.
import { spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "..", "..", "..")
const samples = join(root, "docs", "guides", "samples")
const cliBin = join(root, "packages", "cli", "dist", "bin.js")
const venvPython = join(root, "python", ".venv", "bin", "python")

/** Transcripts, with the guide that includes each. */
const transcripts: Record<string, string> = {
  "first-mjs.out.txt": "getting-started.md",
  "first-py.out.txt": "getting-started.md",
  "shapes.out.txt": "writing-nodes.md",
  "where.out.txt": "instances-vs-manifests.md",
  "media.out.txt": "data-types.md",
  "errors.out.txt": "errors.md",
  "pyapi.out.txt": "python-api.md",
  "build.out.txt": "python-api.md",
  "cli-help.out.txt": "cli.md",
  "cli-run.out.txt": "cli.md",
  "cli-validate.out.txt": "cli.md",
  "cluster.out.txt": "ray.md"
}

/** Code blocks of the guides that are not run, and why (each is marked as such in its guide). */
const notRun: ReadonlyArray<{ readonly guide: string; readonly sample: string; readonly reason: string }> = [
  { guide: "getting-started.md", sample: "npm run demo / npm test", reason: "the workspace's own setup and full test suite (minutes; this test is part of it)" },
  { guide: "instances-vs-manifests.md", sample: "class Transcriber", reason: "illustrative: needs onnxruntime and a speech model file" },
  { guide: "transports.md", sample: "remotemedia.config.json / create({ pool, returnState })", reason: "fragments: `nodes` and `items` stand for the reader's own pipeline" },
  { guide: "errors.md", sample: "the TypeScript errors table", reason: "messages from a one-off errors.mjs, not (yet) kept as a sample" },
  { guide: "performance.md", sample: "node bench/... --json docs/perf/*.json", reason: "the benchmark runs (minutes each) that produce the page's figures" },
  { guide: "ray.md", sample: "ray start / RAY_ADDRESS, a manifest's `ray` params, Ray.layer({ address })", reason: "a real cluster of several machines; fragments standing for the reader's own pipeline" },
  { guide: "ray.md", sample: "LocalCluster.start in a vitest global setup", reason: "a test setup fragment; transport-ray's own test/globalSetup.ts runs the same code" }
]

const mask = (s: string): string =>
  s
    .replaceAll(root, "/work/main")
    .replace(/"(totalMs|p50|p99|mean|max|total)":[-\d.e+]+/g, '"$1":<ms>')
    .replace(/"created_at": "[^"]*"/g, '"created_at": "<time>"')
    .replace(/Python worker \d+/g, "Python worker <pid>")
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+\t/g, "<time>\t") // Ray's own log lines (on the ray transport)
    .replace(/\{ worker: \d+, /g, "{ worker: <pid>, ")
    .replace(/^\[\d\d:\d\d:\d\d\.\d+\] (\w+) \(#\d+\)/gm, "[<time>] $1 (#<n>)")
    .trimEnd()

interface Step {
  readonly command: string
  readonly expected: string
  readonly code: number
}

/** `$ cmd` lines, what follows each, and the exit code from a following `$ echo $?`. */
const parse = (text: string): ReadonlyArray<Step> => {
  const steps: Array<{ command: string; lines: Array<string>; code: number }> = []
  let echo = false
  for (const line of text.trimEnd().split("\n")) {
    if (line === "$ echo $?") echo = true
    else if (line.startsWith("$ ")) {
      echo = false
      steps.push({ command: line.slice(2).replace(/\s+#.*$/, ""), lines: [], code: 0 })
    } else if (echo) {
      steps[steps.length - 1]!.code = Number(line)
      echo = false
    } else steps[steps.length - 1]!.lines.push(line)
  }
  return steps.map((s) => ({ command: s.command, expected: s.lines.join("\n"), code: s.code }))
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

/** The command as the guide shows it, with `npx remotemedia`, `node` and `python` pointing at this checkout's. */
const resolve = (command: string): string => {
  const [head, ...rest] = command.split(" ")
  const args = rest.join(" ")
  if (head === "npx" && rest[0] === "remotemedia") return `${quote(process.execPath)} ${quote(cliBin)} ${rest.slice(1).join(" ")}`
  if (head === "node") return `${quote(process.execPath)} ${args}`
  if (head === "python") return `${quote(venvPython)} ${args}`
  throw new Error(`no runner for the transcript command: ${command}`)
}

/**
 * The caller's own transport selection does not apply: the samples run on their defaults (the Ray sample on the
 * local cluster its driver starts, with Ray's default token authentication).
 */
const env: NodeJS.ProcessEnv = { ...process.env, REMOTEMEDIA_CLI: cliBin }
for (const name of ["REMOTEMEDIA_TRANSPORT", "REMOTEMEDIA_CONFIG", "RAY_ADDRESS", "RAY_AUTH_MODE"]) delete env[name]

const run = (command: string) =>
  new Promise<{ code: number | null; out: string }>((resolvePromise, reject) => {
    const child = spawn("/bin/sh", ["-c", `${resolve(command)} 2>&1`], {
      cwd: samples,
      env,
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c))
    child.on("error", reject)
    child.on("close", (code) => resolvePromise({ code, out }))
  })

describe("the guides' samples", () => {
  it("every transcript in docs/guides/samples/ is listed, and included by its guide", () => {
    const found = readdirSync(samples).filter((f) => f.endsWith(".out.txt")).sort()
    expect(found).toEqual(Object.keys(transcripts).sort())
    for (const [file, guide] of Object.entries(transcripts)) {
      expect(readFileSync(join(root, "docs", "guides", guide), "utf8")).toContain(`{@includeCode ./samples/${file}}`)
    }
  })

  it("every sample file is included by a guide", () => {
    const guides = readdirSync(join(root, "docs", "guides"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => readFileSync(join(root, "docs", "guides", f), "utf8"))
      .join("\n")
    // (__pycache__ and dot files are Python's and editors' byproducts, not samples)
    for (const file of readdirSync(samples).filter((f) => !f.startsWith("__") && !f.startsWith("."))) {
      expect(guides, file).toContain(`./samples/${file}`)
    }
  })

  it("every code block that is not run says so in its guide", () => {
    for (const { guide } of notRun) {
      const text = readFileSync(join(root, "docs", "guides", guide), "utf8").replace(/\s+/g, " ").toLowerCase()
      expect(text, guide).toContain("not run by the samples test")
    }
  })

  for (const [file, guide] of Object.entries(transcripts)) {
    describe(`${file} (${guide})`, () => {
      for (const step of parse(readFileSync(join(samples, file), "utf8"))) {
        it(`$ ${step.command}`, async () => {
          const { code, out } = await run(step.command)
          expect(mask(out)).toBe(mask(step.expected))
          expect(code).toBe(step.code)
        })
      }
    })
  }
})
