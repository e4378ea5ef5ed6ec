/**
 * What `POST /auth/signup`, `POST /auth/login` and `POST /auth/token` answer. `refreshToken` only with `refreshTokenDelivery: "body"`.
 *
 * @example
 * ```ts
 * const tokens: TokenResponse = await (await fetch(url + "/auth/login", { method: "POST", body })).json();
 * setTimeout(refresh, tokens.expiresIn * 800);
 * ```
 */
export interface TokenResponse {
  accessToken: string;
  tokenType: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  /** Seconds until the refresh session ends (idle or absolute lifetime, whichever is first). */
  refreshExpiresIn: number;
  refreshToken?: string;
}

/**
 * A social provider linked to the member (`GET /members/me`).
 *
 * @example
 * ```ts
 * const linked = (await gatehouse.me()).identities.map((i: Identity) => i.provider);
 * ```
 */
export interface Identity {
  provider: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
  linkedAt: string;
  lastLoginAt: string;
}

/**
 * The member's profile (`GET /members/me`); `id` equals the access token's `sub`.
 *
 * @example
 * ```ts
 * const member: Member = await gatehouse.me();
 * greet(member.nickname);
 * ```
 */
export interface Member {
  id: string;
  email: string | null;
  nickname: string;
  createdAt: string;
  hasPassword: boolean;
  identities: Identity[];
}

/**
 * One of the member's sessions (`GET /auth/sessions`).
 *
 * @example
 * ```ts
 * const others = (await gatehouse.sessions()).filter((s: SessionInfo) => !s.current);
 * ```
 */
export interface SessionInfo {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  /** The session this client is using. */
  current: boolean;
}

/**
 * An enabled social provider (`GET /auth/providers`).
 *
 * @example
 * ```ts
 * const redirectable = (await gatehouse.providers()).filter((p: Provider) => p.flows.includes("redirect"));
 * ```
 */
export interface Provider {
  name: string;
  displayName: string;
  /** The flows the provider supports: `handoff`, `redirect`. */
  flows: string[];
}

/**
 * What the provider told Gatehouse about the user, when a sign-up still needs fields.
 *
 * @example
 * ```ts
 * if (result.status === "signup_required") nickname.value = result.profile?.name ?? "";
 * ```
 */
export interface ExternalProfile {
  provider: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
}

/**
 * Fields a social sign-up may still need (see `missing` in {@link SocialLoginResult}).
 *
 * @example
 * ```ts
 * const fields: SignupFields = { email: emailInput.value };
 * await gatehouse.completeSignup(signupToken, fields);
 * ```
 */
export interface SignupFields {
  nickname?: string;
  email?: string;
}

/**
 * The outcome of a social login. `logged_in` and `signed_up` carry the new session; `signup_required` needs
 * {@link GatehouseClient.completeSignup} with the fields named in `missing`; `linked` ends a link attempt.
 *
 * @example
 * ```ts
 * const result = await gatehouse.completeSocialLogin(location.href);
 * if (result.status === "signup_required") showSignupForm(result.missing);
 * ```
 */
export type SocialLoginResult =
  | { status: "logged_in" | "signed_up"; session: SessionState }
  | { status: "signup_required"; signupToken: string; missing: string[]; profile: ExternalProfile | null }
  | { status: "linked"; identities: Identity[] };

/**
 * The client's view of the session, replaced (never mutated) on every change, so it can be compared by reference.
 *
 * - `unknown`: not yet known (before the first refresh on page load);
 * - `signed-in`: an access token is held;
 * - `expired`: manual mode only, the access token ran out and nobody extended it (the refresh session may live on);
 * - `signed-out`: no session.
 *
 * @example
 * ```ts
 * const { status, expiresAt, memberId } = gatehouse.session;
 * ```
 */
export interface SessionState {
  readonly status: "unknown" | "signed-in" | "expired" | "signed-out";
  /** The access token: in memory only, never written anywhere by the client. */
  readonly accessToken: string | null;
  /** When the access token was received, in epoch milliseconds of the client's clock. */
  readonly issuedAt: number | null;
  /** When the access token expires, in epoch milliseconds of the client's clock. */
  readonly expiresAt: number | null;
  /** When the refresh session ends at the latest unless refreshed (its idle lifetime), in epoch milliseconds. */
  readonly refreshExpiresAt: number | null;
  /** The member's id (the token's `sub`). */
  readonly memberId: string | null;
  /** The session's id (the token's `sid`), as in {@link SessionInfo.id}. */
  readonly sessionId: string | null;
}

/**
 * Why a session stopped, as told by {@link SessionEvent}.
 *
 * @example
 * ```ts
 * gatehouse.onChange((_, e) => { if (e.type === "signed-out" && e.reason === "other-tab") toast("Signed out in another tab"); });
 * ```
 */
export type SignOutReason = "logout" | "logout-all" | "withdrawn" | "other-tab" | "no-session";

/**
 * What happened, passed to {@link GatehouseClient.onChange} listeners with the new state.
 *
 * - `signed-in`: a login, a sign-up, the pick-up of an existing session, or one that arrived from another tab;
 * - `refreshed`: a new access token, fetched by this tab or received from another (`source`);
 * - `expired`: manual mode, the access token ran out;
 * - `signed-out`: a deliberate end (`reason`), here or in another tab;
 * - `ended`: Gatehouse refused the refresh token (`invalid_grant`: revoked, expired, replayed elsewhere); the user
 *   must log in again. The one event an app must always show.
 *
 * @example
 * ```ts
 * gatehouse.onChange((state, event) => {
 *   if (event.type === "ended") showLogin(event.message);
 *   if (event.type === "refreshed") console.debug("new token from", event.source);
 * });
 * ```
 */
export type SessionEvent =
  | { type: "signed-in"; source: "this-tab" | "other-tab" }
  | { type: "refreshed"; source: "this-tab" | "other-tab" }
  | { type: "expired" }
  | { type: "signed-out"; reason: SignOutReason }
  | { type: "ended"; code: string; message: string };

/**
 * A listener of {@link GatehouseClient.onChange}.
 *
 * @example
 * ```ts
 * const listener: SessionListener = (state) => (badge.textContent = state.status);
 * const stop = gatehouse.onChange(listener);
 * ```
 */
export type SessionListener = (state: SessionState, event: SessionEvent) => void;

/**
 * The clock the client reads and schedules with: inject one in tests (or use fake timers on the default one).
 *
 * @example
 * ```ts
 * const clock: Clock = { now: () => fakeNow, setTimeout: (fn, ms) => queue(fn, ms), clearTimeout: (id) => cancel(id) };
 * ```
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Where a native or Node client keeps the refresh token when it asks for it in the body
 * (`refreshTokenDelivery: "body"`). Browsers need none: the token stays in an HttpOnly cookie.
 *
 * @example
 * ```ts
 * // Node: a file readable by this user only.
 * const store: RefreshTokenStore = {
 *   get: () => readFile(path, "utf8").catch(() => null),
 *   set: (token) => (token === null ? rm(path, { force: true }) : writeFile(path, token, { mode: 0o600 })),
 * };
 * ```
 */
export interface RefreshTokenStore {
  get(): string | null | Promise<string | null>;
  set(token: string | null): void | Promise<void>;
}

/**
 * The part of the Web Locks API (`navigator.locks`) the client uses: a plain request, and one with `ifAvailable`
 * (its callback gets `null` when another tab holds the lock), which tells a tab that it had to wait for another.
 *
 * @example
 * ```ts
 * createGatehouse({ baseUrl, tabs: { locks: navigator.locks } });
 * ```
 */
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
  request<T>(name: string, options: { ifAvailable: true }, callback: (lock: unknown) => Promise<T>): Promise<T>;
}

/**
 * The part of `BroadcastChannel` the client uses.
 *
 * @example
 * ```ts
 * createGatehouse({ baseUrl, tabs: { channel: (name) => new BroadcastChannel(name) } });
 * ```
 */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

/**
 * Key-value storage for the state of a social login between leaving and coming back (`sessionStorage` by default).
 *
 * @example
 * ```ts
 * createGatehouse({ baseUrl, storage: window.sessionStorage });
 * ```
 */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}
