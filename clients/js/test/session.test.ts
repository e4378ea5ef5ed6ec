import { describe, expect, it, vi } from "vitest";
import { createGatehouse, type Clock, type RefreshTokenStore } from "../src/index.js";
import { API, BASE } from "./fake-gatehouse.js";
import { client, fakeGatehousePerTest, password } from "./helpers.js";

describe("the session over time", () => {
  const server = fakeGatehousePerTest();

  it("refreshes ahead of expiry at 80% of the access token's lifetime, again and again", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    const firstExpiry = gatehouse.expiresAt!;
    expect(firstExpiry).toBe(Date.now() + 5000);

    await vi.advanceTimersByTimeAsync(3999);
    expect(server.count("POST /auth/token")).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.count("POST /auth/token")).toBe(1);
    expect(gatehouse.expiresAt).toBe(firstExpiry + 4000);

    await vi.advanceTimersByTimeAsync(4000 * 5);
    expect(server.count("POST /auth/token")).toBe(6);
    expect((await gatehouse.fetch(`${API}/hello`)).status).toBe(200);
    expect(gatehouse.events.filter((e) => e.type === "refreshed")).toHaveLength(6);
    gatehouse.dispose();
  });

  it("a refresh in flight when the client is disposed schedules nothing afterwards", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });

    const inFlight = gatehouse.refresh();
    gatehouse.dispose();
    await inFlight;
    await vi.advanceTimersByTimeAsync(4000 * 5);

    expect(server.count("POST /auth/token")).toBe(1);
  });

  it("takes another fraction when configured", async () => {
    const gatehouse = client(server, { refreshAhead: 0.5 });
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });

    await vi.advanceTimersByTimeAsync(2499);
    expect(server.count("POST /auth/token")).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.count("POST /auth/token")).toBe(1);
    gatehouse.dispose();
  });

  it("refuses a fraction outside 0.5 to 0.95, and a base URL that is not absolute", () => {
    expect(() => createGatehouse({ baseUrl: BASE, refreshAhead: 1 })).toThrow(RangeError);
    expect(() => createGatehouse({ baseUrl: "/auth" })).toThrow(/absolute/);
  });

  it("ends the session with an 'ended' event when the refresh fails with invalid_grant", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    server.revokeAll();

    await vi.advanceTimersByTimeAsync(4000);

    expect(gatehouse.session.status).toBe("signed-out");
    expect(gatehouse.session.accessToken).toBeNull();
    expect(gatehouse.events.at(-1)).toEqual({ type: "ended", code: "invalid_grant", message: "The session has ended." });
    // Nothing more: no timer, no retry loop.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.count("POST /auth/token")).toBe(1);
    expect((await gatehouse.fetch(`${API}/hello`)).status).toBe(401);
    expect(server.count("POST /auth/token")).toBe(1);
  });

  it("a replayed refresh token revokes the session and the app's next refresh ends it", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    const stolen = server.cookie!;
    await vi.advanceTimersByTimeAsync(4000); // the app rotates
    await vi.advanceTimersByTimeAsync(server.reuseLeeway);

    const replay = await server.fetch(`${BASE}/auth/token`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refreshToken: stolen }) });
    expect(replay.status).toBe(401);
    await vi.advanceTimersByTimeAsync(4000);

    expect(gatehouse.events.at(-1)).toMatchObject({ type: "ended", code: "invalid_grant" });
    gatehouse.dispose();
  });

  it("keeps the session through a passing failure (503) and tries again with backoff", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    server.failRefreshes = 2;

    await vi.advanceTimersByTimeAsync(4000);
    expect(server.count("POST /auth/token")).toBe(1);
    expect(gatehouse.isSignedIn).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(server.count("POST /auth/token")).toBe(2);
    await vi.advanceTimersByTimeAsync(1999);
    expect(server.count("POST /auth/token")).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.count("POST /auth/token")).toBe(3);

    expect(gatehouse.isSignedIn).toBe(true);
    expect(gatehouse.expiresAt).toBe(Date.now() + 5000);
    expect(gatehouse.events.filter((e) => e.type === "ended")).toEqual([]);
    gatehouse.dispose();
  });

  it("in manual mode never refreshes by itself: the session expires, and extend() brings it back", async () => {
    const gatehouse = client(server, { autoRefresh: false });
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });

    await vi.advanceTimersByTimeAsync(5000);

    expect(server.count("POST /auth/token")).toBe(0);
    expect(gatehouse.session.status).toBe("expired");
    expect(gatehouse.events.at(-1)).toEqual({ type: "expired" });
    expect((await gatehouse.fetch(`${API}/hello`)).status).toBe(401);
    expect(server.count("POST /auth/token")).toBe(0);

    const extended = await gatehouse.extend();
    expect(extended.status).toBe("signed-in");
    expect(extended.expiresAt).toBe(Date.now() + 5000);
    expect((await gatehouse.fetch(`${API}/hello`)).status).toBe(200);
    gatehouse.dispose();
  });

  it("switching to automatic mode schedules the refresh; back to manual cancels it", async () => {
    const gatehouse = client(server, { autoRefresh: false });
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    gatehouse.autoRefresh = true;
    await vi.advanceTimersByTimeAsync(4000);
    expect(server.count("POST /auth/token")).toBe(1);

    gatehouse.autoRefresh = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.count("POST /auth/token")).toBe(1);
    expect(gatehouse.session.status).toBe("expired");
    gatehouse.dispose();
  });

  it("onChange tells every change with the new state; its return value unsubscribes; extend() moves expiresAt", async () => {
    const gatehouse = client(server);
    const seen: Array<[string, number | null]> = [];
    const stop = gatehouse.onChange((state, event) => seen.push([event.type, state.expiresAt]));
    await gatehouse.loginWithPassword({ email: "nobody@example.test", password }).catch(() => undefined);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    const first = gatehouse.expiresAt!;
    await vi.advanceTimersByTimeAsync(1000);

    const state = await gatehouse.extend();

    expect(state.expiresAt).toBe(first + 1000);
    expect(gatehouse.expiresAt).toBe(first + 1000);
    expect(seen).toEqual([
      ["signed-in", first],
      ["refreshed", first + 1000],
    ]);
    stop();
    await gatehouse.logout();
    expect(seen).toHaveLength(2);
    expect(gatehouse.events.at(-1)).toEqual({ type: "signed-out", reason: "logout" });
    gatehouse.dispose();
  });

  it("a logout while a refresh's answer is on its way stays a logout", async () => {
    // Gatehouse rotated the token before the logout arrived; its answer reaches the client after the logout.
    let release!: () => void;
    const answer = new Promise<void>((resolve) => (release = resolve));
    const gatehouse = client(server, {
      fetch: async (input, init) => {
        const response = await server.fetch(input, init);
        if (String(input).endsWith("/auth/token")) await answer;
        return response;
      },
    });
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });

    const refreshing = gatehouse.refresh();
    await vi.waitFor(() => expect(server.count("POST /auth/token")).toBe(1));
    await gatehouse.logout();
    release();
    await refreshing.catch(() => undefined);

    expect(gatehouse.session.status).toBe("signed-out");
    expect(gatehouse.events.map((e) => e.type)).toEqual(["signed-in", "signed-out"]);
    gatehouse.dispose();
  });

  it("a login while the page-load refresh is in flight is not undone when that refresh finds no session", async () => {
    await client(server).signup({ email: "a@example.test", password, nickname: "A" });
    server.cookie = null;
    const gatehouse = client(server);
    let release!: () => void;
    server.hold = new Promise<void>((resolve) => (release = resolve));

    const pickUp = gatehouse.refresh(); // sent without a cookie: it will find no session
    await gatehouse.loginWithPassword({ email: "a@example.test", password });
    release();
    await expect(pickUp).rejects.toMatchObject({ code: "invalid_grant" });

    expect(gatehouse.session.status).toBe("signed-in");
    expect(gatehouse.events.map((e) => e.type)).toEqual(["signed-in"]);
    gatehouse.dispose();
  });

  it("a listener that throws does not stop the others", async () => {
    const gatehouse = client(server);
    gatehouse.onChange(() => {
      throw new Error("listener bug");
    });
    const after = vi.fn();
    gatehouse.onChange(after);

    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });

    expect(after).toHaveBeenCalledOnce();
    expect(() => vi.advanceTimersByTime(0)).toThrow("listener bug");
    gatehouse.dispose();
  });

  it("runs on an injected clock", async () => {
    let now = 1_000_000;
    const timers: Array<{ at: number; fn: () => void }> = [];
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn, ms) => timers.push({ at: now + ms, fn }),
      clearTimeout: (handle) => timers.splice(timers.findIndex((_, i) => i + 1 === handle), 1, { at: Infinity, fn: () => undefined }),
    };
    const gatehouse = client(server, { clock });
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });

    expect(gatehouse.expiresAt).toBe(1_005_000);
    const due = timers.filter((t) => t.at !== Infinity);
    expect(due.map((t) => t.at)).toEqual([1_004_000]);
    now = 1_004_000;
    due[0]!.fn();
    await vi.waitFor(() => expect(server.count("POST /auth/token")).toBe(1));
    gatehouse.dispose();
  });
});

describe("refresh token in the body (Node, native apps)", () => {
  const server = fakeGatehousePerTest();

  function fileLikeStore(): RefreshTokenStore & { value: string | null } {
    const store = {
      value: null as string | null,
      get: async () => store.value,
      set: async (token: string | null) => void (store.value = token),
    };
    return store;
  }

  it("keeps the rotating refresh token in the store, never in a cookie, and a new process picks the session up", async () => {
    const store = fileLikeStore();
    const first = client(server, { refreshTokenDelivery: "body", refreshTokenStore: store });
    await first.signup({ email: "a@example.test", password, nickname: "A" });
    const issued = store.value;
    expect(issued).toMatch(/^rt-/);
    expect(server.cookie).toBeNull();
    await first.refresh();
    expect(store.value).not.toBe(issued);
    first.dispose();

    const second = client(server, { refreshTokenDelivery: "body", refreshTokenStore: store });
    await second.refresh();
    expect(second.session.memberId).toBe(first.session.memberId);
    expect((await second.fetch(`${API}/hello`)).status).toBe(200);

    await second.logout();
    expect(store.value).toBeNull();
    expect(second.session.status).toBe("signed-out");
    second.dispose();
  });

  it("without a stored token, refresh() says no_session without calling Gatehouse", async () => {
    const gatehouse = client(server, { refreshTokenDelivery: "body", refreshTokenStore: fileLikeStore() });

    await expect(gatehouse.refresh()).rejects.toMatchObject({ code: "no_session" });

    expect(server.requests).toEqual([]);
    expect(gatehouse.session.status).toBe("signed-out");
  });

  it("an invalid_grant drops the stored token", async () => {
    const store = fileLikeStore();
    const gatehouse = client(server, { refreshTokenDelivery: "body", refreshTokenStore: store });
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    server.revokeAll();

    await expect(gatehouse.refresh()).rejects.toMatchObject({ code: "invalid_grant" });

    expect(store.value).toBeNull();
    expect(gatehouse.events.at(-1)).toMatchObject({ type: "ended" });
  });
});
