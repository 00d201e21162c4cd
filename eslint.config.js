// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "dist-dev/", "node_modules/", "coverage/", ".tmp/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The product never imports the development tools (the simulator, the demo): they are not in the
    // package or the image. tsconfig.build.json (rootDir src) would also refuse to build such an import.
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["**/dev/**", "**/dist-dev/**"], message: "src/ must not import the development tools in dev/." }] }],
    },
  },
);
