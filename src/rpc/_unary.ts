import type { Socket } from "bun";
import { McpError } from "../lib/errors.ts";
import { encodeLiteral } from "./_hpack.ts";
import { createFrameReader, H2ReadError } from "./_h2read.ts";
import type { H2Options } from "./_h2.ts";
import { SERVICE_NAME } from "./service.ts";
import { closedWithoutAnswer, fromConnectError, timedOut } from "./status.ts";
import { ACK, ALPN_H2, CANCEL, concat, END_HEADERS, END_STREAM, FIXED_HEADERS, frame, grpcAnswer, MAX_FRAME, MAX_RESPONSE, noStatus, START, T, TOP_UP, u32 } from "./_h2wire.ts";

/**
 * Unary gRPC calls over HTTP/2 written by hand on Bun's native TLS socket,
 * for the CLI. Why: measured cold, in a CLI process, node:http2 over
 * node:tls costs ~4 ms of CPU per node and call, this ~1.5 ms (most of it the
 * TLS handshake), and `mcp ps` over many nodes is that cost times the nodes
 * (docs/PERFORMANCE.md, "Fleet"). Streaming calls and requests over
 * MAX_REQUEST still use _h2.ts. Several calls share one connection (streams
 * 1, 3, 5 …). The peer is verified as in _h2.ts: the node's CA, its name,
 * ALPN h2, TLS 1.3.
 */
export interface UnaryTransport {
  /** Sends one encoded request message; resolves with the encoded response message. */
  call(name: string, body: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  close(): void;
}

/** The largest request this transport sends: one DATA frame (gRPC prefix included) of the smallest maximum frame size. */
export const MAX_REQUEST = 16384 - 5;
/** A closed connection's mark: the next call dials again. */
const CLOSED = new McpError("unavailable", "the connection closed");

/** What the CLI may have queued for an agent that does not read: past it the connection is given up. */
const MAX_QUEUED = 1 << 20;

/**
 * A call in flight: what arrived (`size` bytes, `unacked` not yet given back
 * to the window), its HEADERS frame until sent, and the request's bytes not
 * yet sent (`body` from `at`: DATA frames as the peer's windows allow).
 */
interface Pending {
  name: string; data: Uint8Array[]; size: number; unacked: number; headersSeen: boolean;
  headers: Uint8Array | null; body: Uint8Array; at: number; sendWindow: number;
  settle(err: McpError | null, message?: Uint8Array): void;
}

/** One HTTP/2 connection: its streams, windows and header table. A connection that failed or was told to go away takes no new calls. */
interface Conn {
  dead: McpError | null;
  nextId: number;
  call(name: string, body: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  close(): void;
}

export function createUnaryTransport(o: H2Options): UnaryTransport {
  let current: Conn | null = null;
  const all = new Set<Conn>();
  return {
    call(name, body, timeoutMs) {
      if (body.length > MAX_REQUEST) return Promise.reject(new McpError("internal", `${name}: a request of ${body.length} bytes is too big for the unary transport`));
      if (!current || current.dead || current.nextId > 0x7ffffff0) {
        current?.close();
        current = openConn(o, (c) => all.delete(c));
        all.add(current);
      }
      return current.call(name, body, timeoutMs);
    },
    close() {
      for (const c of all) c.close();
      current = null; // a call after close dials again
    },
  };
}

function openConn(o: H2Options, onGone: (c: Conn) => void): Conn {
  let raw: Socket | null = null; // the socket, once connected
  let ready = false; // handshake verified, preface sent
  let closing = false;
  let gone = false;
  let blocked = false; // the socket took less than it was given: nothing more until drain
  let reading = false; // inside a data callback: one write at its end
  let out: Uint8Array[] = [];
  let queued = 0;
  const streams = new Map<number, Pending>();
  let connSend = 65535;
  let peerInitial = 65535;
  let connUnacked = 0;

  const endIfIdle = () => {
    if (closing && streams.size === 0 && out.length === 0 && !gone) {
      gone = true;
      raw?.end();
      onGone(conn);
    }
  };
  const flush = () => {
    if (!raw || !ready || blocked || reading || out.length === 0) return endIfIdle();
    // One write (one TLS record) for everything queued.
    const all = out.length === 1 ? out[0]! : concat(out);
    const n = raw.write(all);
    if (n < 0) return; // closed: the close handler fails what waits
    blocked = n < all.length;
    out = blocked ? [all.subarray(n)] : [];
    queued = all.length - n;
    endIfIdle();
  };
  const send = (f: Uint8Array) => {
    out.push(f);
    queued += f.length;
    if (queued > MAX_QUEUED) return failAll(new McpError("unavailable", `node ${o.node}: the agent does not read what the CLI sends`, "check the node"));
    flush();
  };
  /** Each call's HEADERS, then its request as DATA frames as large as the peer's windows allow (END_STREAM on the last). */
  const sendCalls = () => {
    if (!ready) return;
    for (const [id, s] of streams) {
      if (s.headers) (out.push(s.headers), (s.headers = null));
      while (s.at < s.body.length) {
        const n = Math.min(s.body.length - s.at, connSend, s.sendWindow, MAX_FRAME);
        if (n <= 0) break;
        connSend -= n;
        s.sendWindow -= n;
        out.push(frame(T.DATA, s.at + n === s.body.length ? END_STREAM : 0, id, s.body.subarray(s.at, s.at + n)));
        s.at += n;
      }
    }
    flush();
  };
  const failAll = (err: McpError) => {
    conn.dead ??= err;
    for (const s of [...streams.values()]) s.settle(err);
    out = [];
    raw?.end();
    onGone(conn);
  };
  const unreachable = (err: { message?: string; code?: string } | undefined) =>
    fromConnectError({ code: err?.code, message: `${err?.message ?? "no connection"} (${err?.code && !err.message?.includes(err.code) ? `${err.code} ` : ""}${o.address})` }, o.node);

  const read = createFrameReader({
    settings(values) {
      const v = values.get(0x4);
      if (v !== undefined) {
        for (const s of streams.values()) s.sendWindow += v - peerInitial;
        peerInitial = v;
      }
      send(frame(T.SETTINGS, ACK, 0));
      sendCalls();
    },
    ping: (payload) => send(frame(T.PING, ACK, 0, payload)),
    windowUpdate(id, inc) {
      if (id === 0) connSend += inc;
      else if (streams.has(id)) streams.get(id)!.sendWindow += inc;
      sendCalls();
    },
    goaway(last) {
      const err = new McpError("unavailable", `node ${o.node}: the agent closed the connection (it may be restarting)`, "try again");
      for (const [sid, s] of streams) if (sid > last) s.settle(err);
      conn.dead = err; // no new streams on this connection
    },
    reset: (id, code) => streams.get(id)?.settle(new McpError("unavailable", `node ${o.node}: the agent reset the call (HTTP/2 error ${code})`, "check the agent's log")),
    headers(id, fields, end) {
      const s = streams.get(id);
      if (!s) return;
      const h = new Map(fields);
      if (!s.headersSeen) {
        s.headersSeen = true;
        const status = h.get(":status");
        if (status !== "200") return s.settle(new McpError("unavailable", `node ${o.node}: the agent answered HTTP ${status ?? "without a status"}`, "check the address: is it an mcp agent?"));
      }
      if (!end) return;
      const answer = grpcAnswer(h, s.data, o.node, s.name);
      s.settle(answer.error, answer.message);
    },
    data(id, data, frameLength, end) {
      connUnacked += frameLength;
      if (connUnacked >= TOP_UP) (send(frame(T.WINDOW_UPDATE, 0, 0, u32(connUnacked))), (connUnacked = 0));
      const s = streams.get(id);
      if (!s) return;
      s.size += data.length;
      if (s.size > MAX_RESPONSE) {
        send(frame(T.RST_STREAM, 0, id, u32(CANCEL)));
        return s.settle(new McpError("resource_exhausted", `node ${o.node}: the answer to ${s.name} is over ${MAX_RESPONSE >> 20} MiB`));
      }
      s.data.push(data);
      s.unacked += frameLength;
      if (s.unacked >= TOP_UP && !end) (send(frame(T.WINDOW_UPDATE, 0, id, u32(s.unacked))), (s.unacked = 0));
      if (end) s.settle(noStatus(o.node, s.name));
    },
  });

  const dial = () => {
    const sep = o.address.lastIndexOf(":");
    const tls = {
      ca: o.caPem, serverName: o.serverName, rejectUnauthorized: true, ALPNProtocols: ALPN_H2,
      ...(o.certPem && o.keyPem ? { cert: o.certPem, key: o.keyPem } : {}),
    };
    Bun.connect({
      hostname: o.address.slice(0, sep).replace(/^\[(.*)\]$/, "$1"), port: Number(o.address.slice(sep + 1)), tls: tls as never,
      socket: {
        open(s) {
          raw = s;
          if (closing && streams.size === 0) s.end();
        },
        handshake(s, ok, err) {
          if (!ok) return failAll(fromConnectError(err ?? { message: "TLS handshake failed" }, o.node));
          if (s.alpnProtocol !== "h2") return failAll(new McpError("unavailable", `node ${o.node}: the agent did not offer HTTP/2 (ALPN h2)`, "check the address: is it an mcp agent?"));
          const version = (s as unknown as { getTLSVersion?: () => string }).getTLSVersion?.();
          if (version && version !== "TLSv1.3") return failAll(new McpError("unavailable", `node ${o.node}: TLS failed: the agent offered ${version}, not TLSv1.3`, "upgrade the agent"));
          raw = s;
          ready = true;
          out.unshift(START);
          sendCalls();
        },
        data(_s, chunk) {
          reading = true;
          try {
            read(chunk);
          } catch (err) {
            const why = err instanceof McpError ? err : new McpError("internal", `node ${o.node}: ${err instanceof H2ReadError ? "" : "a response could not be read: "}${(err as Error).message}`);
            return failAll(why);
          } finally {
            reading = false;
          }
          flush();
        },
        drain() {
          blocked = false;
          flush();
        },
        close() {
          raw = null;
          if (streams.size > 0) failAll(conn.dead ?? closedWithoutAnswer(o.node));
          conn.dead ??= CLOSED;
          onGone(conn);
        },
        error: (_s, err) => failAll(unreachable(err as Error & { code?: string })),
        connectError: (_s, err) => failAll(unreachable(err as Error & { code?: string })),
      },
    }).catch((err: Error & { code?: string }) => failAll(unreachable(err)));
  };

  const conn: Conn = {
    dead: null,
    nextId: 1,
    call(name, body, timeoutMs) {
      const headers = concat([
        Uint8Array.of(0x83, 0x87), // :method POST, :scheme https (static table)
        encodeLiteral(":path", `/${SERVICE_NAME}/${name}`), encodeLiteral(":authority", o.serverName), FIXED_HEADERS,
        encodeLiteral("authorization", `Bearer ${o.token}`),
        ...(timeoutMs === Infinity ? [] : [encodeLiteral("grpc-timeout", `${Math.max(1, Math.ceil(timeoutMs))}m`)]),
      ]);
      if (headers.length > MAX_FRAME) return Promise.reject(new McpError("invalid_argument", `node ${o.node}: the call's headers are over ${MAX_FRAME} bytes`, "is the token file right?"));
      if (conn.dead) return Promise.reject(conn.dead);
      const id = conn.nextId;
      conn.nextId += 2;
      const data = new Uint8Array(5 + body.length); // the gRPC prefix (not compressed, length) and the message
      new DataView(data.buffer).setUint32(1, body.length);
      data.set(body, 5);
      return new Promise<Uint8Array>((resolve, reject) => {
        const timer = timeoutMs === Infinity ? undefined : setTimeout(() => {
          const s = streams.get(id);
          if (!s) return;
          // Never sent yet (no connection): it never will be. Sent: the agent is told to stop.
          if (!s.headers) send(frame(T.RST_STREAM, 0, id, u32(CANCEL)));
          s.settle(timedOut(o.node, name, timeoutMs, ready, conn.dead));
        }, timeoutMs);
        const pending: Pending = {
          name, data: [], size: 0, unacked: 0, headersSeen: false, sendWindow: peerInitial,
          headers: frame(T.HEADERS, END_HEADERS, id, headers), body: data, at: 0,
          settle(err, message) {
            if (streams.get(id) !== pending) return;
            streams.delete(id);
            clearTimeout(timer);
            if (err) reject(err);
            else resolve(message!);
            endIfIdle();
          },
        };
        streams.set(id, pending);
        sendCalls();
      });
    },
    close() {
      closing = true;
      endIfIdle();
    },
  };
  try {
    dial();
  } catch (err) {
    // Bun refuses some options at once (a CA file that holds no certificate).
    failAll(fromConnectError(err as Error & { code?: string }, o.node));
  }
  return conn;
}
