import { Worker } from "node:worker_threads"
import { assert, describe, it } from "vitest"
import { CancelToken } from "../src/index.js"
import { python } from "./helpers.js"

/** A Python function that polls `token.is_set()` until it turns true (or 10 s pass). */
const waiter = () =>
  python().eval(
    "lambda token: (lambda time, t0: [time.sleep(0.001) for _ in iter(lambda: token.is_set() or time.monotonic() - t0 > 10, True)] and time.monotonic() - t0)(__import__('time'), __import__('time').monotonic())"
  )

describe("CancelToken", () => {
  it("starts pending and stays cancelled once cancelled", () => {
    const token = new CancelToken()
    assert.isFalse(token.cancelled)
    token.cancel()
    token.cancel()
    assert.isTrue(token.cancelled)
  })

  it("reaches Python while the Python thread is busy with the call holding it", async () => {
    const wait = await waiter()
    const token = new CancelToken()
    const t0 = performance.now()
    setTimeout(() => token.cancel(), 100)
    const pythonSeconds = (await wait.callJs([token])) as number
    const ms = performance.now() - t0
    assert.isAtLeast(ms, 95)
    assert.isBelow(ms, 300, "returned soon after cancel(), not after the 10 s limit")
    assert.isBelow(pythonSeconds, 1)
  })

  it("is the same flag in Python and back in JS", async () => {
    const py = python()
    const token = new CancelToken()
    assert.strictEqual(await py.evalJs("repr(t)", { t: token }), "CancelToken(pending)")
    const back = await py.evalJs("t", { t: token })
    assert.instanceOf(back, CancelToken)
    assert.notStrictEqual(back, token)
    token.cancel()
    assert.isTrue((back as CancelToken).cancelled)
    assert.strictEqual(await py.evalJs("t.is_set()", { t: token }), true)
  })

  it("works from a worker thread", async () => {
    python()
    const worker = new Worker(new URL("./fixtures/cancel-worker.mjs", import.meta.url))
    const message = await new Promise<{ returned: boolean; ms: number; cancelled: boolean }>((resolve, reject) => {
      worker.once("message", resolve)
      worker.once("error", reject)
    })
    await worker.terminate()
    assert.isTrue(message.returned)
    assert.isTrue(message.cancelled)
    assert.isAtLeast(message.ms, 45)
    assert.isBelow(message.ms, 300)
  })
})
