import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import { rejection, stsClient } from "./helpers.js";

let server: RunningSimulator;

beforeAll(async () => {
  server = await startSimulator({ defaultAccountId: "111111111111" });
});
afterAll(() => server.close());
beforeEach(() => {
  server.sim.clearFaults();
  server.sim.resetCounters();
});

describe("STS GetCallerIdentity through the real SDK", () => {
  it("returns the default account for an unmapped access key", async () => {
    const client = stsClient(server.url, "us-east-1", "AKIDUNMAPPED");
    const out = await client.send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe("111111111111");
    expect(out.Arn).toBe("arn:aws:iam::111111111111:user/simulated");
    expect(out.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    client.destroy();
  });

  it("returns the account mapped to each access key", async () => {
    server.sim.mapAccessKey("AKIDPROD", "222222222222");
    server.sim.mapAccessKey("AKIDSTAGING", "333333333333");
    const prod = stsClient(server.url, "eu-west-1", "AKIDPROD");
    const staging = stsClient(server.url, "eu-west-1", "AKIDSTAGING");

    expect((await prod.send(new GetCallerIdentityCommand({}))).Account).toBe("222222222222");
    expect((await staging.send(new GetCallerIdentityCommand({}))).Account).toBe("333333333333");
    expect(server.sim.callCount("GetCallerIdentity", { region: "eu-west-1", accountId: "222222222222" })).toBe(1);
    expect(server.sim.callCount("GetCallerIdentity")).toBe(2);
    expect(server.sim.callCount("ListAssociations")).toBe(0);
    prod.destroy();
    staging.destroy();
  });

  it("surfaces injected faults in query-protocol XML", async () => {
    const client = stsClient(server.url);
    server.sim.injectFault({ kind: "ThrottlingException", count: 1, operation: "GetCallerIdentity" });
    server.sim.injectFault({ kind: "InternalServerError", count: 1, operation: "GetCallerIdentity" });

    const throttled = await rejection(client.send(new GetCallerIdentityCommand({})));
    const broken = await rejection(client.send(new GetCallerIdentityCommand({})));

    expect([throttled.name, throttled.$metadata?.httpStatusCode, throttled.message]).toEqual(["ThrottlingException", 400, "Rate exceeded"]);
    expect([broken.name, broken.$metadata?.httpStatusCode]).toEqual(["InternalServerError", 500]);
    client.destroy();
  });

  it("is reachable through AWS_ENDPOINT_URL_STS", async () => {
    const saved = process.env.AWS_ENDPOINT_URL_STS;
    process.env.AWS_ENDPOINT_URL_STS = server.url;
    try {
      const client = new STSClient({ region: "us-east-1", credentials: { accessKeyId: "AKIDENV", secretAccessKey: "x" }, maxAttempts: 1 });
      expect((await client.send(new GetCallerIdentityCommand({}))).Account).toBe("111111111111");
      client.destroy();
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_STS;
      else process.env.AWS_ENDPOINT_URL_STS = saved;
    }
  });
});

describe("STS raw protocol", () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8", ...headers },
      body,
    });
  const AUTH = "AWS4-HMAC-SHA256 Credential=AKIDRAW/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00";

  it("answers GetCallerIdentity with the documented XML", async () => {
    const res = await post("Action=GetCallerIdentity&Version=2011-06-15", { authorization: AUTH });
    const xml = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/xml");
    const normalized = xml
      .replace(/<UserId>AIDA[A-Z2-7]{17}<\/UserId>/, "<UserId>USERID</UserId>")
      .replace(/<RequestId>[0-9a-f-]{36}<\/RequestId>/, "<RequestId>REQUESTID</RequestId>");
    expect(normalized).toBe(
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
        "<GetCallerIdentityResult>" +
        "<Arn>arn:aws:iam::111111111111:user/simulated</Arn>" +
        "<UserId>USERID</UserId>" +
        "<Account>111111111111</Account>" +
        "</GetCallerIdentityResult>" +
        "<ResponseMetadata><RequestId>REQUESTID</RequestId></ResponseMetadata>" +
        "</GetCallerIdentityResponse>",
    );
  });

  it("answers unknown actions and missing auth with XML errors", async () => {
    const unknown = await post("Action=AssumeRoleWithSAML&Version=2011-06-15", { authorization: AUTH });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toMatch(/<Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>[^<]+<\/Message><\/Error><RequestId>/);

    const anonymous = await post("Action=GetCallerIdentity&Version=2011-06-15");
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain("<Code>MissingAuthenticationToken</Code>");
    expect(server.sim.callCount("GetCallerIdentity")).toBe(0);
  });
});
