import { afterAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:net";
import { probeOnce } from "../../../src/node/monitor/probe.ts";
import { FakeRuntime } from "../../../src/node/runtime/index.ts";
import type { HealthSpec } from "../../../src/model/index.ts";

const runtime = new FakeRuntime();
const h = (o: Partial<HealthSpec>): HealthSpec => ({ cmd: [], intervalMs: 100, timeoutMs: 1000, retries: 1, ...o });

let status = 200;
const http = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("body", { status, headers: status === 302 ? { location: "/elsewhere" } : {} }) });
const servers: Server[] = [];
async function tcpServer(onConn: (s: import("node:net").Socket) => void): Promise<number> {
  const srv = createServer(onConn);
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return (srv.address() as { port: number }).port;
}
afterAll(() => {
  http.stop(true);
  for (const s of servers) s.close();
});

describe("probes from the agent (SPEC §7.5)", () => {
  test("http: 2xx and 3xx are healthy (redirects not followed); 4xx/5xx are not, with the status named", async () => {
    const url = `http://127.0.0.1:${http.port}/healthz`;
    for (const [code, ok] of [[200, true], [204, true], [302, true], [404, false], [500, false]] as const) {
      status = code;
      const r = await probeOnce(runtime, "x", h({ http: url }));
      expect([code, r.ok]).toEqual([code, ok]);
      if (!ok) expect(r.detail).toBe(`GET ${url} answered ${code}`);
    }
  });

  test("http: nothing listening, or no answer within the timeout, is unhealthy with the reason", async () => {
    const closed = await tcpServer((s) => s.destroy());
    expect((await probeOnce(runtime, "x", h({ http: `http://127.0.0.1:${closed}/` }))).ok).toBe(false);
    const silent = await tcpServer(() => {});
    const r = await probeOnce(runtime, "x", h({ http: `http://127.0.0.1:${silent}/`, timeoutMs: 300 }));
    expect(r).toEqual({ ok: false, detail: `GET http://127.0.0.1:${silent}/: no answer within 300ms` });
  });

  test("tcp: a listener that keeps the connection (or sends a banner) is healthy", async () => {
    const quiet = await tcpServer(() => {});
    expect(await probeOnce(runtime, "x", h({ tcp: `127.0.0.1:${quiet}` }))).toEqual({ ok: true, detail: "" });
    const banner = await tcpServer((s) => s.write("220 hello\r\n"));
    expect(await probeOnce(runtime, "x", h({ tcp: `127.0.0.1:${banner}` }))).toEqual({ ok: true, detail: "" });
  });

  test("tcp: accepted and closed at once (rootless podman's port forwarder with nothing behind it) is unhealthy; refused too", async () => {
    const forwarder = await tcpServer((s) => setTimeout(() => s.end(), 150));
    const r = await probeOnce(runtime, "x", h({ tcp: `127.0.0.1:${forwarder}` }));
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/accepted and closed at once/);
    const gone = await tcpServer(() => {});
    servers.at(-1)!.close();
    expect((await probeOnce(runtime, "x", h({ tcp: `127.0.0.1:${gone}` }))).ok).toBe(false);
  });
});
