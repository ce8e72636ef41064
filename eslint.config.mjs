// ESLint for every TypeScript package: typescript-eslint's type-aware recommended rules, run by each package's `lint` target.
import js from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/index.js", "**/index.d.ts", "docs-site/**", "**/*.mjs", "**/*.cjs", "packages/*/bin/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      // Promises must be awaited or handled: an unhandled rejection is a lost error.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Effect's generators yield services and errors; `yield*` of an Effect is how it is used.
      "require-yield": "off"
    }
  },
  {
    // Test fixtures are async on purpose (to exercise the async lifecycle paths) without awaiting anything.
    files: ["**/test/**/*.ts"],
    rules: { "@typescript-eslint/require-await": "off" }
  }
)
