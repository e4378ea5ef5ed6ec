import type { KeyValueStorage } from "./types.js";

const key = "gatehouse:social";

/** A hand-off attempt between leaving for the provider and coming back. */
export interface KeptAttempt {
  provider: string;
  state: string;
  intent: "login" | "link";
}

export const socialState = {
  save(storage: KeyValueStorage, attempt: KeptAttempt): void {
    storage.setItem(key, JSON.stringify(attempt));
  },
  /** The kept attempt, removed (a state is used once). */
  take(storage: KeyValueStorage): KeptAttempt | null {
    const raw = storage.getItem(key);
    storage.removeItem(key);
    if (raw === null) return null;
    try {
      const parsed = JSON.parse(raw) as Partial<KeptAttempt>;
      return typeof parsed.provider === "string" && typeof parsed.state === "string"
        ? { provider: parsed.provider, state: parsed.state, intent: parsed.intent === "link" ? "link" : "login" }
        : null;
    } catch {
      return null;
    }
  },
};

/**
 * What Gatehouse's server-redirect flow put in the return URL's fragment (see docs/social-login.md).
 *
 * @example
 * ```ts
 * const outcome: RedirectOutcome | null = readRedirectOutcome(location.href);
 * ```
 */
export type RedirectOutcome =
  | { kind: "signed_in"; status: "logged_in" | "signed_up" }
  | { kind: "signup_required"; signupToken: string; missing: string[] }
  | { kind: "error"; error: string; providerError: string | null };

/**
 * Reads the outcome of a server-redirect social login from a URL's fragment: `#status=logged_in`, `#status=signed_up`,
 * `#status=signup_required&signupToken=…&missing=email`, or `#error=…[&providerError=…]`. Null when there is none.
 *
 * @example
 * ```ts
 * const outcome = readRedirectOutcome(location.href);
 * if (outcome?.kind === "error") show(outcome.error);
 * ```
 */
export function readRedirectOutcome(url: string | URL): RedirectOutcome | null {
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
