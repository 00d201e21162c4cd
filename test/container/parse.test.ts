import { describe, expect, it } from "vitest";
import { execForm, isIgnored, keyValues, parseCopy, parseDockerfile, parseDockerignore, words } from "./parse.js";

describe("parseDockerfile", () => {
  const text = [
    "# syntax=docker/dockerfile:1",
    "ARG BASE=node:24.21.0-bookworm-slim",
    "",
    "FROM ${BASE} AS Build",
    "WORKDIR /app",
    "RUN npm ci \\",
    "  # a comment inside a continuation is dropped",
    "  --no-audit \\",
    "",
    "  && npm run build",
    "FROM --platform=$BUILDPLATFORM build",
    'LABEL a="x y" \\',
    "      b=z",
    'ENTRYPOINT ["node", "dist/main.js"]',
  ].join("\n");

  it("splits stages, joins continuations and drops comments", () => {
    const df = parseDockerfile(text);
    expect(df.globalArgs).toEqual(new Map([["BASE", "node:24.21.0-bookworm-slim"]]));
    expect(df.stages.map((s) => [s.index, s.name, s.base, s.line])).toEqual([
      [0, "build", "${BASE}", 4],
      [1, undefined, "build", 11],
    ]);
    const run = df.stages[0]?.instructions[1];
    expect(run?.keyword).toBe("RUN");
    expect(run?.line).toBe(6);
    expect(run?.args.replace(/\s+/g, " ")).toBe("npm ci --no-audit && npm run build");
    const label = df.stages[1]?.instructions[0];
    expect(keyValues(label?.args ?? "", "LABEL")).toEqual([
      ["a", "x y"],
      ["b", "z"],
    ]);
    expect(execForm(df.stages[1]?.instructions[1]?.args ?? "")).toEqual(["node", "dist/main.js"]);
  });

  it("refuses what it cannot read instead of guessing", () => {
    expect(() => parseDockerfile("RUN echo before any FROM")).toThrow(/before the first FROM/);
    expect(() => parseDockerfile("FROM node:24 AS")).toThrow(/cannot read FROM/);
    expect(() => parseDockerfile("FROM node:24\nRUN a \\")).toThrow(/continuation/);
    expect(() => parseDockerfile("FROM node:24\nRUN <<EOF\necho\nEOF")).toThrow(/heredoc/);
    expect(() => parseDockerfile("# escape=`\nFROM node:24")).toThrow(/escape/);
  });
});

describe("instruction arguments", () => {
  it("reads shell words, quotes and escapes", () => {
    expect(words(`a "b c" 'd e' f\\ g ""`)).toEqual(["a", "b c", "d e", "f g", ""]);
    expect(() => words(`a "b`)).toThrow(/unterminated/);
  });

  it("reads ENV, ARG and LABEL pairs, legacy forms included", () => {
    expect(keyValues("NODE_ENV=production X=${Y}", "ENV")).toEqual([
      ["NODE_ENV", "production"],
      ["X", "${Y}"],
    ]);
    expect(keyValues("NODE_ENV production mode", "ENV")).toEqual([["NODE_ENV", "production mode"]]);
    expect(keyValues("VERSION", "ARG")).toEqual([["VERSION", undefined]]);
    expect(keyValues('VERSION=""', "ARG")).toEqual([["VERSION", ""]]);
  });

  it("reads COPY flags, sources and destination in both forms", () => {
    const copy = (args: string) => parseCopy({ keyword: "COPY", args, line: 1 });
    expect(copy("--from=Build --chown=1:1 /app/dist ./dist")).toEqual({ from: "build", sources: ["/app/dist"], dest: "./dist", line: 1 });
    expect(copy('["package.json", "package-lock.json", "./"]')).toEqual({
      from: undefined,
      sources: ["package.json", "package-lock.json"],
      dest: "./",
      line: 1,
    });
    expect(() => copy("only-one")).toThrow(/source and a destination/);
  });
});

describe(".dockerignore matching", () => {
  const rules = parseDockerignore(["# comment", "node_modules", "/dist/", "*.md", "!README.md", "**/*.log", "docs/**", "te?t", ""].join("\n"));

  it("excludes a matching path and everything under a matching folder", () => {
    expect(isIgnored("node_modules", rules)).toBe(true);
    expect(isIgnored("node_modules/a/b.js", rules)).toBe(true);
    expect(isIgnored("dist/main.js", rules)).toBe(true);
    expect(isIgnored("./docs/metrics.md", rules)).toBe(true);
    expect(isIgnored("test/x.ts", rules)).toBe(true);
    expect(isIgnored("a/b/c.log", rules)).toBe(true);
    expect(isIgnored("c.log", rules)).toBe(true);
  });

  it("matches * within one folder level only, and lets the last matching rule win", () => {
    expect(isIgnored("CHANGELOG.md", rules)).toBe(true);
    expect(isIgnored("README.md", rules)).toBe(false);
    expect(isIgnored("src/notes.md", rules)).toBe(false);
    expect(isIgnored("src/node_modules.ts", rules)).toBe(false);
    expect(isIgnored("package.json", rules)).toBe(false);
    expect(isIgnored("src/main.ts", rules)).toBe(false);
  });
});
