import type { BroadcastChannelLike, LockManagerLike } from "./types.js";

/**
 * How tabs of one app share a session: a Web Lock serializes refreshes (the refresh token rotates, and only one tab may
 * present it at a time), and a BroadcastChannel carries the new access token and sign-outs to the other tabs.
 *
 * Each part is optional: without Web Locks, tabs refresh on their own and Gatehouse's reuse leeway absorbs two tabs
 * presenting the same refresh token at once; without BroadcastChannel, each tab keeps its own access token and learns
 * of a sign-out elsewhere at its next refresh (`invalid_grant`).
 *
 * @example
 * ```ts
 * // Switch tab coordination off (e.g. in a worker), or inject implementations (tests):
 * createGatehouse({ baseUrl, tabs: false });
 * createGatehouse({ baseUrl, tabs: { locks: myLocks, channel: (name) => new BroadcastChannel(name) } });
 * ```
 */
export interface TabOptions {
  /** The Web Locks manager; default `navigator.locks` where it exists. `null`: none. */
  locks?: LockManagerLike | null;
  /** Opens a broadcast channel; default `new BroadcastChannel(name)` where it exists. `null`: none. */
  channel?: ((name: string) => BroadcastChannelLike) | null;
  /** The lock's and the channel's name; default `gatehouse:` + the base URL. Tabs that share a session use the same. */
  name?: string;
}

/**
 * A message between tabs. Versioned so two releases of an app open at once ignore what they do not understand.
 * `refresh-started` is posted by the tab that holds the lock as its refresh begins; every refresh then ends in one of
 * the others (`token`, `ended`, `signed-out`) or in `refresh-failed` when it has nothing to share.
 */
export type TabMessage =
  | { v: 1; type: "token"; accessToken: string; issuedAt: number; expiresAt: number; refreshExpiresAt: number }
  | { v: 1; type: "signed-out" }
  | { v: 1; type: "ended"; code: string; message: string }
  | { v: 1; type: "refresh-started" }
  | { v: 1; type: "refresh-failed" };

/** The tab coordination the client uses; {@link TabOptions} chooses its parts. */
export class TabSync {
  private readonly locks: LockManagerLike | null;
  private readonly channel: BroadcastChannelLike | null;
  private readonly lockName: string;

  constructor(options: TabOptions | false, defaultName: string, onMessage: (message: TabMessage) => void) {
    const name = (options && options.name) || defaultName;
    this.lockName = name + ":refresh";
    if (options === false) {
      this.locks = null;
      this.channel = null;
      return;
    }
    this.locks = options.locks === undefined ? defaultLocks() : options.locks;
    const open = options.channel === undefined ? defaultChannel() : options.channel;
    this.channel = open ? open(name) : null;
    if (this.channel) {
      this.channel.onmessage = (event) => {
        if (isTabMessage(event.data)) onMessage(event.data);
      };
    }
  }

  /** Whether refreshes are serialized across tabs. */
  get hasLocks(): boolean {
    return this.locks !== null;
  }

  /** Whether other tabs hear of new tokens and sign-outs. */
  get hasChannel(): boolean {
    return this.channel !== null;
  }

  /**
   * Runs `work` while holding the refresh lock of every tab of this app (or at once, without Web Locks). `work` is told
   * whether another tab held the lock when this one asked for it (and so may just have refreshed).
   */
  async exclusive<T>(work: (waited: boolean) => Promise<T>): Promise<T> {
    const locks = this.locks;
    if (!locks) return work(false);
    const held = Symbol("held");
    const first = await locks.request<T | typeof held>(this.lockName, { ifAvailable: true }, (lock) => (lock ? work(false) : Promise.resolve(held)));
    return first === held ? locks.request(this.lockName, () => work(true)) : (first as T);
  }

  post(message: TabMessage): void {
    try {
      this.channel?.postMessage(message);
    } catch {
      // A closed channel (the page is going away): the other tabs learn at their next refresh.
    }
  }

  close(): void {
    if (this.channel) {
      this.channel.onmessage = null;
      this.channel.close();
    }
  }
}

function defaultLocks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks && typeof nav.locks.request === "function" ? nav.locks : null;
}

function defaultChannel(): ((name: string) => BroadcastChannelLike) | null {
  const Channel = (globalThis as { BroadcastChannel?: new (name: string) => BroadcastChannelLike }).BroadcastChannel;
  return typeof Channel === "function" ? (name) => new Channel(name) : null;
}

function isTabMessage(data: unknown): data is TabMessage {
  if (data === null || typeof data !== "object") return false;
  const message = data as Record<string, unknown>;
  if (message["v"] !== 1) return false;
  switch (message["type"]) {
    case "token":
      return typeof message["accessToken"] === "string" && typeof message["expiresAt"] === "number" && typeof message["issuedAt"] === "number";
    case "signed-out":
    case "refresh-started":
    case "refresh-failed":
      return true;
    case "ended":
      return typeof message["code"] === "string";
    default:
      return false;
  }
}
