// Type-aware lint for everything TypeScript; plain JS scripts get the recommended set.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "dashboard/dist/**",
      "test/fixtures/**/*.py",
      "test/fixtures/inventory/**",
      "coverage/**",
    ],
  },
  js.configs.recommended,
  {
    files: ["**/*.ts", "**/*.tsx"],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-confusing-void-expression": "off",
      "@typescript-eslint/no-unnecessary-condition": ["error", { allowConstantLoopConditions: true }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-syntax": [
        "error",
        {
          selector: "MemberExpression[object.name='process'][property.name='exit']",
          message: "The CLI exits in one place: src/cli/index.ts.",
        },
      ],
    },
  },
  {
    // Pure logic takes data and returns data: no I/O imports.
    files: [
      "src/diff/**/*.ts",
      "src/stats/**/*.ts",
      "src/rollout/transition.ts",
      "src/route/**/*.ts",
      "src/split/**/*.ts",
      "src/inventory/**/*.ts",
    ],
    ignores: ["src/inventory/read.ts", "src/inventory/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "node:fs*",
                "node:net",
                "node:http",
                "undici",
                "better-sqlite3",
                "pg",
                "**/proxy/**",
                "**/store/**",
              ],
              message: "pure modules do no I/O",
            },
          ],
        },
      ],
    },
  },
  {
    // Process entry points: the CLI, and a cluster worker (which exits when its primary says so).
    files: ["src/cli/index.ts", "src/cluster/worker-main.ts", "bench/**/*.ts", "test/**/*.ts", "src/**/*.test.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    files: ["test/**/*.ts", "bench/**/*.ts", "src/**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unnecessary-type-parameters": "off",
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            { from: "package", name: ["test", "it", "describe", "suite"], package: "node:test" },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly" } },
  },
);
