import { GatehouseError, errorFromResponse } from "./errors.js";
import { SessionKeeper, systemClock } from "./session.js";
import { readRedirectOutcome, socialState } from "./social.js";
import type { TabOptions } from "./tabs.js";
import type {
  Clock,
  ExternalProfile,
  KeyValueStorage,
  Member,
  Provider,
  RefreshTokenStore,
  SessionInfo,
  SessionListener,
  SessionState,
  SignupFields,
  SocialLoginResult,
  TokenResponse,
} from "./types.js";

/**
 * Options of {@link createGatehouse}. Only `baseUrl` is required.
 *
 * @example
 * ```ts
 * const gatehouse = createGatehouse({
 *   baseUrl: "https://auth.example.com",
 *   refreshAhead: 0.8,     // refresh when 80% of the access token's lifetime has passed (the default)
 *   autoRefresh: true,     // false: manual mode, the user extends the session (see extend())
 * });
 * ```
 */
export interface GatehouseOptions {
  /** Gatehouse's public URL, e.g. `https://auth.example.com` (no trailing slash needed). */
  baseUrl: string;
  /** The fetch to use; default the global one. Inject one in tests, or to add tracing. */
  fetch?: typeof fetch;
  /** The clock to read and schedule with; default the platform's ({@link Clock}). */
  clock?: Clock;
  /**
   * `true` (default): refresh silently ahead of expiry and on a 401. `false`: manual mode (seed 000): the session shows
   * its remaining time, the app offers {@link GatehouseClient.extend}, and an expired session stays expired.
   * Can be changed later with {@link GatehouseClient.autoRefresh}.
   */
  autoRefresh?: boolean;
  /** When to refresh, as a fraction of the access token's lifetime (0.5 to 0.95); default 0.8. */
  refreshAhead?: number;
  /**
   * `cookie` (default, browsers): the refresh token stays in Gatehouse's HttpOnly cookie, script never sees it.
   * `body` (Node, native apps): it comes in the JSON body and is kept by {@link GatehouseOptions.refreshTokenStore}.
   */
  refreshTokenDelivery?: "cookie" | "body";
  /** Where the refresh token is kept with `refreshTokenDelivery: "body"`; default in memory (lost when the process ends). */
  refreshTokenStore?: RefreshTokenStore;
  /** Tab coordination ({@link TabOptions}); `false` switches it off. Default: Web Locks and BroadcastChannel where present. */
  tabs?: TabOptions | false;
  /** Where a social login's state waits for the return from the provider; default `sessionStorage` (else memory). */
  storage?: KeyValueStorage;
}

type FetchInput = Parameters<typeof fetch>[0];

/**
 * Creates a Gatehouse client: login, sign-up, social login in both flows, a `fetch` that carries the access token and
 * keeps it fresh, the session's state for a user interface, and the member's sessions.
 *
 * @example
 * ```ts
 * import { createGatehouse } from "@gatehouse/client";
 *
 * const gatehouse = createGatehouse({ baseUrl: "https://auth.example.com" });
 * gatehouse.onChange((state, event) => {
 *   if (event.type === "ended") showLogin("Your session has ended; please log in again.");
 * });
 * await gatehouse.refresh().catch(() => null);       // pick up an existing session on page load
 * if (!gatehouse.isSignedIn) await gatehouse.loginWithPassword({ email, password });
 * const orders = await gatehouse.fetch("https://api.example.com/orders").then((r) => r.json());
 * ```
 */
export function createGatehouse(options: GatehouseOptions): GatehouseClient {
  return new GatehouseClient(options);
}

/**
 * The client {@link createGatehouse} returns. Every method is documented with an example; see the README for a tour.
 *
 * @example
 * ```ts
 * const gatehouse: GatehouseClient = createGatehouse({ baseUrl: "https://auth.example.com" });
 * await gatehouse.loginWithPassword({ email, password });
 * ```
 */
export class GatehouseClient {
  /** Gatehouse's URL without a trailing slash. */
  readonly baseUrl: string;
  private readonly http: typeof fetch;
  private readonly delivery: "cookie" | "body";
  private readonly store: RefreshTokenStore;
  private readonly storage: KeyValueStorage;
  private readonly keeper: SessionKeeper;

  constructor(options: GatehouseOptions) {
    if (!options || typeof options.baseUrl !== "string" || !/^https?:\/\//i.test(options.baseUrl)) {
      throw new TypeError("createGatehouse: baseUrl must be an absolute http(s) URL, e.g. https://auth.example.com");
    }
    const refreshAhead = options.refreshAhead ?? 0.8;
    if (!(refreshAhead >= 0.5 && refreshAhead <= 0.95)) {
      throw new RangeError("createGatehouse: refreshAhead must be between 0.5 and 0.95");
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    const platformFetch = options.fetch ?? (globalThis.fetch as typeof fetch | undefined);
    if (typeof platformFetch !== "function") throw new TypeError("createGatehouse: no fetch; pass options.fetch");
    // Called unbound: a browser's fetch throws "Illegal invocation" when called as a method of another object.
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
      forget: () => (this.delivery === "body" ? this.store.set(null) : undefined),
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
  get session(): SessionState {
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
  get isSignedIn(): boolean {
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
  get expiresAt(): number | null {
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
  get autoRefresh(): boolean {
    return this.keeper.autoRefresh;
  }

  set autoRefresh(value: boolean) {
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
  get multiTab(): { locks: boolean; channel: boolean } {
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
  onChange(listener: SessionListener): () => void {
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
  refresh(): Promise<SessionState> {
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
  extend(): Promise<SessionState> {
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
  getAccessToken(): Promise<string | null> {
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
  tokenAfterUnauthorized(sentToken: string): Promise<string | null> {
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
  async fetch(input: FetchInput, init?: RequestInit): Promise<Response> {
    const token = await this.keeper.accessToken();
    const response = await this.send(input, init, token);
    if (response.status !== 401 || token === null) return response;
    let next: string | null;
    try {
      next = await this.keeper.tokenAfterUnauthorized(token);
    } catch {
      return response;
    }
    if (next === null) return response;
    await response.body?.cancel().catch(() => undefined);
    return this.send(input, init, next);
  }

  private send(input: FetchInput, init: RequestInit | undefined, token: string | null): Promise<Response> {
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
  async signup(fields: { email: string; password: string; nickname: string }): Promise<SessionState> {
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
  async loginWithPassword(credentials: { email: string; password: string }): Promise<SessionState> {
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
  providers(): Promise<Provider[]> {
    return this.json<Provider[]>("/auth/providers", { method: "GET" }, false);
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
  async startSocialLogin(provider: string, options: { redirectUri: string; intent?: "login" | "link" }): Promise<{ authorizationUrl: string; state: string }> {
    const intent = options.intent ?? "login";
    const started = await this.json<{ authorizationUrl: string; state: string }>(
      `/auth/social/${encodeURIComponent(provider)}/authorization`,
      { method: "POST", body: JSON.stringify({ redirectUri: options.redirectUri, intent }) },
      intent === "link",
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
  async completeSocialLogin(callbackUrl: string | URL): Promise<SocialLoginResult> {
    const query = new URL(String(callbackUrl)).searchParams;
    const kept = socialState.take(this.storage);
    const state = query.get("state");
    if (kept === null || state === null || state !== kept.state) {
      throw new GatehouseError("invalid_state", "This social login was not started in this tab, or was already completed.");
    }
    const body: Record<string, string> = { provider: kept.provider, state };
    for (const name of ["code", "iss", "error"]) {
      const value = query.get(name);
      if (value !== null) body[name] = value;
    }
    const link = kept.intent === "link";
    const response = await this.call("/auth/login", { method: "POST", body: JSON.stringify(this.withDelivery(body)) }, link);
    const answer = (await readJson(response)) as Record<string, unknown>;
    if (answer["status"] === "signup_required") {
      return {
        status: "signup_required",
        signupToken: String(answer["signupToken"]),
        missing: Array.isArray(answer["missing"]) ? answer["missing"].map(String) : [],
        profile: (answer["profile"] as ExternalProfile | undefined) ?? null,
      };
    }
    if (answer["status"] === "linked") {
      return { status: "linked", identities: (answer["identities"] as never) ?? [] };
    }
    const tokens = await this.keepRefreshToken(answer as unknown as TokenResponse);
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
  socialLoginUrl(provider: string, options: { returnTo: string }): string {
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
  async completeSocialRedirect(returnUrl: string | URL): Promise<SocialLoginResult | null> {
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
  async completeSignup(signupToken: string, fields: SignupFields): Promise<SessionState> {
    const body: Record<string, string> = { signupToken };
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
  me(): Promise<Member> {
    return this.json<Member>("/members/me", { method: "GET" }, true);
  }

  /**
   * The member's active sessions (`GET /auth/sessions`); `current` marks this one.
   *
   * @example
   * ```ts
   * for (const s of await gatehouse.sessions()) list.append(`${s.userAgent} since ${s.createdAt}${s.current ? " (this one)" : ""}`);
   * ```
   */
  sessions(): Promise<SessionInfo[]> {
    return this.json<SessionInfo[]>("/auth/sessions", { method: "GET" }, true);
  }

  /**
   * Ends one of the member's sessions (`DELETE /auth/sessions/{id}`), e.g. a lost phone's.
   *
   * @example
   * ```ts
   * await gatehouse.revokeSession(session.id);
   * ```
   */
  async revokeSession(id: string): Promise<void> {
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
  async unlinkProvider(provider: string): Promise<void> {
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
  async logout(): Promise<void> {
    try {
      const token = this.keeper.current.accessToken;
      const headers: Record<string, string> = token === null ? {} : { Authorization: "Bearer " + token };
      const stored = this.delivery === "body" ? await this.store.get() : null;
      const init: RequestInit = { method: "POST", headers };
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
  async logoutAll(): Promise<void> {
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
  async withdraw(options: { password?: string | undefined } = {}): Promise<void> {
    const init: RequestInit = { method: "DELETE" };
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
  dispose(): void {
    this.keeper.dispose();
  }

  // ------------------------------------------------------------------------------------------- plumbing

  private async exchangeRefreshToken(): Promise<TokenResponse> {
    const init: RequestInit = { method: "POST", credentials: "include" };
    if (this.delivery === "body") {
      const stored = await this.store.get();
      if (stored === null) throw new GatehouseError("no_session", "No refresh token is stored.", { status: 401 });
      init.headers = { "Content-Type": "application/json" };
      init.body = JSON.stringify({ refreshToken: stored });
    }
    const response = await this.http(this.baseUrl + "/auth/token", init).catch(networkError);
    if (!response.ok) throw await errorFromResponse(response);
    return this.keepRefreshToken((await readJson(response)) as TokenResponse);
  }

  private async tokenCall(path: string, body: Record<string, unknown>): Promise<TokenResponse> {
    const response = await this.call(path, { method: "POST", body: JSON.stringify(this.withDelivery(body)) }, false);
    return this.keepRefreshToken((await readJson(response)) as TokenResponse);
  }

  private withDelivery(body: Record<string, unknown>): Record<string, unknown> {
    return this.delivery === "body" ? { ...body, refreshTokenDelivery: "body" } : body;
  }

  private async keepRefreshToken(tokens: TokenResponse): Promise<TokenResponse> {
    if (typeof tokens?.accessToken !== "string" || typeof tokens.expiresIn !== "number") {
      throw new GatehouseError("invalid_response", "Gatehouse's answer has no access token.");
    }
    if (this.delivery === "body" && typeof tokens.refreshToken === "string") await this.store.set(tokens.refreshToken);
    return tokens;
  }

  /** A call to Gatehouse; with `authorized`, through {@link GatehouseClient.fetch} (token, refresh, retry). */
  private async call(path: string, init: RequestInit, authorized: boolean): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.body !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
    const request: RequestInit = { ...init, headers, credentials: "include" };
    const url = this.baseUrl + path;
    const response = await (authorized ? this.fetch(url, request) : this.http(url, request)).catch(networkError);
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }

  private async json<T>(path: string, init: RequestInit, authorized: boolean): Promise<T> {
    return (await readJson(await this.call(path, init, authorized))) as T;
  }
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch (cause) {
    throw new GatehouseError("invalid_response", "Gatehouse's answer is not JSON.", { status: response.status, cause });
  }
}

function networkError(cause: unknown): never {
  if (cause instanceof GatehouseError) throw cause;
  throw new GatehouseError("network_error", "Gatehouse could not be reached.", { cause });
}

function memoryStore(): RefreshTokenStore {
  let token: string | null = null;
  return { get: () => token, set: (value) => void (token = value) };
}

function defaultStorage(): KeyValueStorage {
  try {
    const storage = (globalThis as { sessionStorage?: KeyValueStorage }).sessionStorage;
    if (storage) return storage;
  } catch {
    // Storage denied (privacy settings, sandboxed frame): memory still works within the page.
  }
  const map = new Map<string, string>();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
}
