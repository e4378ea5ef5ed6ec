/**
 * `@gatehouse/client`: the browser and Node client of Gatehouse. Start with {@link createGatehouse}.
 *
 * @example
 * ```ts
 * import { createGatehouse } from "@gatehouse/client";
 * const gatehouse = createGatehouse({ baseUrl: "https://auth.example.com" });
 * ```
 * @packageDocumentation
 */
export { createGatehouse, GatehouseClient, type GatehouseOptions } from "./client.js";
export { GatehouseError } from "./errors.js";
export { readRedirectOutcome, type RedirectOutcome } from "./social.js";
export type { TabOptions } from "./tabs.js";
export type {
  BroadcastChannelLike,
  Clock,
  ExternalProfile,
  Identity,
  KeyValueStorage,
  LockManagerLike,
  Member,
  Provider,
  RefreshTokenStore,
  SessionEvent,
  SessionInfo,
  SessionListener,
  SessionState,
  SignOutReason,
  SignupFields,
  SocialLoginResult,
  TokenResponse,
} from "./types.js";
