// Test config for @remotemedia/python-bridge. One embedded interpreter per
// process: forks, never threads. `--expose-gc` lets tests prove that handles
// are released when JS collects them.
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    execArgv: ["--expose-gc"],
    testTimeout: 30_000
  }
})
