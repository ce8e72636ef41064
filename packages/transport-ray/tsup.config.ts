// Build config for @remotemedia/transport-ray: ESM + CJS + declarations.
import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  shims: true // import.meta.url in the CJS build
})
