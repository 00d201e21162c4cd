import { defineConfig } from "vitest/config";

/** `npm run test:e2e`: the exporter with a real Prometheus and Alertmanager (Debian packages). */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 90_000,
    fileParallelism: false,
  },
});
