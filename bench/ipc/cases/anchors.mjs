// The anchors.
//   echo <bytes> <reps>   round trips of a length-prefixed frame through echo_baseline.py (raw pipes, stdlib only)
//   echo-assembled <bytes> <reps>
//                         the same, but the Node side gathers each reply into one fresh buffer, as any receiver must
//                         that hands the bytes on as one typed array (informational)
//   msgpack-echo <reps>   round trips of a msgpack map {op, seq, items: [16 B string]} through msgpack_echo.py, which
//                         decodes it and answers {op, seq, outputs}; msgpackr on the Node side: the cost of any msgpack
//                         request/reply protocol before it does anything (informational)
//   import <reps>         spawn `python -c "import cloudpickle, msgpack"` until it exits
//   pythonia <reps>       round trips of a 16 B string through pythonia (a Python function returning its argument)
import { spawn } from "node:child_process"
import { join } from "node:path"
import { here, median, now, python, report, since, timeCalls } from "./common.mjs"

const [mode, a, b] = process.argv.slice(2)

if (mode === "echo" || mode === "echo-assembled") {
  const bytes = Number(a)
  const reps = Number(b)
  const child = spawn(python, [join(here, "../echo_baseline.py")], { stdio: ["ignore", "inherit", "inherit", "pipe", "pipe"] })
  const out = child.stdio[3]
  const frame = Buffer.alloc(4 + bytes, 1)
  frame.writeUInt32BE(bytes, 0)
  const assemble = mode === "echo-assembled"
  let got = 0
  let body
  let resolve
  child.stdio[4].on("data", (chunk) => {
    if (assemble) {
      body ??= Buffer.allocUnsafeSlow(frame.length)
      body.set(chunk, got)
    }
    got += chunk.length
    if (got >= frame.length) {
      got -= frame.length
      body = undefined
      resolve()
    }
  })
  const once = () => {
    const done = new Promise((r) => (resolve = r))
    out.write(frame)
    return done
  }
  const ns = await timeCalls(once, reps, Math.max(3, Math.min(200, reps / 10)))
  child.kill()
  report({ ns })
} else if (mode === "msgpack-echo") {
  const { Packr, RESERVE_START_SPACE, Unpackr } = await import("msgpackr")
  const packr = new Packr({ useRecords: false })
  const unpackr = new Unpackr({ useRecords: false })
  const child = spawn(python, [join(here, "../msgpack_echo.py")], { stdio: ["ignore", "inherit", "inherit", "pipe", "pipe"] })
  const out = child.stdio[3]
  const items = ["0123456789abcdef"]
  let resolve
  child.stdio[4].on("data", (chunk) => {
    const reply = unpackr.unpack(chunk.subarray(4))
    if (reply.outputs[0] !== items[0]) throw new Error("msgpack echo answered wrong")
    resolve()
  })
  const once = (i) => {
    const done = new Promise((r) => (resolve = r))
    const frame = packr.pack({ seq: i, op: "process", slots: [0], items, first_index: i }, RESERVE_START_SPACE | 4)
    frame.writeUInt32BE(frame.length - 4, 0)
    out.write(frame)
    return done
  }
  const ns = await timeCalls(once, Number(a), 200)
  child.kill()
  report({ ns })
} else if (mode === "import") {
  const reps = Number(a)
  const times = []
  for (let i = 0; i < reps + 1; i++) {
    const t0 = now()
    await new Promise((resolve, reject) => {
      const child = spawn(python, ["-c", "import cloudpickle, msgpack"], { stdio: ["ignore", "inherit", "inherit"] })
      child.on("error", reject)
      child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))))
    })
    if (i > 0) times.push(since(t0))
  }
  report({ ns: median(times) })
} else if (mode === "pythonia") {
  process.env.PYTHON_BIN ??= python
  const { python: py } = await import("pythonia")
  const m = await py(join(here, "pythonia_echo.py"))
  const item = "0123456789abcdef"
  if ((await m.echo(item)) !== item) throw new Error("pythonia echo failed")
  const ns = await timeCalls(() => m.echo(item), Number(a), 200)
  py.exit()
  report({ ns })
} else throw new Error(`unknown mode ${mode}`)
