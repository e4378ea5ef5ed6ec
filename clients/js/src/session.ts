import { GatehouseError } from "./errors.js";
import { TabSync, type TabMessage, type TabOptions } from "./tabs.js";
import type { Clock, SessionEvent, SessionListener, SessionState, SignOutReason, TokenResponse } from "./types.js";

/** The state before anything is known: a page load has not asked Gatehouse yet. */
export const unknownSession: SessionState = Object.freeze({
  status: "unknown",
  accessToken: null,
  issuedAt: null,
  expiresAt: null,
  refreshExpiresAt: null,
  memberId: null,
  sessionId: null,
});

const signedOutSession: SessionState = Object.freeze({ ...unknownSession, status: "signed-out" });

/** The default clock: the platform's, read at call time (so test frameworks' fake timers apply). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface SessionKeeperOptions {
  clock: Clock;
  autoRefresh: boolean;
  refreshAhead: number;
  tabs: TabOptions | false;
  tabName: string;
  /** One call of `POST /auth/token`: resolves with the token response, or rejects with a {@link GatehouseError}. */
  exchange: () => Promise<TokenResponse>;
  /** Told when the refresh session is gone (so a stored refresh token is dropped). */
  forget: () => Promise<void> | void;
}

/**
 * The longest a tab that holds the refresh lock waits to hear how another tab's refresh ended (its `token`, usually a
 * few milliseconds behind the lock) before it refreshes itself: only a tab closed mid-refresh leaves it waiting so long.
 */
const handOffWaitMs = 1000;

/** How long to wait before trying again after a refresh failed for a passing reason (network, 503): 1 s, 2 s, … 30 s. */
function retryDelay(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
}

/**
 * The access token and everything that keeps it fresh: one refresh at a time in this tab (single flight) and across
 * tabs (Web Lock), refresh ahead of expiry, the manual mode's expiry, and the listeners.
 */
export class SessionKeeper {
  private state: SessionState = unknownSession;
  private generation = 0;
  private inflight: Promise<SessionState> | null = null;
  private timer: unknown = null;
  private disposed = false;
  private failures = 0;
  /** Counts logins and sign-outs: a refresh that was in flight across one of them must not undo it. */
  private epoch = 0;
  /**
   * Sessions (`sid`) that ended here or in another tab. A token of one of them that arrives from another tab afterwards
   * was fetched before the end (a refresh that crossed the logout) and must not sign this tab in again.
   */
  private readonly ended: string[] = [];
  private auto: boolean;
  /** Where the token held came from: this tab fetched it, or another tab sent it. */
  private source: "this-tab" | "other-tab" = "this-tab";
  /** Another tab said its refresh started and has not yet said how it ended. */
  private refreshingElsewhere = false;
  /** Counts the ends of other tabs' refreshes heard of (token, ended, signed-out, refresh-failed). */
  private outcomes = 0;
  /** Called at the next end of another tab's refresh heard of. */
  private readonly outcomeWaiters: (() => void)[] = [];
  private readonly listeners = new Set<SessionListener>();
  private readonly tabs: TabSync;

  constructor(private readonly options: SessionKeeperOptions) {
    this.auto = options.autoRefresh;
    this.tabs = new TabSync(options.tabs, options.tabName, (message) => this.receive(message));
  }

  get current(): SessionState {
    return this.state;
  }

  get autoRefresh(): boolean {
    return this.auto;
  }

  set autoRefresh(value: boolean) {
    this.auto = value;
    this.schedule();
  }

  get multiTab(): { locks: boolean; channel: boolean } {
    return { locks: this.tabs.hasLocks, channel: this.tabs.hasChannel };
  }

  onChange(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A token response from a login or sign-up: a new session, told to the other tabs. */
  signedIn(tokens: TokenResponse): SessionState {
    this.epoch++;
    this.accept(tokens, { type: "signed-in", source: "this-tab" });
    return this.state;
  }

  /**
   * A usable access token: the one held, or (automatic mode) a fresh one when it is missing or its refresh is due. A
   * call made past the refresh point (the timer is late: a busy or sleeping machine) waits for the refresh rather than
   * race the token's expiry.
   */
  async accessToken(): Promise<string | null> {
    const { status, issuedAt, expiresAt } = this.state;
    const due = issuedAt !== null && expiresAt !== null && this.options.clock.now() >= issuedAt + (expiresAt - issuedAt) * this.options.refreshAhead;
    if (status === "unknown" || (this.auto && status === "signed-in" && due)) {
      await this.refreshUnless(this.generation).catch(() => undefined);
    }
    return this.state.status === "signed-in" ? this.state.accessToken : null;
  }

  /**
   * After a 401 for `sentToken`: a new access token, shared by every caller (single flight). If the token already
   * changed since that request was sent (another call or tab refreshed), that one is returned without a refresh.
   * Null when there is none (the session ended, or manual mode).
   */
  async tokenAfterUnauthorized(sentToken: string): Promise<string | null> {
    if (!this.auto) return null;
    if (this.state.accessToken !== null && this.state.accessToken !== sentToken) return this.state.accessToken;
    const state = await this.refreshUnless(this.generation);
    return state.accessToken;
  }

  /** Refresh now (the "extend" button, or a page load picking up a session). */
  refresh(): Promise<SessionState> {
    return this.refreshUnless(this.generation);
  }

  /**
   * One refresh for every caller in this tab; under the tabs' lock; skipped when, by the time the lock is held, the
   * token already changed since `seen` (another tab refreshed meanwhile and told us).
   */
  private refreshUnless(seen: number): Promise<SessionState> {
    if (this.inflight) return this.inflight;
    const fresh = () => this.generation !== seen && this.state.status === "signed-in" && this.options.clock.now() < (this.state.expiresAt ?? 0);
    const outcomesBefore = this.outcomes;
    const run = this.tabs.exclusive(async (waited) => {
      if (!fresh() && this.tabs.hasLocks && this.tabs.hasChannel) {
        // Another tab's refresh may have ended just before we got the lock: its token was posted before it let go, but
        // a message between tabs (processes) can take longer than the lock. When that tab held the lock as we asked
        // for it, or said its refresh had started, wait until we hear how it ended; otherwise one turn of the event
        // loop. A message later still means one refresh more: redundant, never a race, since we hold the lock.
        const heardNothing = waited && this.outcomes === outcomesBefore;
        if (heardNothing || this.refreshingElsewhere) await this.nextOutcome(handOffWaitMs);
        else await nextTask();
      }
      if (fresh()) return this.state;
      if (this.generation !== seen && this.state.status === "signed-out") {
        throw new GatehouseError("no_session", "The session ended in another tab.", { status: 401 });
      }
      return this.exchange();
    });
    const flight = run.finally(() => {
      if (this.inflight === flight) this.inflight = null;
    });
    this.inflight = flight;
    return flight;
  }

  /** Resolves at the next end of another tab's refresh heard of, or after `ms`. */
  private nextOutcome(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.options.clock.clearTimeout(handle);
        const index = this.outcomeWaiters.indexOf(done);
        if (index >= 0) this.outcomeWaiters.splice(index, 1);
        resolve();
      };
      const handle = this.options.clock.setTimeout(done, ms);
      this.outcomeWaiters.push(done);
    });
  }

  private async exchange(): Promise<SessionState> {
    const epoch = this.epoch;
    // We hold the lock: no other tab is refreshing, whatever we heard last.
    this.refreshingElsewhere = false;
    this.tabs.post({ v: 1, type: "refresh-started" });
    let tokens: TokenResponse;
    try {
      tokens = await this.options.exchange();
    } catch (error) {
      let told = false;
      if (this.epoch !== epoch) {
        // A login or a logout happened meanwhile: this answer is about a session that is no longer ours.
      } else if (error instanceof GatehouseError && (error.code === "invalid_grant" || error.code === "no_session")) {
        await this.options.forget();
        if (this.state.status === "signed-in" || this.state.status === "expired") {
          this.end(error.code, error.message, true);
          told = true;
        } else if (this.state.status === "unknown") {
          this.change(signedOutSession, { type: "signed-out", reason: "no-session" });
        }
      } else if (this.state.status === "signed-in" && this.auto) {
        // A passing failure: keep the session and try again, sooner than the usual schedule.
        this.failures++;
        this.setTimer(retryDelay(this.failures - 1), () => this.backgroundRefresh());
      }
      if (!told) this.tabs.post({ v: 1, type: "refresh-failed" });
      throw error;
    }
    if (this.epoch !== epoch) {
      this.tabs.post({ v: 1, type: "refresh-failed" });
      return this.state;
    }
    this.failures = 0;
    const wasSignedIn = this.state.status === "signed-in" || this.state.status === "expired";
    this.accept(tokens, { type: wasSignedIn ? "refreshed" : "signed-in", source: "this-tab" });
    return this.state;
  }

  private accept(tokens: TokenResponse, event: SessionEvent): void {
    const now = this.options.clock.now();
    this.source = "this-tab";
    const state = stateFrom(tokens.accessToken, now, now + tokens.expiresIn * 1000, now + tokens.refreshExpiresIn * 1000);
    this.change(state, event);
    this.tabs.post({ v: 1, type: "token", accessToken: state.accessToken!, issuedAt: now, expiresAt: state.expiresAt!, refreshExpiresAt: state.refreshExpiresAt! });
  }

  /** Ends the session here and in the other tabs, without a call to Gatehouse (the caller made it). */
  signedOut(reason: SignOutReason): void {
    this.rememberEnded();
    this.epoch++;
    this.change(signedOutSession, { type: "signed-out", reason });
    this.tabs.post({ v: 1, type: "signed-out" });
  }

  private end(code: string, message: string, tell: boolean): void {
    this.rememberEnded();
    this.change(signedOutSession, { type: "ended", code, message });
    if (tell) this.tabs.post({ v: 1, type: "ended", code, message });
  }

  private receive(message: TabMessage): void {
    if (message.type === "refresh-started") {
      this.refreshingElsewhere = true;
      return;
    }
    // Any other message ends the refresh another tab had under way (the lock lets one run at a time).
    this.refreshingElsewhere = false;
    this.outcomes++;
    this.apply(message);
    for (const waiter of [...this.outcomeWaiters]) waiter();
  }

  private apply(message: TabMessage): void {
    switch (message.type) {
      case "token": {
        // Not an older token than ours (messages of two tabs may cross), nor the one we hold, nor one of a session
        // that has ended (another tab's refresh that crossed a logout: its token was fetched before the session ended).
        if (message.accessToken === this.state.accessToken) return;
        if (this.state.status === "signed-in" && (this.state.expiresAt ?? 0) > message.expiresAt) return;
        const state = stateFrom(message.accessToken, message.issuedAt, message.expiresAt, message.refreshExpiresAt);
        if (state.sessionId !== null && this.ended.includes(state.sessionId)) return;
        const wasSignedIn = this.state.status === "signed-in" || this.state.status === "expired";
        if (!wasSignedIn) this.epoch++; // a login in another tab
        this.failures = 0;
        this.source = "other-tab";
        this.change(state, {
          type: wasSignedIn ? "refreshed" : "signed-in",
          source: "other-tab",
        });
        return;
      }
      case "signed-out":
        this.rememberEnded();
        this.epoch++;
        if (this.state.status !== "signed-out") this.change(signedOutSession, { type: "signed-out", reason: "other-tab" });
        return;
      case "ended":
        if (this.state.status !== "signed-out") this.end(message.code, message.message, false);
        return;
    }
  }

  /** Remembers that the session held (if any) has ended; the last few are kept, which is all a crossing needs. */
  private rememberEnded(): void {
    const sid = this.state.sessionId;
    if (sid === null || this.ended.includes(sid)) return;
    this.ended.push(sid);
    if (this.ended.length > 8) this.ended.shift();
  }

  private change(state: SessionState, event: SessionEvent): void {
    this.state = state;
    this.generation++;
    this.schedule();
    for (const listener of [...this.listeners]) {
      try {
        listener(state, event);
      } catch (error) {
        // A failing listener must not stop the others nor the client; report it where errors go.
        setTimeout(() => {
          throw error;
        }, 0);
      }
    }
  }

  /** Automatic mode: refresh at `refreshAhead` of the token's lifetime. Manual mode: mark the session expired at expiry. */
  private schedule(): void {
    this.setTimer(null, null);
    const { status, issuedAt, expiresAt } = this.state;
    if (status !== "signed-in" || issuedAt === null || expiresAt === null) return;
    const now = this.options.clock.now();
    if (this.auto) {
      // A tab that received its token from another waits a little longer (5% of the lifetime) than the tab that
      // fetched it: that one refreshes first and tells the others, whose timers then start again; if it is gone,
      // the next tab takes over, still well before expiry.
      const follower = this.source === "other-tab" ? 0.05 : 0;
      const at = issuedAt + (expiresAt - issuedAt) * (this.options.refreshAhead + follower);
      this.setTimer(Math.max(0, at - now), () => this.backgroundRefresh());
    } else {
      this.setTimer(Math.max(0, expiresAt - now), () => {
        if (this.state.status === "signed-in" && this.options.clock.now() >= (this.state.expiresAt ?? 0)) {
          this.change({ ...this.state, status: "expired", accessToken: null }, { type: "expired" });
        }
      });
    }
  }

  private backgroundRefresh(): void {
    // Failures are handled in exchange(): ended (invalid_grant) or retried later.
    this.refreshUnless(this.generation).catch(() => undefined);
  }

  private setTimer(ms: number | null, callback: (() => void) | null): void {
    if (this.timer !== null) {
      this.options.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    // A refresh still in flight when the client is disposed must not start the timer again.
    if (ms !== null && callback !== null && !this.disposed) {
      this.timer = this.options.clock.setTimeout(() => {
        this.timer = null;
        callback();
      }, ms);
    }
  }

  /** Stops the timer and closes the channel: the client is done (a test, a page being torn down). */
  dispose(): void {
    this.disposed = true;
    this.setTimer(null, null);
    this.tabs.close();
    this.listeners.clear();
  }
}

/** One macrotask later (a MessageChannel round trip: not a timer, so neither throttled nor faked), else a microtask. */
function nextTask(): Promise<void> {
  if (typeof MessageChannel !== "function") return Promise.resolve();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

function stateFrom(accessToken: string, issuedAt: number, expiresAt: number, refreshExpiresAt: number): SessionState {
  const claims = decodeClaims(accessToken);
  return Object.freeze({
    status: "signed-in",
    accessToken,
    issuedAt,
    expiresAt,
    refreshExpiresAt,
    memberId: typeof claims["sub"] === "string" ? claims["sub"] : null,
    sessionId: typeof claims["sid"] === "string" ? claims["sid"] : null,
  });
}

/** The JWT's payload, for display only (`sub`, `sid`): the client never trusts it for anything else. */
function decodeClaims(jwt: string): Record<string, unknown> {
  try {
    const part = jwt.split(".")[1] ?? "";
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return claims !== null && typeof claims === "object" ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
