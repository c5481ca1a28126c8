import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import * as tls from "node:tls";
import type { RunningServer } from "../../src/node/agent/index.ts";
import { createCa } from "../../src/node/auth/index.ts";
import { startRpcAgent, type RpcAgent } from "../support/rpc-agent.ts";
import { isMcpError } from "../../src/lib/errors.ts";
import { createAgentClient, listRpcMethods, SERVICE_NAME } from "../../src/rpc/index.ts";

// A real TLS gRPC server on port 0 with certificates made here, over the fake runtime (test/support/rpc-agent.ts).
let server: RunningServer;
let port = 0;
let token = "";
let ca: RpcAgent["ca"];

beforeAll(async () => {
  const agent = await startRpcAgent();
  ({ server, port, ca } = agent);
  token = agent.token("admin", "admin");
});

afterAll(() => server?.close(100));

function rawCall(method: string, md: grpc.Metadata): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(Buffer.from(ca.certPem)), {
    "grpc.ssl_target_name_override": "rift",
    "grpc.default_authority": "rift",
  });
  const m = listRpcMethods().find((x) => x.name === method)!;
  const path = `/${SERVICE_NAME}/${method}`;
  const id = (b: Buffer) => b;
  return new Promise((resolve) => {
    if (m.clientStreaming) {
      const call = client.makeClientStreamRequest(path, id, id, md, {}, (err) => resolve(err));
      call.end();
    } else if (m.serverStreaming) {
      const call = client.makeServerStreamRequest(path, id, id, Buffer.alloc(0), md, {});
      call.on("data", () => {});
      call.on("error", (e: grpc.ServiceError) => resolve(e));
      call.on("end", () => resolve(null));
    } else {
      client.makeUnaryRequest(path, id, id, Buffer.alloc(0), md, {}, (err) => resolve(err));
    }
  }).finally(() => client.close()) as Promise<grpc.ServiceError | null>;
}

const bearer = (t: string) => {
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${t}`);
  return md;
};

describe("the agent's gRPC server", () => {
  test("every RPC refuses a call without a token (UNAUTHENTICATED)", async () => {
    for (const m of listRpcMethods()) {
      const err = await rawCall(m.name, new grpc.Metadata());
      expect([m.name, err?.code]).toEqual([m.name, grpc.status.UNAUTHENTICATED]);
    }
  });

  test("every RPC declared is implemented: an admin's empty request is answered, never UNIMPLEMENTED", async () => {
    for (const m of listRpcMethods()) {
      const err = await rawCall(m.name, bearer(token));
      expect([m.name, err?.code === grpc.status.UNIMPLEMENTED]).toEqual([m.name, false]);
    }
  });

  test("the client dials an IP and verifies the node's name; a wrong CA is a TLS error", async () => {
    const ok = createAgentClient({ node: "rift", address: `127.0.0.1:${port}`, caPem: ca.certPem, serverName: "rift", token });
    expect((await ok.listServices()).node).toBe("rift");
    ok.close();
    const other = createCa({ commonName: "other CA" });
    const bad = createAgentClient({ node: "rift", address: `127.0.0.1:${port}`, caPem: other.certPem, serverName: "rift", token });
    const err = await bad.listServices().catch((e) => e);
    bad.close();
    expect(isMcpError(err, "unavailable")).toBe(true);
    expect(err.message).toMatch(/TLS failed/);
  });

  test("invalid input over the wire is INVALID_ARGUMENT with a message", async () => {
    const c = createAgentClient({ node: "rift", address: `127.0.0.1:${port}`, caPem: ca.certPem, serverName: "rift", token });
    const err = await c.stopService({ service: "Bad Name", component: "" }).catch((e) => e);
    c.close();
    expect(isMcpError(err, "invalid_argument")).toBe(true);
    expect(err.message).toMatch(/service: "Bad Name" is not a valid name/);
  });

  test("TLS 1.2 is refused; TLS 1.3 is accepted", async () => {
    const connect = (maxVersion: tls.SecureVersion) =>
      new Promise<string>((resolve) => {
        const s = tls.connect({ host: "127.0.0.1", port, servername: "rift", ca: ca.certPem, minVersion: "TLSv1.2", maxVersion, ALPNProtocols: ["h2"] });
        s.once("secureConnect", () => {
          resolve(s.getProtocol() ?? "");
          s.destroy();
        });
        s.once("error", (e) => resolve(`error: ${e.message}`));
      });
    expect(await connect("TLSv1.2")).toMatch(/^error: .*(protocol|version)/i);
    expect(await connect("TLSv1.3")).toBe("TLSv1.3");
  });
});
