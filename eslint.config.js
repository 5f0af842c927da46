import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".opsroom/", "coverage/", ".scratch*/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Unused names starting with _ are deliberate (destructuring a field away).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "no-console": "error",
    },
  },
  {
    // The CLI, the console and benchmarks talk to a terminal; tests print what they measured (accuracy, timings).
    files: ["bin/**", "bench/**", "scripts/**", "src/cli/**", "src/console/**", "test/**"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
    rules: { "no-console": "off" },
  },
  {
    // The Runboard's one client script runs in the browser.
    files: ["src/runboard/assets/**"],
    languageOptions: { globals: { document: "readonly", EventSource: "readonly" } },
  },
);
