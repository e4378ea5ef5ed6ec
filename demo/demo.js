// The demo app: every journey of a Gatehouse frontend, on the TypeScript client (clients/js). lib/gatehouse-client.js
// is that client's bundle, committed so the demo runs with the .NET SDK alone (scripts/test.sh checks it is current).
import { createGatehouse, GatehouseError, readRedirectOutcome } from "./lib/gatehouse-client.js";

const gatehouse = createGatehouse({ baseUrl: location.origin });
window.gatehouse = gatehouse; // for the console: gatehouse.me(), gatehouse.session, ...

const $ = (id) => document.getElementById(id);
const log = (message) => { $("log").textContent = `${new Date().toLocaleTimeString()}  ${message}\n` + $("log").textContent; };
const describe = (e) => (e instanceof GatehouseError ? `${e.code} — ${e.message}` : String(e));

function notice(text, kind = "info") {
  $("notice").textContent = text;
  $("notice").dataset.kind = kind;
  $("notice").hidden = !text;
}

// ------------------------------------------------------------------------------------------- the session
let refreshes = 0;
let signupToken = null;

function render(state) {
  const inside = state.status === "signed-in" || state.status === "expired";
  $("signed-in").hidden = !inside;
  $("signed-out").hidden = inside || state.status === "unknown" || signupToken !== null;
  $("session-status").textContent = state.status === "expired" ? "expired" : gatehouse.autoRefresh ? "auto-refresh" : "manual";
  $("session-status").dataset.state = state.status;
  $("refresh-count").textContent = String(refreshes);
}

const signedOutMessages = {
  "logout": "You have logged out.",
  "logout-all": "You have logged out everywhere.",
  "withdrawn": "Your account has been withdrawn. Goodbye.",
  "other-tab": "You were signed out in another tab.",
};

gatehouse.onChange((state, event) => {
  switch (event.type) {
    case "signed-in":
      notice("");
      log(event.source === "other-tab" ? "signed in (from another tab)" : "signed in");
      showMember().catch((e) => log(`profile: ${describe(e)}`));
      break;
    case "refreshed":
      refreshes++;
      log(`access token refreshed${event.source === "other-tab" ? " by another tab" : ""}`);
      break;
    case "expired":
      log("access token expired (manual mode): press Extend");
      break;
    case "signed-out":
      if (signedOutMessages[event.reason]) notice(signedOutMessages[event.reason]);
      log(`signed out (${event.reason})`);
      autoCall(false);
      break;
    case "ended":
      notice(`You have been signed out: ${event.message} Please log in again.`, "error");
      log(`session ended: ${event.code}`);
      autoCall(false);
      break;
  }
  render(state);
});

setInterval(() => {
  const expiresAt = gatehouse.expiresAt;
  if (expiresAt === null) { $("timer").textContent = "-"; return; }
  const left = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
  $("timer").textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
}, 250);

$("extend").onclick = async () => {
  try { await gatehouse.extend(); log("session extended"); } catch (e) { log(`extend: ${describe(e)}`); }
};
$("auto-refresh").onchange = (event) => {
  gatehouse.autoRefresh = event.target.checked;
  log(gatehouse.autoRefresh ? "automatic refresh on" : "manual mode: the session runs out unless extended");
  render(gatehouse.session);
};
const multiTab = gatehouse.multiTab;
$("tab-support").textContent = `${multiTab.locks ? "Web Locks" : "no Web Locks"}, ${multiTab.channel ? "BroadcastChannel" : "no BroadcastChannel"}`;

// -------------------------------------------------------------------------------------------- sample API
let calls = 0;
let failures = 0;
async function callApi() {
  calls++;
  try {
    const response = await gatehouse.fetch("/demo/api/hello");
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error(`${response.status} ${body?.error ?? ""}`);
    $("api-result").textContent = body.message;
  } catch (e) {
    failures++;
    $("api-result").textContent = `failed: ${e.message}`;
  }
  $("api-calls").textContent = String(calls);
  $("api-failures").textContent = String(failures);
}
let autoCallTimer = null;
function autoCall(on) {
  clearInterval(autoCallTimer);
  autoCallTimer = on ? setInterval(callApi, 1000) : null;
  $("auto-call").checked = on;
}
$("call-api").onclick = callApi;
$("auto-call").onchange = (event) => autoCall(event.target.checked);

// ---------------------------------------------------------------------------------------- member, sessions
async function showMember() {
  const [me, sessions] = await Promise.all([gatehouse.me(), gatehouse.sessions()]);
  $("nickname").textContent = me.nickname;
  $("profile").replaceChildren();
  for (const [key, value] of Object.entries(me).filter(([key]) => key !== "identities")) {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = key;
    dd.textContent = value ?? "-";
    $("profile").append(dt, dd);
  }
  $("identities").replaceChildren(...me.identities.map((identity) => {
    const li = document.createElement("li");
    li.textContent = `${identity.provider} · ${identity.name ?? "-"} · ${identity.email ?? "no email shared"} `;
    const unlink = document.createElement("button");
    unlink.type = "button";
    unlink.className = "secondary";
    unlink.textContent = "Unlink";
    unlink.dataset.provider = identity.provider;
    // Refused (409 last_login_method) when it is the member's last way to log in; the log says so.
    unlink.onclick = async () => {
      try { await gatehouse.unlinkProvider(identity.provider); log(`${identity.provider} unlinked`); await showMember(); } catch (e) { log(`unlink: ${describe(e)}`); }
    };
    li.append(unlink);
    return li;
  }));
  if (me.identities.length === 0) $("identities").textContent = "none";
  $("sessions").replaceChildren(...sessions.map((session) => {
    const li = document.createElement("li");
    li.textContent = `${session.current ? "this browser" : session.userAgent ?? "unknown"} · since ${new Date(session.createdAt).toLocaleString()} `;
    if (!session.current) {
      const revoke = document.createElement("button");
      revoke.type = "button";
      revoke.className = "secondary";
      revoke.textContent = "Revoke";
      revoke.onclick = async () => {
        try { await gatehouse.revokeSession(session.id); log("session revoked"); await showMember(); } catch (e) { log(`revoke: ${describe(e)}`); }
      };
      li.append(revoke);
    }
    li.dataset.current = String(session.current);
    return li;
  }));
}

$("logout").onclick = () => gatehouse.logout().catch((e) => log(`logout: ${describe(e)}`));
$("logout-all").onclick = () => gatehouse.logoutAll().catch((e) => log(`logout everywhere: ${describe(e)}`));
$("withdraw").addEventListener("submit", async (event) => {
  event.preventDefault();
  const password = new FormData(event.target).get("password") || undefined;
  try {
    await gatehouse.withdraw({ password });
    event.target.reset();
  } catch (e) {
    notice(`Withdrawal refused: ${describe(e)}`, "error");
    log(`withdraw: ${describe(e)}`);
  }
});

// ----------------------------------------------------------------------------------------- logging in
function form(id, submit) {
  $(id).addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries([...new FormData(event.target)].filter(([, value]) => value !== ""));
    try {
      await submit(data);
      event.target.reset();
    } catch (e) {
      notice(`${id}: ${describe(e)}`, "error");
      log(`${id}: ${describe(e)}`);
    }
  });
}

form("signup", (d) => gatehouse.signup({ email: d.email, password: d.password, nickname: d.nickname }));
form("login", (d) => gatehouse.loginWithPassword({ email: d.email, password: d.password }));
form("complete-signup", async (d) => {
  await gatehouse.completeSignup(signupToken, d);
  signupToken = null;
  $("complete-signup").hidden = true;
  log("sign-up completed");
});

function handle(result) {
  if (result === null) return;
  if (result.status === "signup_required") {
    signupToken = result.signupToken;
    $("complete-profile").textContent = `Still needed: ${result.missing.join(", ") || "nothing"}.`;
    $("complete-signup").hidden = false;
    $("signed-out").hidden = true;
    log("social login: more fields are needed to sign up");
  } else {
    log(`social login: ${result.status}`);
  }
}

async function listProviders() {
  const providers = await gatehouse.providers();
  if (providers.length === 0) return;
  $("providers").replaceChildren(...providers.map((provider) => {
    const row = document.createElement("p");
    const redirect = document.createElement("button");
    redirect.type = "button";
    redirect.className = "secondary";
    redirect.textContent = provider.displayName;
    // Server-redirect flow: Gatehouse receives the code, sets the refresh cookie, and sends the browser back here
    // with the outcome in the fragment.
    redirect.onclick = () => location.assign(gatehouse.socialLoginUrl(provider.name, { returnTo: location.origin + "/" }));
    const handOff = document.createElement("button");
    handOff.type = "button";
    handOff.className = "secondary";
    handOff.textContent = `${provider.displayName} · hand-off`;
    // Hand-off flow: the provider sends the code back to this page, which passes it to Gatehouse.
    handOff.onclick = async () => {
      try {
        const { authorizationUrl } = await gatehouse.startSocialLogin(provider.name, { redirectUri: location.origin + "/" });
        location.assign(authorizationUrl);
      } catch (e) { notice(`${provider.displayName}: ${describe(e)}`, "error"); }
    };
    row.append(redirect, " ", handOff);
    return row;
  }));
}

// ---------------------------------------------------------------------------------------------- start
// A page load finishes a social login that came back here, or picks up the existing session from the cookie.
async function start() {
  const url = new URL(location.href);
  // Only what Gatehouse or the provider put there counts as a return: state with a code or an error in the query
  // (hand-off), or Gatehouse's status or error in the fragment (server redirect). Any other #anchor or ?query is the
  // page's own, and the session is picked up as usual.
  const handOff = url.searchParams.has("state") && (url.searchParams.has("code") || url.searchParams.has("error"));
  const cameBack = handOff ? "handoff" : readRedirectOutcome(url) !== null ? "redirect" : null;
  if (cameBack) history.replaceState(null, "", location.pathname);
  try {
    if (cameBack === "handoff") handle(await gatehouse.completeSocialLogin(url));
    else if (cameBack === "redirect") handle(await gatehouse.completeSocialRedirect(url));
    else await gatehouse.refresh();
  } catch (e) {
    if (cameBack) { notice(`Social login failed: ${describe(e)}`, "error"); log(`social login: ${describe(e)}`); }
  }
  if (gatehouse.session.status === "unknown") render({ ...gatehouse.session, status: "signed-out" });
  else render(gatehouse.session);
}

listProviders().catch((e) => log(`providers: ${describe(e)}`));
start();
