// Build config for @remotemedia/transport-ipc: ESM + CJS + declarations.
import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/index.ts", "src/Shared.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  shims: true, // import.meta.url in the CJS build
  // Both entries share one copy of every module in the CJS build too (msgpackr extensions and
  // error classes must exist once per process).
  splitting: true
})
