// The agent's HTTP/2 flow-control tuning (src/rpc/_flow.ts) lives in
// private fields of grpc-js's Server. These tests fail loudly when a grpc-js
// upgrade renames or drops them, so the tuning cannot be lost silently (the
// agent would only log it at start), and check that the tuning reaches the
// wire.
import { afterEach, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { join } from "node:path";
import { FLOW_WINDOW, listen, MAX_FRAME, widenFlowControl } from "../../src/rpc/_flow.ts";
import { ROOT, waitFor } from "../support/mcp.ts";

const UPGRADE_HINT = "grpc-js changed its Server's private fields: read its server.ts, move src/rpc/_flow.ts to the new names, re-measure bench/transfer.ts, then pin the new version";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) f();
});

describe("grpc-js pin", () => {
  test("package.json pins @grpc/grpc-js to one exact version, and that version is installed", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const pinned = pkg.dependencies["@grpc/grpc-js"]!;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/); // no ^ or ~: an upgrade is a decision (docs/DECISIONS.md)
    const installed = JSON.parse(readFileSync(join(ROOT, "node_modules/@grpc/grpc-js/package.json"), "utf8")) as { version: string };
    expect(installed.version).toBe(pinned);
  });
});

describe("grpc-js private fields the agent tunes", () => {
  test("a new Server has commonServerOptions (an object) and http2Servers (a Map)", () => {
    const inner = new grpc.Server() as unknown as Record<string, unknown>;
    const found = {
      commonServerOptions: typeof inner.commonServerOptions === "object" && inner.commonServerOptions !== null,
      http2Servers: inner.http2Servers instanceof Map,
    };
    if (!found.commonServerOptions || !found.http2Servers) throw new Error(`${UPGRADE_HINT} (found: ${JSON.stringify(found)})`);
    expect(found).toEqual({ commonServerOptions: true, http2Servers: true });
  });

  test("widenFlowControl finds them all and sets the HTTP/2 settings", () => {
    const server = new grpc.Server();
    expect(widenFlowControl(server)).toEqual([]);
    const settings = (server as unknown as { commonServerOptions: { settings: Record<string, unknown> } }).commonServerOptions.settings;
    expect(settings).toMatchObject({ initialWindowSize: FLOW_WINDOW, maxFrameSize: MAX_FRAME });
  });

  test("a server without them is reported, not thrown on", () => {
    expect(widenFlowControl({} as grpc.Server)).toEqual(["commonServerOptions", "http2Servers"]);
    expect(widenFlowControl({ commonServerOptions: {} } as unknown as grpc.Server)).toEqual(["http2Servers"]);
  });

  test("a client sees the wide windows and frames on the wire", async () => {
    const server = new grpc.Server();
    expect(widenFlowControl(server)).toEqual([]);
    const port = await listen(server, "127.0.0.1:0", grpc.ServerCredentials.createInsecure());
    cleanups.push(() => server.forceShutdown());
    const session = http2.connect(`http://127.0.0.1:${port}`);
    cleanups.push(() => session.destroy());
    session.on("error", () => {});
    // SETTINGS: the stream window and the largest frame the server accepts.
    const settings = await new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
    expect(settings.initialWindowSize).toBe(FLOW_WINDOW);
    expect(settings.maxFrameSize).toBe(MAX_FRAME);
    // WINDOW_UPDATE on the connection: what the client may send before the server acknowledges.
    await waitFor(() => (session.state.remoteWindowSize ?? 0) >= FLOW_WINDOW, "the connection window to widen", 5_000);
  });
});
