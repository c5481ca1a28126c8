// The HTTP/2 side of the agent's server: flow-control tuning and binding.
import type * as grpc from "@grpc/grpc-js";

/** HTTP/2 flow-control window (stream and connection) and the largest frame the agent accepts. */
export const FLOW_WINDOW = 16 << 20;
export const MAX_FRAME = (1 << 24) - 1;

/**
 * grpc-js keeps node's HTTP/2 defaults (64 KiB windows, 16 KiB frames),
 * which held a 1 GiB push to a third of scp's speed; it has no option for
 * them. Its server options object and its map of HTTP/2 servers are
 * private (`commonServerOptions`, `http2Servers`, as grpc-js 1.14.7 names
 * them): set the settings there, and widen each session's connection
 * window. Call it before binding. package.json pins grpc-js to exactly that
 * version for this reason (docs/DECISIONS.md, "grpc-js is pinned"), and
 * test/rpc/flow.test.ts fails when a grpc-js renames or drops them.
 *
 * Returns the private fields it did not find (none with the pinned
 * grpc-js). It reports rather than throws: without them the agent serves
 * every call correctly, only transfers are slower, and refusing to start
 * would leave the node unmanaged; the caller logs the loss at every start.
 */
export function widenFlowControl(server: grpc.Server): string[] {
  const inner = server as unknown as { commonServerOptions?: unknown; http2Servers?: unknown };
  const missing: string[] = [];
  const options = inner.commonServerOptions;
  if (typeof options === "object" && options !== null) {
    const o = options as { settings?: Record<string, unknown> };
    o.settings = { ...o.settings, initialWindowSize: FLOW_WINDOW, maxFrameSize: MAX_FRAME };
  } else {
    missing.push("commonServerOptions");
  }
  const servers = inner.http2Servers;
  if (!(servers instanceof Map)) return [...missing, "http2Servers"];
  const set = servers.set.bind(servers);
  servers.set = (key, value) => {
    (key as { on?: (e: string, f: (s: { setLocalWindowSize?: (n: number) => void }) => void) => void }).on?.("session", (s) => {
      try {
        s.setLocalWindowSize?.(FLOW_WINDOW);
      } catch {
        // a session that closed at once
      }
    });
    return set(key, value);
  };
  return missing;
}

/** Starts listening on host:port with the given credentials; resolves to the bound port. */
export function listen(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port)));
  });
}
