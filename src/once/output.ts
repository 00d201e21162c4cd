import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

/** Writing --once.output failed: one line for the user, exit 1. */
export class OnceOutputError extends Error {
  override readonly name = "OnceOutputError";
}

/** Where `file` is written before it is renamed: same folder (so the rename is atomic), not `*.prom` (so the textfile collector never reads it). */
export function temporaryPath(file: string, pid: number = process.pid): string {
  return `${file}.${pid}.tmp`;
}

/**
 * Replaces `file` with `data` atomically: written to a temporary file next to it, flushed to disk,
 * renamed over it, then the folder is flushed so the rename survives a crash. A reader (node_exporter's
 * textfile collector) sees the old content or the new, never part of it. On failure the temporary file
 * is removed and `file` is left as it was.
 */
export async function writeAtomically(file: string, data: Buffer): Promise<void> {
  const temporary = temporaryPath(file);
  try {
    const handle = await open(temporary, "w", 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new OnceOutputError(`cannot write ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  await syncFolder(dirname(file));
}

/** Best effort: some file systems refuse to fsync a directory; the file is in place either way. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Nothing to do: the rename has happened; only its durability across a power loss is less certain.
  }
}
