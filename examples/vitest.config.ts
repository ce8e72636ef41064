import { defineConfig } from "vitest/config"

// The examples run as child processes: two at a time (this is a 2-core budget), each allowed 30 s.
export default defineConfig({ test: { include: ["test/**/*.test.ts"], maxConcurrency: 2, testTimeout: 30_000 } })
