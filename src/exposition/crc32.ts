import { crc32 as zlibCrc32 } from "node:zlib";

/**
 * CRC-32 (the gzip trailer's checksum) with the combine operation, so that a gzip member can be spliced
 * together from chunks compressed at different times without reading the chunks again. zlib.crc32
 * (Node >= 20.15) computes a chunk's CRC natively; no Node version exposes zlib's crc32_combine.
 */

/** CRC-32 of `data`, continuing from `previous` (the CRC of what came before). */
export function crc32(data: Uint8Array, previous = 0): number {
  return zlibCrc32(data, previous) >>> 0;
}

/** The CRC-32 polynomial, reflected (x^32 + x^26 + ... + 1 with x^0 in the top bit). */
const POLY = 0xedb88320;

/** a(x) × b(x) modulo the polynomial, in the reflected representation. `a` must not be 0. */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) modulo the polynomial. */
const X2N = new Uint32Array(32);
{
  let p = 0x40000000; // x^1
  X2N[0] = p;
  for (let k = 1; k < 32; k++) X2N[k] = p = multModP(p, p);
}

/** x^(n × 2^k) modulo the polynomial: the product of X2N over the bits of n, shifted by k. */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000; // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X2N[k & 31] as number, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/**
 * CRC-32 of A followed by B, from CRC(A), CRC(B) and B's length in bytes: A's register times x^(8 ×
 * length) modulo the polynomial (the length's bits pick precomputed powers x^(2^k), as zlib 1.2.12's
 * crc32_combine does), then B's CRC added. About 1 µs, where squaring a 32×32 operator per call took ~27.
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  return (multModP(x2nModP(lengthB, 3), crcA >>> 0) ^ crcB) >>> 0;
}
