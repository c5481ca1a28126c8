import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { RunningServer } from "../../src/node/agent/index.ts";
import { createCa } from "../../src/node/auth/index.ts";
import { startRpcAgent, type RpcAgent } from "../support/rpc-agent.ts";
import { createAgentClient } from "../../src/rpc/index.ts";
import { createUnaryTransport, MAX_REQUEST } from "../../src/rpc/_unary.ts";
import { GetServiceStatusRequestSchema, ListServicesRequestSchema, ListServicesResponseSchema } from "../../src/gen/mcp/v1/agent_pb.ts";
import { freePort } from "../support/mcp.ts";

// The CLI's unary transport (_unary.ts) against the agent's real TLS gRPC server (grpc-js), over the fake runtime.
let server: RunningServer;
let address = "";
let admin = "";
let viewer = "";
let ca: RpcAgent["ca"];

beforeAll(async () => {
  const agent = await startRpcAgent();
  ({ server, address, ca } = agent);
  admin = agent.token("admin", "admin");
  viewer = agent.token("watcher", "viewer");
});

afterAll(() => server?.close(100));

const opts = (o: Partial<Parameters<typeof createUnaryTransport>[0]> = {}) => ({ node: "rift", address, caPem: ca.certPem, serverName: "rift", token: admin, ...o });
const listServices = toBinary(ListServicesRequestSchema, create(ListServicesRequestSchema));

describe("the CLI's unary transport against the agent", () => {
  test("answers a call; many calls at once share one connection and all answer", async () => {
    const t = createUnaryTransport(opts());
    const one = fromBinary(ListServicesResponseSchema, await t.call("ListServices", listServices, 5000));
    expect(one.node).toBe("rift");
    const many = await Promise.all(Array.from({ length: 60 }, () => t.call("ListServices", listServices, 5000)));
    expect(many.map((b) => fromBinary(ListServicesResponseSchema, b).node)).toEqual(Array(60).fill("rift"));
    t.close();
    // A closed transport dials again for the next call.
    expect(fromBinary(ListServicesResponseSchema, await t.call("ListServices", listServices, 5000)).node).toBe("rift");
    t.close();
  });

  test("the agent's refusals arrive as the agent's errors, hint included", async () => {
    const c = createAgentClient({ ...opts(), token: viewer });
    await expect(c.stopService({ service: "web", component: "" })).rejects.toMatchObject({ code: "permission_denied" });
    const bad = createAgentClient({ ...opts(), token: "mcp_not-a-token" });
    await expect(bad.listServices()).rejects.toMatchObject({ code: "unauthenticated", hint: expect.stringContaining("mcp login") });
    const t = createUnaryTransport(opts());
    const req = toBinary(GetServiceStatusRequestSchema, create(GetServiceStatusRequestSchema, { service: "nope" }));
    await expect(t.call("GetServiceStatus", req, 5000)).rejects.toMatchObject({ code: "not_found" });
    c.close();
    bad.close();
    t.close();
  });

  test("a request over MAX_REQUEST goes over node:http2 and still works (a sync of many definitions)", async () => {
    const c = createAgentClient(opts());
    const services = Array.from({ length: 80 }, (_, i) => ({
      name: `svc${i}`, node: "rift", active: true, after: [],
      components: [{ name: "app", image: `registry.example/app:${"v".repeat(100)}${i}`, env: [], ports: [], volumes: [], cmd: [] }],
    }));
    const r = await c.syncDesiredState({ services: services as never, dryRun: true, prune: false });
    expect(r.node).toBe("rift");
    c.close();
    // The unary transport itself refuses it, clearly.
    const t = createUnaryTransport(opts());
    await expect(t.call("SyncDesiredState", new Uint8Array(MAX_REQUEST + 1), 1000)).rejects.toThrow(/too big/);
  });

  test("a big answer (past HTTP/2's default 64 KiB windows) arrives whole", async () => {
    const c = createAgentClient(opts());
    const services = Array.from({ length: 400 }, (_, i) => ({
      name: `big${i}`, node: "rift", active: true, after: [],
      components: [{ name: "app", image: `registry.example/app:${"v".repeat(100)}${i}`, env: [`NOTE=${"n".repeat(100)}`], ports: [], volumes: [], cmd: [] }],
    }));
    await c.syncDesiredState({ services: services as never, dryRun: false, prune: false });
    const t = createUnaryTransport(opts());
    const raw = await t.call("ListServices", listServices, 10_000);
    expect(raw.length).toBeGreaterThan(100_000);
    expect(fromBinary(ListServicesResponseSchema, raw).services.filter((x) => x.name.startsWith("big"))).toHaveLength(400);
    t.close();
    c.close();
  });

  test("the agent's identity is checked: another CA, another name, a closed port", async () => {
    const other = createCa({ commonName: "other CA" });
    await expect(createUnaryTransport(opts({ caPem: other.certPem })).call("ListServices", listServices, 5000))
      .rejects.toMatchObject({ code: "unavailable", message: expect.stringContaining("TLS failed") });
    await expect(createUnaryTransport(opts({ serverName: "evil" })).call("ListServices", listServices, 5000))
      .rejects.toMatchObject({ code: "unavailable", message: expect.stringContaining("TLS failed") });
    const port = await freePort();
    await expect(createUnaryTransport(opts({ address: `127.0.0.1:${port}` })).call("ListServices", listServices, 5000))
      .rejects.toMatchObject({ code: "unavailable", message: expect.stringContaining("unreachable") });
  });
});
