// Build config for @remotemedia/transport-iceoryx: ESM + CJS + declarations; the native loader stays external.
import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  shims: true,
  external: ["#native"]
})
