// Test config for @remotemedia/cli: runs the built `remotemedia` bin as child processes (slow machines: long timeouts).
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 120_000
  }
})
