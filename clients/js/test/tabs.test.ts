import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createGatehouse, type TabOptions } from "../src/index.js";
import { API, BASE, FakeGatehouse, MemoryChannelHub, MemoryLocks } from "./fake-gatehouse.js";
import { client, fakeGatehousePerTest, password, settle, useFakeClock } from "./helpers.js";

/** Two tabs of one browser: one cookie jar (the fake server's), one lock manager, one channel hub. */
function twoTabs(server: FakeGatehouse, tabs: () => TabOptions) {
  return [client(server, { tabs: tabs() }), client(server, { tabs: tabs() })] as const;
}

describe.each([
  ["in-memory BroadcastChannel", () => new MemoryChannelHub().create],
  ["Node's BroadcastChannel", () => (name: string) => new BroadcastChannel(name) as never],
])("several tabs, Web Locks and %s", (_, channelFactory) => {
  let server: FakeGatehouse;
  let locks: MemoryLocks;
  let channel: TabOptions["channel"];
  let name: string;
  beforeEach(() => {
    useFakeClock();
    server = new FakeGatehouse();
    locks = new MemoryLocks();
    channel = channelFactory();
    name = "gatehouse-test-" + Math.random();
  });
  afterEach(() => vi.useRealTimers());

  it("one tab refreshes for all, the others receive the new token, and no refresh token is ever raced", async () => {
    const [a, b] = twoTabs(server, () => ({ locks, channel: channel!, name }));
    await a.signup({ email: "a@example.test", password, nickname: "A" });
    await settle();
    expect(b.session.status).toBe("signed-in");
    expect(b.events).toEqual([{ type: "signed-in", source: "other-tab" }]);

    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(4000);
      await settle();
    }

    expect(server.count("POST /auth/token")).toBe(5);
    expect(b.session.accessToken).toBe(a.session.accessToken);
    expect(b.expiresAt).toBe(a.expiresAt);
    expect([...a.events, ...b.events].filter((e) => e.type === "ended")).toEqual([]);
    expect((await b.fetch(`${API}/hello`)).status).toBe(200);
    a.dispose();
    b.dispose();
  });

  it("tabs that refresh at the same moment take turns: the second finds the first one's token and does not refresh", async () => {
    const [a, b] = twoTabs(server, () => ({ locks, channel: channel!, name }));
    await a.signup({ email: "a@example.test", password, nickname: "A" });
    await settle();
    server.forgetAccessTokens();

    const [ra, rb] = await Promise.all([a.fetch(`${API}/hello`), b.fetch(`${API}/hello`)]);

    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(server.count("POST /auth/token")).toBe(1);
    a.dispose();
    b.dispose();
  });

  it("a logout in one tab signs out every tab", async () => {
    const [a, b] = twoTabs(server, () => ({ locks, channel: channel!, name }));
    await a.signup({ email: "a@example.test", password, nickname: "A" });
    await settle();

    await b.logout();
    await settle();

    expect(a.session.status).toBe("signed-out");
    expect(a.events.at(-1)).toEqual({ type: "signed-out", reason: "other-tab" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.count("POST /auth/token")).toBe(0);
    a.dispose();
    b.dispose();
  });

  it("a session ended in one tab (invalid_grant) ends in every tab", async () => {
    const [a, b] = twoTabs(server, () => ({ locks, channel: channel!, name }));
    await a.signup({ email: "a@example.test", password, nickname: "A" });
    await settle();
    server.revokeAll();

    await vi.advanceTimersByTimeAsync(4000);
    await settle();

    expect(server.count("POST /auth/token")).toBe(1);
    expect(a.events.at(-1)).toMatchObject({ type: "ended", code: "invalid_grant" });
    expect(b.events.at(-1)).toMatchObject({ type: "ended", code: "invalid_grant" });
    a.dispose();
    b.dispose();
  });
});

describe("a logout that crosses another tab's refresh", () => {
  const server = fakeGatehousePerTest();
  beforeEach(() => useFakeClock());
  afterEach(() => vi.useRealTimers());

  it.each([
    ["logout", (tab: ReturnType<typeof client>) => tab.logout()],
    ["logoutAll", (tab: ReturnType<typeof client>) => tab.logoutAll()],
  ])("%s: the other tab's token, fetched before the session ended and heard of after, signs no tab in again", async (_, end) => {
    const hub = new MemoryChannelHub();
    const locks = new MemoryLocks();
    const [a, b] = twoTabs(server, () => ({ locks, channel: hub.create, name: "crossing" }));
    await a.signup({ email: "a@example.test", password, nickname: "A" });
    await settle();
    expect(b.session.status).toBe("signed-in");

    // Tab b extends the session: Gatehouse rotates, and the answer is still on its way back when tab a logs out.
    let release!: () => void;
    server.holdAnswer = new Promise<void>((resolve) => (release = resolve));
    const extending = b.refresh();
    await settle();
    expect(server.count("POST /auth/token")).toBe(1);
    hub.delayed = true;
    await end(a);
    expect(a.session.status).toBe("signed-out");

    // b takes its answer before it hears of the logout, and tells the other tabs; a hears of that token only now.
    release();
    await extending;
    expect(b.session.status).toBe("signed-in");
    hub.deliver();
    await settle();

    expect(a.session.status).toBe("signed-out");
    expect(a.events.filter((e) => e.type === "signed-in")).toEqual([{ type: "signed-in", source: "this-tab" }]);
    expect(b.session.status).toBe("signed-out");
    expect(b.events.at(-1)).toEqual({ type: "signed-out", reason: "other-tab" });

    // A new login in either tab still reaches the other.
    await b.loginWithPassword({ email: "a@example.test", password });
    await settle();
    expect(a.session.status).toBe("signed-in");
    expect(a.session.sessionId).toBe(b.session.sessionId);
    a.dispose();
    b.dispose();
  });
});

describe("a token that reaches the other tab after the lock does", () => {
  const server = fakeGatehousePerTest();

  /** Two tabs whose messages take 50 ms to arrive, longer than the lock takes to pass from one to the other. */
  async function slowTabs() {
    const hub = new MemoryChannelHub();
    hub.latencyMs = 50;
    const locks = new MemoryLocks();
    const [a, b] = twoTabs(server, () => ({ locks, channel: hub.create, name: "slow" }));
    await a.signup({ email: "a@example.test", password, nickname: "A" });
    await vi.advanceTimersByTimeAsync(60);
    expect(b.session.accessToken).toBe(a.session.accessToken);
    return { hub, a, b };
  }

  it("a tab that waited for the lock waits for the token of the tab that held it, and does not refresh again", async () => {
    const { a, b } = await slowTabs();
    server.forgetAccessTokens();

    const both = Promise.all([a.fetch(`${API}/hello`), b.fetch(`${API}/hello`)]);
    await settle(); // no time passes: a refreshes and lets go, b gets the lock, and a's token is still on its way
    expect(server.count("POST /auth/token")).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    const [ra, rb] = await both;

    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(server.count("POST /auth/token")).toBe(1);
    expect(b.session.accessToken).toBe(a.session.accessToken);
    a.dispose();
    b.dispose();
  });

  it("a tab that heard another tab's refresh start waits for its token, even when the lock is free by then", async () => {
    const { a, b } = await slowTabs();
    server.forgetAccessTokens(); // the token both tabs hold is refused from now on
    let release!: () => void;
    server.holdAnswer = new Promise<void>((resolve) => (release = resolve));
    const extending = a.refresh();
    await vi.advanceTimersByTimeAsync(60); // b hears "refresh-started"
    release();
    await extending; // a has its token and has let go of the lock; b hears of the token 50 ms from now
    server.holdAnswer = null;

    const call = b.fetch(`${API}/hello`); // b's old token: 401, then b needs a new one
    await vi.advanceTimersByTimeAsync(200);

    expect((await call).status).toBe(200);
    expect(server.count("POST /auth/token")).toBe(1);
    expect(b.session.accessToken).toBe(a.session.accessToken);
    a.dispose();
    b.dispose();
  });

  it("a tab left waiting by a refresh that never says how it ended refreshes by itself after a second", async () => {
    const { hub, a, b } = await slowTabs();
    a.dispose(); // a closed mid-refresh: it said it started, and nothing more
    hub.create("slow").postMessage({ v: 1, type: "refresh-started" });
    await vi.advanceTimersByTimeAsync(60);
    server.forgetAccessTokens();

    const call = b.fetch(`${API}/hello`);
    await vi.advanceTimersByTimeAsync(900);
    expect(server.count("POST /auth/token")).toBe(0);
    await vi.advanceTimersByTimeAsync(200);

    expect((await call).status).toBe(200);
    expect(server.count("POST /auth/token")).toBe(1);
    b.dispose();
  });

  it("a failed refresh in one tab lets the waiting tab go on at once", async () => {
    const { a, b } = await slowTabs();
    server.forgetAccessTokens();
    server.failRefreshes = 1;

    const both = Promise.all([a.fetch(`${API}/hello`), b.fetch(`${API}/hello`)]);
    await vi.advanceTimersByTimeAsync(100); // a's 503 and its "refresh-failed" (50 ms); b refreshes, well before a second
    await settle();

    expect(server.count("POST /auth/token")).toBe(2);
    const [ra, rb] = await both;
    expect(rb.status).toBe(200);
    expect([401, 503]).toContain(ra.status);
    a.dispose();
    b.dispose();
  });
});

describe("graceful degradation", () => {
  const server = fakeGatehousePerTest();

  it("without Web Locks, tabs refreshing at once both succeed: Gatehouse's reuse leeway answers the second", async () => {
    const hub = new MemoryChannelHub();
    const [a, b] = twoTabs(server, () => ({ locks: null, channel: hub.create }));
    await a.signup({ email: "a@example.test", password, nickname: "A" });
    await settle();
    let release!: () => void;
    server.hold = new Promise<void>((resolve) => (release = resolve));

    const both = Promise.all([a.refresh(), b.refresh()]);
    await settle();
    release();
    server.hold = null;
    await both;

    expect(server.count("POST /auth/token")).toBe(2);
    expect(a.isSignedIn && b.isSignedIn).toBe(true);
    expect((await a.fetch(`${API}/hello`)).status).toBe(200);
    expect((await b.fetch(`${API}/hello`)).status).toBe(200);
    a.dispose();
    b.dispose();
  });

  it("without BroadcastChannel, each tab keeps its own token and learns of a logout elsewhere at its next refresh", async () => {
    const locks = new MemoryLocks();
    const [a, b] = twoTabs(server, () => ({ locks, channel: null }));
    await a.signup({ email: "a@example.test", password, nickname: "A" });
    await b.refresh();
    expect(b.isSignedIn).toBe(true);

    await a.logout();
    expect(b.isSignedIn).toBe(true);
    await vi.advanceTimersByTimeAsync(4000);

    expect(b.events.at(-1)).toMatchObject({ type: "ended", code: "invalid_grant" });
    a.dispose();
    b.dispose();
  });

  it("finds the platform's BroadcastChannel and Web Locks by itself, and works without either", async () => {
    const platform = createGatehouse({ baseUrl: BASE, fetch: server.fetch });
    expect(platform.multiTab).toEqual({ locks: typeof (globalThis as { navigator?: { locks?: unknown } }).navigator?.locks === "object", channel: true });
    platform.dispose();

    vi.stubGlobal("BroadcastChannel", undefined);
    const bare = createGatehouse({ baseUrl: BASE, fetch: server.fetch });
    expect(bare.multiTab).toEqual({ locks: false, channel: false });
    await bare.signup({ email: "a@example.test", password, nickname: "A" });
    await vi.advanceTimersByTimeAsync(4000);
    expect(server.count("POST /auth/token")).toBe(1);
    expect(bare.isSignedIn).toBe(true);
    bare.dispose();
    vi.unstubAllGlobals();
  });

  it("ignores messages it does not understand (another release of the app in another tab)", async () => {
    const hub = new MemoryChannelHub();
    const gatehouse = client(server, { tabs: { channel: hub.create, locks: null, name: "n" } });
    const other = hub.create("n");
    other.postMessage({ v: 2, type: "token", accessToken: "x" });
    other.postMessage({ v: 1, type: "token" });
    other.postMessage("hello");
    await settle();

    expect(gatehouse.session.status).toBe("unknown");
    expect(gatehouse.events).toEqual([]);
    gatehouse.dispose();
  });
});
