// @gatehouse/client, bundled from clients/js/src by `npm run build:demo`. Do not edit: change clients/js and rebuild.

// src/errors.ts
var GatehouseError = class extends Error {
  constructor(code, message, options = {}) {
    super(message, options.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = "GatehouseError";
    this.code = code;
    this.status = options.status ?? 0;
    this.fields = options.fields;
    this.providerError = options.providerError;
  }
};
async function errorFromResponse(response) {
  let body = {};
  try {
    const parsed = await response.json();
    if (parsed !== null && typeof parsed === "object") body = parsed;
  } catch {
  }
  const code = typeof body["error"] === "string" ? body["error"] : `http_${response.status}`;
  const message = typeof body["detail"] === "string" && body["detail"] || typeof body["error_description"] === "string" && body["error_description"] || typeof body["title"] === "string" && body["title"] || `Gatehouse answered ${response.status}.`;
  const options = { status: response.status };
  if (body["errors"] !== null && typeof body["errors"] === "object") options.fields = body["errors"];
  if (typeof body["providerError"] === "string") options.providerError = body["providerError"];
  return new GatehouseError(code, message, options);
}

// src/tabs.ts
var TabSync = class {
  constructor(options, defaultName, onMessage) {
    const name = options && options.name || defaultName;
    this.lockName = name + ":refresh";
    if (options === false) {
      this.locks = null;
      this.channel = null;
      return;
    }
    this.locks = options.locks === void 0 ? defaultLocks() : options.locks;
    const open = options.channel === void 0 ? defaultChannel() : options.channel;
    this.channel = open ? open(name) : null;
    if (this.channel) {
      this.channel.onmessage = (event) => {
        if (isTabMessage(event.data)) onMessage(event.data);
      };
    }
  }
  /** Whether refreshes are serialized across tabs. */
  get hasLocks() {
    return this.locks !== null;
  }
  /** Whether other tabs hear of new tokens and sign-outs. */
  get hasChannel() {
    return this.channel !== null;
  }
  /**
   * Runs `work` while holding the refresh lock of every tab of this app (or at once, without Web Locks). `work` is told
   * whether another tab held the lock when this one asked for it (and so may just have refreshed).
   */
  async exclusive(work) {
    const locks = this.locks;
    if (!locks) return work(false);
    const held = /* @__PURE__ */ Symbol("held");
    const first = await locks.request(this.lockName, { ifAvailable: true }, (lock) => lock ? work(false) : Promise.resolve(held));
    return first === held ? locks.request(this.lockName, () => work(true)) : first;
  }
  post(message) {
    try {
      this.channel?.postMessage(message);
    } catch {
    }
  }
  close() {
    if (this.channel) {
      this.channel.onmessage = null;
      this.channel.close();
    }
  }
};
function defaultLocks() {
  const nav = globalThis.navigator;
  return nav?.locks && typeof nav.locks.request === "function" ? nav.locks : null;
}
function defaultChannel() {
  const Channel = globalThis.BroadcastChannel;
  return typeof Channel === "function" ? (name) => new Channel(name) : null;
}
function isTabMessage(data) {
  if (data === null || typeof data !== "object") return false;
  const message = data;
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

// src/session.ts
var unknownSession = Object.freeze({
  status: "unknown",
  accessToken: null,
  issuedAt: null,
  expiresAt: null,
  refreshExpiresAt: null,
  memberId: null,
  sessionId: null
});
var signedOutSession = Object.freeze({ ...unknownSession, status: "signed-out" });
var systemClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle)
};
var handOffWaitMs = 1e3;
function retryDelay(attempt) {
  return Math.min(3e4, 1e3 * 2 ** Math.min(attempt, 5));
}
var SessionKeeper = class {
  constructor(options) {
    this.options = options;
    this.state = unknownSession;
    this.generation = 0;
    this.inflight = null;
    this.timer = null;
    this.disposed = false;
    this.failures = 0;
    /** Counts logins and sign-outs: a refresh that was in flight across one of them must not undo it. */
    this.epoch = 0;
    /**
     * Sessions (`sid`) that ended here or in another tab. A token of one of them that arrives from another tab afterwards
     * was fetched before the end (a refresh that crossed the logout) and must not sign this tab in again.
     */
    this.ended = [];
    /** Where the token held came from: this tab fetched it, or another tab sent it. */
    this.source = "this-tab";
    /** Another tab said its refresh started and has not yet said how it ended. */
    this.refreshingElsewhere = false;
    /** Counts the ends of other tabs' refreshes heard of (token, ended, signed-out, refresh-failed). */
    this.outcomes = 0;
    /** Called at the next end of another tab's refresh heard of. */
    this.outcomeWaiters = [];
    this.listeners = /* @__PURE__ */ new Set();
    this.auto = options.autoRefresh;
    this.tabs = new TabSync(options.tabs, options.tabName, (message) => this.receive(message));
  }
  get current() {
    return this.state;
  }
  get autoRefresh() {
    return this.auto;
  }
  set autoRefresh(value) {
    this.auto = value;
    this.schedule();
  }
  get multiTab() {
    return { locks: this.tabs.hasLocks, channel: this.tabs.hasChannel };
  }
  onChange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** A token response from a login or sign-up: a new session, told to the other tabs. */
  signedIn(tokens) {
    this.epoch++;
    this.accept(tokens, { type: "signed-in", source: "this-tab" });
    return this.state;
  }
  /**
   * A usable access token: the one held, or (automatic mode) a fresh one when it is missing or its refresh is due. A
   * call made past the refresh point (the timer is late: a busy or sleeping machine) waits for the refresh rather than
   * race the token's expiry.
   */
  async accessToken() {
    const { status, issuedAt, expiresAt } = this.state;
    const due = issuedAt !== null && expiresAt !== null && this.options.clock.now() >= issuedAt + (expiresAt - issuedAt) * this.options.refreshAhead;
    if (status === "unknown" || this.auto && status === "signed-in" && due) {
      await this.refreshUnless(this.generation).catch(() => void 0);
    }
    return this.state.status === "signed-in" ? this.state.accessToken : null;
  }
  /**
   * After a 401 for `sentToken`: a new access token, shared by every caller (single flight). If the token already
   * changed since that request was sent (another call or tab refreshed), that one is returned without a refresh.
   * Null when there is none (the session ended, or manual mode).
   */
  async tokenAfterUnauthorized(sentToken) {
    if (!this.auto) return null;
    if (this.state.accessToken !== null && this.state.accessToken !== sentToken) return this.state.accessToken;
    const state = await this.refreshUnless(this.generation);
    return state.accessToken;
  }
  /** Refresh now (the "extend" button, or a page load picking up a session). */
  refresh() {
    return this.refreshUnless(this.generation);
  }
  /**
   * One refresh for every caller in this tab; under the tabs' lock; skipped when, by the time the lock is held, the
   * token already changed since `seen` (another tab refreshed meanwhile and told us).
   */
  refreshUnless(seen) {
    if (this.inflight) return this.inflight;
    const fresh = () => this.generation !== seen && this.state.status === "signed-in" && this.options.clock.now() < (this.state.expiresAt ?? 0);
    const outcomesBefore = this.outcomes;
    const run = this.tabs.exclusive(async (waited) => {
      if (!fresh() && this.tabs.hasLocks && this.tabs.hasChannel) {
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
  nextOutcome(ms) {
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
  async exchange() {
    const epoch = this.epoch;
    this.refreshingElsewhere = false;
    this.tabs.post({ v: 1, type: "refresh-started" });
    let tokens;
    try {
      tokens = await this.options.exchange();
    } catch (error) {
      let told = false;
      if (this.epoch !== epoch) {
      } else if (error instanceof GatehouseError && (error.code === "invalid_grant" || error.code === "no_session")) {
        await this.options.forget();
        if (this.state.status === "signed-in" || this.state.status === "expired") {
          this.end(error.code, error.message, true);
          told = true;
        } else if (this.state.status === "unknown") {
          this.change(signedOutSession, { type: "signed-out", reason: "no-session" });
        }
      } else if (this.state.status === "signed-in" && this.auto) {
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
  accept(tokens, event) {
    const now = this.options.clock.now();
    this.source = "this-tab";
    const state = stateFrom(tokens.accessToken, now, now + tokens.expiresIn * 1e3, now + tokens.refreshExpiresIn * 1e3);
    this.change(state, event);
    this.tabs.post({ v: 1, type: "token", accessToken: state.accessToken, issuedAt: now, expiresAt: state.expiresAt, refreshExpiresAt: state.refreshExpiresAt });
  }
  /** Ends the session here and in the other tabs, without a call to Gatehouse (the caller made it). */
  signedOut(reason) {
    this.rememberEnded();
    this.epoch++;
    this.change(signedOutSession, { type: "signed-out", reason });
    this.tabs.post({ v: 1, type: "signed-out" });
  }
  end(code, message, tell) {
    this.rememberEnded();
    this.change(signedOutSession, { type: "ended", code, message });
    if (tell) this.tabs.post({ v: 1, type: "ended", code, message });
  }
  receive(message) {
    if (message.type === "refresh-started") {
      this.refreshingElsewhere = true;
      return;
    }
    this.refreshingElsewhere = false;
    this.outcomes++;
    this.apply(message);
    for (const waiter of [...this.outcomeWaiters]) waiter();
  }
  apply(message) {
    switch (message.type) {
      case "token": {
        if (message.accessToken === this.state.accessToken) return;
        if (this.state.status === "signed-in" && (this.state.expiresAt ?? 0) > message.expiresAt) return;
        const state = stateFrom(message.accessToken, message.issuedAt, message.expiresAt, message.refreshExpiresAt);
        if (state.sessionId !== null && this.ended.includes(state.sessionId)) return;
        const wasSignedIn = this.state.status === "signed-in" || this.state.status === "expired";
        if (!wasSignedIn) this.epoch++;
        this.failures = 0;
        this.source = "other-tab";
        this.change(state, {
          type: wasSignedIn ? "refreshed" : "signed-in",
          source: "other-tab"
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
  rememberEnded() {
    const sid = this.state.sessionId;
    if (sid === null || this.ended.includes(sid)) return;
    this.ended.push(sid);
    if (this.ended.length > 8) this.ended.shift();
  }
  change(state, event) {
    this.state = state;
    this.generation++;
    this.schedule();
    for (const listener of [...this.listeners]) {
      try {
        listener(state, event);
      } catch (error) {
        setTimeout(() => {
          throw error;
        }, 0);
      }
    }
  }
  /** Automatic mode: refresh at `refreshAhead` of the token's lifetime. Manual mode: mark the session expired at expiry. */
  schedule() {
    this.setTimer(null, null);
    const { status, issuedAt, expiresAt } = this.state;
    if (status !== "signed-in" || issuedAt === null || expiresAt === null) return;
    const now = this.options.clock.now();
    if (this.auto) {
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
  backgroundRefresh() {
    this.refreshUnless(this.generation).catch(() => void 0);
  }
  setTimer(ms, callback) {
    if (this.timer !== null) {
      this.options.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    if (ms !== null && callback !== null && !this.disposed) {
      this.timer = this.options.clock.setTimeout(() => {
        this.timer = null;
        callback();
      }, ms);
    }
  }
  /** Stops the timer and closes the channel: the client is done (a test, a page being torn down). */
  dispose() {
    this.disposed = true;
    this.setTimer(null, null);
    this.tabs.close();
    this.listeners.clear();
  }
};
function nextTask() {
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
function stateFrom(accessToken, issuedAt, expiresAt, refreshExpiresAt) {
  const claims = decodeClaims(accessToken);
  return Object.freeze({
    status: "signed-in",
    accessToken,
    issuedAt,
    expiresAt,
    refreshExpiresAt,
    memberId: typeof claims["sub"] === "string" ? claims["sub"] : null,
    sessionId: typeof claims["sid"] === "string" ? claims["sid"] : null
  });
}
function decodeClaims(jwt) {
  try {
    const part = jwt.split(".")[1] ?? "";
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims !== null && typeof claims === "object" ? claims : {};
  } catch {
    return {};
  }
}

// src/social.ts
var key = "gatehouse:social";
var socialState = {
  save(storage, attempt) {
    storage.setItem(key, JSON.stringify(attempt));
  },
  /** The kept attempt, removed (a state is used once). */
  take(storage) {
    const raw = storage.getItem(key);
    storage.removeItem(key);
    if (raw === null) return null;
    try {
      const parsed = JSON.parse(raw);
      return typeof parsed.provider === "string" && typeof parsed.state === "string" ? { provider: parsed.provider, state: parsed.state, intent: parsed.intent === "link" ? "link" : "login" } : null;
    } catch {
      return null;
    }
  }
};
function readRedirectOutcome(url) {
  const fragment = new URLSearchParams(new URL(String(url)).hash.replace(/^#/, ""));
  const error = fragment.get("error");
  if (error) return { kind: "error", error, providerError: fragment.get("providerError") };
  const status = fragment.get("status");
  if (status === "logged_in" || status === "signed_up") return { kind: "signed_in", status };
  if (status === "signup_required") {
    const signupToken = fragment.get("signupToken");
    if (!signupToken) return { kind: "error", error: "invalid_signup_token", providerError: null };
    const missing = (fragment.get("missing") ?? "").split(",").filter((m) => m.length > 0);
    return { kind: "signup_required", signupToken, missing };
  }
  return null;
}

// src/client.ts
function createGatehouse(options) {
  return new GatehouseClient(options);
}
var GatehouseClient = class {
  constructor(options) {
    if (!options || typeof options.baseUrl !== "string" || !/^https?:\/\//i.test(options.baseUrl)) {
      throw new TypeError("createGatehouse: baseUrl must be an absolute http(s) URL, e.g. https://auth.example.com");
    }
    const refreshAhead = options.refreshAhead ?? 0.8;
    if (!(refreshAhead >= 0.5 && refreshAhead <= 0.95)) {
      throw new RangeError("createGatehouse: refreshAhead must be between 0.5 and 0.95");
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    const platformFetch = options.fetch ?? globalThis.fetch;
    if (typeof platformFetch !== "function") throw new TypeError("createGatehouse: no fetch; pass options.fetch");
    this.http = (input, init) => platformFetch(input, init);
    this.delivery = options.refreshTokenDelivery ?? "cookie";
    this.store = options.refreshTokenStore ?? memoryStore();
    this.storage = options.storage ?? defaultStorage();
    this.keeper = new SessionKeeper({
      clock: options.clock ?? systemClock,
      autoRefresh: options.autoRefresh ?? true,
      refreshAhead,
      tabs: options.tabs ?? {},
      tabName: "gatehouse:" + this.baseUrl,
      exchange: () => this.exchangeRefreshToken(),
      forget: () => this.delivery === "body" ? this.store.set(null) : void 0
    });
  }
  // ------------------------------------------------------------------------------------------ session state
  /**
   * The current session state (replaced, never mutated, on each change).
   *
   * @example
   * ```ts
   * if (gatehouse.session.status === "signed-in") greet(gatehouse.session.memberId);
   * ```
   */
  get session() {
    return this.keeper.current;
  }
  /**
   * Whether an access token is held.
   *
   * @example
   * ```ts
   * nav.hidden = !gatehouse.isSignedIn;
   * ```
   */
  get isSignedIn() {
    return this.keeper.current.status === "signed-in";
  }
  /**
   * When the access token expires (epoch milliseconds), or null: what a session timer counts down to.
   *
   * @example
   * ```ts
   * setInterval(() => (timer.textContent = String(Math.max(0, Math.round(((gatehouse.expiresAt ?? 0) - Date.now()) / 1000)))), 1000);
   * ```
   */
  get expiresAt() {
    return this.keeper.current.expiresAt;
  }
  /**
   * Automatic refresh (true) or manual mode (false); switchable at any time.
   *
   * @example
   * ```ts
   * autoCheckbox.onchange = () => (gatehouse.autoRefresh = autoCheckbox.checked);
   * ```
   */
  get autoRefresh() {
    return this.keeper.autoRefresh;
  }
  set autoRefresh(value) {
    this.keeper.autoRefresh = value;
  }
  /**
   * Which tab coordination this client has: Web Locks (`locks`) and BroadcastChannel (`channel`).
   *
   * @example
   * ```ts
   * if (!gatehouse.multiTab.locks) console.info("tabs refresh on their own; Gatehouse's reuse leeway covers them");
   * ```
   */
  get multiTab() {
    return this.keeper.multiTab;
  }
  /**
   * Calls `listener(state, event)` on every change: sign-in, refresh (here or in another tab), expiry (manual mode),
   * sign-out, and `ended` (the refresh token was refused). Returns the function that removes the listener.
   *
   * @example
   * ```ts
   * const stop = gatehouse.onChange((state, event) => {
   *   if (event.type === "ended") banner.textContent = `Signed out: ${event.message}`;
   *   render(state);
   * });
   * ```
   */
  onChange(listener) {
    return this.keeper.onChange(listener);
  }
  /**
   * Refreshes now: exchanges the refresh token (cookie, or the stored one) for a new access token. One refresh runs at
   * a time across this tab's callers and the app's tabs. On page load, this picks up a session that exists (after a
   * server-redirect social login too). Rejects with `invalid_grant` when there is no session; a signed-in session
   * then ends with an `ended` event.
   *
   * @example
   * ```ts
   * await gatehouse.refresh().catch(() => showLogin());
   * ```
   */
  refresh() {
    return this.keeper.refresh();
  }
  /**
   * Extends the session by hand (seed 000's manual mode): the same as {@link GatehouseClient.refresh}, named for the
   * button. Resolves with the new state, whose `expiresAt` is later.
   *
   * @example
   * ```ts
   * extendButton.onclick = async () => { const { expiresAt } = await gatehouse.extend(); };
   * ```
   */
  extend() {
    return this.keeper.refresh();
  }
  /**
   * A usable access token, refreshed first when it is missing or expired (automatic mode); null without a session.
   * For transports other than `fetch` (the axios adapter uses it).
   *
   * @example
   * ```ts
   * socket.send(JSON.stringify({ auth: await gatehouse.getAccessToken(), ... }));
   * ```
   */
  getAccessToken() {
    return this.keeper.accessToken();
  }
  /**
   * For a transport that got a 401 with `sentToken`: a new token, refreshed once for every caller (single flight),
   * or the token another caller already got. Null when there is none (the session ended; manual mode).
   *
   * @example
   * ```ts
   * if (response.status === 401) { const next = await gatehouse.tokenAfterUnauthorized(sent); if (next) retryWith(next); }
   * ```
   */
  tokenAfterUnauthorized(sentToken) {
    return this.keeper.tokenAfterUnauthorized(sentToken);
  }
  // ------------------------------------------------------------------------------------------- fetch
  /**
   * `fetch` with the access token: adds `Authorization: Bearer …`; refreshes first when the token has run out; on a 401,
   * refreshes once (one refresh shared by every call in flight) and retries once; never loops. In manual mode it
   * never refreshes. A body that is a stream cannot be sent twice: pass a string, Blob, FormData or URLSearchParams.
   * The token goes wherever the request goes: use it for your own APIs, not for third parties.
   *
   * @example
   * ```ts
   * const response = await gatehouse.fetch("https://api.example.com/orders", { method: "POST", body: JSON.stringify(order), headers: { "Content-Type": "application/json" } });
   * ```
   */
  async fetch(input, init) {
    const token = await this.keeper.accessToken();
    const response = await this.send(input, init, token);
    if (response.status !== 401 || token === null) return response;
    let next;
    try {
      next = await this.keeper.tokenAfterUnauthorized(token);
    } catch {
      return response;
    }
    if (next === null) return response;
    await response.body?.cancel().catch(() => void 0);
    return this.send(input, init, next);
  }
  send(input, init, token) {
    if (typeof Request !== "undefined" && input instanceof Request) {
      const request = new Request(input.clone(), init);
      if (token !== null) request.headers.set("Authorization", "Bearer " + token);
      return this.http(request);
    }
    const headers = new Headers(init?.headers);
    if (token !== null) headers.set("Authorization", "Bearer " + token);
    return this.http(input, { ...init, headers });
  }
  // ------------------------------------------------------------------------------------- password login
  /**
   * Creates a local account and signs in (`POST /auth/signup`).
   *
   * @example
   * ```ts
   * await gatehouse.signup({ email: "ada@example.com", password: "correct horse battery staple", nickname: "Ada" });
   * ```
   */
  async signup(fields) {
    return this.keeper.signedIn(await this.tokenCall("/auth/signup", { ...fields }));
  }
  /**
   * Logs in with email and password (`POST /auth/login`). Rejects with `invalid_credentials` on a wrong pair.
   *
   * @example
   * ```ts
   * await gatehouse.loginWithPassword({ email, password });
   * ```
   */
  async loginWithPassword(credentials) {
    return this.keeper.signedIn(await this.tokenCall("/auth/login", { provider: "password", ...credentials }));
  }
  // --------------------------------------------------------------------------------------- social login
  /**
   * The enabled social providers (`GET /auth/providers`).
   *
   * @example
   * ```ts
   * for (const p of await gatehouse.providers()) addButton(p.displayName, () => gatehouse.socialLoginUrl(p.name, { returnTo: location.href }));
   * ```
   */
  providers() {
    return this.json("/auth/providers", { method: "GET" }, false);
  }
  /**
   * Hand-off flow, first half: asks Gatehouse for the provider's authorization URL and keeps the attempt's `state`
   * (in `sessionStorage`) to check on the way back. Send the browser to `authorizationUrl`; the provider returns to
   * `redirectUri`, where {@link GatehouseClient.completeSocialLogin} finishes. `intent: "link"` links the provider to
   * the signed-in member instead.
   *
   * @example
   * ```ts
   * const { authorizationUrl } = await gatehouse.startSocialLogin("kakao", { redirectUri: location.origin + "/callback" });
   * location.assign(authorizationUrl);
   * ```
   */
  async startSocialLogin(provider, options) {
    const intent = options.intent ?? "login";
    const started = await this.json(
      `/auth/social/${encodeURIComponent(provider)}/authorization`,
      { method: "POST", body: JSON.stringify({ redirectUri: options.redirectUri, intent }) },
      intent === "link"
    );
    socialState.save(this.storage, { provider, state: started.state, intent });
    return started;
  }
  /**
   * Hand-off flow, second half, on the `redirectUri` page: checks the returned `state` against the one kept by
   * {@link GatehouseClient.startSocialLogin} (`invalid_state` if it is not this tab's attempt), then passes the code
   * (or the provider's `error`, `iss`) to `POST /auth/login`.
   *
   * @example
   * ```ts
   * const result = await gatehouse.completeSocialLogin(location.href);
   * if (result.status === "signup_required") askFor(result.missing, (fields) => gatehouse.completeSignup(result.signupToken, fields));
   * ```
   */
  async completeSocialLogin(callbackUrl) {
    const query = new URL(String(callbackUrl)).searchParams;
    const kept = socialState.take(this.storage);
    const state = query.get("state");
    if (kept === null || state === null || state !== kept.state) {
      throw new GatehouseError("invalid_state", "This social login was not started in this tab, or was already completed.");
    }
    const body = { provider: kept.provider, state };
    for (const name of ["code", "iss", "error"]) {
      const value = query.get(name);
      if (value !== null) body[name] = value;
    }
    const link = kept.intent === "link";
    const response = await this.call("/auth/login", { method: "POST", body: JSON.stringify(this.withDelivery(body)) }, link);
    const answer = await readJson(response);
    if (answer["status"] === "signup_required") {
      return {
        status: "signup_required",
        signupToken: String(answer["signupToken"]),
        missing: Array.isArray(answer["missing"]) ? answer["missing"].map(String) : [],
        profile: answer["profile"] ?? null
      };
    }
    if (answer["status"] === "linked") {
      return { status: "linked", identities: answer["identities"] ?? [] };
    }
    const tokens = await this.keepRefreshToken(answer);
    return { status: response.status === 201 ? "signed_up" : "logged_in", session: this.keeper.signedIn(tokens) };
  }
  /**
   * Server-redirect flow (Kakao's recommendation): the URL to send the browser to. Gatehouse receives the code, sets
   * the refresh cookie and sends the browser back to `returnTo` with the outcome in the fragment, which
   * {@link GatehouseClient.completeSocialRedirect} reads (or simply call {@link GatehouseClient.refresh}).
   *
   * @example
   * ```ts
   * location.assign(gatehouse.socialLoginUrl("kakao", { returnTo: location.origin + "/" }));
   * ```
   */
  socialLoginUrl(provider, options) {
    return `${this.baseUrl}/auth/social/${encodeURIComponent(provider)}/start?returnTo=${encodeURIComponent(options.returnTo)}`;
  }
  /**
   * Server-redirect flow, on the `returnTo` page: reads the outcome Gatehouse put in the URL fragment. Signed in →
   * refreshes to get the access token; `signup_required` → the token and the missing fields for
   * {@link GatehouseClient.completeSignup}; an error → rejects with its code (`login_cancelled`, `provider_error`…).
   * Null when the URL carries no outcome. Remove the fragment afterwards (`history.replaceState`).
   *
   * @example
   * ```ts
   * const result = await gatehouse.completeSocialRedirect(location.href);
   * history.replaceState(null, "", location.pathname);
   * ```
   */
  async completeSocialRedirect(returnUrl) {
    const outcome = readRedirectOutcome(returnUrl);
    if (outcome === null) return null;
    if (outcome.kind === "error") {
      throw new GatehouseError(outcome.error, `The social login failed: ${outcome.error}.`, outcome.providerError === null ? {} : { providerError: outcome.providerError });
    }
    if (outcome.kind === "signup_required") {
      return { status: "signup_required", signupToken: outcome.signupToken, missing: outcome.missing, profile: null };
    }
    const session = await this.refresh();
    return { status: outcome.status, session };
  }
  /**
   * Completes a social sign-up that needed more fields (`POST /auth/signup` with the signup token).
   *
   * @example
   * ```ts
   * await gatehouse.completeSignup(result.signupToken, { email: "ada@example.com", nickname: "Ada" });
   * ```
   */
  async completeSignup(signupToken, fields) {
    const body = { signupToken };
    if (fields.nickname) body["nickname"] = fields.nickname;
    if (fields.email) body["email"] = fields.email;
    return this.keeper.signedIn(await this.tokenCall("/auth/signup", body));
  }
  // ------------------------------------------------------------------------------------ member, sessions
  /**
   * The member's profile (`GET /members/me`).
   *
   * @example
   * ```ts
   * const { nickname, identities } = await gatehouse.me();
   * ```
   */
  me() {
    return this.json("/members/me", { method: "GET" }, true);
  }
  /**
   * The member's active sessions (`GET /auth/sessions`); `current` marks this one.
   *
   * @example
   * ```ts
   * for (const s of await gatehouse.sessions()) list.append(`${s.userAgent} since ${s.createdAt}${s.current ? " (this one)" : ""}`);
   * ```
   */
  sessions() {
    return this.json("/auth/sessions", { method: "GET" }, true);
  }
  /**
   * Ends one of the member's sessions (`DELETE /auth/sessions/{id}`), e.g. a lost phone's.
   *
   * @example
   * ```ts
   * await gatehouse.revokeSession(session.id);
   * ```
   */
  async revokeSession(id) {
    await this.call(`/auth/sessions/${encodeURIComponent(id)}`, { method: "DELETE" }, true);
  }
  /**
   * Unlinks a social provider from the member (`DELETE /members/me/identities/{provider}`). Refused with
   * `last_login_method` (409) when it is the member's last way to log in: no password and no other provider.
   *
   * @example
   * ```ts
   * await gatehouse.unlinkProvider("kakao");
   * const { identities } = await gatehouse.me();
   * ```
   */
  async unlinkProvider(provider) {
    await this.call(`/members/me/identities/${encodeURIComponent(provider)}`, { method: "DELETE" }, true);
  }
  /**
   * Logs out: ends this session at Gatehouse, clears the cookie, and signs out every tab. The local state is cleared
   * even when Gatehouse cannot be reached (the error is then rethrown).
   *
   * @example
   * ```ts
   * logoutButton.onclick = () => gatehouse.logout();
   * ```
   */
  async logout() {
    try {
      const token = this.keeper.current.accessToken;
      const headers = token === null ? {} : { Authorization: "Bearer " + token };
      const stored = this.delivery === "body" ? await this.store.get() : null;
      const init = { method: "POST", headers };
      if (stored !== null) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify({ refreshToken: stored });
      }
      await this.http(this.baseUrl + "/auth/logout", { ...init, credentials: "include" }).then(async (r) => {
        if (!r.ok) throw await errorFromResponse(r);
      }, networkError);
    } finally {
      await this.store.set(null);
      this.keeper.signedOut("logout");
    }
  }
  /**
   * Logs out everywhere: ends every session of the member (`POST /auth/logout-all`), on every device.
   *
   * @example
   * ```ts
   * await gatehouse.logoutAll();
   * ```
   */
  async logoutAll() {
    await this.call("/auth/logout-all", { method: "POST" }, true);
    await this.store.set(null);
    this.keeper.signedOut("logout-all");
  }
  /**
   * Withdraws the member (`DELETE /members/me`, 202): Gatehouse deletes the account and ends every session. Needs a
   * recent login, or the password again for members who have one. Signs out every tab.
   *
   * @example
   * ```ts
   * await gatehouse.withdraw({ password: passwordInput.value || undefined });
   * ```
   */
  async withdraw(options = {}) {
    const init = { method: "DELETE" };
    if (options.password) init.body = JSON.stringify({ password: options.password });
    await this.call("/members/me", init, true);
    await this.store.set(null);
    this.keeper.signedOut("withdrawn");
  }
  /**
   * Stops the client's timer and closes its tab channel. For tests and for apps that create clients on the fly.
   *
   * @example
   * ```ts
   * afterEach(() => gatehouse.dispose());
   * ```
   */
  dispose() {
    this.keeper.dispose();
  }
  // ------------------------------------------------------------------------------------------- plumbing
  async exchangeRefreshToken() {
    const init = { method: "POST", credentials: "include" };
    if (this.delivery === "body") {
      const stored = await this.store.get();
      if (stored === null) throw new GatehouseError("no_session", "No refresh token is stored.", { status: 401 });
      init.headers = { "Content-Type": "application/json" };
      init.body = JSON.stringify({ refreshToken: stored });
    }
    const response = await this.http(this.baseUrl + "/auth/token", init).catch(networkError);
    if (!response.ok) throw await errorFromResponse(response);
    return this.keepRefreshToken(await readJson(response));
  }
  async tokenCall(path, body) {
    const response = await this.call(path, { method: "POST", body: JSON.stringify(this.withDelivery(body)) }, false);
    return this.keepRefreshToken(await readJson(response));
  }
  withDelivery(body) {
    return this.delivery === "body" ? { ...body, refreshTokenDelivery: "body" } : body;
  }
  async keepRefreshToken(tokens) {
    if (typeof tokens?.accessToken !== "string" || typeof tokens.expiresIn !== "number") {
      throw new GatehouseError("invalid_response", "Gatehouse's answer has no access token.");
    }
    if (this.delivery === "body" && typeof tokens.refreshToken === "string") await this.store.set(tokens.refreshToken);
    return tokens;
  }
  /** A call to Gatehouse; with `authorized`, through {@link GatehouseClient.fetch} (token, refresh, retry). */
  async call(path, init, authorized) {
    const headers = new Headers(init.headers);
    if (init.body !== void 0 && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
    const request = { ...init, headers, credentials: "include" };
    const url = this.baseUrl + path;
    const response = await (authorized ? this.fetch(url, request) : this.http(url, request)).catch(networkError);
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }
  async json(path, init, authorized) {
    return await readJson(await this.call(path, init, authorized));
  }
};
async function readJson(response) {
  try {
    return await response.json();
  } catch (cause) {
    throw new GatehouseError("invalid_response", "Gatehouse's answer is not JSON.", { status: response.status, cause });
  }
}
function networkError(cause) {
  if (cause instanceof GatehouseError) throw cause;
  throw new GatehouseError("network_error", "Gatehouse could not be reached.", { cause });
}
function memoryStore() {
  let token = null;
  return { get: () => token, set: (value) => void (token = value) };
}
function defaultStorage() {
  try {
    const storage = globalThis.sessionStorage;
    if (storage) return storage;
  } catch {
  }
  const map = /* @__PURE__ */ new Map();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
}
export {
  GatehouseClient,
  GatehouseError,
  createGatehouse,
  readRedirectOutcome
};
