// The HTTP/2 side of the agent's server: flow-control tuning and binding.
import type * as grpc from "@grpc/grpc-js";

/** HTTP/2 flow-control window (stream and connection) and the largest frame the agent accepts. */
const WINDOW = 16 << 20;
const MAX_FRAME = (1 << 24) - 1;

/**
 * grpc-js keeps node's HTTP/2 defaults (64 KiB windows, 16 KiB frames),
 * which held a 1 GiB push to a third of scp's speed; it has no option for
 * them. Its server options object and its map of HTTP/2 servers are
 * private: set the settings there (checked, so a grpc-js that renames them
 * only loses the tuning), and widen each session's connection window.
 */
export function widenFlowControl(server: grpc.Server): void {
  const inner = server as unknown as { commonServerOptions?: { settings?: Record<string, unknown> }; http2Servers?: Map<unknown, unknown> };
  if (inner.commonServerOptions) {
    inner.commonServerOptions.settings = { ...inner.commonServerOptions.settings, initialWindowSize: WINDOW, maxFrameSize: MAX_FRAME };
  }
  const servers = inner.http2Servers;
  if (!(servers instanceof Map)) return;
  const set = servers.set.bind(servers);
  servers.set = (key, value) => {
    (key as { on?: (e: string, f: (s: { setLocalWindowSize?: (n: number) => void }) => void) => void }).on?.("session", (s) => {
      try {
        s.setLocalWindowSize?.(WINDOW);
      } catch {
        // a session that closed at once
      }
    });
    return set(key, value);
  };
}

/** Starts listening on host:port with the given credentials; resolves to the bound port. */
export function listen(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port)));
  });
}
