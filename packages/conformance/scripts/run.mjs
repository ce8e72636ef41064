// One plain-script scenario, run as `node run.mjs <scenario> <transport> <log file>`: what a user's script sees, outside any test runner.
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"
import { executePipelineWithInput, streamPipeline } from "@remotemedia/core"
import { start } from "@remotemedia/python-bridge"

const [scenario, transport, logPath] = process.argv.slice(2)
// The script's own stdio (created lazily on first use) is what it starts with; nothing else may be left at the end.
void process.stdout, process.stderr
const baseline = process.getActiveResourcesInfo()
const python = start({ paths: [dirname(fileURLToPath(import.meta.url))] })
const nodes = await python.import("script_nodes")
const node = async (cls, kwargs = {}) => (await nodes.get(cls)).call([], { name: cls.toLowerCase(), log_path: logPath, ...kwargs })
const elapsed = (t0) => `${Math.round(performance.now() - t0)} ms`

const report = (error) => {
  const cause = error.cause ?? {}
  console.log(`rejected ${error.constructor.name}: ${error.message.split("\n")[0]}`)
  if (cause._tag !== undefined) console.log(`cause ${cause._tag} ${cause.pyType ?? cause.reason ?? ""}`)
}

switch (scenario) {
  case "ok": {
    const outputs = await executePipelineWithInput([await node("Logged")], [1, 2, 3], { transport })
    console.log(`outputs ${JSON.stringify(outputs)}`)
    // What keeps the loop alive once the run settled (handles already closing get a moment to finish), beyond what
    // the script started with (its stdio): nothing may.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const left = process.getActiveResourcesInfo()
    for (const resource of baseline) left.splice(left.indexOf(resource), 1)
    console.log(`resources ${JSON.stringify(left)}`)
    break
  }
  case "exception":
    await executePipelineWithInput([await node("Raises")], ["good", "bad", "never"], { transport }).catch(report)
    break
  case "crash":
    await executePipelineWithInput([await node("Dies")], [1, 2], { transport }).catch(report)
    break
  case "abort": {
    const controller = new AbortController()
    const slow = await node("Logged", { delay: 0.2 })
    let abortedAt = 0
    // Abort 0.3 s after items start flowing (every node is initialized by then, whatever the start-up took).
    const startClock = {
      id: "clock",
      process: (x) => {
        if (abortedAt === 0) {
          abortedAt = -1
          setTimeout(() => {
            abortedAt = performance.now()
            controller.abort(new Error("stopped by the caller"))
          }, 300)
        }
        return x
      }
    }
    const items = Array.from({ length: 10 }, (_, i) => i)
    await executePipelineWithInput([startClock, slow], items, { transport, signal: controller.signal }).catch((e) =>
      console.log(`rejected ${e.message} ${elapsed(abortedAt)} after the abort`)
    )
    break
  }
  case "break": {
    const slow = await node("Logged", { delay: 0.2 })
    const items = Array.from({ length: 10 }, (_, i) => i)
    let brokeAt = 0
    for await (const item of streamPipeline([slow], items, { transport })) {
      console.log(`got ${item}`)
      brokeAt = performance.now()
      break
    }
    console.log(`stream closed ${elapsed(brokeAt)} after the break`)
    break
  }
  case "cycle": {
    const cyclic = { samples: [1, 2] }
    cyclic.samples.push(cyclic)
    await executePipelineWithInput([await node("Logged")], [cyclic], { transport }).catch(report)
    let deep = 0
    for (let i = 0; i < 5_000; i++) deep = [deep]
    await executePipelineWithInput([await node("Logged")], [deep], { transport }).catch((e) => {
      report(e)
      console.log(`deep message length ${e.message.length}`)
    })
    break
  }
  default:
    throw new Error(`unknown scenario ${scenario}`)
}
console.log("end of script")
