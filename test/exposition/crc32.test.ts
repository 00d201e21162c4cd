import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32, crc32Combine } from "../../src/exposition/crc32.js";

/** zlib's own CRC-32, read from a gzip member's trailer: the oracle. */
const zlibCrc = (data: Buffer) => gzipSync(data).readUInt32LE(gzipSync(data).length - 8);

describe("crc32", () => {
  it.each([0, 1, 3, 1000, 65_537])("matches zlib for %d random bytes", (n) => {
    const data = randomBytes(n);
    expect(crc32(data)).toBe(zlibCrc(data));
  });

  it("matches the check value of the standard", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });

  it("continues from a previous CRC", () => {
    const a = randomBytes(777);
    const b = randomBytes(1234);
    expect(crc32(b, crc32(a))).toBe(zlibCrc(Buffer.concat([a, b])));
  });

  it.each([0, 1, 2, 7, 64, 1_000, 123_457, 5_000_000])("combines CRCs of A and B (|B| = %d) into CRC of A+B", (n) => {
    const a = randomBytes(333);
    const b = randomBytes(n);
    expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(zlibCrc(Buffer.concat([a, b])));
  });

  it("agrees with zlib on 300 splits of one text at every kind of boundary, A empty or zero CRCs included", () => {
    const text = randomBytes(200_003);
    for (let i = 0; i < 300; i++) {
      const cut = (i * 7_919 + i * i * 13) % text.length;
      const a = text.subarray(0, cut);
      const b = text.subarray(cut);
      expect(crc32Combine(crc32(a), crc32(b), b.length), `cut ${cut}`).toBe(zlibCrc(text));
    }
  });
});
