/**
 * Just enough of the Dockerfile and .dockerignore syntax for the checks in checks.ts: line
 * continuations, comments, stages, exec (JSON) and shell forms, flags, key=value lists. There is no
 * Docker engine on the development and CI machines, so the image's contract is checked on its source.
 */

export interface Instruction {
  /** Upper case: FROM, RUN, COPY, ... */
  readonly keyword: string;
  /** Everything after the keyword, continuation lines joined, trimmed. */
  readonly args: string;
  /** 1-based line of the keyword. */
  readonly line: number;
}

export interface Stage {
  readonly index: number;
  /** The `AS name`, lower case, if any. */
  readonly name: string | undefined;
  /** The image (or earlier stage) named by FROM, as written. */
  readonly base: string;
  readonly line: number;
  /** The instructions after FROM, up to the next FROM. */
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM (usable in FROM lines only), with their defaults. */
  readonly globalArgs: ReadonlyMap<string, string | undefined>;
  readonly stages: readonly Stage[];
}

/** Splits a Dockerfile into instructions, then into stages. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions = splitInstructions(text);
  const globalArgs = new Map<string, string | undefined>();
  const stages: { index: number; name: string | undefined; base: string; line: number; instructions: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const [base, as, name, ...extra] = words;
      if (!base || (as !== undefined && (as.toUpperCase() !== "AS" || !name)) || extra.length > 0) {
        throw new Error(`line ${instruction.line}: cannot read FROM ${instruction.args}`);
      }
      stages.push({ index: stages.length, name: name?.toLowerCase(), base, line: instruction.line, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== "ARG") throw new Error(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
      for (const [key, value] of keyValues(instruction.args, "ARG")) globalArgs.set(key, value);
    } else {
      stages[stages.length - 1]?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

function splitInstructions(text: string): Instruction[] {
  const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (/^#\s*escape\s*=/i.test(trimmed) && out.length === 0 && !pending) {
      throw new Error("the escape parser directive is not supported by this parser");
    }
    // Comment lines are dropped, also in the middle of a continued instruction (as Docker does);
    // so are empty lines inside a continuation.
    if (trimmed.startsWith("#") || (trimmed === "" && pending)) return;
    if (trimmed === "" && !pending) return;
    const continues = /\\\s*$/.test(raw);
    const content = continues ? raw.replace(/\\\s*$/, "") : raw;
    if (pending) pending.text += content;
    else pending = { text: content, line: i + 1 };
    if (!continues) {
      out.push(toInstruction(pending.text, pending.line));
      pending = undefined;
    }
  });
  if (pending) throw new Error(`line ${pending.line}: continuation runs past the end of the file`);
  return out;
}

function toInstruction(text: string, line: number): Instruction {
  const match = /^\s*([A-Za-z]+)(?:\s+([\s\S]*))?$/.exec(text);
  if (!match?.[1]) throw new Error(`line ${line}: not an instruction: ${text}`);
  const args = (match[2] ?? "").trim();
  if (/^<<-?["']?[A-Za-z_]/.test(args.split(/\s+/).find((w) => w.startsWith("<<")) ?? "")) {
    throw new Error(`line ${line}: heredocs are not supported by this parser`);
  }
  return { keyword: match[1].toUpperCase(), args, line };
}

/** The exec (JSON array) form of RUN, CMD, ENTRYPOINT, COPY, ...; undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  try {
    const value: unknown = JSON.parse(args);
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Shell-like words: whitespace separates, quotes group and are removed, backslash escapes. */
export function words(text: string): string[] {
  const out: string[] = [];
  let current: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < text.length) current = (current ?? "") + text[++i];
      else current = (current ?? "") + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      current ??= "";
    } else if (c === "\\" && i + 1 < text.length) {
      current = (current ?? "") + text[++i];
    } else if (/\s/.test(c)) {
      if (current !== undefined) out.push(current);
      current = undefined;
    } else {
      current = (current ?? "") + c;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in: ${text}`);
  if (current !== undefined) out.push(current);
  return out;
}

/**
 * The pairs of LABEL, ENV and ARG: `k=v k2="v 2"`; also the legacy `ENV KEY value with spaces` and
 * the default-less `ARG NAME` (value undefined).
 */
export function keyValues(args: string, keyword: "LABEL" | "ENV" | "ARG"): [string, string | undefined][] {
  const list = words(args);
  const first = list[0];
  if (first === undefined) return [];
  if (!first.includes("=")) {
    if (keyword === "ENV") return [[first, list.slice(1).join(" ")]];
    if (keyword === "ARG" && list.length === 1) return [[first, undefined]];
    throw new Error(`${keyword} ${args}: expected key=value`);
  }
  return list.map((word) => {
    const eq = word.indexOf("=");
    if (eq <= 0) throw new Error(`${keyword} ${args}: expected key=value, got ${word}`);
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}

export interface Copy {
  readonly from: string | undefined;
  readonly sources: readonly string[];
  readonly dest: string;
  readonly line: number;
}

/** COPY/ADD [--from=x] [--chown=..] src... dest, in shell or exec form. */
export function parseCopy(instruction: Instruction): Copy {
  const flags = new Map<string, string>();
  let rest = instruction.args;
  for (let m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest); m; m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest)) {
    flags.set(m[1] as string, m[2] ?? "");
    rest = rest.slice(m[0].length);
  }
  const paths = execForm(rest) ?? words(rest);
  const dest = paths.pop();
  if (dest === undefined || paths.length === 0) throw new Error(`line ${instruction.line}: ${instruction.keyword} needs a source and a destination`);
  return { from: flags.get("from")?.toLowerCase(), sources: paths, dest, line: instruction.line };
}

/** `$NAME` and `${NAME}` from vars; an unknown name stays as written. */
export function expand(text: string, vars: ReadonlyMap<string, string | undefined>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced?: string, bare?: string) => {
    const value = vars.get((braced ?? bare) as string);
    return value ?? whole;
  });
}

export interface IgnoreRule {
  readonly pattern: string;
  /** A `!pattern`: re-includes what earlier rules excluded. */
  readonly negated: boolean;
  readonly regex: RegExp;
}

/** .dockerignore: one pattern a line, `#` comments, `!` re-includes; the last matching rule wins. */
export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split("\n")) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const negated = line.startsWith("!");
    if (negated) line = line.slice(1).trim();
    const pattern = cleanPath(line);
    if (pattern === "") continue;
    rules.push({ pattern, negated, regex: globToRegex(pattern) });
  }
  return rules;
}

/**
 * Whether the build context leaves `path` (relative to the context root, `/`-separated) out. As in
 * Docker, a rule matches a path when it matches the path itself or one of its parent folders.
 */
export function isIgnored(path: string, rules: readonly IgnoreRule[]): boolean {
  const clean = cleanPath(path);
  const segments = clean.split("/");
  const candidates = segments.map((_, i) => segments.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.regex.test(c))) ignored = !rule.negated;
  }
  return ignored;
}

/** Normalises `./a//b/`, `/a/b` and `a/./b` to `a/b`. */
export function cleanPath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return out.join("/");
}

/** Go filepath.Match syntax (`*`, `?`, `[...]`) plus `**` for any number of folders. */
export function globToRegex(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*" && pattern[i + 1] === "*") {
      i++;
      if (pattern[i + 1] === "/") {
        i++;
        re += "(?:.*/)?";
      } else {
        re += ".*";
      }
    } else if (c === "*") {
      re += "[^/]*";
    } else if (c === "?") {
      re += "[^/]";
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) throw new Error(`unterminated [ in ${pattern}`);
      const body = pattern.slice(i + 1, end).replace(/^[!^]/, "^").replace(/\\/g, "\\\\");
      re += `[${body}]`;
      i = end;
    } else if (c === "\\" && i + 1 < pattern.length) {
      re += escapeRegex(pattern[++i] as string);
    } else {
      re += escapeRegex(c);
    }
  }
  return new RegExp(`^${re}$`);
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
