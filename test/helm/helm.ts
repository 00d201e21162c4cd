/**
 * Runs the real `helm` (from the global setup) on the chart: `helm lint --strict` and `helm template`, the
 * latter parsed into Kubernetes objects. Overrides go to Helm as a values file (`-f`), merged by Helm itself.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { inject } from "vitest";
import { parseAllDocuments, stringify as stringifyYaml } from "yaml";
import { helmEnv } from "./helm-binary.js";

const run = promisify(execFile);

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const CHART_DIR = join(REPO, "helm", "ssm-association-exporter");
export const RELEASE = "demo";
export const NAMESPACE = "monitoring";

/** The chart-testing values files, `ci/<name>.yaml`, sorted. */
export const CI_FILES = readdirSync(join(CHART_DIR, "ci"))
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => `ci/${f}`);

/** A rendered Kubernetes object. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface HelmRun {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** What to render: chart files (`ci/x.yaml`, relative to the chart) and/or overrides, applied in that order. */
export interface Inputs {
  readonly files?: readonly string[];
  readonly values?: object;
}

/** `helm <args>` with the chart's inputs appended as `-f` flags; never throws on a non-zero exit. */
async function helm(args: readonly string[], inputs: Inputs): Promise<HelmRun> {
  const scratch = await mkdtemp(join(tmpdir(), "chart-test-"));
  try {
    const files = (inputs.files ?? []).map((f) => join(CHART_DIR, f));
    if (inputs.values !== undefined) {
      const overrides = join(scratch, "overrides.yaml");
      await writeFile(overrides, stringifyYaml(inputs.values));
      files.push(overrides);
    }
    const argv = [...args, ...files.flatMap((f) => ["-f", f])];
    try {
      const { stdout, stderr } = await run(inject("helm").path, argv, { env: helmEnv(), maxBuffer: 64 * 1024 * 1024 });
      return { ok: true, stdout, stderr };
    } catch (err) {
      const { stdout = "", stderr = "" } = err as { stdout?: string; stderr?: string };
      return { ok: false, stdout, stderr: stderr || (err as Error).message };
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** `helm lint --strict`: warnings fail too. */
export function lint(inputs: Inputs = {}): Promise<HelmRun> {
  return helm(["lint", "--strict", CHART_DIR], inputs);
}

/** `helm template`, unparsed. */
export function templateRun(inputs: Inputs = {}): Promise<HelmRun> {
  return helm(["template", RELEASE, CHART_DIR, "--namespace", NAMESPACE], inputs);
}

/** `helm template`, as objects in the order Helm prints them; throws with Helm's message when it fails. */
export async function template(inputs: Inputs = {}): Promise<K8sObject[]> {
  const result = await templateRun(inputs);
  if (!result.ok) throw new Error(`helm template failed: ${result.stderr}`);
  return parseManifests(result.stdout);
}

/** A multi-document manifest as objects; empty documents (a template that rendered nothing) are skipped. */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message ?? ""}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return [];
    if (typeof value !== "object" || Array.isArray(value)) throw new Error(`a rendered document is no object: ${JSON.stringify(value)}`);
    return [value as K8sObject];
  });
}

/** The one object of that kind (and name suffix, when given); throws when there are none or several. */
export function only(objects: readonly K8sObject[], kind: string, nameSuffix = ""): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  if (found.length !== 1) throw new Error(`${found.length} ${kind} objects named *${nameSuffix}, expected 1`);
  return found[0] as K8sObject;
}
