import { fileURLToPath } from "node:url";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { BasicAuth, parseBasicAuthorization } from "../../src/web/basic-auth.js";
import { loadWebConfig } from "../../src/web/web-config.js";

const dir = fileURLToPath(new URL("../fixtures/tls/", import.meta.url));
/** user2y, user2b, user2a: password "secret", cost 10, one per bcrypt prefix (fixtures/tls/make.sh). */
const users = loadWebConfig(`${dir}users.web-config.yml`).users;
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString("base64")}`;

/** A BasicAuth whose bcrypt comparisons are counted (and still real). */
function countingAuth(cacheSize?: number) {
  const calls: string[] = [];
  const auth = new BasicAuth({
    ...(cacheSize !== undefined && { cacheSize }),
    compare: (password, hash) => {
      calls.push(hash);
      return bcrypt.compare(password, hash);
    },
  });
  return { auth, calls };
}

describe("BasicAuth", () => {
  it("accepts the right password for $2y$ (htpasswd), $2b$ and $2a$ hashes", async () => {
    const auth = new BasicAuth();
    expect(await auth.check(users, basic("user2y:secret"))).toBe(true);
    expect(await auth.check(users, basic("user2b:secret"))).toBe(true);
    expect(await auth.check(users, basic("user2a:secret"))).toBe(true);
  });

  it("refuses a wrong password, an empty one and an unknown user", async () => {
    const auth = new BasicAuth();
    expect(await auth.check(users, basic("user2y:Secret"))).toBe(false);
    expect(await auth.check(users, basic("user2y:"))).toBe(false);
    expect(await auth.check(users, basic("nobody:secret"))).toBe(false);
  });

  it("refuses everyone when there are no users (the caller skips the check then)", async () => {
    expect(await new BasicAuth().check(new Map(), basic("user2y:secret"))).toBe(false);
  });

  it("runs bcrypt for an unknown user too, so timing does not tell which users exist", async () => {
    const { auth, calls } = countingAuth();
    expect(await auth.check(users, basic("nobody:secret"))).toBe(false);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^\$2[aby]\$10\$/);
    expect([...users.values()]).not.toContain(calls[0]);
  });

  it("refuses malformed Authorization headers without running bcrypt", async () => {
    const { auth, calls } = countingAuth();
    for (const header of [undefined, "", "Basic", "Basic ", "Bearer abc", `Digest ${Buffer.from("user2y:secret").toString("base64")}`, "Basic !!!!", "Basic dXNlcjJ5", basic("no colon")]) {
      expect(await auth.check(users, header), String(header)).toBe(false);
    }
    expect(calls).toEqual([]);
  });

  it("accepts the scheme in any case, like Go", async () => {
    expect(await new BasicAuth().check(users, `basic ${Buffer.from("user2b:secret").toString("base64")}`)).toBe(true);
  });

  it("remembers a success: the same credentials again do not run bcrypt", async () => {
    const { auth, calls } = countingAuth();
    expect(await auth.check(users, basic("user2y:secret"))).toBe(true);
    expect(await auth.check(users, basic("user2y:secret"))).toBe(true);
    expect(await auth.check(users, basic("user2y:secret"))).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it("does not remember failures as successes", async () => {
    const { auth, calls } = countingAuth();
    expect(await auth.check(users, basic("user2y:wrong"))).toBe(false);
    expect(await auth.check(users, basic("user2y:wrong"))).toBe(false);
    expect(calls).toHaveLength(2);
  });

  it("does not let a changed hash (a password change) hit the old cache entry", async () => {
    const { auth, calls } = countingAuth();
    expect(await auth.check(users, basic("user2y:secret"))).toBe(true);
    const changed = new Map(users).set("user2y", bcrypt.hashSync("new password", 4));
    expect(await auth.check(changed, basic("user2y:secret"))).toBe(false);
    expect(await auth.check(changed, basic("user2y:new password"))).toBe(true);
    expect(calls).toHaveLength(3);
  });

  it("forgets a removed user at once", async () => {
    const { auth } = countingAuth();
    expect(await auth.check(users, basic("user2b:secret"))).toBe(true);
    const without = new Map(users);
    without.delete("user2b");
    expect(await auth.check(without, basic("user2b:secret"))).toBe(false);
  });

  it("keeps only the most recent successes, up to cacheSize", async () => {
    const fast = new Map([
      ["a", bcrypt.hashSync("pa", 4)],
      ["b", bcrypt.hashSync("pb", 4)],
      ["c", bcrypt.hashSync("pc", 4)],
    ]);
    const { auth, calls } = countingAuth(2);
    for (const credentials of ["a:pa", "b:pb", "a:pa", "c:pc", "a:pa", "b:pb"]) expect(await auth.check(fast, basic(credentials))).toBe(true);
    // a, b miss; a hits; c misses and evicts b (a was used more recently); a hits; b misses again.
    expect(calls).toEqual([fast.get("a"), fast.get("b"), fast.get("c"), fast.get("b")]);
  });

  it("runs one bcrypt at a time", async () => {
    let running = 0;
    let most = 0;
    const auth = new BasicAuth({
      compare: async (password, hash) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return bcrypt.compare(password, hash);
      },
    });
    const results = await Promise.all(["user2y:secret", "user2b:secret", "user2a:x", "nobody:y"].map((c) => auth.check(users, basic(c))));
    expect(results).toEqual([true, true, false, false]);
    expect(most).toBe(1);
  });

  it("treats a comparison that throws as a failed check", async () => {
    const auth = new BasicAuth({ compare: () => Promise.reject(new Error("boom")) });
    expect(await auth.check(users, basic("user2y:secret"))).toBe(false);
  });

  it("refuses a bad cacheSize when constructed", () => {
    expect(() => new BasicAuth({ cacheSize: -1 })).toThrow("BasicAuth: cacheSize must be a whole number ≥ 0, got -1");
  });
});

describe("parseBasicAuthorization", () => {
  it("splits at the first colon: passwords may contain colons", () => {
    expect(parseBasicAuthorization(basic("u:p:q"))).toEqual({ user: "u", password: "p:q" });
    expect(parseBasicAuthorization(basic(":p"))).toEqual({ user: "", password: "p" });
    expect(parseBasicAuthorization(basic("ü:ß"))).toEqual({ user: "ü", password: "ß" });
  });
});
