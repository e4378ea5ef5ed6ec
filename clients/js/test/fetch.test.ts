import { describe, expect, it, vi } from "vitest";
import { GatehouseError } from "../src/index.js";
import { API } from "./fake-gatehouse.js";
import { client, fakeGatehousePerTest, password, settle } from "./helpers.js";

describe("client.fetch", () => {
  const server = fakeGatehousePerTest();

  it("attaches the access token", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });

    const response = await gatehouse.fetch(`${API}/hello`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ hello: gatehouse.session.memberId });
    gatehouse.dispose();
  });

  it("on a 401 refreshes once and retries once", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    server.forgetAccessTokens();

    const response = await gatehouse.fetch(`${API}/hello`);

    expect(response.status).toBe(200);
    expect(server.count("POST /auth/token")).toBe(1);
    expect(server.count(`GET ${API}/hello`)).toBe(2);
    gatehouse.dispose();
  });

  it("never loops: a second 401 is returned as it is", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });

    const response = await gatehouse.fetch(`${API}/always-401`);

    expect(response.status).toBe(401);
    expect(server.count("POST /auth/token")).toBe(1);
    expect(server.count(`GET ${API}/always-401`)).toBe(2);
    expect(gatehouse.isSignedIn).toBe(true);
    gatehouse.dispose();
  });

  it("shares one refresh among every call in flight (single flight)", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    server.forgetAccessTokens();
    let release!: () => void;
    server.hold = new Promise<void>((resolve) => (release = resolve));

    const calls = Array.from({ length: 8 }, () => gatehouse.fetch(`${API}/hello`));
    await settle();
    expect(server.count("POST /auth/token")).toBe(1);
    release();
    const responses = await Promise.all(calls);

    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(server.count("POST /auth/token")).toBe(1);
    expect(server.count(`GET ${API}/hello`)).toBe(16);
    gatehouse.dispose();
  });

  it("a call that got its 401 after another call already refreshed uses the new token without refreshing again", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    const stale = gatehouse.session.accessToken!;
    await gatehouse.refresh();

    expect(await gatehouse.tokenAfterUnauthorized(stale)).toBe(gatehouse.session.accessToken);
    expect(server.count("POST /auth/token")).toBe(1);
    gatehouse.dispose();
  });

  it("refreshes first when the token has already run out (a sleeping laptop), so no call fails", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    vi.setSystemTime(Date.now() + 60_000); // the clock jumps; no timer has run

    const response = await gatehouse.fetch(`${API}/hello`);

    expect(response.status).toBe(200);
    expect(server.count(`GET ${API}/hello`)).toBe(1);
    expect(server.count("POST /auth/token")).toBe(1);
    gatehouse.dispose();
  });

  it("a call made past the refresh point while the timer is late waits for the refresh instead of racing the expiry", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    const first = gatehouse.session.accessToken;
    vi.setSystemTime(Date.now() + 4500); // past 80% of 5 s; the timer has not run

    const response = await gatehouse.fetch(`${API}/hello`);

    expect(response.status).toBe(200);
    expect(server.count("POST /auth/token")).toBe(1);
    expect(server.requests.indexOf("POST /auth/token")).toBeLessThan(server.requests.indexOf(`GET ${API}/hello`));
    expect(gatehouse.session.accessToken).not.toBe(first);
    gatehouse.dispose();
  });

  it("sends a Request object's method, headers and body again on the retry", async () => {
    const seen: string[] = [];
    const gatehouse = client(server, {
      fetch: async (input, init) => {
        const request = new Request(input, init);
        if (request.url.startsWith(API)) seen.push(`${request.method} ${request.headers.get("X-Trace")} ${await request.clone().text()}`);
        return server.fetch(request);
      },
    });
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    server.forgetAccessTokens();

    await gatehouse.fetch(new Request(`${API}/always-401`, { method: "POST", body: "payload", headers: { "X-Trace": "t1" } }));

    expect(seen).toEqual(["POST t1 payload", "POST t1 payload"]);
    gatehouse.dispose();
  });

  it("without a session sends no token and does not refresh on a 401", async () => {
    const gatehouse = client(server);
    await expect(gatehouse.refresh()).rejects.toMatchObject({ code: "invalid_grant" });

    const response = await gatehouse.fetch(`${API}/hello`);

    expect(response.status).toBe(401);
    expect(server.count("POST /auth/token")).toBe(1);
    expect(gatehouse.session.status).toBe("signed-out");
    expect(gatehouse.events).toEqual([{ type: "signed-out", reason: "no-session" }]);
  });

  it("reports a network failure as network_error", async () => {
    const gatehouse = client(server, { fetch: () => Promise.reject(new TypeError("Failed to fetch")) });

    const error = await gatehouse.loginWithPassword({ email: "a@example.test", password }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GatehouseError);
    expect(error).toMatchObject({ code: "network_error", status: 0 });
  });
});
