/**
 * The container image's contract, checked on the Dockerfile and .dockerignore sources. Each check
 * returns the problems it found, one sentence each, so that a test failure reads as a list and the
 * tests can also prove that a check catches a broken Dockerfile.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import {
  cleanPath,
  execForm,
  expand,
  globToRegex,
  isIgnored,
  keyValues,
  parseCopy,
  parseDockerfile,
  parseDockerignore,
  type Copy,
  type Dockerfile,
  type IgnoreRule,
  type Instruction,
  type Stage,
} from "./parse.js";

export interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly license: string;
  readonly repository?: { readonly url: string };
  readonly scripts: Readonly<Record<string, string>>;
}

export interface Project {
  /** The repository root, which is the build context. */
  readonly root: string;
  readonly dockerfile: Dockerfile;
  readonly ignore: readonly IgnoreRule[];
  readonly pkg: PackageJson;
  /** The exporter's default listen port (--web.listen-address). */
  readonly listenPort: number;
}

export function loadProject(root: string, listenPort: number, texts: { dockerfile?: string; dockerignore?: string } = {}): Project {
  const read = (name: string) => readFileSync(join(root, name), "utf8");
  return {
    root,
    dockerfile: parseDockerfile(texts.dockerfile ?? read("Dockerfile")),
    ignore: parseDockerignore(texts.dockerignore ?? read(".dockerignore")),
    pkg: JSON.parse(read("package.json")) as PackageJson,
    listenPort,
  };
}

/** The final stage: what `docker build` without --target produces. */
export function runtimeStage(df: Dockerfile): Stage {
  const stage = df.stages[df.stages.length - 1];
  if (!stage) throw new Error("the Dockerfile has no FROM");
  return stage;
}

/** What the runtime stage must hold under its WORKDIR, and nothing else. */
export const RUNTIME_ITEMS = ["dist", "node_modules", "package.json"] as const;
export const RUNTIME_WORKDIR = "/app";
export const OCI_LABELS = ["source", "version", "revision", "licenses", "title", "description"].map((k) => `org.opencontainers.image.${k}`);

/** Node.js 24, with major, minor and patch: node:24.21.0-bookworm-slim, optionally @sha256:digest. */
const PINNED_NODE_24 = /^(?:docker\.io\/)?(?:library\/)?node:24\.\d+\.\d+(?:-[a-z0-9.-]+)?(?:@sha256:[0-9a-f]{64})?$/;

// ---------------------------------------------------------------------------------------------
// A model of each stage's filesystem: which paths its instructions create, enough to tell whether a
// `COPY --from=<stage> <path>` copies something that stage made.

type Kind = "file" | "dir";

export interface StageModel {
  readonly stage: Stage;
  readonly workdir: string;
  /** Absolute paths created by COPY, `npm ci` (node_modules) and `npm run build` (the tsc outDir). */
  readonly paths: ReadonlyMap<string, Kind>;
  /** Set once node_modules exists: false after a full install, true after --omit=dev (install or prune). */
  readonly productionOnlyNodeModules: boolean | undefined;
}

function stageKey(stage: Stage): string {
  return stage.name ?? String(stage.index);
}

export function findStage(df: Dockerfile, ref: string, before: number): Stage | undefined {
  const lower = ref.toLowerCase();
  return df.stages.find((s) => s.index < before && (s.name === lower || String(s.index) === lower));
}

/** The image a stage starts from, following `FROM <earlier stage>` and expanding global ARGs. */
export function resolvedBase(df: Dockerfile, stage: Stage): string {
  const base = expand(stage.base, df.globalArgs);
  const earlier = findStage(df, base, stage.index);
  return earlier && earlier.name !== undefined ? resolvedBase(df, earlier) : base;
}

/** The directory tsc writes to for `npm run build`: outDir of the project that script names. */
export function buildOutDir(project: Project): string {
  const script = project.pkg.scripts.build ?? "";
  const tsconfig = /\btsc\b.*?(?:-p|--project)\s+(\S+)/.exec(script)?.[1];
  let file = tsconfig ? join(project.root, tsconfig) : undefined;
  for (let depth = 0; file && existsSync(file) && depth < 5; depth++) {
    const config = JSON.parse(readFileSync(file, "utf8")) as { extends?: string; compilerOptions?: { outDir?: string } };
    if (config.compilerOptions?.outDir) return cleanPath(config.compilerOptions.outDir);
    file = config.extends ? join(file, "..", config.extends) : undefined;
  }
  return "dist";
}

function shellCommands(instruction: Instruction): string[] {
  const exec = execForm(instruction.args);
  const text = exec ? exec.join(" ") : instruction.args;
  return text.split(/&&|\|\||;/).map((c) => c.trim());
}

const NPM_INSTALL = /^npm\s+(?:ci|install|i|add)\b/;
const NPM_PRUNE = /^npm\s+prune\b/;
const OMIT_DEV = /\s(?:--omit[= ]dev|--production|--only[= ]prod(?:uction)?)\b/;
const NPM_BUILD = /^npm\s+run(?:-script)?\s+build\b/;

export function modelStages(project: Project): Map<string, StageModel> {
  const models = new Map<string, StageModel>();
  const outDir = buildOutDir(project);
  for (const stage of project.dockerfile.stages) {
    const parent = findStage(project.dockerfile, stage.base, stage.index);
    const inherited = parent ? models.get(stageKey(parent)) : undefined;
    let workdir = inherited?.workdir ?? "/";
    const paths = new Map<string, Kind>(inherited?.paths);
    let productionOnly = inherited?.productionOnlyNodeModules;
    for (const instruction of stage.instructions) {
      switch (instruction.keyword) {
        case "WORKDIR":
          workdir = posix.resolve(workdir, instruction.args);
          break;
        case "COPY":
        case "ADD": {
          const copy = parseCopy(instruction);
          for (const item of copyItems(project, models, stage, copy, workdir)) {
            paths.set(item.path, item.kind);
          }
          break;
        }
        case "RUN":
          for (const command of shellCommands(instruction)) {
            if (NPM_INSTALL.test(command)) {
              paths.set(posix.join(workdir, "node_modules"), "dir");
              productionOnly = OMIT_DEV.test(` ${command}`);
            } else if (NPM_PRUNE.test(command) && OMIT_DEV.test(` ${command}`) && productionOnly !== undefined) {
              productionOnly = true;
            } else if (NPM_BUILD.test(command)) {
              paths.set(posix.join(workdir, outDir), "dir");
            }
          }
          break;
      }
    }
    models.set(stageKey(stage), { stage, workdir, paths, productionOnlyNodeModules: productionOnly });
  }
  return models;
}

interface CopyItem {
  readonly path: string;
  readonly kind: Kind;
  /** The --from stage reference; undefined for the build context. */
  readonly from: string | undefined;
}

/** The top-level paths a COPY creates: a folder's contents go into dest, a file goes to dest or into dest/. */
function copyItems(project: Project, models: ReadonlyMap<string, StageModel>, stage: Stage, copy: Copy, workdir: string): CopyItem[] {
  const dest = posix.resolve(workdir, copy.dest);
  const intoFolder = copy.dest.endsWith("/") || copy.sources.length > 1;
  const from = copy.from === undefined ? undefined : findStage(project.dockerfile, copy.from, stage.index);
  const fromModel = from ? models.get(stageKey(from)) : undefined;
  const items: CopyItem[] = [];
  for (const source of copy.from === undefined ? contextSources(project, copy).found : copy.sources) {
    let kind: Kind;
    if (copy.from === undefined) {
      kind = statSync(join(project.root, source)).isDirectory() ? "dir" : "file";
    } else {
      const absolute = posix.resolve(fromModel?.workdir ?? "/", source);
      kind = fromModel?.paths.get(absolute) ?? (source.endsWith("/") ? "dir" : "file");
    }
    const path = kind === "dir" ? dest : intoFolder ? posix.join(dest, posix.basename(source)) : dest;
    items.push({ path, kind, from: copy.from });
  }
  return items;
}

/** Context sources of a COPY without --from, wildcards in the last segment expanded. */
function contextSources(project: Project, copy: Copy): { found: string[]; problems: string[] } {
  const found: string[] = [];
  const problems: string[] = [];
  for (const raw of copy.sources) {
    if (/^[a-z]+:\/\//i.test(raw)) {
      problems.push(`line ${copy.line}: ${raw} is fetched from the network; copy files from the repository`);
      continue;
    }
    if (posix.normalize(raw).startsWith("..")) {
      problems.push(`line ${copy.line}: ${raw} is outside the build context`);
      continue;
    }
    const clean = cleanPath(raw) || ".";
    const folder = posix.dirname(clean);
    const name = posix.basename(clean);
    if (/[*?[]/.test(folder)) {
      problems.push(`line ${copy.line}: ${raw}: wildcards in folder names are not checked; name the folder`);
    } else if (/[*?[]/.test(name)) {
      const regex = globToRegex(name);
      const matches = existsSync(join(project.root, folder)) ? readdirSync(join(project.root, folder)).filter((f) => regex.test(f)) : [];
      if (matches.length === 0) problems.push(`line ${copy.line}: ${raw} matches nothing in the repository`);
      found.push(...matches.map((m) => (folder === "." ? m : `${folder}/${m}`)));
    } else if (existsSync(join(project.root, clean))) {
      found.push(clean);
    } else {
      problems.push(`line ${copy.line}: ${raw} does not exist in the repository (after npm run build)`);
    }
  }
  return { found, problems };
}

function copiesOf(stage: Stage): Copy[] {
  return stage.instructions.filter((i) => i.keyword === "COPY" || i.keyword === "ADD").map(parseCopy);
}

function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}

function filesUnder(root: string, relative: string): string[] {
  const absolute = join(root, relative);
  if (!statSync(absolute).isDirectory()) return [relative];
  return readdirSync(absolute).flatMap((entry) => filesUnder(root, `${relative}/${entry}`));
}

// ---------------------------------------------------------------------------------------------
// The checks.

export function checkStages(project: Project): string[] {
  const { stages } = project.dockerfile;
  const problems: string[] = [];
  if (stages.length < 2) problems.push(`${stages.length} stage(s): the build needs a separate build stage and runtime stage`);
  const names = stages.flatMap((s) => (s.name ? [s.name] : []));
  for (const name of new Set(names)) {
    if (names.filter((n) => n === name).length > 1) problems.push(`stage name ${name} is used twice`);
  }
  if (!stages.some((s) => s.instructions.some((i) => i.keyword === "RUN" && shellCommands(i).some((c) => NPM_BUILD.test(c))))) {
    problems.push("no stage runs npm run build");
  }
  return problems;
}

export function checkBaseImages(project: Project): string[] {
  const problems: string[] = [];
  const bases = new Set<string>();
  for (const stage of project.dockerfile.stages) {
    const base = resolvedBase(project.dockerfile, stage);
    bases.add(base);
    if (!PINNED_NODE_24.test(base)) {
      problems.push(`line ${stage.line}: FROM ${base} is not a Node.js 24 image pinned to a full version (node:24.x.y-<variant>)`);
    }
  }
  if (bases.size > 1) problems.push(`stages use different base images (${[...bases].join(", ")}): build and run on the same Node.js`);
  return problems;
}

/** Sources copied from the build context exist in the repository (after `npm run build`). */
export function checkContextCopies(project: Project): string[] {
  return project.dockerfile.stages.flatMap((stage) =>
    copiesOf(stage)
      .filter((copy) => copy.from === undefined)
      .flatMap((copy) => contextSources(project, copy).problems),
  );
}

/** Every `COPY --from=<stage> <path>` names an earlier stage and a path that stage created. */
export function checkStageCopies(project: Project): string[] {
  const models = modelStages(project);
  const problems: string[] = [];
  for (const stage of project.dockerfile.stages) {
    for (const copy of copiesOf(stage).filter((c) => c.from !== undefined)) {
      const from = findStage(project.dockerfile, copy.from as string, stage.index);
      if (!from) {
        problems.push(`line ${copy.line}: --from=${copy.from} is not an earlier stage of this Dockerfile`);
        continue;
      }
      const model = models.get(stageKey(from)) as StageModel;
      for (const source of copy.sources) {
        const absolute = posix.resolve(model.workdir, source);
        const made = [...model.paths.keys()].some((p) => absolute === p || absolute.startsWith(`${p}/`));
        if (!made) {
          problems.push(
            `line ${copy.line}: stage ${copy.from} does not create ${absolute} (it creates ${[...model.paths.keys()].join(", ") || "nothing"})`,
          );
        }
      }
    }
  }
  return problems;
}

/** The runtime stage holds dist/, production node_modules/ and package.json under /app, nothing else. */
export function checkRuntimeContents(project: Project): string[] {
  const runtime = runtimeStage(project.dockerfile);
  const models = modelStages(project);
  const model = models.get(stageKey(runtime)) as StageModel;
  const problems: string[] = [];
  if (model.workdir !== RUNTIME_WORKDIR) problems.push(`the runtime WORKDIR is ${model.workdir}, expected ${RUNTIME_WORKDIR}`);

  const items = new Map<string, CopyItem>();
  for (const copy of copiesOf(runtime)) {
    if (copy.sources.some((s) => /(?:^|\/)(?:src|test|tsconfig[^/]*\.json)(?:\/|$)/.test(cleanPath(s)) || cleanPath(s) === "")) {
      problems.push(`line ${copy.line}: the runtime stage copies ${copy.sources.join(" ")}: sources, tests and build configuration stay out`);
    }
    const workdirAtCopy = workdirAt(runtime, copy.line);
    for (const item of copyItems(project, models, runtime, copy, workdirAtCopy)) {
      items.set(posix.relative(model.workdir, item.path) || ".", item);
    }
  }
  for (const name of RUNTIME_ITEMS) if (!items.has(name)) problems.push(`the runtime stage does not copy ${name} into ${model.workdir}`);
  for (const name of items.keys()) {
    if (!(RUNTIME_ITEMS as readonly string[]).includes(name)) problems.push(`the runtime stage copies ${name}: only ${RUNTIME_ITEMS.join(", ")} belong there`);
  }

  const nodeModules = items.get("node_modules");
  if (nodeModules) {
    const from = nodeModules.from === undefined ? undefined : findStage(project.dockerfile, nodeModules.from, runtime.index);
    if (!from) problems.push("node_modules is copied from the build context, not installed by a stage");
    else if (models.get(stageKey(from))?.productionOnlyNodeModules !== true) {
      problems.push(`node_modules comes from stage ${stageKey(from)}, whose node_modules holds dev dependencies (npm ci without --omit=dev, no npm prune --omit=dev)`);
    }
  }

  if (items.get("dist") && items.get("dist")?.from === undefined) {
    problems.push("dist is copied from the build context (a host build); build it in a stage and copy it --from that stage");
  }

  for (const command of runsOf(runtime)) {
    if (NPM_INSTALL.test(command) && !OMIT_DEV.test(` ${command}`)) {
      problems.push(`the runtime stage runs "${command}", which installs dev dependencies`);
    }
    if (NPM_BUILD.test(command)) problems.push(`the runtime stage runs "${command}": build in the build stage`);
  }

  const env = new Map(runtime.instructions.filter((i) => i.keyword === "ENV").flatMap((i) => keyValues(i.args, "ENV")));
  if (env.get("NODE_ENV") !== "production") problems.push("the runtime stage does not set ENV NODE_ENV=production");
  return problems;
}

function runsOf(stage: Stage): string[] {
  return stage.instructions.filter((i) => i.keyword === "RUN").flatMap(shellCommands);
}

function workdirAt(stage: Stage, line: number): string {
  let workdir = "/";
  for (const instruction of stage.instructions) {
    if (instruction.line > line) break;
    if (instruction.keyword === "WORKDIR") workdir = posix.resolve(workdir, instruction.args);
  }
  return workdir;
}

/** ENTRYPOINT ["node", "dist/main.js"]: exec form, so node is PID 1 and gets SIGTERM. */
export function checkEntrypoint(project: Project): string[] {
  const runtime = runtimeStage(project.dockerfile);
  const entrypoint = last(runtime, "ENTRYPOINT");
  if (!entrypoint) return ["the runtime stage has no ENTRYPOINT"];
  const argv = execForm(entrypoint.args);
  if (!argv) return [`line ${entrypoint.line}: ENTRYPOINT ${entrypoint.args} is in shell form: /bin/sh would be PID 1 and swallow SIGTERM`];
  const problems: string[] = [];
  const [program, script, ...rest] = argv;
  if (program !== "node" && program !== "/usr/local/bin/node") problems.push(`line ${entrypoint.line}: ENTRYPOINT runs ${program}, not node`);
  if (rest.length > 0) problems.push(`line ${entrypoint.line}: ENTRYPOINT passes ${rest.join(" ")} after the script; leave flags to docker run / CMD`);
  const workdir = workdirAt(runtime, entrypoint.line);
  const inApp = posix.relative(workdir, posix.resolve(workdir, script ?? ""));
  if (!script || inApp.startsWith("..")) {
    problems.push(`line ${entrypoint.line}: ENTRYPOINT script ${script ?? "(none)"} is outside ${workdir}`);
  } else {
    if (!existsSync(join(project.root, inApp))) problems.push(`${inApp} does not exist in the repository after npm run build`);
    if (!(RUNTIME_ITEMS as readonly string[]).includes(inApp.split("/")[0] as string)) problems.push(`${inApp} is not in what the runtime stage copies`);
    const start = /^node\s+(\S+)/.exec(project.pkg.scripts.start ?? "")?.[1];
    if (start !== undefined && cleanPath(start) !== inApp) problems.push(`ENTRYPOINT runs ${inApp} but npm start runs ${start}`);
  }
  const cmd = last(runtime, "CMD");
  if (cmd && !execForm(cmd.args)) problems.push(`line ${cmd.line}: CMD in shell form would reach the exporter as "/bin/sh -c ..." arguments`);
  return problems;
}

export function checkUser(project: Project): string[] {
  const user = last(runtimeStage(project.dockerfile), "USER");
  if (!user) return ["the runtime stage has no USER: the exporter would run as root"];
  const match = /^(\d+)(?::(\d+))?$/.exec(user.args);
  if (!match) return [`line ${user.line}: USER ${user.args} is not numeric (uid:gid); Kubernetes runAsNonRoot can only verify a numeric user`];
  const problems: string[] = [];
  if (Number(match[1]) === 0) problems.push(`line ${user.line}: USER ${user.args} is root`);
  if (match[2] !== undefined && Number(match[2]) === 0) problems.push(`line ${user.line}: USER ${user.args} has the root group`);
  return problems;
}

export function checkExpose(project: Project): string[] {
  const exposes = runtimeStage(project.dockerfile).instructions.filter((i) => i.keyword === "EXPOSE");
  const ports = exposes.flatMap((i) => i.args.split(/\s+/)).map((p) => p.replace(/\/tcp$/i, ""));
  const expected = String(project.listenPort);
  if (ports.length === 1 && ports[0] === expected) return [];
  return [`the runtime stage exposes ${ports.join(", ") || "nothing"}; the exporter listens on ${expected} by default (--web.listen-address)`];
}

/** Normalises git+https://github.com/o/r.git to https://github.com/o/r. */
export function sourceUrl(pkg: PackageJson): string | undefined {
  return pkg.repository?.url.replace(/^git\+/, "").replace(/\.git$/, "");
}

export function checkLabels(project: Project): string[] {
  const runtime = runtimeStage(project.dockerfile);
  const problems: string[] = [];
  const labels = new Map<string, { value: string; line: number }>();
  const args = new Map<string, number>();
  const env = new Map<string, { value: string; line: number }>();
  for (const instruction of runtime.instructions) {
    if (instruction.keyword === "LABEL") for (const [k, v] of keyValues(instruction.args, "LABEL")) labels.set(k, { value: v ?? "", line: instruction.line });
    if (instruction.keyword === "ARG") for (const [k] of keyValues(instruction.args, "ARG")) args.set(k, instruction.line);
    if (instruction.keyword === "ENV") for (const [k, v] of keyValues(instruction.args, "ENV")) env.set(k, { value: v ?? "", line: instruction.line });
  }
  for (const key of OCI_LABELS) if (!labels.has(key)) problems.push(`the runtime stage has no label ${key}`);

  const expected: Record<string, string | undefined> = {
    "org.opencontainers.image.source": sourceUrl(project.pkg),
    "org.opencontainers.image.licenses": project.pkg.license,
    "org.opencontainers.image.title": project.pkg.name,
    "org.opencontainers.image.description": project.pkg.description,
  };
  for (const [key, value] of Object.entries(expected)) {
    const label = labels.get(key);
    if (label && label.value !== value) problems.push(`label ${key} is "${label.value}", package.json says "${value}"`);
  }
  // An ARG declared before the first FROM is not visible inside a stage: it must be (re)declared in
  // the runtime stage, before the instruction that uses it, or the value is silently empty.
  const uses = (value: string, arg: string) => new RegExp(`\\$\\{?${arg}\\b`).test(value);
  const needsArg = (what: string, value: { value: string; line: number } | undefined, arg: string) => {
    if (!value) return;
    if (!uses(value.value, arg)) problems.push(`${what} is "${value.value}", expected the build argument \${${arg}}`);
    else if (!args.has(arg) || (args.get(arg) as number) > value.line) problems.push(`${what} uses \${${arg}} but the runtime stage declares no ARG ${arg} before it`);
  };
  needsArg("label org.opencontainers.image.version", labels.get("org.opencontainers.image.version"), "VERSION");
  needsArg("label org.opencontainers.image.revision", labels.get("org.opencontainers.image.revision"), "REVISION");
  const revisionEnv = env.get("SSM_EXPORTER_BUILD_REVISION");
  if (!revisionEnv) problems.push("the runtime stage does not set ENV SSM_EXPORTER_BUILD_REVISION (build_info's revision)");
  needsArg("ENV SSM_EXPORTER_BUILD_REVISION", revisionEnv, "REVISION");
  return problems;
}

/** .dockerignore keeps node_modules and .git out, and nothing the Dockerfile copies from the context. */
export function checkDockerignore(project: Project): string[] {
  const problems: string[] = [];
  for (const path of ["node_modules", "node_modules/commander/package.json", ".git", ".git/HEAD"]) {
    if (!isIgnored(path, project.ignore)) problems.push(`.dockerignore lets ${path} into the build context`);
  }
  for (const stage of project.dockerfile.stages) {
    for (const copy of copiesOf(stage).filter((c) => c.from === undefined)) {
      for (const source of contextSources(project, copy).found) {
        const ignored = filesUnder(project.root, source).filter((f) => isIgnored(f, project.ignore));
        if (ignored.length > 0) {
          problems.push(`line ${copy.line}: COPY ${source}, but .dockerignore excludes ${ignored.slice(0, 3).join(", ")}${ignored.length > 3 ? ", ..." : ""}`);
        }
      }
    }
  }
  return problems;
}
