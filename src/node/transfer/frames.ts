/**
 * The framing between the agent and its transfer helpers under rootless
 * podman (`mcp agent push-file | pull-file`, run through `podman unshare`):
 * a transfer's chunks over a pipe, each frame `<kind byte><u32 length><bytes>`.
 * Kinds: D data, S the SHA-256 (hex) a sender claims, H a JSON header
 * (pull: mode and size). Pure encode, and a decoder over a byte stream.
 */

/** One frame's kind. */
export type FrameKind = "D" | "S" | "H";

/** Encodes one frame. */
export function encodeFrame(kind: FrameKind, body: Uint8Array | string): Uint8Array {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const out = new Uint8Array(5 + bytes.length);
  out[0] = kind.charCodeAt(0);
  new DataView(out.buffer).setUint32(1, bytes.length);
  out.set(bytes, 5);
  return out;
}

/** Decodes the frames of a byte stream, in order; a stream cut inside a frame throws. */
export async function* decodeFrames(stream: AsyncIterable<Uint8Array>): AsyncGenerator<{ kind: FrameKind; body: Uint8Array }> {
  let buf = new Uint8Array(0);
  for await (const chunk of stream) {
    const joined = new Uint8Array(buf.length + chunk.length);
    joined.set(buf);
    joined.set(chunk, buf.length);
    buf = joined;
    let at = 0;
    while (buf.length - at >= 5) {
      const len = new DataView(buf.buffer, buf.byteOffset + at + 1, 4).getUint32(0);
      if (buf.length - at < 5 + len) break;
      yield { kind: String.fromCharCode(buf[at]!) as FrameKind, body: buf.slice(at + 5, at + 5 + len) };
      at += 5 + len;
    }
    buf = buf.slice(at);
  }
  if (buf.length > 0) throw new Error("the transfer stream ended inside a frame");
}
