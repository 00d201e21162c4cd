/**
 * The Node.js versions the exporter supports: the maintained LTS lines from 22.12 on (the container image
 * runs 24). package.json "engines" says the same; CI tests the oldest (22.12.0) and the image's version.
 */
export const SUPPORTED_NODE_RANGE = ">=22.12.0";

const OLDEST_SUPPORTED = { major: 22, minor: 12 } as const;

/** Whether a `process.version` string ("v22.12.0") is a supported Node.js; unparseable → false. */
export function isSupportedNode(version: string): boolean {
  const match = /^v?(\d+)\.(\d+)\.\d+/.exec(version);
  if (match === null) return false;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major > OLDEST_SUPPORTED.major || (major === OLDEST_SUPPORTED.major && minor >= OLDEST_SUPPORTED.minor);
}
