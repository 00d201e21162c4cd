import { describe, expect, it } from "vitest";
import { decodePageToken, encodePageToken } from "../../dev/simulator/page-token.js";

const scope = { scopeKey: "123456789012/us-east-1", epoch: 3 };

describe("page tokens", () => {
  it("round-trips the position", () => {
    expect(decodePageToken(encodePageToken({ ...scope, afterSeq: 49 }), scope)).toBe(49);
  });

  it("rejects tampered, foreign and expired tokens as InvalidNextToken", () => {
    const token = encodePageToken({ ...scope, afterSeq: 49 });
    const tampered = `${Buffer.from('{"v":1,"s":"123456789012/us-east-1","e":3,"a":0}').toString("base64url")}.${token.split(".")[1]}`;
    for (const [bad, expected] of [
      [tampered, scope],
      [token.slice(0, -1), scope],
      [`${token}.x`, scope],
      [token, { ...scope, scopeKey: "123456789012/eu-west-1" }],
      [token, { ...scope, epoch: 4 }],
    ] as const) {
      expect(() => decodePageToken(bad, expected)).toThrow(expect.objectContaining({ code: "InvalidNextToken", status: 400 }));
    }
  });
});
