// Test config for @remotemedia/transport-inproc (runs the embedded interpreter: one fork per file).
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 20_000
  }
})
