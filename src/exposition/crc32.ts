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

function gf2MatrixTimes(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0; vector !== 0; i++, vector >>>= 1) if (vector & 1) sum ^= matrix[i] as number;
  return sum >>> 0;
}

function gf2MatrixSquare(square: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2MatrixTimes(matrix, matrix[n] as number);
}

/**
 * CRC-32 of A followed by B, from CRC(A), CRC(B) and B's length: appending `length` zero bits to A's
 * register is a linear map over GF(2), applied by repeated squaring of the one-zero-bit operator.
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  const odd = new Uint32Array(32);
  const even = new Uint32Array(32);
  odd[0] = 0xedb88320; // the operator for one zero bit
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row >>> 0;
  gf2MatrixSquare(even, odd); // two zero bits
  gf2MatrixSquare(odd, even); // four zero bits
  let crc = crcA >>> 0;
  let remaining = lengthB;
  // Each round squares the operator (one zero byte, then 2, 4, ...) and applies it where `remaining` has a 1 bit.
  for (;;) {
    gf2MatrixSquare(even, odd);
    if (remaining % 2 === 1) crc = gf2MatrixTimes(even, crc);
    remaining = Math.floor(remaining / 2);
    if (remaining === 0) break;
    gf2MatrixSquare(odd, even);
    if (remaining % 2 === 1) crc = gf2MatrixTimes(odd, crc);
    remaining = Math.floor(remaining / 2);
    if (remaining === 0) break;
  }
  return (crc ^ crcB) >>> 0;
}
