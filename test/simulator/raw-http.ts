import { connect } from "node:net";

/** A SigV4-looking Authorization header: the simulator reads key and region from it, never the signature. */
export function rawAuth(accessKeyId = "AKIDRAW", region = "us-east-1", service = "ssm"): string {
  return `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20240101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=00`;
}

/** ListAssociations with plain fetch: status, headers and the exact body bytes. */
export async function rawList(
  url: string,
  input: Record<string, unknown> = {},
  auth = rawAuth(),
): Promise<{ status: number; headers: Headers; body: string; bytes: number }> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "AmazonSSM.ListAssociations",
      authorization: auth,
    },
    body: JSON.stringify(input),
  });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: buf.toString("utf8"), bytes: buf.length };
}

/** An HTTP/1.1 request as bytes; Content-Length filled in, `connection: close` so a normal answer ends with FIN. */
export function httpRequest(port: number, headers: Record<string, string>, body: string | Buffer): Buffer {
  const payload = typeof body === "string" ? Buffer.from(body) : body;
  const head = Object.entries({ host: `127.0.0.1:${port}`, connection: "close", ...headers, "content-length": String(payload.length) })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  return Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\n${head}\r\n`), payload]);
}

export function ssmRequest(port: number, input: Record<string, unknown> = {}): Buffer {
  return httpRequest(
    port,
    {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "AmazonSSM.ListAssociations",
      authorization: rawAuth(),
    },
    JSON.stringify(input),
  );
}

export function stsRequest(port: number, action = "GetCallerIdentity"): Buffer {
  return httpRequest(
    port,
    { "content-type": "application/x-www-form-urlencoded; charset=utf-8", authorization: rawAuth("AKIDRAW", "us-east-1", "sts") },
    `Action=${action}&Version=2011-06-15`,
  );
}

export interface RawExchange {
  /** Every byte the server sent. */
  data: Buffer;
  /** fin: the server closed cleanly; rst: the connection was reset; open: still open after waitMs. */
  end: "fin" | "rst" | "open";
  errorCode?: string;
  /** Bytes of the request still not accepted by the kernel when the exchange ended. */
  unsent: number;
}

/**
 * Sends raw request bytes on a fresh TCP connection and records what comes back until the server
 * closes the connection (after an HTTP response too) or `waitMs` passes.
 */
export function rawExchange(port: number, request: Buffer, waitMs: number): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let end: RawExchange["end"] = "open";
    let errorCode: string | undefined;
    const finish = () => {
      clearTimeout(timer);
      const unsent = socket.writableLength;
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), end, ...(errorCode !== undefined && { errorCode }), unsent });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => {
      end = "fin";
      finish();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      errorCode = err.code;
      end = err.code === "ECONNRESET" ? "rst" : end;
      finish();
    });
    socket.write(request);
  });
}

/** Splits raw response bytes into status, lower-cased headers and body bytes. */
export function parseRawResponse(data: Buffer): { status: number; headers: Record<string, string>; body: Buffer } {
  const split = data.indexOf("\r\n\r\n");
  if (split < 0) throw new Error(`no complete HTTP head in ${JSON.stringify(data.toString("latin1"))}`);
  const [statusLine = "", ...lines] = data.subarray(0, split).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: data.subarray(split + 4) };
}
