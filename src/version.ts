import { readFileSync } from "node:fs";

/** Build identity, reported by --version, the landing page and aws_ssm_exporter_build_info. */
export interface BuildInfo {
  readonly name: string;
  readonly version: string;
  /** VCS revision baked in by the container build (SSM_EXPORTER_BUILD_REVISION); "unknown" otherwise. */
  readonly revision: string;
  readonly nodejsVersion: string;
}

export function readBuildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  // package.json sits one folder above both src/ and dist/, so this works from either.
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    name: string;
    version: string;
  };
  return Object.freeze({
    name: pkg.name,
    version: pkg.version,
    revision: env.SSM_EXPORTER_BUILD_REVISION?.trim() || "unknown",
    nodejsVersion: process.version,
  });
}
