import type { BuildInfo } from "../version.js";

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** The `/` page: what this is, its version, and where the metrics are. */
export function landingPage(build: BuildInfo, telemetryPath: string): string {
  const name = escapeHtml(build.name);
  const path = escapeHtml(telemetryPath);
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${name}</title></head>
<body>
<h1>${name}</h1>
<p>Prometheus exporter for AWS Systems Manager State Manager associations.</p>
<p>Version ${escapeHtml(build.version)} (revision ${escapeHtml(build.revision)}, Node.js ${escapeHtml(build.nodejsVersion)})</p>
<ul>
<li><a href=".${path}">Metrics</a></li>
<li><a href="./healthz">Health</a></li>
<li><a href="./readyz">Readiness</a></li>
</ul>
</body>
</html>
`;
}
