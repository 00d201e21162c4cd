import { ListAssociationsCommand, SSMClient } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import type { FaultKind, SimOperation } from "../../dev/simulator/types.js";
import { association, rejection, TEST_SECRET } from "./helpers.js";
import { httpRequest, parseRawResponse, rawExchange, rawList, ssmRequest, stsRequest } from "./raw-http.js";

const REGION = "us-east-1";
let server: RunningSimulator;

beforeAll(async () => {
  server = await startSimulator();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.sim.clearFaults();
  server.sim.resetCounters();
  server.sim.setAssociations({ region: REGION }, [association(1), association(2)]);
});

/** One attempt and a short request timeout that throws (the SDK only warns by default). */
const handler = { requestTimeout: 250, throwOnRequestTimeout: true };
const credentials = { accessKeyId: "AKIDTRANSPORT", secretAccessKey: TEST_SECRET };
const ssm = () => new SSMClient({ region: REGION, endpoint: server.url, credentials, maxAttempts: 1, requestHandler: handler });
const sts = () => new STSClient({ region: REGION, endpoint: server.url, credentials, maxAttempts: 1, requestHandler: handler });

type SdkCall = () => Promise<unknown>;
const clients: { operation: SimOperation; call: () => [SdkCall, () => void] }[] = [
  {
    operation: "ListAssociations",
    call: () => {
      const c = ssm();
      return [() => c.send(new ListAssociationsCommand({})), () => c.destroy()];
    },
  },
  {
    operation: "GetCallerIdentity",
    call: () => {
      const c = sts();
      return [() => c.send(new GetCallerIdentityCommand({})), () => c.destroy()];
    },
  },
];

async function failWith(operation: SimOperation, kind: FaultKind): Promise<Error & { code?: string; $metadata?: { httpStatusCode?: number } }> {
  server.sim.injectFault({ kind, count: 1, operation });
  const [call, destroy] = clients.find((c) => c.operation === operation)!.call();
  try {
    return await rejection(call());
  } finally {
    destroy();
  }
}

describe.each(["ListAssociations", "GetCallerIdentity"] as const)("transport faults through the real SDK: %s", (operation) => {
  it("rst: the client sees the connection reset (ECONNRESET)", async () => {
    const err = await failWith(operation, "rst");
    expect(err.code).toBe("ECONNRESET");
    // @smithy/node-http-handler names connection errors "TimeoutError" too.
    expect(err.name).toBe("TimeoutError");
    expect(err.message).toMatch(/ECONNRESET/);
  });

  it("fin: the client sees the connection closed before any response ('socket hang up')", async () => {
    const err = await failWith(operation, "fin");
    expect(err.code).toBe("ECONNRESET");
    expect(err.name).toBe("TimeoutError");
    expect(err.message).toMatch(/socket hang up/);
  });

  it.each(["hang", "blackhole"] as const)("%s: nothing comes back; the request times out", async (kind) => {
    const started = Date.now();
    const err = await failWith(operation, kind);
    expect(err.code).toBe("ETIMEDOUT");
    expect(err.name).toBe("TimeoutError");
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it("partialBody: status 200, then the connection closes mid-body", async () => {
    const err = await failWith(operation, "partialBody");
    expect(err.$metadata?.httpStatusCode).toBe(200);
    expect(err.code).toBe("ECONNRESET");
    expect(err.message).toMatch(/aborted/);
  });

  it("http503: a bare 503 the SDK cannot parse as an AWS error", async () => {
    const err = await failWith(operation, "http503");
    expect(err.$metadata?.httpStatusCode).toBe(503);
    expect(err.name).not.toMatch(/Exception$|Throttl|Unavailable/);
  });

  it("slow: the correct answer, after delayMs", async () => {
    server.sim.injectFault({ kind: "slow", count: 1, operation, delayMs: 120 });
    const [call, destroy] = clients.find((c) => c.operation === operation)!.call();
    const started = Date.now();
    await expect(call()).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    destroy();
  });

  it("slow: longer than the client's timeout is a timeout", async () => {
    server.sim.injectFault({ kind: "slow", count: 1, operation, delayMs: 2_000 });
    const [call, destroy] = clients.find((c) => c.operation === operation)!.call();
    expect(((await rejection(call())) as { code?: string }).code).toBe("ETIMEDOUT");
    destroy();
  });
});

describe("transport faults on the wire", () => {
  it("rst sends no byte and resets the connection", async () => {
    server.sim.injectFault({ kind: "rst", count: 1 });
    const got = await rawExchange(server.port, ssmRequest(server.port), 2_000);
    expect(got).toMatchObject({ end: "rst", errorCode: "ECONNRESET" });
    expect(got.data).toHaveLength(0);
  });

  it("fin sends no byte and closes cleanly", async () => {
    server.sim.injectFault({ kind: "fin", count: 1 });
    const got = await rawExchange(server.port, ssmRequest(server.port), 2_000);
    expect(got.end).toBe("fin");
    expect(got.data).toHaveLength(0);
  });

  it.each(["hang", "blackhole"] as const)("%s sends no byte and keeps the connection open", async (kind) => {
    server.sim.injectFault({ kind, count: 1 });
    const got = await rawExchange(server.port, ssmRequest(server.port), 300);
    expect(got.end).toBe("open");
    expect(got.data).toHaveLength(0);
    expect(server.sim.callCount("ListAssociations")).toBe(1);
  });

  it("blackhole stops reading the request; hang reads it all", async () => {
    // 8 MiB is more than loopback socket buffers hold, so an unread body stays in the sender's buffer.
    const big = { MaxResults: 1, Padding: "x".repeat(8 * 1024 * 1024) };
    server.sim.injectFault({ kind: "blackhole", count: 1 });
    const blackholed = await rawExchange(server.port, ssmRequest(server.port, big), 400);
    server.sim.injectFault({ kind: "hang", count: 1 });
    const hung = await rawExchange(server.port, ssmRequest(server.port, big), 400);

    expect(blackholed.unsent).toBeGreaterThan(0);
    expect(hung.unsent).toBe(0);
    expect([blackholed.data.length, hung.data.length]).toEqual([0, 0]);
  });

  it("partialBody sends the whole page's Content-Length but only its first half, then FIN", async () => {
    const full = await rawList(server.url);
    server.sim.injectFault({ kind: "partialBody", count: 1 });
    const got = await rawExchange(server.port, ssmRequest(server.port), 2_000);
    const res = parseRawResponse(got.data);

    expect(got.end).toBe("fin");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/x-amz-json-1.1");
    expect(Number(res.headers["content-length"])).toBe(full.bytes);
    expect(res.body.toString("utf8")).toBe(full.body.slice(0, Math.floor(full.bytes / 2)));
  });

  it("partialBody on STS halves the XML answer", async () => {
    server.sim.injectFault({ kind: "partialBody", count: 1, operation: "GetCallerIdentity" });
    const got = await rawExchange(server.port, stsRequest(server.port), 2_000);
    const res = parseRawResponse(got.data);
    expect(got.end).toBe("fin");
    expect(res.headers["content-type"]).toBe("text/xml");
    expect(res.body.length).toBe(Math.floor(Number(res.headers["content-length"]) / 2));
    expect(res.body.toString("utf8")).toMatch(/^<GetCallerIdentityResponse /);
  });

  it.each([
    ["http500", 500],
    ["http503", 503],
  ] as const)("%s answers a bare %i with an HTML body, for SSM and STS", async (kind, status) => {
    server.sim.injectFault({ kind, count: 1, operation: "ListAssociations" });
    const ssmRes = await rawList(server.url);
    server.sim.injectFault({ kind, count: 1, operation: "GetCallerIdentity" });
    const stsRes = parseRawResponse((await rawExchange(server.port, stsRequest(server.port), 300)).data);

    expect(ssmRes.status).toBe(status);
    expect(ssmRes.headers.get("content-type")).toBe("text/html");
    expect(ssmRes.headers.get("x-amzn-errortype")).toBeNull();
    expect(ssmRes.body).toMatch(new RegExp(`^<html><body><h1>${status} `));
    expect(stsRes.status).toBe(status);
    expect(stsRes.body.toString("utf8")).toBe(ssmRes.body);
  });

  it("slow delivers the exact answer it would have sent at once", async () => {
    const quick = await rawList(server.url, { MaxResults: 1 });
    server.sim.injectFault({ kind: "slow", count: 1, delayMs: 50 });
    const slow = await rawList(server.url, { MaxResults: 1 });
    expect(slow.body).toBe(quick.body);
  });

  it("slow delays errors too (the right answer is an error)", async () => {
    server.sim.injectFault({ kind: "slow", count: 1, delayMs: 80 });
    const started = Date.now();
    const res = await rawList(server.url, { MaxResults: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    expect(res.status).toBe(400);
    expect(res.headers.get("x-amzn-errortype")).toBe("ValidationException");
  });
});

describe("AWS error faults", () => {
  it.each([
    ["InvalidNextToken", 400, "The specified token isn't valid."],
    ["ExpiredTokenException", 400, "The security token included in the request is expired"],
    ["UnrecognizedClientException", 400, "The security token included in the request is invalid."],
  ] as const)("SSM %s: %i, JSON 1.1 error shape, surfaced by the SDK under that name", async (kind, status, message) => {
    server.sim.injectFault({ kind, count: 1 });
    const res = await rawList(server.url);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    expect(res.headers.get("x-amzn-errortype")).toBe(kind);
    expect(JSON.parse(res.body)).toEqual({ __type: kind, message });

    server.sim.injectFault({ kind, count: 1 });
    const client = ssm();
    const err = await rejection(client.send(new ListAssociationsCommand({})));
    client.destroy();
    expect(err.name).toBe(kind);
    expect(err.message).toBe(message);
    expect(err.$metadata?.httpStatusCode).toBe(status);
  });

  it.each([
    ["ExpiredTokenException", "ExpiredToken", 400],
    ["UnrecognizedClientException", "InvalidClientTokenId", 403],
  ] as const)("STS %s uses the STS name %s (%i)", async (kind, code, status) => {
    server.sim.injectFault({ kind, count: 1, operation: "GetCallerIdentity" });
    const res = parseRawResponse((await rawExchange(server.port, stsRequest(server.port), 300)).data);
    expect(res.status).toBe(status);
    expect(res.body.toString("utf8")).toContain(`<Type>Sender</Type><Code>${code}</Code>`);

    server.sim.injectFault({ kind, count: 1, operation: "GetCallerIdentity" });
    const client = sts();
    const err = await rejection(client.send(new GetCallerIdentityCommand({})));
    client.destroy();
    expect(err.name).toBe(code);
    expect(err.$metadata?.httpStatusCode).toBe(status);
  });

  it("AssumeRole gets transport faults too", async () => {
    server.sim.injectFault({ kind: "rst", count: 1, operation: "AssumeRole" });
    const request = httpRequest(
      server.port,
      { "content-type": "application/x-www-form-urlencoded", authorization: "AWS4-HMAC-SHA256 Credential=AKIDX/20240101/us-east-1/sts/aws4_request" },
      "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Freader&RoleSessionName=s1",
    );
    expect((await rawExchange(server.port, request, 2_000)).end).toBe("rst");
    expect(server.sim.callCount("AssumeRole")).toBe(1);
  });
});

describe("closing the simulator", () => {
  it("returns promptly while hang, blackhole and slow requests are open", async () => {
    const own = await startSimulator();
    own.sim.injectFault({ kind: "hang", count: 1 });
    own.sim.injectFault({ kind: "blackhole", count: 1 });
    own.sim.injectFault({ kind: "slow", count: 1 }); // default delay: 30 s
    const pending = [1, 2, 3].map(() => rawExchange(own.port, ssmRequest(own.port), 5_000));
    while (own.sim.callCount("ListAssociations") < 3) await new Promise((r) => setTimeout(r, 10));

    const started = Date.now();
    await own.close();
    const elapsed = Date.now() - started;
    const ends = await Promise.all(pending);

    expect(elapsed).toBeLessThan(500);
    // Every held connection was closed by the server, none answered.
    for (const end of ends) {
      expect(end.end).not.toBe("open");
      expect(end.data).toHaveLength(0);
    }
  });
});
