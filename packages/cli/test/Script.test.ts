// `remotemedia run script.py` as a user runs it: the script's exit status, its traceback, argv and Ctrl-C mid-run.
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { cli, JS_FRAME, workdir } from "./cli.js"

/** A temp dir holding `script.py` with `source`. */
const withScript = (source: string): string => {
  const dir = workdir()
  writeFileSync(join(dir, "script.py"), source)
  return dir
}

const HEADER = `import asyncio, sys, time
from remotemedia import Node, execute_pipeline_with_input
`

describe("remotemedia run script.py", () => {
  it("passes argv, imports from the script's directory, and exits with sys.exit's code", async () => {
    const dir = withScript(`${HEADER}
import cli_nodes
print("argv", sys.argv[1:], "main", __name__, "module", cli_nodes.__name__)
sys.exit(3)
`)
    const r = await cli(["run", "script.py", "--", "a", "--b"], { cwd: dir })
    assert.strictEqual(r.stdout, "argv ['a', '--b'] main __main__ module cli_nodes\n")
    assert.strictEqual(r.code, 3, r.stderr)
  })

  it("an uncaught exception prints the traceback from the script's frame on and exits 1, with no JS stack", async () => {
    const dir = withScript(`${HEADER}
class Bad(Node):
    def process(self, x):
        raise ValueError(f"no sample rate for {x}")

async def main():
    await execute_pipeline_with_input([Bad(name="bad")], [5])

asyncio.run(main())
`)
    const r = await cli(["run", "script.py"], { cwd: dir })
    assert.strictEqual(r.code, 1)
    assert.match(r.stderr, /^Traceback \(most recent call last\):\n {2}File ".*script\.py", line 11, in <module>\n {4}asyncio\.run\(main\(\)\)/)
    assert.include(r.stderr, 'raise ValueError(f"no sample rate for {x}")')
    assert.match(r.stderr, /ValueError: no sample rate for 5\n$/)
    assert.notInclude(r.stderr, "_script.py")
    assert.notMatch(r.stderr, JS_FRAME)
  })

  it("Ctrl-C mid-run stops the script's run, cleans its node up and exits 130", async () => {
    const dir = withScript(`${HEADER}
class Slow(Node):
    def process(self, x):
        if x == 0:
            print("processing", flush=True)
        time.sleep(0.1)
        return x
    def cleanup(self):
        open(sys.argv[1], "w").write("cleaned")

async def main():
    print("started", flush=True)
    await execute_pipeline_with_input([Slow(name="slow")], list(range(200)))
    print("finished")

asyncio.run(main())
`)
    const log = join(dir, "cleanup.log")
    let interrupted = false
    const r = await cli(["run", "script.py", "--", log], {
      cwd: dir,
      onStdout: (child, stdout) => {
        // Interrupted once the run is underway (its node initialized), however long the start took.
        if (stdout.includes("processing") && !interrupted) {
          interrupted = true
          setTimeout(() => child.kill("SIGINT"), 200)
        }
      }
    })
    assert.strictEqual(r.code, 130, r.stderr)
    assert.notInclude(r.stdout, "finished")
    assert.isTrue(existsSync(log), "cleanup() ran")
    assert.strictEqual(readFileSync(log, "utf8"), "cleaned")
  })
})
