import { createContext, createElement, useCallback, useContext, useSyncExternalStore, type ReactNode } from "react";
import type { GatehouseClient } from "./client.js";
import type { SessionState } from "./types.js";

const GatehouseContext = createContext<GatehouseClient | null>(null);

/**
 * Props of {@link GatehouseProvider}.
 *
 * @example
 * ```ts
 * const props: GatehouseProviderProps = { client: gatehouse, children: createElement(App) };
 * ```
 */
export interface GatehouseProviderProps {
  client: GatehouseClient;
  children?: ReactNode;
}

/**
 * Makes a Gatehouse client available to {@link useSession} and {@link useGatehouse} below it. Create the client once,
 * outside rendering.
 *
 * @example
 * ```tsx
 * const gatehouse = createGatehouse({ baseUrl: "https://auth.example.com" });
 * gatehouse.refresh().catch(() => undefined);
 * createRoot(root).render(<GatehouseProvider client={gatehouse}><App /></GatehouseProvider>);
 * ```
 */
export function GatehouseProvider(props: GatehouseProviderProps): ReactNode {
  return createElement(GatehouseContext.Provider, { value: props.client }, props.children);
}

/**
 * The client of the nearest {@link GatehouseProvider}, for its methods (`loginWithPassword`, `fetch`, `logout`…).
 *
 * @example
 * ```tsx
 * function LogoutButton() {
 *   const gatehouse = useGatehouse();
 *   return <button onClick={() => gatehouse.logout()}>Log out</button>;
 * }
 * ```
 */
export function useGatehouse(): GatehouseClient {
  const client = useContext(GatehouseContext);
  if (client === null) throw new Error("useGatehouse/useSession must be used inside <GatehouseProvider client={…}>.");
  return client;
}

/**
 * The session's state; the component renders again on every change (sign-in, refresh in any tab, expiry, sign-out).
 *
 * @example
 * ```tsx
 * function Header() {
 *   const session = useSession();
 *   if (session.status !== "signed-in") return <LoginLink />;
 *   return <span>Signed in · expires {new Date(session.expiresAt!).toLocaleTimeString()}</span>;
 * }
 * ```
 */
export function useSession(): SessionState {
  const client = useGatehouse();
  // One subscription per client, not one per render: useSyncExternalStore resubscribes whenever this function changes.
  const subscribe = useCallback((onStoreChange: () => void) => client.onChange(() => onStoreChange()), [client]);
  return useSyncExternalStore(subscribe, () => client.session, () => client.session);
}
