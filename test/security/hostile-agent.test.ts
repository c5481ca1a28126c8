import { afterAll, describe, expect, test } from "bun:test";
import * as net from "node:net";
import * as tls from "node:tls";
import { createCa, issueCert } from "../../src/node/auth/index.ts";
import { createUnaryTransport } from "../../src/rpc/_unary.ts";
import { encodeLiteral } from "../../src/rpc/_hpack.ts";
import { waitFor } from "../support/mcp.ts";

// A hostile (or broken) agent against the CLI's unary transport (src/rpc/_unary.ts):
// a TLS server with the right certificate that answers with scripted HTTP/2.
// Every answer must end the call with a clear error (or the right bytes), never
// a hang, a crash or unbounded memory.

const ca = createCa({ commonName: "hostile CA" });
const cert = issueCert({ ca, commonName: "rift", dnsNames: ["rift"], ipAddresses: ["127.0.0.1"] });
const servers: tls.Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

function frame(type: number, flags: number, stream: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const b = Buffer.alloc(9 + payload.length);
  b.writeUIntBE(payload.length, 0, 3);
  b[3] = type;
  b[4] = flags;
  b.writeUInt32BE(stream, 5);
  b.set(payload, 9);
  return b;
}
const u32 = (x: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(x);
  return b;
};
const block = (...fields: [string, string][]) => Buffer.concat(fields.map(([n, v]) => (n === ":status" && v === "200" ? Buffer.from([0x88]) : Buffer.from(encodeLiteral(n, v)))));
const OK_HEADERS = frame(1, 4, 1, block([":status", "200"], ["content-type", "application/grpc+proto"]));
const trailers = (status: number, message = "") => frame(1, 5, 1, block(["grpc-status", String(status)], ["grpc-message", message]));
const message = (body: Uint8Array, flag = 0, len = body.length) => Buffer.concat([Buffer.from([flag]), u32(len), body]);

/** The frames a client sent, as they arrive (after its preface). */
type ClientFrame = { type: number; flags: number; id: number; payload: Buffer };

/**
 * A TLS server that, once the client's first HEADERS arrives, runs `script`
 * (which writes frames to the socket); `onFrame` sees every client frame.
 */
async function hostile(
  script: (s: tls.TLSSocket) => void,
  o: { alpn?: string[]; onFrame?: (f: ClientFrame, s: tls.TLSSocket) => void; greet?: (s: tls.TLSSocket) => void } = {},
): Promise<string> {
  const server = tls.createServer({ cert: cert.certPem, key: cert.keyPem, ALPNProtocols: o.alpn ?? ["h2"] }, (s) => {
    o.greet?.(s);
    let buf = Buffer.alloc(0);
    let started = false;
    let prefaced = false;
    s.on("error", () => {});
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!prefaced) {
        if (buf.length < 24) return;
        buf = buf.subarray(24); // the client preface
        prefaced = true;
      }
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        const f = { type: buf[3]!, flags: buf[4]!, id: buf.readUInt32BE(5) & 0x7fffffff, payload: buf.subarray(9, 9 + len) };
        buf = buf.subarray(9 + len);
        o.onFrame?.(f, s);
        if (f.type === 1 && !started) {
          started = true;
          s.write(frame(4, 0, 0)); // our SETTINGS (empty)
          script(s);
        }
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

const transport = (address: string) => createUnaryTransport({ node: "rift", address, caPem: ca.certPem, serverName: "rift", token: "mcp_x" });
const call = (address: string, timeoutMs = 3000) => transport(address).call("ListServices", new Uint8Array(0), timeoutMs);
/** A call that must end by itself, in well under its deadline: the time it took (ms) and how. */
async function ended(p: Promise<unknown>): Promise<{ ms: number; error: Error }> {
  const t = performance.now();
  const error = await p.then(() => new Error("answered"), (e: Error) => e);
  return { ms: performance.now() - t, error };
}

describe("a hostile agent against the CLI's unary transport", () => {
  test("never answers: the call's deadline ends it", async () => {
    await expect(call(await hostile(() => {}), 300)).rejects.toMatchObject({ code: "deadline_exceeded", message: expect.stringContaining("no answer to ListServices") });
  });

  test("closes without an answer", async () => {
    await expect(call(await hostile((s) => s.end()))).rejects.toMatchObject({ code: "unavailable", message: expect.stringContaining("closed without an answer") });
  });

  test("does not speak HTTP/2 (no ALPN h2)", async () => {
    await expect(call(await hostile(() => {}, { alpn: ["http/1.1"] }))).rejects.toMatchObject({ code: "unavailable" });
  });

  test("a frame over the maximum size", async () => {
    await expect(call(await hostile((s) => s.write(frame(0, 0, 1, new Uint8Array(20_000)))))).rejects.toThrow(/a frame of 20000 bytes/);
  });

  test("a header block that does not decode, and one that never ends", async () => {
    await expect(call(await hostile((s) => s.write(frame(1, 4, 1, Buffer.from([0xff, 0xff, 0xff, 0x0f])))))).rejects.toThrow(/could not be read/);
    const endless = (s: tls.TLSSocket) => {
      s.write(frame(1, 0, 1, Buffer.from([0x88])));
      for (let i = 0; i < 40; i++) s.write(frame(9, 0, 1, Buffer.alloc(16_000, 0x88)));
    };
    await expect(call(await hostile(endless))).rejects.toThrow(/header block over 256 KiB/);
  });

  test("too many header fields in one block", async () => {
    await expect(call(await hostile((s) => s.write(frame(1, 4, 1, Buffer.alloc(1000, 0x88)))))).rejects.toThrow(/too many header fields/);
  });

  test("a pushed stream, a reset, a GOAWAY", async () => {
    await expect(call(await hostile((s) => s.write(frame(5, 4, 1, Buffer.concat([u32(2), Buffer.from([0x88])])))))).rejects.toThrow(/pushed a stream/);
    await expect(call(await hostile((s) => s.write(frame(3, 0, 1, u32(2)))))).rejects.toThrow(/reset the call \(HTTP\/2 error 2\)/);
    await expect(call(await hostile((s) => s.write(frame(7, 0, 0, Buffer.concat([u32(0), u32(0)])))))).rejects.toThrow(/closed the connection/);
  });

  test("not a gRPC answer: HTTP 404, no status, a compressed or short message", async () => {
    await expect(call(await hostile((s) => s.write(frame(1, 5, 1, block([":status", "404"])))))).rejects.toThrow(/answered HTTP 404/);
    await expect(call(await hostile((s) => s.write(Buffer.concat([OK_HEADERS, frame(0, 1, 1, message(Buffer.from("x")))]))))).rejects.toThrow(/ended without a status/);
    await expect(call(await hostile((s) => s.write(Buffer.concat([OK_HEADERS, frame(0, 0, 1, message(Buffer.from("x"), 1)), trailers(0)]))))).rejects.toThrow(/without a message/);
    await expect(call(await hostile((s) => s.write(Buffer.concat([OK_HEADERS, frame(0, 0, 1, message(Buffer.from("x"), 0, 9)), trailers(0)]))))).rejects.toThrow(/answered 1 bytes for a message of 9/);
    await expect(call(await hostile((s) => s.write(Buffer.concat([OK_HEADERS, trailers(7, "no%20way")]))))).rejects.toMatchObject({ code: "permission_denied", message: "no way" });
  });

  test("an answer over 64 MiB is cut off", async () => {
    const blast = (s: tls.TLSSocket) => {
      s.write(OK_HEADERS);
      const chunk = frame(0, 0, 1, Buffer.alloc(16_384));
      let sent = 0;
      const more = () => {
        while (sent < 4200 && s.write(chunk)) sent++;
        if (sent < 4200 && !s.destroyed) s.once("drain", more);
      };
      more();
    };
    await expect(call(await hostile(blast), 20_000)).rejects.toMatchObject({ code: "resource_exhausted", message: expect.stringContaining("over 64 MiB") });
  }, 30_000);

  test("an answer of 20 MiB sent only as the client's windows allow arrives whole (the windows are given back)", async () => {
    const size = 20 << 20;
    const body = message(Buffer.alloc(size, 7));
    let window = { conn: 65535, stream: 65535 };
    let at = 0;
    let s0: tls.TLSSocket | null = null;
    const pump = () => {
      while (s0 && at < body.length) {
        const n = Math.min(16_384, body.length - at, window.conn, window.stream);
        if (n <= 0) return;
        s0.write(frame(0, 0, 1, body.subarray(at, at + n)));
        at += n;
        window.conn -= n;
        window.stream -= n;
      }
      if (s0 && at === body.length) (s0.write(trailers(0)), (s0 = null));
    };
    const onFrame = (f: ClientFrame) => {
      if (f.type === 4 && !(f.flags & 1)) {
        for (let i = 0; i + 6 <= f.payload.length; i += 6) if (f.payload.readUInt16BE(i) === 4) window.stream = f.payload.readUInt32BE(i + 2);
      }
      if (f.type === 8) {
        if (f.id === 0) window.conn += f.payload.readUInt32BE(0);
        else window.stream += f.payload.readUInt32BE(0);
      }
      pump();
    };
    const address = await hostile((s) => {
      s.write(OK_HEADERS);
      s0 = s;
      pump();
    }, { onFrame });
    const got = await call(address, 20_000);
    expect(got.length).toBe(size);
    expect(got[size - 1]).toBe(7);
    window = { conn: 0, stream: 0 };
  }, 30_000);

  test("floods of frames that carry nothing end the call at once, with the CLI's memory and CPU bounded (found by review: 2 GB, 90 s of CPU)", async () => {
    const continuations = (s: tls.TLSSocket) => {
      s.write(frame(1, 0, 1, Buffer.from([0x88])));
      for (let i = 0; i < 100_000 && !s.destroyed; i++) s.write(frame(9, 0, 1));
    };
    const emptyData = (s: tls.TLSSocket) => {
      s.write(OK_HEADERS);
      for (let i = 0; i < 100_000 && !s.destroyed; i++) s.write(frame(0, 0, 1));
    };
    const pings = (s: tls.TLSSocket) => {
      s.pause(); // and never reads what the CLI answers
      s.write(Buffer.concat(Array.from({ length: 250_000 }, () => frame(6, 0, 0, Buffer.alloc(8)))));
    };
    for (const [script, why] of [[continuations, /over 64 CONTINUATION frames/], [emptyData, /frames that carry nothing \(empty DATA\): a flood/], [pings, /frames that carry nothing \(PING\): a flood/]] as const) {
      const r = await ended(call(await hostile(script), 20_000));
      expect(r.error.message).toMatch(why);
      expect(r.ms).toBeLessThan(5_000);
    }
  }, 60_000);

  test("malformed control frames and a status that is not a number are located errors, not exceptions", async () => {
    await expect(call(await hostile((s) => s.write(frame(7, 0, 0))))).rejects.toThrow(/a malformed GOAWAY frame \(0 bytes\)/);
    await expect(call(await hostile((s) => s.write(frame(8, 0, 0))))).rejects.toThrow(/a malformed WINDOW_UPDATE frame/);
    await expect(call(await hostile((s) => s.write(frame(3, 0, 1))))).rejects.toThrow(/a malformed RST_STREAM frame/);
    await expect(call(await hostile((s) => s.write(Buffer.concat([OK_HEADERS, frame(1, 5, 1, block(["grpc-status", ""]))]))))).rejects.toThrow(/ended without a status/);
    await expect(call(await hostile((s) => s.write(Buffer.concat([OK_HEADERS, trailers(7, "%E0%A4%A")]))))).rejects.toMatchObject({ code: "permission_denied", message: "%E0%A4%A" });
  });

  test("a peer with a small window gets a big request in pieces as its window allows", async () => {
    let window = 0;
    const got = new Map<number, number>();
    const address = await hostile(() => {}, {
      greet: (s) => s.write(frame(4, 0, 0, Buffer.from([0, 4, 0, 0, 4, 0]))), // SETTINGS_INITIAL_WINDOW_SIZE = 1024
      onFrame(f, s) {
        if (f.type === 4 && f.flags & 1) window = 1024; // our SETTINGS acknowledged: the client now keeps to 1024
        if (f.type !== 0) return;
        if (window > 0 && f.payload.length > window) s.write(frame(3, 0, f.id, u32(3))); // FLOW_CONTROL_ERROR
        got.set(f.id, (got.get(f.id) ?? 0) + f.payload.length);
        s.write(Buffer.concat([frame(8, 0, f.id, u32(f.payload.length)), frame(8, 0, 0, u32(f.payload.length))]));
        if (f.flags & 1) {
          s.write(Buffer.concat([frame(1, 4, f.id, block([":status", "200"])), frame(0, 0, f.id, message(u32(got.get(f.id)!))), frame(1, 5, f.id, block(["grpc-status", "0"]))]));
        }
      },
    });
    const t = transport(address);
    await t.call("ListServices", new Uint8Array(10), 3000); // the first call learns the window
    const answer = await t.call("ListServices", new Uint8Array(5000), 3000);
    expect(Buffer.from(answer).readUInt32BE(0)).toBe(5005);
    t.close();
  });

  test("a call whose deadline passes before the connection is up is never sent, even when the connection comes up later", async () => {
    let headers = 0;
    let settings = 0;
    const target = await hostile(() => {}, { onFrame: (f) => void (f.type === 1 ? headers++ : f.type === 4 && settings++) });
    const [host, port] = target.split(":");
    // A slow path to the agent: nothing goes through for the first 600 ms.
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(port), host!);
      const held: Buffer[] = [];
      let open = false;
      client.on("data", (d: Buffer) => (open ? upstream.write(d) : held.push(d)));
      setTimeout(() => {
        open = true;
        for (const d of held) upstream.write(d);
      }, 600);
      upstream.on("data", (d) => client.write(d));
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    try {
      const t = transport(`127.0.0.1:${(proxy.address() as { port: number }).port}`);
      await expect(t.call("ListServices", new Uint8Array(0), 200)).rejects.toMatchObject({ code: "unavailable", message: expect.stringContaining("no connection within") });
      // The connection comes up: the client's preface and SETTINGS arrive, with whatever it still had queued.
      await waitFor(() => settings > 0, "the client's SETTINGS through the slow path", 5_000);
      expect(headers).toBe(0);
      t.close();
    } finally {
      proxy.close();
    }
  });
});
