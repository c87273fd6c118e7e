// TS lint for CI (`npm run lint`): typescript-eslint's recommended rules on the sources, tests and
// examples. Formatting is not linted (no formatter runs over the tree).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["ts/dist/**", "node_modules/**", "bindings/node/index.cjs", "bindings/node/index.d.cts", "docs/api/**", "target/**", "npm/**", "ts/src/generated/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      // `_`-prefixed names are deliberately unused (destructuring, callback slots).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", Buffer: "readonly" } },
  },
);
