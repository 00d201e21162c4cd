import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "test/helm/**", "node_modules/**"],
    // test/helm: `npm run test:chart` (needs Helm, fetched from the npm registry). test/e2e: `npm run test:e2e`.
    // Integration tests start real HTTP servers and child processes; keep them from starving each other on 2 cores.
    maxWorkers: 2,
    // Tests that run the exporter in-process build AWS SDK clients; on Node.js < 22 the SDK would print its
    // nine-line version warning once per worker (main.ts silences it the same way in the real process).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
