import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OnceOutputError, temporaryPath, writeAtomically } from "../../src/once/output.js";

describe("writeAtomically", () => {
  const dir = mkdtempSync(join(tmpdir(), "once-output-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("replaces the file and leaves no temporary file", async () => {
    const file = join(dir, "a.prom");
    writeFileSync(file, "old\n");
    await writeAtomically(file, Buffer.from("new\n"));
    expect(readFileSync(file, "utf8")).toBe("new\n");
    expect(readdirSync(dir)).toEqual(["a.prom"]);
  });

  it("writes its temporary file next to the file, under a name the textfile collector never reads", () => {
    expect(temporaryPath("/var/lib/node_exporter/textfile_collector/ssm.prom", 42)).toBe("/var/lib/node_exporter/textfile_collector/ssm.prom.42.tmp");
  });

  it("fails with one line, keeps nothing of the attempt and leaves what was there", async () => {
    const sub = join(dir, "b");
    mkdirSync(sub);
    const file = join(sub, "b.prom");
    mkdirSync(file); // renaming a file over a folder fails
    const error = await writeAtomically(file, Buffer.from("new\n")).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OnceOutputError);
    expect((error as Error).message).toMatch(new RegExp(`^cannot write ${file}: E`));
    expect((error as Error).message).not.toContain("\n");
    expect(readdirSync(sub)).toEqual(["b.prom"]);
  });
});
