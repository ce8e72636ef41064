// Shared test helpers: one started interpreter per test process.
import { type Python, start } from "../src/index.js"

export const python = (): Python => start()

/** Waits until `check` holds (polling), failing after `timeoutMs`. */
export const eventually = async (check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error("condition not reached in time")
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Runs a full garbage collection (tests run with --expose-gc). */
export const collectGarbage = async (): Promise<void> => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("run with --expose-gc")
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
}
