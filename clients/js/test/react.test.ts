// @vitest-environment jsdom
import { act, createElement } from "react";
import { createRoot } from "react-dom/client";
import { describe, expect, it, vi } from "vitest";
import { GatehouseProvider, useGatehouse, useSession } from "../src/react.js";
import { client, fakeGatehousePerTest, password } from "./helpers.js";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

function Status() {
  const session = useSession();
  const gatehouse = useGatehouse();
  return createElement("p", { "data-base": gatehouse.baseUrl }, `${session.status} ${session.expiresAt ?? "-"}`);
}

describe("@gatehouse/client/react", () => {
  const server = fakeGatehousePerTest();

  it("useSession renders the session again on sign-in, refresh and sign-out", async () => {
    const gatehouse = client(server);
    const container = document.createElement("div");
    const root = createRoot(container);
    await act(async () => root.render(createElement(GatehouseProvider, { client: gatehouse }, createElement(Status))));
    expect(container.textContent).toBe("unknown -");

    await act(() => gatehouse.signup({ email: "a@example.test", password, nickname: "A" }));
    expect(container.textContent).toBe(`signed-in ${Date.now() + 5000}`);

    await act(() => vi.advanceTimersByTimeAsync(4000));
    expect(container.textContent).toBe(`signed-in ${Date.now() + 5000}`);
    expect(server.count("POST /auth/token")).toBe(1);

    await act(() => gatehouse.logout());
    expect(container.textContent).toBe("signed-out -");
    expect(container.querySelector("p")?.dataset["base"]).toBe(gatehouse.baseUrl);
    await act(async () => root.unmount());
    gatehouse.dispose();
  });

  it("useSession subscribes once, however often the component renders", async () => {
    const gatehouse = client(server);
    const subscribe = vi.spyOn(gatehouse, "onChange");
    const container = document.createElement("div");
    const root = createRoot(container);
    const tree = (n: number) => createElement(GatehouseProvider, { client: gatehouse }, createElement(Status, { key: "s", n } as object));
    for (let n = 0; n < 5; n++) {
      await act(async () => root.render(tree(n)));
    }
    await act(() => gatehouse.signup({ email: "b@example.test", password, nickname: "B" }));
    expect(container.textContent).toBe(`signed-in ${Date.now() + 5000}`);
    expect(subscribe).toHaveBeenCalledTimes(1);
    await act(async () => root.unmount());
    gatehouse.dispose();
  });

  it("useSession outside a provider says what is missing", () => {
    const root = createRoot(document.createElement("div"));
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect(() => act(() => root.render(createElement(Status)))).toThrow(/inside <GatehouseProvider/);
    errors.mockRestore();
  });
});
