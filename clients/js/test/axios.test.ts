import axios, { AxiosError } from "axios";
import { describe, expect, it } from "vitest";
import { attachGatehouse } from "../src/axios.js";
import { API } from "./fake-gatehouse.js";
import { client, fakeGatehousePerTest, password, settle } from "./helpers.js";

describe("@gatehouse/client/axios", () => {
  const server = fakeGatehousePerTest();

  // axios's own fetch adapter over the fake server: the interceptors are axios's real machinery.
  const api = () => axios.create({ baseURL: API, adapter: "fetch", env: { fetch: server.fetch } });

  it("attaches the token, and on 401s refreshes once for every request in flight and retries each once", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    const instance = api();
    attachGatehouse(instance, gatehouse);
    server.forgetAccessTokens();
    let release!: () => void;
    server.hold = new Promise<void>((resolve) => (release = resolve));

    const requests = Array.from({ length: 6 }, () => instance.get("/hello"));
    await settle();
    release();
    const responses = await Promise.all(requests);

    expect(responses.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(server.count("POST /auth/token")).toBe(1);
    expect(server.count(`GET ${API}/hello`)).toBe(12);
    gatehouse.dispose();
  });

  it("shares the refresh with the client's own fetch", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    const instance = api();
    attachGatehouse(instance, gatehouse);
    server.forgetAccessTokens();

    const [viaAxios, viaFetch] = await Promise.all([instance.get("/hello"), gatehouse.fetch(`${API}/hello`)]);

    expect([viaAxios.status, viaFetch.status]).toEqual([200, 200]);
    expect(server.count("POST /auth/token")).toBe(1);
    gatehouse.dispose();
  });

  it("never loops: a 401 after the retry is rejected as it is", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    const instance = api();
    attachGatehouse(instance, gatehouse);

    const error = await instance.get("/always-401").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).response?.status).toBe(401);
    expect(server.count(`GET ${API}/always-401`)).toBe(2);
    expect(server.count("POST /auth/token")).toBe(1);
    gatehouse.dispose();
  });

  it("leaves requests alone that shouldAttach excludes, and can be detached", async () => {
    const gatehouse = client(server);
    await gatehouse.signup({ email: "a@example.test", password, nickname: "A" });
    const instance = api();
    const detach = attachGatehouse(instance, gatehouse, { shouldAttach: (config) => config.url !== "/hello" });

    await expect(instance.get("/hello")).rejects.toMatchObject({ response: { status: 401 } });
    detach();
    await expect(instance.get("/always-401")).rejects.toMatchObject({ response: { status: 401 } });

    expect(server.count("POST /auth/token")).toBe(0);
    gatehouse.dispose();
  });
});
