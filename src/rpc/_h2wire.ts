import { McpError } from "../lib/errors.ts";
import { fromStatus, GRPC, HINT_KEY } from "./status.ts";
import { encodeLiteral } from "./_hpack.ts";

/** HTTP/2 framing (RFC 9113) for the CLI's unary client, _unary.ts. */

/** The largest response it accepts (a status with a long history, an audit listing). */
export const MAX_RESPONSE = 64 << 20;
/** Receive window we open (stream and connection), and how much is read before it is topped up again. */
export const WINDOW = 16 << 20;
export const TOP_UP = 1 << 20;
export const MAX_FRAME = 16384;
/** The largest header block (HEADERS and its CONTINUATIONs) accepted. */
export const MAX_HEADER_BLOCK = 256 << 10;

export const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
export const ALPN_H2 = new Uint8Array([2, 0x68, 0x32]).buffer; // wire format: length-prefixed "h2"
export const T = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4, PADDED = 0x8, PRIORITY = 0x20;
export const CANCEL = 0x8;

export function frame(type: number, flags: number, stream: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const b = new Uint8Array(9 + payload.length);
  const len = payload.length;
  b[0] = len >>> 16;
  b[1] = (len >>> 8) & 0xff;
  b[2] = len & 0xff;
  b[3] = type;
  b[4] = flags;
  new DataView(b.buffer).setUint32(5, stream);
  b.set(payload, 9);
  return b;
}
export const u32 = (...xs: number[]) => {
  const b = new Uint8Array(xs.length * 4);
  xs.forEach((x, i) => new DataView(b.buffer).setUint32(i * 4, x));
  return b;
};
export const setting = (id: number, value: number) => Uint8Array.from([id >> 8, id & 0xff, ...u32(value)]);
export const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

/** The client's preface, SETTINGS (no push; a 16 MiB stream window) and the connection window opened to match: sent first on every connection. */
export const START = concat([PREFACE, frame(T.SETTINGS, 0, 0, concat([setting(0x2, 0), setting(0x4, WINDOW)])), frame(T.WINDOW_UPDATE, 0, 0, u32(WINDOW - 65535))]);
/** The header fields every call sends the same (after :method POST, :scheme https, :path and :authority: pseudo-headers come first). */
export const FIXED_HEADERS = concat([encodeLiteral("content-type", "application/grpc+proto"), encodeLiteral("te", "trailers")]);

/** A call whose answer ended without a gRPC status. */
export const noStatus = (node: string, name: string) => new McpError("unavailable", `node ${node}: ${name} ended without a status`, "check the agent's log");

/**
 * A call's outcome from its trailers (or trailers-only headers) and the DATA
 * it received: the one response message, or the error the status says.
 */
export function grpcAnswer(h: Map<string, string>, data: Uint8Array[], node: string, name: string): { error: McpError | null; message?: Uint8Array } {
  const code = h.get("grpc-status");
  if (code === undefined || !/^\d{1,2}$/.test(code)) return { error: noStatus(node, name) };
  if (Number(code) !== GRPC.OK) {
    const hint = h.get(HINT_KEY);
    return { error: fromStatus(Number(code), percentDecoded(h.get("grpc-message") ?? ""), hint ? percentDecoded(hint) : "", node) };
  }
  const all = concat(data);
  if (all.length < 5 || all[0] !== 0) return { error: new McpError("internal", `node ${node}: ${name} answered without a message`, "check the agent's log") };
  const len = new DataView(all.buffer, all.byteOffset + 1, 4).getUint32(0);
  if (all.length !== 5 + len) return { error: new McpError("internal", `node ${node}: ${name} answered ${all.length - 5} bytes for a message of ${len}`) };
  return { error: null, message: all.subarray(5) };
}

/** A percent-encoded gRPC message as text; one that does not decode is shown as it came. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
