import type { AxiosError, AxiosInstance, InternalAxiosRequestConfig } from "axios";
import type { GatehouseClient } from "./client.js";

/**
 * Options of {@link attachGatehouse}.
 *
 * @example
 * ```ts
 * attachGatehouse(api, gatehouse, { shouldAttach: (config) => config.baseURL === "https://api.example.com" });
 * ```
 */
export interface AxiosAdapterOptions {
  /**
   * Which requests get the access token; default all. Keep the token to your own APIs when the instance also calls
   * third parties.
   */
  shouldAttach?: (config: InternalAxiosRequestConfig) => boolean;
}

type GatehouseConfig = InternalAxiosRequestConfig & { gatehouseToken?: string; gatehouseRetried?: boolean };

/**
 * Adds Gatehouse to an axios instance: a request interceptor that sets `Authorization: Bearer …` (refreshing first
 * when the token has run out), and a response interceptor that, on a 401, refreshes once (one refresh shared by
 * every request in flight, and with the client's own `fetch`) and retries the request once. Returns a function that
 * removes both interceptors.
 *
 * @example
 * ```ts
 * import axios from "axios";
 * import { createGatehouse } from "@gatehouse/client";
 * import { attachGatehouse } from "@gatehouse/client/axios";
 *
 * const gatehouse = createGatehouse({ baseUrl: "https://auth.example.com" });
 * const api = axios.create({ baseURL: "https://api.example.com" });
 * attachGatehouse(api, gatehouse, { shouldAttach: (c) => !c.url?.startsWith("http") });
 * const { data } = await api.get("/orders");
 * ```
 */
export function attachGatehouse(instance: AxiosInstance, client: GatehouseClient, options: AxiosAdapterOptions = {}): () => void {
  const shouldAttach = options.shouldAttach ?? (() => true);
  const request = instance.interceptors.request.use(async (config: GatehouseConfig) => {
    if (!shouldAttach(config)) return config;
    const token = config.gatehouseRetried && config.gatehouseToken ? config.gatehouseToken : await client.getAccessToken();
    if (token !== null) {
      config.headers.set("Authorization", "Bearer " + token);
      config.gatehouseToken = token;
    }
    return config;
  });
  const response = instance.interceptors.response.use(undefined, async (error: AxiosError) => {
    const config = error.config as GatehouseConfig | undefined;
    if (error.response?.status !== 401 || !config || config.gatehouseRetried || !config.gatehouseToken) throw error;
    let next: string | null;
    try {
      next = await client.tokenAfterUnauthorized(config.gatehouseToken);
    } catch {
      throw error;
    }
    if (next === null) throw error;
    config.gatehouseRetried = true;
    config.gatehouseToken = next;
    return instance.request(config);
  });
  return () => {
    instance.interceptors.request.eject(request);
    instance.interceptors.response.eject(response);
  };
}
