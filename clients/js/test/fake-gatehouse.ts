// A small in-memory Gatehouse for the client's unit tests: the HTTP contract of src/Gatehouse.Server (signup, login,
// refresh with rotation, the reuse leeway and reuse detection, logout, sessions, the member, a protected API) behind an
// injectable fetch, on the test's clock (Date.now, faked by vitest). The browser tests run the real server.

interface Session {
  id: string;
  memberId: string;
  current: string;
  previous: string | null;
  rotatedAt: number;
  revoked: boolean;
}

interface Member {
  id: string;
  email: string;
  password: string | null;
  nickname: string;
  /** Linked social providers, as Gatehouse lists them in `identities`. */
  providers: string[];
}

export const BASE = "https://auth.example.test";
export const API = "https://api.example.test";

let counter = 0;
const next = (prefix: string) => `${prefix}${++counter}`;

function base64url(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function problem(status: number, error: string, detail: string, extra: Record<string, unknown> = {}): Response {
  return new Response(JSON.stringify({ type: "https://gatehouse.dev/errors/" + error, status, error, detail, ...extra }), {
    status,
    headers: { "Content-Type": "application/problem+json" },
  });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

export class FakeGatehouse {
  accessTokenLifetime = 5;
  refreshIdleLifetime = 14 * 24 * 3600;
  reuseLeeway = 10_000;
  /** The browser's cookie jar for Gatehouse's origin (shared by the tabs of one browser). */
  cookie: string | null = null;
  /** Every request, as "METHOD path". */
  readonly requests: string[] = [];
  /** While set, /auth/token waits for it: lets a test hold a refresh in flight. */
  hold: Promise<void> | null = null;
  /** While set, /auth/token rotates at once but its answer waits for it: a refresh done at the server, still on its way back. */
  holdAnswer: Promise<void> | null = null;
  /** The next N refreshes answer 503. */
  failRefreshes = 0;
  private readonly members = new Map<string, Member>();
  private readonly sessions = new Map<string, Session>();
  private readonly accessTokens = new Map<string, { sid: string; exp: number }>();
  private readonly states = new Set<string>();

  /** Back to a fresh server: no members, sessions, cookie or recorded requests; default settings. */
  reset(): void {
    this.accessTokenLifetime = 5;
    this.reuseLeeway = 10_000;
    this.cookie = null;
    this.requests.length = 0;
    this.hold = null;
    this.holdAnswer = null;
    this.failRefreshes = 0;
    for (const map of [this.members, this.sessions, this.accessTokens]) map.clear();
    this.states.clear();
  }

  count(request: string): number {
    return this.requests.filter((r) => r === request).length;
  }

  /** Every access token issued so far stops working (as after a key rotation), the sessions live on. */
  forgetAccessTokens(): void {
    this.accessTokens.clear();
  }

  revokeAll(): void {
    for (const s of this.sessions.values()) s.revoked = true;
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(request.url);
    this.requests.push(`${request.method} ${url.origin === BASE ? url.pathname : url.href}`);
    const bodyText = await request.text();
    const body = bodyText && request.headers.get("Content-Type")?.startsWith("application/json") ? (JSON.parse(bodyText) as Record<string, string>) : {};
    const withCookie = init?.credentials === "include" || request.credentials === "include";
    const bearer = request.headers.get("Authorization")?.replace(/^Bearer /, "") ?? null;
    const key = `${request.method} ${url.origin === API ? "API " + url.pathname : url.pathname}`;
    switch (key) {
      case "POST /auth/signup":
        return this.signup(body, withCookie);
      case "POST /auth/login":
        return this.login(body, withCookie);
      case "POST /auth/token": {
        // The cookie goes with the request as it is sent, as a browser's does.
        const presented = body["refreshToken"] ?? (withCookie ? this.cookie : null);
        if (this.hold) await this.hold;
        const answer = this.refresh(presented, body["refreshToken"] === undefined);
        if (this.holdAnswer) await this.holdAnswer;
        return answer;
      }
      case "POST /auth/logout": {
        const token = body["refreshToken"] ?? (withCookie ? this.cookie : null);
        const session = token ? this.sessionOf(token) : undefined;
        if (session) session.revoked = true;
        if (withCookie) this.cookie = null;
        return new Response(null, { status: 204 });
      }
      case "POST /auth/logout-all": {
        const member = this.authenticate(bearer);
        if (!member) return this.unauthorized();
        for (const s of this.sessions.values()) if (s.memberId === member.memberId) s.revoked = true;
        this.cookie = null;
        return new Response(null, { status: 204 });
      }
      case "GET /auth/sessions": {
        const member = this.authenticate(bearer);
        if (!member) return this.unauthorized();
        const list = [...this.sessions.values()].filter((s) => s.memberId === member.memberId && !s.revoked);
        return json(200, list.map((s) => ({ id: s.id, createdAt: "", lastUsedAt: "", expiresAt: "", userAgent: null, current: s.id === member.sid })));
      }
      case "GET /members/me": {
        const member = this.authenticate(bearer);
        if (!member) return this.unauthorized();
        const m = this.members.get(member.memberId)!;
        const identities = m.providers.map((provider) => ({ provider, email: null, emailVerified: false, name: null, picture: null, linkedAt: "", lastLoginAt: "" }));
        return json(200, { id: m.id, email: m.email, nickname: m.nickname, createdAt: "", hasPassword: m.password !== null, identities });
      }
      case "DELETE /members/me": {
        const member = this.authenticate(bearer);
        if (!member) return this.unauthorized();
        const m = this.members.get(member.memberId)!;
        if (body["password"] !== m.password) return problem(403, "reauthentication_required", "Send the password again.");
        this.members.delete(m.id);
        for (const s of this.sessions.values()) if (s.memberId === m.id) s.revoked = true;
        return new Response(null, { status: 202 });
      }
      case "POST /auth/social/dev/authorization": {
        const state = next("state-");
        this.states.add(state);
        return json(200, { authorizationUrl: `https://provider.example.test/authorize?state=${state}`, state });
      }
      case "GET API /hello": {
        const member = this.authenticate(bearer);
        return member ? json(200, { hello: member.memberId }) : this.unauthorized();
      }
      case "GET API /always-401":
      case "POST API /always-401":
        return this.unauthorized();
      default:
        if (request.method === "DELETE" && url.pathname.startsWith("/auth/sessions/")) {
          const member = this.authenticate(bearer);
          if (!member) return this.unauthorized();
          const session = this.sessions.get(decodeURIComponent(url.pathname.slice("/auth/sessions/".length)));
          if (!session || session.memberId !== member.memberId) return problem(404, "not_found", "The member has no such session.");
          session.revoked = true;
          return new Response(null, { status: 204 });
        }
        if (request.method === "DELETE" && url.pathname.startsWith("/members/me/identities/")) {
          const member = this.authenticate(bearer);
          if (!member) return this.unauthorized();
          const m = this.members.get(member.memberId)!;
          const provider = decodeURIComponent(url.pathname.slice("/members/me/identities/".length));
          if (!m.providers.includes(provider)) return problem(404, "not_found", "The member has no identity at that provider.");
          if (m.password === null && m.providers.length === 1) return problem(409, "last_login_method", "This is the member's last way to log in.");
          m.providers = m.providers.filter((p) => p !== provider);
          return new Response(null, { status: 204 });
        }
        return problem(404, "not_found", `No route ${key}.`);
    }
  };

  private signup(body: Record<string, string>, withCookie: boolean): Response {
    if (body["signupToken"]) {
      if (!body["email"]) return problem(400, "validation_failed", "email is required.", { errors: { email: ["Required."] } });
      const member = this.addMember(body["email"], "", body["nickname"] ?? "Social");
      return this.grant(201, member.id, body, withCookie);
    }
    if (!body["password"] || body["password"].length < 8) {
      return problem(400, "validation_failed", "The password is too short.", { errors: { password: ["At least 8 characters."] } });
    }
    if ([...this.members.values()].some((m) => m.email === body["email"])) return problem(409, "email_taken", "That email is taken.");
    const member = this.addMember(body["email"]!, body["password"], body["nickname"]!);
    return this.grant(201, member.id, body, withCookie);
  }

  private login(body: Record<string, string>, withCookie: boolean): Response {
    if ((body["provider"] ?? "password") !== "password") {
      if (!body["state"] || !this.states.delete(body["state"])) return problem(400, "invalid_state", "Unknown state.");
      if (body["error"] === "access_denied") return problem(400, "login_cancelled", "Cancelled.");
      if (body["code"] === "new-without-email") {
        return json(200, { status: "signup_required", signupToken: "signup-1", profile: { provider: "dev", email: null, emailVerified: false, name: "Dev", picture: null }, missing: ["email"] });
      }
      const member = this.addMember(`${body["code"]}@example.test`, "", "Dev");
      return this.grant(201, member.id, body, withCookie);
    }
    const member = [...this.members.values()].find((m) => m.email === body["email"] && m.password === body["password"]);
    return member ? this.grant(200, member.id, body, withCookie) : problem(401, "invalid_credentials", "Wrong email or password.");
  }

  private refresh(token: string | null, fromCookie: boolean): Response {
    if (this.failRefreshes > 0) {
      this.failRefreshes--;
      return problem(503, "service_unavailable", "Try again shortly.");
    }
    const session = token ? this.sessionOf(token) : undefined;
    if (!token || !session || session.revoked) return this.invalidGrant(fromCookie, "The session has ended.");
    const now = Date.now();
    if (token === session.previous && now - session.rotatedAt <= this.reuseLeeway) {
      return this.tokens(200, session, fromCookie);
    }
    if (token !== session.current) {
      session.revoked = true;
      return this.invalidGrant(fromCookie, "The refresh token was already used; the session has been revoked.");
    }
    session.previous = session.current;
    session.current = next(`rt-${session.id}-`);
    session.rotatedAt = now;
    return this.tokens(200, session, fromCookie);
  }

  private invalidGrant(fromCookie: boolean, detail: string): Response {
    if (fromCookie) this.cookie = null;
    return problem(401, "invalid_grant", detail);
  }

  private grant(status: number, memberId: string, body: Record<string, string>, withCookie: boolean): Response {
    const id = next("sid-");
    const session: Session = { id, memberId, current: next(`rt-${id}-`), previous: null, rotatedAt: 0, revoked: false };
    this.sessions.set(id, session);
    return this.tokens(status, session, body["refreshTokenDelivery"] !== "body" && withCookie);
  }

  private tokens(status: number, session: Session, inCookie: boolean): Response {
    const exp = Date.now() + this.accessTokenLifetime * 1000;
    const accessToken = `${base64url({ alg: "none" })}.${base64url({ sub: session.memberId, sid: session.id, jti: next("jti-") })}.sig`;
    this.accessTokens.set(accessToken, { sid: session.id, exp });
    const response: Record<string, unknown> = { accessToken, tokenType: "Bearer", expiresIn: this.accessTokenLifetime, refreshExpiresIn: this.refreshIdleLifetime };
    if (inCookie) this.cookie = session.current;
    else response["refreshToken"] = session.current;
    return json(status, response);
  }

  private addMember(email: string, password: string, nickname: string): Member {
    const member: Member = { id: next("member-"), email, password, nickname, providers: [] };
    this.members.set(member.id, member);
    return member;
  }

  /** Links providers to the member with this email and, with `password: null`, takes their password away (a social-only member). */
  setLogins(email: string, logins: { providers: string[]; password?: null }): void {
    const member = [...this.members.values()].find((m) => m.email === email)!;
    member.providers = [...logins.providers];
    if (logins.password === null) member.password = null;
  }

  private sessionOf(token: string): Session | undefined {
    const id = /^rt-(sid-\d+)-/.exec(token)?.[1];
    return id ? this.sessions.get(id) : undefined;
  }

  private authenticate(bearer: string | null): { memberId: string; sid: string } | null {
    const issued = bearer ? this.accessTokens.get(bearer) : undefined;
    if (!issued || Date.now() >= issued.exp) return null;
    const session = this.sessions.get(issued.sid);
    return session && !session.revoked ? { memberId: session.memberId, sid: session.id } : null;
  }

  private unauthorized(): Response {
    return problem(401, "invalid_token", "The access token is missing, expired or not valid.");
  }
}

/**
 * Web Locks, in memory: one holder per name, the others wait their turn (first come, first served); with
 * `ifAvailable`, the callback gets null at once when the lock is held or waited for.
 */
export class MemoryLocks {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly busy = new Map<string, number>();
  requests = 0;

  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
  request<T>(name: string, options: { ifAvailable: true }, callback: (lock: unknown) => Promise<T>): Promise<T>;
  request<T>(name: string, ...args: [() => Promise<T>] | [{ ifAvailable: true }, (lock: unknown) => Promise<T>]): Promise<T> {
    this.requests++;
    const callback = (args.length === 1 ? args[0] : args[1]) as (lock: unknown) => Promise<T>;
    if (args.length === 2 && (this.busy.get(name) ?? 0) > 0) return Promise.resolve().then(() => callback(null));
    const lock = { name };
    this.busy.set(name, (this.busy.get(name) ?? 0) + 1);
    const previous = this.tails.get(name) ?? Promise.resolve();
    const held = () => callback(lock);
    const run = previous.then(held, held).finally(() => this.busy.set(name, (this.busy.get(name) ?? 1) - 1));
    this.tails.set(name, run.catch(() => undefined));
    return run;
  }
}

/**
 * BroadcastChannel, in memory: a message reaches every other open channel of the same name, asynchronously. While
 * `delayed`, messages wait (in order) until `deliver()`: tabs are separate processes, and nothing bounds how late one
 * hears of another.
 */
export class MemoryChannelHub {
  private readonly open = new Set<{ name: string; channel: MemoryChannel }>();
  private readonly waiting: (() => void)[] = [];
  delayed = false;
  /** Milliseconds (of the clock, fake or not) each message takes to arrive: messages between processes lag the lock. */
  latencyMs = 0;

  deliver(): void {
    this.delayed = false;
    for (const send of this.waiting.splice(0)) queueMicrotask(send);
  }

  create = (name: string): MemoryChannel => {
    const channel = new MemoryChannel((message) => {
      for (const other of this.open) {
        if (other.name !== name || other.channel === channel) continue;
        const send = () => other.channel.onmessage?.({ data: structuredClone(message) });
        if (this.delayed) this.waiting.push(send);
        else if (this.latencyMs > 0) setTimeout(send, this.latencyMs);
        else queueMicrotask(send);
      }
    }, () => this.open.forEach((o) => o.channel === channel && this.open.delete(o)));
    this.open.add({ name, channel });
    return channel;
  };
}

export class MemoryChannel {
  onmessage: ((event: { data: unknown }) => void) | null = null;
  constructor(private readonly send: (message: unknown) => void, private readonly closing: () => void) {}
  postMessage(message: unknown): void {
    this.send(message);
  }
  close(): void {
    this.closing();
  }
}
