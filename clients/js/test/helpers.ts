import { afterEach, beforeEach, vi } from "vitest";
import { createGatehouse, type GatehouseClient, type GatehouseOptions, type SessionEvent } from "../src/index.js";
import { BASE, FakeGatehouse } from "./fake-gatehouse.js";

/** Fake timers for setTimeout and Date only: promises, microtasks and Node's MessagePorts keep running for real. */
export function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: new Date("2026-01-01T00:00:00Z") });
}

// Node's, typed here: the type-check runs with the DOM library only, as the sources do.
const setImmediate = (globalThis as unknown as { setImmediate: (callback: () => void) => void }).setImmediate;

/** Lets pending promise chains and (real) message ports run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function client(server: FakeGatehouse, options: Partial<GatehouseOptions> = {}): GatehouseClient & { events: SessionEvent[] } {
  const created = createGatehouse({ baseUrl: BASE, fetch: server.fetch, tabs: false, ...options }) as GatehouseClient & { events: SessionEvent[] };
  created.events = [];
  created.onChange((_, event) => created.events.push(event));
  return created;
}

export const password = "correct horse battery staple";

/** One fake Gatehouse for the tests of a describe block: reset, on a fake clock, before each test. */
export function fakeGatehousePerTest(): FakeGatehouse {
  const server = new FakeGatehouse();
  beforeEach(() => {
    useFakeClock();
    server.reset();
  });
  afterEach(() => vi.useRealTimers());
  return server;
}
