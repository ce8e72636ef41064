// Test config for @remotemedia/transport-ray. One local Ray cluster for the whole run (test/globalSetup.ts);
// test files run one at a time, since actors share its few CPUs. Ray's startup makes the timeouts generous.
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/globalSetup.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000
  }
})
