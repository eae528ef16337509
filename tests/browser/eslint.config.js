// Lint of the viewer (web/*.js, plain browser scripts sharing window.SS)
// and of these tests (ES modules under node). Run from the repository root:
//   tests/browser/node_modules/.bin/eslint -c tests/browser/eslint.config.js
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["web/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: { ...globals.browser },
    },
    rules: {
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: "error",
      curly: ["error", "multi-line"],
      "no-implicit-globals": "error",
      "no-shadow": "error",
    },
  },
  {
    files: ["tests/browser/**/*.mjs", "tests/bench/**/*.mjs"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.node, ...globals.browser },
    },
  },
];
