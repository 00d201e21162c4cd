/**
 * Checks of one /metrics response, with no I/O: used by the scraper workers (soak/scraper.ts) on every
 * response, and by the soak's final scrape. Everything a response must satisfy on its own is checked
 * here; what needs the soak's knowledge of the simulator (which poll, how many associations) is
 * returned as values for the caller to compare.
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import type { WireAssociation } from "../dev/simulator/types.js";

export const VARIANTS = ["text", "openmetrics", "text+gzip", "openmetrics+gzip"] as const;
export type Variant = (typeof VARIANTS)[number];

/** The soak's marker association: AssociationVersion = the churn step of the data, DocumentVersion = the poll that read it. */
export const SENTINEL_ID = "00000000-50a4-4000-8000-00000000c0de";

export const INFO = "aws_ssm_association_info";
const ASSOCIATION_PREFIX = "aws_ssm_association_";
const EXPORTER_ASSOCIATIONS = "aws_ssm_exporter_associations";
const POLL_DURATION = "aws_ssm_exporter_poll_duration_seconds";
export const API_REQUESTS = "aws_ssm_exporter_api_requests_total";
const POLLS_SKIPPED = "aws_ssm_exporter_polls_skipped_total";
/** Family names as parse-prometheus-text-format reports them: the sample name, which loses `_total` in the known text-format bug. */
const API_REQUESTS_NAMES = new Set([API_REQUESTS, API_REQUESTS.slice(0, -"_total".length)]);
const POLLS_SKIPPED_NAMES = new Set([POLLS_SKIPPED, POLLS_SKIPPED.slice(0, -"_total".length)]);
/** Finished polls by outcome (exporters from 056e010 on); absent in older builds. */
const POLLS = "aws_ssm_exporter_polls_total";
const POLLS_NAMES = new Set([POLLS, POLLS.slice(0, -"_total".length)]);
/** Target-count keys the exporter always renders (0 when absent), see src/exposition/families.ts. */
const ALWAYS_PRESENT_TARGET_STATUSES = ["Success", "Failed", "Pending"];

export function isOpenMetrics(variant: Variant): boolean {
  return variant.startsWith("openmetrics");
}

export function isGzip(variant: Variant): boolean {
  return variant.endsWith("+gzip");
}

export function requestHeaders(variant: Variant): Record<string, string> {
  const headers: Record<string, string> = {
    accept: isOpenMetrics(variant) ? "application/openmetrics-text; version=1.0.0" : "text/plain",
  };
  if (isGzip(variant)) headers["accept-encoding"] = "gzip";
  return headers;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The bytes as received on the wire (still compressed for a gzip response). */
  readonly body: Buffer;
}

export interface CheckedResponse {
  readonly variant: Variant;
  readonly status: number;
  /** Every problem of this response on its own (empty = good). */
  readonly violations: string[];
  readonly wireBytes: number;
  readonly textBytes: number;
  /** The sentinel's association_version: the churn step whose data this response serves (undefined = no sentinel). */
  readonly version: number | undefined;
  /** The sentinel's document_version: the poll that read this data (undefined = no sentinel). */
  readonly poll: number | undefined;
  /** Number of aws_ssm_association_info series. */
  readonly infoCount: number;
  /** Sum of aws_ssm_exporter_associations over targets. */
  readonly exporterAssociations: number;
  /** sha256 of the association model lines (see modelLine), sorted. */
  readonly digest: string;
  /** association_id → model line, as served. */
  readonly model: Map<string, string>;
  /** aws_ssm_exporter_api_requests_total samples as `operation/outcome` → summed value. */
  readonly apiRequests: Record<string, number>;
  readonly pollsSkipped: number;
  /** aws_ssm_exporter_poll_duration_seconds (the latest poll's), summed over targets; undefined if absent. */
  readonly pollDurationSeconds: number | undefined;
  /** aws_ssm_exporter_polls_total by outcome; undefined when the exporter has no such metric. */
  readonly pollsByOutcome: Record<string, number> | undefined;
  /** The decoded body ("" when it could not be decoded), for dumps of failing responses. */
  readonly text: string;
}

/**
 * One association as the soak compares it: identity and properties (info labels), the current status,
 * the detailed status and the target counts, as one JSON line. Built from the simulator's wire data
 * (expected) and from a scrape (served); equal lines mean the association was served exactly.
 */
export function modelLine(
  id: string,
  name: string,
  documentName: string,
  documentVersion: string,
  associationVersion: string,
  scheduleExpression: string,
  status: string,
  detailedStatus: string,
  targets: Readonly<Record<string, number>>,
): string {
  const sortedTargets = Object.entries(targets).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([id, name, documentName, documentVersion, associationVersion, scheduleExpression, status, detailedStatus, sortedTargets]);
}

/** The model line the exporter should serve for one association of the simulator's data. */
export function expectedModelLine(a: WireAssociation): string {
  const targets: Record<string, number> = {};
  for (const s of ALWAYS_PRESENT_TARGET_STATUSES) targets[s] = 0;
  Object.assign(targets, a.Overview?.AssociationStatusAggregatedCount ?? {});
  return modelLine(
    a.AssociationId,
    a.AssociationName ?? "",
    a.Name,
    a.DocumentVersion ?? "",
    a.AssociationVersion ?? "",
    a.ScheduleExpression ?? "",
    a.Overview?.Status ?? "",
    a.Overview?.DetailedStatus ?? "",
    targets,
  );
}

export function digestOf(lines: Iterable<string>): string {
  const hash = createHash("sha256");
  for (const line of [...lines].sort()) hash.update(line).update("\n");
  return hash.digest("hex");
}

// --- strict line grammar ---------------------------------------------------------------------------

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"`;
/** Both formats read NaN and Inf case-insensitively (Go's ParseFloat; ABNF literals); prom-client writes "Nan". */
const VALUE = String.raw`(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])`;
/** name, optional label set (trailing comma allowed), value, optional timestamp. */
const SAMPLE_LINE = new RegExp(`^(${NAME})(\\{(?:${LABEL}(?:,${LABEL})*,?)?\\})? (${VALUE})(?: -?[0-9]+(?:\\.[0-9]+)?)?$`);
const HELP_LINE = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) ([a-z]+)$`);
const UNIT_LINE = new RegExp(`^# UNIT (${NAME}) ([a-zA-Z0-9_:]*)$`);
const TEXT_TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const OPENMETRICS_TYPES = new Set(["counter", "gauge", "histogram", "gaugehistogram", "stateset", "info", "summary", "unknown"]);

/** Sample names a family may have, by format and type. */
function sampleNames(family: string, type: string, openMetrics: boolean): string[] {
  if (openMetrics) {
    switch (type) {
      case "counter":
        return [`${family}_total`, `${family}_created`];
      case "histogram":
      case "gaugehistogram":
        return [`${family}_bucket`, `${family}_count`, `${family}_sum`, `${family}_created`, `${family}_gcount`, `${family}_gsum`];
      case "summary":
        return [family, `${family}_count`, `${family}_sum`, `${family}_created`];
      case "info":
        return [`${family}_info`];
      default:
        return [family];
    }
  }
  if (type === "histogram") return [`${family}_bucket`, `${family}_count`, `${family}_sum`];
  if (type === "summary") return [family, `${family}_count`, `${family}_sum`];
  return [family];
}

/**
 * The exposition grammar, line by line, stricter than parse-prometheus-text-format (which accepts
 * unknown escapes and unterminated label values): valid names and label escapes, one HELP/TYPE per
 * family, each family's samples contiguous and named as its type requires, no duplicate series, and
 * in the text format every counter named `*_total`.
 */
function checkLines(text: string, openMetrics: boolean, violations: string[]): void {
  const report = (line: number, what: string, content: string): void => {
    if (violations.length < 20) violations.push(`line ${line}: ${what}: ${JSON.stringify(content.slice(0, 200))}`);
  };
  const lines = text.split("\n");
  if (lines.at(-1) !== "") violations.push("the exposition does not end with a newline");
  else lines.pop();
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const finished = new Set<string>();
  const seriesSeen = new Set<string>();
  let current: string | undefined;
  /** Family name for a sample name under the current TYPE, else the sample name itself (untyped). */
  const familyOf = (sample: string): string => {
    if (current !== undefined && sampleNames(current, types.get(current) ?? "", openMetrics).includes(sample)) return current;
    return sample;
  };
  const enter = (family: string, lineNo: number, line: string): void => {
    if (family === current) return;
    if (current !== undefined) finished.add(current);
    if (finished.has(family)) report(lineNo, "family appears twice (its lines are not contiguous)", line);
    current = family;
  };
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    if (line === "") {
      if (openMetrics) report(lineNo, "blank line in OpenMetrics", line);
      return;
    }
    if (line.startsWith("#")) {
      const help = HELP_LINE.exec(line);
      const type = TYPE_LINE.exec(line);
      const unit = UNIT_LINE.exec(line);
      const family = help?.[1] ?? type?.[1] ?? unit?.[1];
      if (family === undefined) {
        if (openMetrics || line.startsWith("# HELP") || line.startsWith("# TYPE")) report(lineNo, "malformed comment line", line);
        return;
      }
      if (unit && !openMetrics) report(lineNo, "# UNIT in the text format", line);
      enter(family, lineNo, line);
      if (help) {
        if (helps.has(family)) report(lineNo, "second HELP for the family", line);
        helps.add(family);
      }
      if (type) {
        const kind = type[2] ?? "";
        if (types.has(family)) report(lineNo, "second TYPE for the family", line);
        if (!(openMetrics ? OPENMETRICS_TYPES : TEXT_TYPES).has(kind)) report(lineNo, "unknown metric type", line);
        if (!openMetrics && kind === "counter" && !family.endsWith("_total")) report(lineNo, "text-format counter family not named *_total", line);
        if (openMetrics && kind === "counter" && family.endsWith("_total")) report(lineNo, "OpenMetrics counter family named *_total", line);
        types.set(family, kind);
      }
      return;
    }
    const sample = SAMPLE_LINE.exec(line);
    if (!sample) {
      report(lineNo, "malformed sample line", line);
      return;
    }
    const name = sample[1] ?? "";
    const family = familyOf(name);
    enter(family, lineNo, line);
    const type = types.get(family);
    if (type === "counter" && !name.endsWith("_total") && !name.endsWith("_created")) report(lineNo, "counter sample not named *_total", line);
    if (type !== undefined && !sampleNames(family, type, openMetrics).includes(name)) report(lineNo, `sample name does not fit its ${type} family ${family}`, line);
    const series = `${name}${sample[2] ?? ""}`;
    if (seriesSeen.has(series)) report(lineNo, "duplicate series", line);
    seriesSeen.add(series);
  });
}

function eofLineNumbers(text: string): number[] {
  const out: number[] = [];
  text.split("\n").forEach((line, i) => {
    if (line === "# EOF") out.push(i + 1);
  });
  return out;
}

// --- the whole response ----------------------------------------------------------------------------

function header(res: RawResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function emptyResult(variant: Variant, res: RawResponse, violations: string[], textBytes = 0, text = ""): CheckedResponse {
  return {
    variant,
    status: res.status,
    violations,
    wireBytes: res.body.length,
    textBytes,
    version: undefined,
    poll: undefined,
    infoCount: 0,
    exporterAssociations: 0,
    digest: "",
    model: new Map(),
    apiRequests: {},
    pollsSkipped: 0,
    pollDurationSeconds: undefined,
    pollsByOutcome: undefined,
    text,
  };
}

/**
 * The sentinel's markers, found quickly in a decoded body (no parsing): which churn step and which poll
 * the body serves. Undefined when the sentinel's info line is absent or unreadable.
 */
export function findMarkers(text: string): { version: number; poll: number } | undefined {
  const needle = `association_id="${SENTINEL_ID}"`;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) {
    const start = text.lastIndexOf("\n", at) + 1;
    if (!text.startsWith(`${INFO}{`, start)) continue;
    const end = text.indexOf("\n", at);
    const line = text.slice(start, end === -1 ? undefined : end);
    const version = /[{,]association_version="(\d+)"/.exec(line)?.[1];
    const poll = /[{,]document_version="(\d+)"/.exec(line)?.[1];
    return version === undefined || poll === undefined ? undefined : { version: Number(version), poll: Number(poll) };
  }
  return undefined;
}

/**
 * Every check of one response that needs nothing but the response. `onDecoded` gets the decoded body
 * before the (slow) checks run.
 */
export function checkResponse(variant: Variant, res: RawResponse, onDecoded?: (text: string) => void): CheckedResponse {
  const violations: string[] = [];
  if (res.status !== 200) {
    violations.push(`HTTP ${res.status}: ${res.body.toString("utf8").slice(0, 200)}`);
    return emptyResult(variant, res, violations);
  }
  const openMetrics = isOpenMetrics(variant);
  const gzip = isGzip(variant);

  const contentLength = header(res, "content-length");
  if (contentLength === undefined) violations.push("no Content-Length");
  else if (Number(contentLength) !== res.body.length) violations.push(`Content-Length ${contentLength} but ${res.body.length} bytes received`);
  const contentType = header(res, "content-type") ?? "";
  const wantedType = openMetrics ? "application/openmetrics-text; version=1.0.0" : "text/plain; version=0.0.4";
  if (!contentType.startsWith(wantedType)) violations.push(`Content-Type ${JSON.stringify(contentType)}, wanted ${wantedType}`);
  const encoding = header(res, "content-encoding");
  if (gzip ? encoding !== "gzip" : encoding !== undefined) violations.push(`Content-Encoding ${JSON.stringify(encoding)} for ${variant}`);

  let bytes = res.body;
  if (encoding === "gzip") {
    try {
      bytes = gunzipSync(res.body);
    } catch (err) {
      violations.push(`gzip body does not decompress: ${String(err)}`);
      return emptyResult(variant, res, violations);
    }
    // One gzip member: its trailer's ISIZE is the length of everything (several members would each carry their own).
    if (res.body.length >= 18 && res.body.readUInt32LE(res.body.length - 4) !== bytes.length % 2 ** 32) {
      violations.push(`gzip trailer ISIZE ${res.body.readUInt32LE(res.body.length - 4)} ≠ ${bytes.length} decompressed bytes (not one gzip member?)`);
    }
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    violations.push("body is not valid UTF-8");
    return emptyResult(variant, res, violations, bytes.length);
  }
  onDecoded?.(text);

  let body = text;
  const eofLines = eofLineNumbers(text);
  const lineCount = text.split("\n").length - 1;
  if (openMetrics) {
    if (!text.endsWith("\n# EOF\n") && text !== "# EOF\n") violations.push(`OpenMetrics body does not end with "# EOF\\n": ends ${JSON.stringify(text.slice(-40))}`);
    else body = text.slice(0, -"# EOF\n".length);
    if (eofLines.length !== 1) violations.push(`OpenMetrics body has ${eofLines.length} "# EOF" lines (lines ${eofLines.slice(0, 5).join(", ")} of ${lineCount})`);
    if (text.startsWith("\n") || text.includes("\n\n")) violations.push("blank line in OpenMetrics body");
  } else if (eofLines.length > 0) {
    violations.push(`"# EOF" in a text-format body (lines ${eofLines.slice(0, 5).join(", ")} of ${lineCount})`);
  }
  checkLines(body, openMetrics, violations);

  let families: ReturnType<typeof parsePrometheusTextFormat>;
  try {
    families = parsePrometheusTextFormat(body);
  } catch (err) {
    violations.push(`parse-prometheus-text-format rejects the body: ${String(err).slice(0, 300)}`);
    return emptyResult(variant, res, violations, bytes.length, text);
  }

  // One snapshot: the self-metric association count, the info series and every association series agree.
  const info = new Map<string, Record<string, string>>();
  let exporterAssociations = 0;
  const apiRequests: Record<string, number> = {};
  let pollsSkipped = 0;
  let pollsByOutcome: Record<string, number> | undefined;
  let pollDurationSeconds: number | undefined;
  const status = new Map<string, string[]>();
  const detailed = new Map<string, string[]>();
  const targets = new Map<string, Record<string, number>>();
  const orphans: string[] = [];
  for (const family of families) {
    if (family.name === INFO) {
      for (const m of family.metrics) {
        const labels = m.labels ?? {};
        const id = labels.association_id ?? "";
        if (info.has(id)) violations.push(`two ${INFO} series for association_id ${JSON.stringify(id)}`);
        info.set(id, labels);
      }
    } else if (family.name === EXPORTER_ASSOCIATIONS) {
      for (const m of family.metrics) exporterAssociations += Number(m.value);
    } else if (API_REQUESTS_NAMES.has(family.name)) {
      for (const m of family.metrics) {
        const key = `${m.labels?.operation ?? ""}/${m.labels?.outcome ?? ""}`;
        apiRequests[key] = (apiRequests[key] ?? 0) + Number(m.value);
      }
    } else if (POLLS_SKIPPED_NAMES.has(family.name)) {
      for (const m of family.metrics) pollsSkipped += Number(m.value);
    } else if (family.name === POLL_DURATION) {
      for (const m of family.metrics) pollDurationSeconds = (pollDurationSeconds ?? 0) + Number(m.value);
    } else if (POLLS_NAMES.has(family.name)) {
      pollsByOutcome ??= {};
      for (const m of family.metrics) {
        const outcome = m.labels?.outcome ?? "";
        pollsByOutcome[outcome] = (pollsByOutcome[outcome] ?? 0) + Number(m.value);
      }
    }
  }
  for (const family of families) {
    if (!family.name.startsWith(ASSOCIATION_PREFIX) || family.name === INFO) continue;
    for (const m of family.metrics) {
      const labels = m.labels ?? {};
      const id = labels.association_id ?? "";
      if (!info.has(id)) {
        orphans.push(`${family.name}{association_id=${JSON.stringify(id)}}`);
        continue;
      }
      const value = Number(m.value);
      if (family.name === "aws_ssm_association_status") {
        if (value === 1) status.set(id, [...(status.get(id) ?? []), labels.status ?? ""]);
      } else if (family.name === "aws_ssm_association_detailed_status") {
        detailed.set(id, [...(detailed.get(id) ?? []), labels.detailed_status ?? ""]);
      } else if (family.name === "aws_ssm_association_targets") {
        const counts = targets.get(id) ?? {};
        counts[labels.status ?? ""] = value;
        targets.set(id, counts);
      }
    }
  }
  if (orphans.length > 0) violations.push(`${orphans.length} association series without an ${INFO} series, e.g. ${orphans.slice(0, 3).join(", ")}`);
  if (exporterAssociations !== info.size) {
    violations.push(`not one snapshot: sum(${EXPORTER_ASSOCIATIONS}) = ${exporterAssociations} but ${info.size} ${INFO} series`);
  }

  const model = new Map<string, string>();
  for (const [id, labels] of info) {
    model.set(
      id,
      modelLine(
        id,
        labels.association_name ?? "",
        labels.document_name ?? "",
        labels.document_version ?? "",
        labels.association_version ?? "",
        labels.schedule_expression ?? "",
        (status.get(id) ?? []).join("|"),
        (detailed.get(id) ?? []).join("|"),
        targets.get(id) ?? {},
      ),
    );
  }
  const sentinel = info.get(SENTINEL_ID);
  return {
    variant,
    status: res.status,
    violations,
    wireBytes: res.body.length,
    textBytes: bytes.length,
    version: sentinel === undefined ? undefined : Number(sentinel.association_version),
    poll: sentinel === undefined ? undefined : Number(sentinel.document_version),
    infoCount: info.size,
    exporterAssociations,
    digest: digestOf(model.values()),
    model,
    apiRequests,
    pollsSkipped,
    pollDurationSeconds,
    pollsByOutcome,
    text,
  };
}

/** The first few differences between a served model and the expected one, for a violation message. */
export function describeModelDiff(served: ReadonlyMap<string, string>, expected: ReadonlyMap<string, string>, limit = 3): string {
  const out: string[] = [];
  for (const [id, line] of expected) {
    if (out.length >= limit) break;
    const got = served.get(id);
    if (got === undefined) out.push(`missing ${id}: expected ${line.slice(0, 300)}`);
    else if (got !== line) out.push(`differs ${id}: expected ${line.slice(0, 300)} served ${got.slice(0, 300)}`);
  }
  for (const [id, line] of served) {
    if (out.length >= limit) break;
    if (!expected.has(id)) out.push(`unexpected ${id}: ${line.slice(0, 300)}`);
  }
  return out.join("; ");
}
