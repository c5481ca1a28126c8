import { createHpackDecoder } from "./_hpack.ts";
import { ACK, concat, END_HEADERS, END_STREAM, MAX_FRAME, MAX_HEADER_BLOCK, PADDED, PRIORITY, T } from "./_h2wire.ts";

/**
 * The reading half of the CLI's unary client (_unary.ts): bytes from the
 * agent → checked HTTP/2 frames (RFC 9113) → the events the connection acts
 * on. Bounded against a hostile peer: frames of at most 16 KiB, header
 * blocks of at most 256 KiB and 64 CONTINUATIONs, HPACK's own bounds, and a
 * budget of frames that carry nothing for a call (PING, SETTINGS,
 * WINDOW_UPDATE, PRIORITY, unknown types, empty DATA or CONTINUATION): past
 * it the peer is flooding. Any violation throws H2ReadError.
 */
export class H2ReadError extends Error {}

export interface H2Events {
  settings(values: Map<number, number>): void;
  ping(payload: Uint8Array): void;
  windowUpdate(id: number, increment: number): void;
  goaway(lastStreamId: number): void;
  reset(id: number, code: number): void;
  headers(id: number, fields: [string, string][], endStream: boolean): void;
  /** `frameLength` is what the frame counts against the receive windows (padding included). */
  data(id: number, data: Uint8Array, frameLength: number, endStream: boolean): void;
}

/** Frames that carry nothing for a call, allowed per connection (nghttp2 allows about 1,000 of the kind). */
const JUNK_BUDGET = 1000;
const MAX_CONTINUATIONS = 64;

export function createFrameReader(on: H2Events): (chunk: Uint8Array) => void {
  const hpack = createHpackDecoder();
  let chunks: Uint8Array[] = [];
  let have = 0;
  let block: { id: number; parts: Uint8Array[]; size: number; count: number; end: boolean } | null = null;
  let junk = 0;
  const spend = (what: string) => {
    if (++junk > JUNK_BUDGET) throw new H2ReadError(`the agent sent over ${JUNK_BUDGET} frames that carry nothing (${what}): a flood`);
  };
  const need = (p: Uint8Array, ok: boolean, what: string) => {
    if (!ok) throw new H2ReadError(`a malformed ${what} frame (${p.length} bytes)`);
  };

  function frame(type: number, flags: number, id: number, p: Uint8Array): void {
    if (block && type !== T.CONTINUATION) throw new H2ReadError("a header block was interrupted");
    const view = new DataView(p.buffer, p.byteOffset, p.length);
    switch (type) {
      case T.SETTINGS: {
        need(p, id === 0 && p.length % 6 === 0 && (!(flags & ACK) || p.length === 0), "SETTINGS");
        spend("SETTINGS");
        if (flags & ACK) return;
        const values = new Map<number, number>();
        for (let i = 0; i < p.length; i += 6) values.set(view.getUint16(i), view.getUint32(i + 2));
        return on.settings(values);
      }
      case T.PING:
        need(p, id === 0 && p.length === 8, "PING");
        spend("PING");
        return flags & ACK ? undefined : on.ping(p);
      case T.WINDOW_UPDATE: {
        need(p, p.length === 4, "WINDOW_UPDATE");
        spend("WINDOW_UPDATE");
        const inc = view.getUint32(0) & 0x7fffffff;
        if (inc === 0) throw new H2ReadError("a WINDOW_UPDATE of 0");
        return on.windowUpdate(id, inc);
      }
      case T.GOAWAY:
        need(p, id === 0 && p.length >= 8, "GOAWAY");
        return on.goaway(view.getUint32(0) & 0x7fffffff);
      case T.RST_STREAM:
        need(p, id !== 0 && p.length === 4, "RST_STREAM");
        return on.reset(id, view.getUint32(0));
      case T.PUSH_PROMISE:
        throw new H2ReadError("the agent pushed a stream it was told not to");
      case T.HEADERS:
      case T.CONTINUATION: {
        let body = p;
        if (type === T.HEADERS) {
          const pad = flags & PADDED ? p[0]! : 0;
          const start = (flags & PADDED ? 1 : 0) + (flags & PRIORITY ? 5 : 0);
          need(p, id !== 0 && start + pad <= p.length, "HEADERS");
          body = p.subarray(start, p.length - pad);
          block = { id, parts: [], size: 0, count: 0, end: (flags & END_STREAM) !== 0 };
        } else {
          if (!block || block.id !== id) throw new H2ReadError("a CONTINUATION out of place");
          if (++block.count > MAX_CONTINUATIONS) throw new H2ReadError(`a header block in over ${MAX_CONTINUATIONS} CONTINUATION frames`);
          if (p.length === 0 && !(flags & END_HEADERS)) spend("empty CONTINUATION");
        }
        block.parts.push(body);
        block.size += body.length;
        if (block.size > MAX_HEADER_BLOCK) throw new H2ReadError(`a header block over ${MAX_HEADER_BLOCK >> 10} KiB`);
        if (!(flags & END_HEADERS)) return;
        const { parts, end } = block;
        block = null;
        return on.headers(id, hpack.decode(concat(parts)), end); // decoded even for a stream given up: the table is shared
      }
      case T.DATA: {
        const pad = flags & PADDED ? p[0]! : 0;
        const start = flags & PADDED ? 1 : 0;
        need(p, id !== 0 && start + pad <= p.length, "DATA");
        const data = p.subarray(start, p.length - pad);
        if (data.length === 0 && !(flags & END_STREAM)) spend("empty DATA");
        return on.data(id, data, p.length, (flags & END_STREAM) !== 0);
      }
      default:
        spend(`type ${type}`);
        return; // PRIORITY and unknown frame types are ignored (RFC 9113 §5.5)
    }
  }

  return (chunk) => {
    chunks.push(chunk.slice()); // our own copy: the socket's buffer may be reused after the callback
    have += chunk.length;
    // Joined only once a whole frame is there (a peer that sends a byte at a time costs no copies).
    while (have >= 9) {
      if (chunks[0]!.length < 9) chunks = [concat(chunks)];
      const head = chunks[0]!;
      const len = (head[0]! << 16) | (head[1]! << 8) | head[2]!;
      if (len > MAX_FRAME) throw new H2ReadError(`the agent sent a frame of ${len} bytes`);
      if (have < 9 + len) return;
      const buf = chunks.length === 1 ? head : concat(chunks);
      const type = buf[3]!, flags = buf[4]!;
      const id = new DataView(buf.buffer, buf.byteOffset + 5, 4).getUint32(0) & 0x7fffffff;
      const payload = buf.subarray(9, 9 + len);
      const rest = buf.subarray(9 + len);
      chunks = rest.length > 0 ? [rest] : [];
      have = rest.length;
      frame(type, flags, id, payload);
    }
  };
}
