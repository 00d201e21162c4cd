/**
 * Prometheus text format 0.0.4 (as prom-client renders it) → OpenMetrics 1.0.0, for the self-metrics.
 * The differences that matter for counters, gauges and histograms: a counter family is named without
 * `_total` while its samples keep it, HELP escapes double quotes too, there are no blank lines, and
 * the exposition ends with `# EOF` (added by the caller, after everything else).
 */
export function toOpenMetrics(text: string): string {
  const lines = text.split("\n").filter((line) => line !== "");
  const counters = new Set<string>();
  for (const line of lines) {
    const type = /^# TYPE (\S+) counter$/.exec(line);
    if (type?.[1]) counters.add(type[1]);
  }
  const familyName = (name: string) => (counters.has(name) ? name.replace(/_total$/, "") : name);
  const out = lines.map((line) => {
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help) return `# HELP ${familyName(help[1] ?? "")} ${(help[2] ?? "").replace(/(?<!\\)"/g, '\\"')}`;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) return `# TYPE ${familyName(type[1] ?? "")} ${type[2] ?? ""}`;
    if (line.startsWith("#")) return line;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? "";
    // A counter sample must end in _total; prom-client's text names it after the metric, which may lack it.
    return counters.has(name) && !name.endsWith("_total") ? `${name}_total${line.slice(name.length)}` : line;
  });
  return out.length > 0 ? `${out.join("\n")}\n` : "";
}
