// Runs every example as a user would — `node examples/x.mjs <transport>`, `remotemedia run examples/x.py -- <transport>`,
// standalone `python examples/x.py <transport>` — as a child process, and checks its exit code and key printed lines.
// Transports per example: all three where the transport changes what happens (instances pickled or not, the model
// reloaded in a worker); inproc + ipc elsewhere; ipc/iceoryx only where a worker is the point (serialization, a crash);
// ray for the Ray example (each run starts a local Ray cluster of its own: several seconds).
import { spawn } from "node:child_process"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "..", "..")
const cliBin = join(root, "packages", "cli", "dist", "bin.js")
const venvPython = join(root, "python", ".venv", "bin", "python")

type Form = "mjs" | "py" | "standalone"

const run = (form: Form, example: string, transport: string) =>
  new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const file = join("examples", `${example}.${form === "mjs" ? "mjs" : "py"}`)
    const [command, args] =
      form === "mjs" ? [process.execPath, [file, transport]]
      : form === "py" ? [process.execPath, [cliBin, "run", file, "--", transport]]
      : [venvPython, [file, transport]]
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, REMOTEMEDIA_TRANSPORT: "", REMOTEMEDIA_CLI: cliBin },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c))
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, out, err }))
  })

const worker = (t: string) => t !== "inproc"
const where = (t: string, form: Form) => (worker(t) && form !== "standalone" ? "worker" : "caller")

interface Case {
  readonly example: string
  readonly runs: ReadonlyArray<readonly [Form, string]>
  readonly check: (out: string, form: Form, transport: string) => void
  /** Longer than the default 30 s (a local Ray cluster starts in each run). */
  readonly timeoutMs?: number
}

const all = (...forms: ReadonlyArray<Form>) => (ts: ReadonlyArray<string>) => forms.flatMap((f) => ts.map((t) => [f, t] as const))

const cases: ReadonlyArray<Case> = [
  {
    example: "01_basic_instance",
    runs: [...all("py", "mjs")(["inproc", "ipc", "iceoryx"]), ["standalone", "ipc"]],
    check: (out, form, t) => {
      expect(out).toMatch(/^x=9 +n=8 mean=5 +std=2$/m)
      const n = where(t, form) === "caller" ? 8 : 0
      expect(out).toContain(`the caller's object afterwards: n=${n}`)
      expect(out).toContain(n === 8 ? "(it ran in: caller)" : "(it ran in: nowhere yet)")
    }
  },
  {
    example: "02_mixed_pipeline",
    runs: all("py", "mjs")(["inproc", "ipc"]),
    check: (out, _form, t) => {
      expect(out).toMatch(/104(\.0)? F -> +40\.0 C,? +running mean +25\.0 C/)
      expect(out).toContain(`the caller's RunningStats afterwards: n=${worker(t) ? 0 : 4}`)
    }
  },
  {
    example: "03_serialization",
    runs: [["py", "ipc"], ["py", "iceoryx"], ["mjs", "ipc"]],
    check: (out, form) => {
      if (form === "py") {
        expect(out).toContain("cleanup() ran: db open=False")
        expect(out).toContain("unpickled copy: initialized=False, db open=False")
        expect(out).toContain("deserialize_node_from_ipc: db open=True")
      }
      expect(out).toMatch(/lifecycle seen by the last item: .*cleanup\(\) in the caller.*initialize\(\) in the worker/)
      expect(out).toMatch(/'a cat ran'|"a cat ran"/)
      expect(out).toContain("attribute 'db' holds a non-picklable sqlite3.Connection")
      // Python catches the node's own SerializationError; TypeScript sees the run's NodeInitializeError caused by it.
      if (form === "mjs") expect(out).toMatch(/NodeInitializeError: Node 'eager_0' failed to initialize: SerializationError/)
      else expect(out).toMatch(/running it on \w+: SerializationError: Cannot serialize node 'eager': attribute 'db'/)
    }
  },
  {
    example: "04_input_forms",
    runs: all("py", "mjs")(["inproc", "ipc"]),
    check: (out, form) => {
      const results = [...out.matchAll(/-> (\[.*\])$/gm)].map((m) => m[1]?.replaceAll(" ", ""))
      expect(results.filter((r) => r === "[3,5,7]").length).toBe(form === "py" ? 6 : 5)
      expect(results.filter((r) => r === "[2,4,6]").length).toBe(1)
      expect(out).toMatch(form === "py" ? /TypeError: List items must be Node instances.*\(1, 'str'\)/ : /InvalidPipelineInput: .*\[1\] number/)
      expect(out).toMatch(/empty (list|array) +-> .*(empty pipeline|at least one node)/)
    }
  },
  {
    example: "05_error_handling",
    runs: [...all("py", "mjs")(["ipc"]), ["py", "inproc"], ["mjs", "iceoryx"]],
    check: (out, _form, t) => {
      expect(out).toMatch(/node exception: .*ZeroDivisionError: division by zero/)
      if (worker(t)) expect(out).toMatch(/worker crash: .*exited with code 17/)
      else expect(out).toContain("worker crash: needs a worker process")
      expect(out).toMatch(/bad manifest \(unknown node type\): .*Unknown node type 'NoSuchNode'/)
      expect(out).toMatch(/bad manifest \(node without node_type\): .*ManifestError: Invalid manifest at nodes\[0\]\.node_type/)
    }
  },
  {
    example: "06_streaming",
    runs: all("py", "mjs")(["inproc", "ipc"]),
    check: (out, form) => {
      expect(out).toContain("3 sentences in, 18 words out")
      if (form === "py") expect(out).toContain("SENTENCE 0 HAS 3 WORDS SENTENCE 1 HAS 4 WORDS MORE SENTENCE 2")
      else expect(out).toMatch(/ms {2}MORE +\(3 sentence\(s\) sent so far\)/)
    }
  },
  {
    example: "07_batch_streaming",
    runs: all("py", "mjs")(["inproc", "ipc"]),
    check: (out) => {
      expect(out).toContain("10 readings in, 2 batches out")
      expect(out).toContain("batch 1: min=1 max=4 mean=2.5 running_total=10")
      expect(out).toContain("batch 2: min=5 max=10 mean=7.5 running_total=40")
    }
  },
  {
    example: "08_audio_vad",
    runs: [...all("py")(["inproc", "ipc", "iceoryx"]), ["standalone", "inproc"], ...all("mjs")(["inproc", "ipc"])],
    check: (out, form, t) => {
      expect(out).toContain("pickling the loaded detector: TypeError: cannot pickle")
      expect(out).toContain(where(t, form) === "worker" ? "model used: ['load #2 in the worker']" : "model used: ['load #1 in the caller']")
      expectSegments(out)
      expect(out).toContain("model released by cleanup(): True")
    }
  },
  {
    example: "09_realtime_chunks",
    runs: [["py", "inproc"], ["mjs", "inproc"], ["mjs", "ipc"]],
    check: (out, form, t) => {
      expect(out).toMatch(/112 chunks.*latency median [\d.]+ ms, max [\d.]+ ms/)
      expect(out).toMatch(/^chunk +1 at 0\.03 s {2}quiet .*latency +[\d.]+ ms$/m)
      if (form === "mjs") {
        expect(out).toContain(`model: load #1 in the ${worker(t) ? "worker" : "caller"}`)
        expectSegments(out)
      }
      // each chunk is processed well within its 32 ms
      const median = Number(/latency median ([\d.]+) ms/.exec(out)?.[1])
      expect(median).toBeLessThan(32)
    }
  },
  {
    example: "10_ray_cluster",
    runs: all("py", "mjs")(["ray"]),
    timeoutMs: 120_000,
    check: (out) => {
      // two replicas of the stateless node, each a contiguous half; the stateful tally one actor, counting in order
      const rows = [...out.matchAll(/^seed (\d) +peak +(\d+) +spectrum copy (\d) +tally seen=(\d) total=(\d+)$/gm)]
      expect(rows.map((m) => [m[1], m[3], m[4]])).toEqual(
        [1, 2, 3, 4, 5, 6, 7, 8].map((i) => [String(i), i <= 4 ? "1" : "2", String(i)])
      )
      expect(out).toMatch(/^seed 1 +peak 280971 +spectrum copy 1 +tally seen=1 total=280971$/m)
      expect(out).toMatch(/^seed 8 +peak 514646 +spectrum copy 2 +tally seen=8 total=2078392$/m)
      expect(out).toContain("processes that ran spectrum: 2")
      expect(out).toContain("the caller's tally afterwards: seen=0 total=0")
    }
  }
]

/** The VAD found exactly the clip's two utterances (0.6-1.6 s and 2.5-3.2 s), within 100 ms. */
const expectSegments = (out: string) => {
  const segments = [...out.matchAll(/^speech from ([\d.]+) s to ([\d.]+) s$/gm)].map((m) => [Number(m[1]), Number(m[2])])
  expect(segments.length).toBe(2)
  ;[[0.6, 1.6], [2.5, 3.2]].forEach(([start, end], i) => {
    expect(Math.abs((segments[i]?.[0] ?? 0) - (start ?? 0))).toBeLessThan(0.1)
    expect(Math.abs((segments[i]?.[1] ?? 0) - (end ?? 0))).toBeLessThan(0.15)
  })
}

describe.concurrent("examples", () => {
  for (const c of cases) {
    for (const [form, transport] of c.runs) {
      it(`${c.example} (${form === "standalone" ? "standalone python" : form}) on ${transport}`, async () => {
        const r = await run(form, c.example, transport)
        expect(r.code, r.err).toBe(0)
        expect(r.out).toContain(`transport: ${transport}`)
        c.check(r.out, form, transport)
      }, c.timeoutMs)
    }
  }
})
