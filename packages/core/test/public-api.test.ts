// The public API is a promise: every name here is in the README's "Use it from code" (or the
// adapter docs for `captun/dev-server`). Adding or removing one is a deliberate change to this list.
import { expect, it } from "vitest";

it("`captun` (Node) exports exactly the documented API", async () => {
  expect(Object.keys(await import("../src/index.ts")).sort()).toEqual([
    "CONNECT_PATH",
    "CaptunAuthError",
    "CaptunConnectError",
    "CaptunError",
    "CaptunProtocolError",
    "CloseCode",
    "acceptCaptunTunnel",
    "acceptCaptunTunnelFromSocket",
    "bearerSecretMatches",
    "createCaptunTunnel",
    "createCapture",
    "createOriginFetcher",
    "createOriginWebSocketConnector",
    "getTunnelNameFromUrl",
    "keepTunnelOpen",
    "readConfig",
    "resolveServerSettings",
    "startInspectorServer",
    "startLocalServer",
    "tunnelUrlFor",
    "updateConfig",
  ]);
});

it("`captun` in workerd exports the runtime-neutral half, no `node:` code", async () => {
  expect(Object.keys(await import("../src/index.workerd.ts")).sort()).toEqual([
    "CONNECT_PATH",
    "CaptunAuthError",
    "CaptunConnectError",
    "CaptunError",
    "CaptunProtocolError",
    "CloseCode",
    "acceptCaptunTunnel",
    "acceptCaptunTunnelFromSocket",
    "bearerSecretMatches",
    "getTunnelNameFromUrl",
    "tunnelUrlFor",
  ]);
});

it("every error class is a CaptunError whose name is its class name", async () => {
  const { CaptunError } = await import("../src/errors.ts");
  const modules = [
    await import("../src/errors.ts"),
    await import("../src/_tools.ts"),
    await import("../src/cli/args.ts"),
    await import("../src/cli/deploy/cloudflare-api.ts"),
    await import("../src/cli/deploy/wrangler.ts"),
    await import("../src/dev-server/inject.ts"),
  ];
  const classes = modules.flatMap((module) =>
    Object.entries(module).filter(([name, value]) => typeof value === "function" && /^[A-Z]\w*Error$/.test(name)),
  ) as [string, new (message: string) => Error][];
  expect(classes.length).toBeGreaterThanOrEqual(8);
  for (const [exported, ErrorClass] of classes) {
    const error = new ErrorClass("x");
    expect(error, exported).toBeInstanceOf(CaptunError);
    expect(error.name).toBe(exported);
  }
});
