import { describe, expect, it } from "vitest";
import { GatehouseError, readRedirectOutcome, type KeyValueStorage } from "../src/index.js";
import { API, BASE } from "./fake-gatehouse.js";
import { client, fakeGatehousePerTest, password } from "./helpers.js";

function memoryStorage(): KeyValueStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
}

describe("the API calls", () => {
  const server = fakeGatehousePerTest();

  it("turns problem details into a GatehouseError with the stable code, the status and the field errors", async () => {
    const gatehouse = client(server);

    const error = await gatehouse.signup({ email: "a@example.test", password: "short", nickname: "A" }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GatehouseError);
    expect(error).toMatchObject({ code: "validation_failed", status: 400, message: "The password is too short.", fields: { password: ["At least 8 characters."] } });
    await expect(gatehouse.loginWithPassword({ email: "a@example.test", password })).rejects.toMatchObject({ code: "invalid_credentials", status: 401 });
    expect(gatehouse.session.status).toBe("unknown");
  });

  it("sends credentials with every call to Gatehouse (the refresh cookie is scoped to /auth)", async () => {
    const credentials: Array<string | undefined> = [];
    const gatehouse = client(server, {
      fetch: (input, init) => {
        credentials.push(init?.credentials);
        return server.fetch(input, init);
      },
    });
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    await gatehouse.refresh();
    await gatehouse.me();
    await gatehouse.logout();

    expect(credentials).toEqual(["include", "include", "include", "include"]);
  });

  it("unlinks a provider, and is refused unlinking the last way to log in", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "u@example.test", password, nickname: "U" });
    server.setLogins("u@example.test", { providers: ["kakao", "github"], password: null });

    await gatehouse.unlinkProvider("kakao");
    expect((await gatehouse.me()).identities.map((i) => i.provider)).toEqual(["github"]);
    expect(server.requests).toContain("DELETE /members/me/identities/kakao");
    await expect(gatehouse.unlinkProvider("github")).rejects.toMatchObject({ code: "last_login_method", status: 409 });
    await expect(gatehouse.unlinkProvider("kakao")).rejects.toMatchObject({ code: "not_found", status: 404 });
    expect((await gatehouse.me()).identities.map((i) => i.provider)).toEqual(["github"]);
    gatehouse.dispose();
  });

  it("lists the member's sessions, revokes another one, and logs out everywhere", async () => {
    const here = client(server);
    await here.signup({ email: "a@example.test", password, nickname: "Ada" });
    const there = client(server, { refreshTokenDelivery: "body" });
    await there.loginWithPassword({ email: "a@example.test", password });

    const sessions = await here.sessions();
    expect(sessions).toHaveLength(2);
    expect(sessions.find((s) => s.current)?.id).toBe(here.session.sessionId);
    expect((await here.me()).nickname).toBe("Ada");

    await here.revokeSession(there.session.sessionId!);
    await expect(there.refresh()).rejects.toMatchObject({ code: "invalid_grant" });
    await expect(here.revokeSession("sid-404")).rejects.toMatchObject({ code: "not_found", status: 404 });

    await here.logoutAll();
    expect(here.events.at(-1)).toEqual({ type: "signed-out", reason: "logout-all" });
    expect(server.cookie).toBeNull();
    here.dispose();
    there.dispose();
  });

  it("logs out locally even when Gatehouse cannot be reached, and says so", async () => {
    let online = true;
    const gatehouse = client(server, { fetch: (input, init) => (online ? server.fetch(input, init) : Promise.reject(new TypeError("offline"))) });
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    online = false;

    await expect(gatehouse.logout()).rejects.toMatchObject({ code: "network_error" });

    expect(gatehouse.session.status).toBe("signed-out");
  });

  it("withdraws with the password (202) and signs out; a refusal keeps the session", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });

    await expect(gatehouse.withdraw()).rejects.toMatchObject({ code: "reauthentication_required", status: 403 });
    expect(gatehouse.isSignedIn).toBe(true);
    await gatehouse.withdraw({ password });

    expect(gatehouse.events.at(-1)).toEqual({ type: "signed-out", reason: "withdrawn" });
    expect(server.requests.filter((r) => r === "DELETE /members/me")).toHaveLength(2);
    await expect(gatehouse.loginWithPassword({ email: "a@example.test", password })).rejects.toMatchObject({ code: "invalid_credentials" });
  });
});

describe("social login", () => {
  const server = fakeGatehousePerTest();

  it("hand-off flow: keeps the state, checks it on the way back, and signs in", async () => {
    const storage = memoryStorage();
    const gatehouse = client(server, { storage });

    const { authorizationUrl, state } = await gatehouse.startSocialLogin("dev", { redirectUri: "https://app.example.test/callback" });
    expect(authorizationUrl).toContain(state);
    const result = await gatehouse.completeSocialLogin(`https://app.example.test/callback?code=ada&state=${state}`);

    expect(result).toMatchObject({ status: "signed_up", session: { status: "signed-in" } });
    expect(storage.map.size).toBe(0);
    expect((await gatehouse.fetch(`${API}/hello`)).status).toBe(200);
    gatehouse.dispose();
  });

  it("hand-off flow: a state that is not this tab's attempt is refused before anything is sent", async () => {
    const gatehouse = client(server, { storage: memoryStorage() });
    await gatehouse.startSocialLogin("dev", { redirectUri: "https://app.example.test/callback" });
    const sent = server.requests.length;

    await expect(gatehouse.completeSocialLogin("https://app.example.test/callback?code=x&state=forged")).rejects.toMatchObject({ code: "invalid_state" });
    // A state is used once: the real one no longer works either.
    await expect(gatehouse.completeSocialLogin("https://app.example.test/callback?code=x&state=state-1")).rejects.toMatchObject({ code: "invalid_state" });
    expect(server.requests.length).toBe(sent);
  });

  it("hand-off flow: a sign-up that needs an email is completed with completeSignup", async () => {
    const gatehouse = client(server, { storage: memoryStorage() });
    const { state } = await gatehouse.startSocialLogin("dev", { redirectUri: "https://app.example.test/callback" });

    const result = await gatehouse.completeSocialLogin(`https://app.example.test/callback?code=new-without-email&state=${state}`);
    expect(result).toEqual({
      status: "signup_required",
      signupToken: "signup-1",
      missing: ["email"],
      profile: { provider: "dev", email: null, emailVerified: false, name: "Dev", picture: null },
    });
    if (result.status !== "signup_required") throw new Error("unreachable");
    await expect(gatehouse.completeSignup(result.signupToken, {})).rejects.toMatchObject({ code: "validation_failed", fields: { email: ["Required."] } });
    const session = await gatehouse.completeSignup(result.signupToken, { email: "dev@example.test" });

    expect(session.status).toBe("signed-in");
    gatehouse.dispose();
  });

  it("hand-off flow: a cancel at the provider comes back as login_cancelled", async () => {
    const gatehouse = client(server, { storage: memoryStorage() });
    const { state } = await gatehouse.startSocialLogin("dev", { redirectUri: "https://app.example.test/callback" });

    await expect(gatehouse.completeSocialLogin(`https://app.example.test/callback?error=access_denied&state=${state}`)).rejects.toMatchObject({ code: "login_cancelled" });
  });

  it("server-redirect flow: builds the start URL and reads every outcome from the fragment", async () => {
    const gatehouse = client(server);
    expect(gatehouse.socialLoginUrl("kakao", { returnTo: "https://app.example.test/after?x=1" })).toBe(
      `${BASE}/auth/social/kakao/start?returnTo=https%3A%2F%2Fapp.example.test%2Fafter%3Fx%3D1`,
    );

    expect(await gatehouse.completeSocialRedirect("https://app.example.test/")).toBeNull();
    expect(await gatehouse.completeSocialRedirect("https://app.example.test/#status=signup_required&signupToken=t1&missing=email,nickname")).toEqual({
      status: "signup_required",
      signupToken: "t1",
      missing: ["email", "nickname"],
      profile: null,
    });
    await expect(gatehouse.completeSocialRedirect("https://app.example.test/#error=provider_error&providerError=KOE101")).rejects.toMatchObject({
      code: "provider_error",
      providerError: "KOE101",
    });
    expect(readRedirectOutcome("https://app.example.test/#status=signed_up")).toEqual({ kind: "signed_in", status: "signed_up" });

    // Signed in: Gatehouse set the cookie; the client refreshes for its access token.
    await client(server).signup({ email: "a@example.test", password, nickname: "A" });
    const result = await gatehouse.completeSocialRedirect("https://app.example.test/#status=logged_in");
    expect(result).toMatchObject({ status: "logged_in", session: { status: "signed-in" } });
    gatehouse.dispose();
  });
});
