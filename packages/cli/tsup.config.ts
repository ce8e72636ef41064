// Build config for @remotemedia/cli: the library entry (ESM + declarations) and the `remotemedia` bin.
import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/index.ts", "src/bin.ts"],
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  sourcemap: true,
  clean: true,
  target: "node20"
})
