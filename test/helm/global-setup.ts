/**
 * Global setup of `npm run test:chart`: fetches Helm once (test/helm/helm-binary.ts), before any test file
 * runs, and hands its path to the tests (`inject("helm")`). Without Helm the whole run fails here, with the reason.
 */
import type { TestProject } from "vitest/node";
import { helmBinary, type Helm } from "./helm-binary.js";

declare module "vitest" {
  export interface ProvidedContext {
    helm: Helm;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const helm = await helmBinary();
  console.log(`chart tests: helm ${helm.version} (${helm.source}, ${helm.path})`);
  project.provide("helm", helm);
}
