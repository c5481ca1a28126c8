import type { Socket } from "bun";
import { McpError } from "../lib/errors.ts";
import { createHpackDecoder, encodeLiteral } from "./_hpack.ts";
import type { H2Options } from "./_h2.ts";
import { SERVICE_NAME } from "./service.ts";
import { fromConnectError } from "./status.ts";
import {
  ACK, ALPN_H2, CANCEL, concat, END_HEADERS, END_STREAM, FIXED_HEADERS, frame, grpcAnswer, MAX_FRAME, MAX_HEADER_BLOCK, MAX_RESPONSE, PADDED, PRIORITY, START, T, TOP_UP, u32,
} from "./_h2wire.ts";

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

/** A call in flight: what arrived (`size` bytes, `unacked` not yet given back to the window), and its DATA frame until the send windows let it go. */
interface Pending {
  name: string; data: Uint8Array[]; size: number; unacked: number; headersSeen: boolean; body: Uint8Array | null; sendWindow: number;
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
  let out: Uint8Array[] = [];
  const streams = new Map<number, Pending>();
  const hpack = createHpackDecoder();
  let inbuf: Uint8Array = new Uint8Array(0);
  let block: { id: number; parts: Uint8Array[]; size: number; end: boolean } | null = null;
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
    if (!raw || !ready || out.length === 0) return endIfIdle();
    // One write (one TLS record) for everything queued.
    const all = out.length === 1 ? out[0]! : concat(out);
    const n = raw.write(all);
    if (n < 0) return; // closed: the close handler fails what waits
    out = n < all.length ? [all.subarray(n)] : []; // the rest on drain
    endIfIdle();
  };
  const send = (f: Uint8Array) => {
    out.push(f);
    flush();
  };
  const sendBodies = () => {
    for (const s of streams.values()) {
      if (!s.body) continue;
      const len = s.body.length - 9;
      if (len > connSend || len > s.sendWindow) continue;
      connSend -= len;
      s.sendWindow -= len;
      out.push(s.body);
      s.body = null;
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
        flush();
      },
      data(_s, chunk) {
        try {
          read(chunk);
        } catch (err) {
          failAll(err instanceof McpError ? err : new McpError("internal", `node ${o.node}: a response could not be read: ${(err as Error).message}`));
        }
      },
      drain: () => flush(),
      close() {
        raw = null;
        if (streams.size > 0) failAll(conn.dead ?? new McpError("unavailable", `node ${o.node}: the connection closed without an answer`, "check the agent's log"));
        conn.dead ??= CLOSED;
        onGone(conn);
      },
      error: (_s, err) => failAll(fromConnectError(err as Error & { code?: string }, o.node)),
      connectError: (_s, err) => failAll(fromConnectError(err as Error & { code?: string }, o.node)),
    },
  }).catch((err: Error & { code?: string }) => failAll(fromConnectError(err, o.node)));

  function read(chunk: Uint8Array): void {
    inbuf = inbuf.length === 0 ? chunk : concat([inbuf, chunk]);
    let at = 0;
    while (inbuf.length - at >= 9) {
      const len = (inbuf[at]! << 16) | (inbuf[at + 1]! << 8) | inbuf[at + 2]!;
      if (len > MAX_FRAME) throw new McpError("internal", `node ${o.node}: the agent sent a frame of ${len} bytes`);
      if (inbuf.length - at < 9 + len) break;
      const type = inbuf[at + 3]!, flags = inbuf[at + 4]!;
      const id = new DataView(inbuf.buffer, inbuf.byteOffset + at + 5, 4).getUint32(0) & 0x7fffffff;
      const payload = inbuf.slice(at + 9, at + 9 + len);
      at += 9 + len;
      onFrame(type, flags, id, payload);
    }
    inbuf = at === inbuf.length ? new Uint8Array(0) : inbuf.slice(at);
  }

  function onFrame(type: number, flags: number, id: number, p: Uint8Array): void {
    if (block && type !== T.CONTINUATION) throw new McpError("internal", `node ${o.node}: a header block was interrupted`);
    const view = new DataView(p.buffer, p.byteOffset, p.length);
    switch (type) {
      case T.SETTINGS:
        if (flags & ACK) return;
        for (let i = 0; i + 6 <= p.length; i += 6) {
          if (view.getUint16(i) !== 0x4) continue;
          const v = view.getUint32(i + 2);
          for (const s of streams.values()) s.sendWindow += v - peerInitial;
          peerInitial = v;
        }
        send(frame(T.SETTINGS, ACK, 0));
        return sendBodies();
      case T.PING:
        if (!(flags & ACK)) send(frame(T.PING, ACK, 0, p));
        return;
      case T.WINDOW_UPDATE: {
        const inc = view.getUint32(0) & 0x7fffffff;
        if (id === 0) connSend += inc;
        else if (streams.has(id)) streams.get(id)!.sendWindow += inc;
        return sendBodies();
      }
      case T.GOAWAY: {
        const last = view.getUint32(0) & 0x7fffffff;
        const err = new McpError("unavailable", `node ${o.node}: the agent closed the connection (it may be restarting)`, "try again");
        for (const [sid, s] of streams) if (sid > last) s.settle(err);
        conn.dead = err; // no new streams on this connection
        return;
      }
      case T.RST_STREAM:
        return streams.get(id)?.settle(new McpError("unavailable", `node ${o.node}: the agent reset the call (HTTP/2 error ${view.getUint32(0)})`, "check the agent's log"));
      case T.PUSH_PROMISE:
        throw new McpError("internal", `node ${o.node}: the agent pushed a stream it was told not to`);
      case T.HEADERS:
      case T.CONTINUATION: {
        let body = p;
        if (type === T.HEADERS) {
          const pad = flags & PADDED ? p[0]! : 0;
          const start = (flags & PADDED ? 1 : 0) + (flags & PRIORITY ? 5 : 0);
          if (start + pad > p.length) throw new McpError("internal", `node ${o.node}: a bad HEADERS frame`);
          body = p.subarray(start, p.length - pad);
          block = { id, parts: [], size: 0, end: (flags & END_STREAM) !== 0 };
        } else if (!block || block.id !== id) throw new McpError("internal", `node ${o.node}: a CONTINUATION out of place`);
        block.parts.push(body);
        block.size += body.length;
        if (block.size > MAX_HEADER_BLOCK) throw new McpError("internal", `node ${o.node}: a header block over ${MAX_HEADER_BLOCK >> 10} KiB`);
        if (!(flags & END_HEADERS)) return;
        const { parts, end } = block;
        block = null;
        return onHeaders(id, hpack.decode(concat(parts)), end); // decoded even for a stream we gave up: the table is shared
      }
      case T.DATA: {
        const s = streams.get(id);
        connUnacked += p.length;
        if (connUnacked >= TOP_UP) (send(frame(T.WINDOW_UPDATE, 0, 0, u32(connUnacked))), (connUnacked = 0));
        if (!s) return;
        const pad = flags & PADDED ? p[0]! : 0;
        const data = p.subarray(flags & PADDED ? 1 : 0, p.length - pad);
        s.size += data.length;
        if (s.size > MAX_RESPONSE) {
          send(frame(T.RST_STREAM, 0, id, u32(CANCEL)));
          return s.settle(new McpError("resource_exhausted", `node ${o.node}: the answer to ${s.name} is over ${MAX_RESPONSE >> 20} MiB`));
        }
        s.data.push(data);
        s.unacked += p.length;
        if (s.unacked >= TOP_UP && !(flags & END_STREAM)) (send(frame(T.WINDOW_UPDATE, 0, id, u32(s.unacked))), (s.unacked = 0));
        if (flags & END_STREAM) s.settle(new McpError("unavailable", `node ${o.node}: ${s.name} ended without a status`, "check the agent's log"));
        return;
      }
      default:
        return; // PRIORITY and unknown frame types are ignored (RFC 9113 §5.5)
    }
  }

  function onHeaders(id: number, fields: [string, string][], end: boolean): void {
    const s = streams.get(id);
    if (!s) return;
    const h = new Map(fields);
    if (!s.headersSeen) {
      s.headersSeen = true;
      const status = h.get(":status");
      if (status !== "200") {
        return s.settle(new McpError("unavailable", `node ${o.node}: the agent answered HTTP ${status ?? "without a status"}`, "check the address: is it an mcp agent?"));
      }
    }
    if (!end) return;
    const answer = grpcAnswer(h, s.data, o.node, s.name);
    s.settle(answer.error, answer.message);
  }

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
      const id = conn.nextId;
      conn.nextId += 2;
      const data = new Uint8Array(5 + body.length); // the gRPC prefix (not compressed, length) and the message
      new DataView(data.buffer).setUint32(1, body.length);
      data.set(body, 5);
      return new Promise<Uint8Array>((resolve, reject) => {
        const timer = timeoutMs === Infinity ? undefined : setTimeout(() => {
          send(frame(T.RST_STREAM, 0, id, u32(CANCEL)));
          streams.get(id)?.settle(ready
            ? new McpError("deadline_exceeded", `node ${o.node}: no answer to ${name} within ${Math.round(timeoutMs / 1000)}s`, "the agent did not answer in time; try again, or check the node")
            : conn.dead ?? new McpError("unavailable", `node ${o.node} is unreachable: no connection within ${Math.round(timeoutMs / 1000)}s`,
              "check that the agent runs and the address is right (mcp node list)"));
        }, timeoutMs);
        const pending: Pending = {
          name, data: [], size: 0, unacked: 0, headersSeen: false, sendWindow: peerInitial, body: frame(T.DATA, END_STREAM, id, data),
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
        out.push(frame(T.HEADERS, END_HEADERS, id, headers));
        sendBodies();
      });
    },
    close() {
      closing = true;
      endIfIdle();
    },
  };
  return conn;
}
