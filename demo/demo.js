// A deliberately small client: the TypeScript SDK (clients/js) replaces it.
let accessToken = null;
let expiresAt = 0;
let refreshing = null;

const $ = (id) => document.getElementById(id);
const log = (message) => { $("log").textContent = `${new Date().toLocaleTimeString()}  ${message}\n` + $("log").textContent; };

async function call(path, { method = "GET", body, auth = true } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && accessToken) headers.Authorization = `Bearer ${accessToken}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  const json = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw Object.assign(new Error(json?.detail ?? response.statusText), { status: response.status, error: json?.error });
  return json;
}

function accept(tokens) {
  accessToken = tokens.accessToken;
  expiresAt = Date.now() + tokens.expiresIn * 1000;
}

// One refresh at a time: concurrent callers share it, so the rotating refresh token is never raced.
function refresh() {
  refreshing ??= call("/auth/token", { method: "POST", auth: false }).then(accept).finally(() => { refreshing = null; });
  return refreshing;
}

async function authed(path, options) {
  try {
    return await call(path, options);
  } catch (e) {
    if (e.status !== 401) throw e;
    await refresh();
    return call(path, options);
  }
}

async function show() {
  const me = await authed("/members/me");
  $("nickname").textContent = me.nickname;
  $("profile").innerHTML = "";
  for (const [k, v] of Object.entries(me).filter(([k]) => k !== "identities")) {
    $("profile").insertAdjacentHTML("beforeend", `<dt>${k}</dt><dd></dd>`);
    $("profile").lastElementChild.textContent = v ?? "-";
  }
  $("identities").innerHTML = "";
  for (const identity of me.identities) {
    const li = document.createElement("li");
    li.textContent = `${identity.provider} · ${identity.name ?? "-"} · ${identity.email ?? "no email shared"} `;
    const b = document.createElement("button");
    b.className = "secondary";
    b.textContent = "Unlink";
    b.onclick = async () => {
      try { await authed(`/members/me/identities/${encodeURIComponent(identity.provider)}`, { method: "DELETE" }); log(`${identity.provider} unlinked`); show(); }
      catch (e) { log(`unlink: ${e.error} — ${e.message}`); }
    };
    li.append(b);
    $("identities").append(li);
  }
  const sessions = await authed("/auth/sessions");
  $("sessions").innerHTML = "";
  for (const s of sessions) {
    const li = document.createElement("li");
    li.textContent = `${s.current ? "this browser" : s.userAgent ?? "unknown"} · since ${new Date(s.createdAt).toLocaleString()} `;
    if (!s.current) {
      const b = document.createElement("button");
      b.className = "secondary";
      b.textContent = "Revoke";
      b.onclick = async () => { await authed(`/auth/sessions/${s.id}`, { method: "DELETE" }); log("session revoked"); show(); };
      li.append(b);
    }
    $("sessions").append(li);
  }
  $("signed-out").hidden = true;
  $("signed-in").hidden = false;
}

function signedOut() {
  accessToken = null;
  $("signed-out").hidden = false;
  $("signed-in").hidden = true;
}

function form(id, path, toBody) {
  $(id).addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target));
    try {
      accept(await call(path, { method: "POST", body: toBody(data), auth: false }));
      log(`${id}: ok`);
      await show();
    } catch (e) {
      log(`${id}: ${e.error ?? e.status} — ${e.message}`);
    }
  });
}

form("signup", "/auth/signup", (d) => d);
form("login", "/auth/login", (d) => ({ provider: "password", ...d }));
$("extend").onclick = async () => { try { await refresh(); log("session extended"); } catch (e) { log(`refresh: ${e.error}`); signedOut(); } };
$("logout").onclick = async () => { await call("/auth/logout", { method: "POST" }); log("logged out"); signedOut(); };
$("logout-all").onclick = async () => { await authed("/auth/logout-all", { method: "POST" }); log("logged out everywhere"); signedOut(); };

setInterval(() => {
  if (!accessToken) return;
  const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
  $("timer").textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
}, 1000);

// Social login, server-redirect flow: the provider returns to Gatehouse, which sets the refresh cookie and sends the
// browser back here with the outcome in the fragment (#status=… or #error=…).
async function listProviders() {
  const providers = await call("/auth/providers", { auth: false });
  if (providers.length === 0) return;
  $("providers").innerHTML = "";
  for (const p of providers) {
    const b = document.createElement("button");
    b.className = "secondary";
    b.textContent = p.displayName;
    b.onclick = () => { location.href = `/auth/social/${encodeURIComponent(p.name)}/start?returnTo=${encodeURIComponent(location.origin + location.pathname)}`; };
    $("providers").append(b, " ");
  }
}

let signupToken = null;
$("complete-signup").addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = Object.fromEntries([...new FormData(event.target)].filter(([, v]) => v !== ""));
  try {
    accept(await call("/auth/signup", { method: "POST", body: { signupToken, ...data }, auth: false }));
    log("sign-up completed");
    $("complete-signup").hidden = true;
    await show();
  } catch (e) {
    log(`sign-up: ${e.error ?? e.status} — ${e.message}`);
  }
});

function landing() {
  const outcome = new URLSearchParams(location.hash.slice(1));
  if (![...outcome.keys()].length) return false;
  history.replaceState(null, "", location.pathname + location.search);
  if (outcome.get("error")) {
    log(`social login: ${outcome.get("error")}${outcome.get("providerError") ? ` (${outcome.get("providerError")})` : ""}`);
    return false;
  }
  if (outcome.get("status") === "signup_required") {
    signupToken = outcome.get("signupToken");
    $("complete-profile").textContent = `Still needed: ${outcome.get("missing") || "nothing"}.`;
    $("complete-signup").hidden = false;
    log("social login: more fields are needed to sign up");
    return true;
  }
  log(`social login: ${outcome.get("status")}`);
  return false;
}

// A page load picks up an existing session from the cookie (a social login has just set one).
const pendingSignup = landing();
listProviders().catch((e) => log(`providers: ${e.message}`));
if (pendingSignup) signedOut(); else refresh().then(show).catch(signedOut);
