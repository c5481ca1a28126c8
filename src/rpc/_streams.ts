// Reading and writing message streams: the agent's calls, and the CLI's
// transport (_h2.ts). Nothing here loads grpc-js.
import { McpError } from "../lib/errors.ts";

/** A request stream whose read errors (a message that does not decode, a stream cut short) are the caller's: invalid_argument. */
export async function* readStream<Req>(call: AsyncIterable<Req>): AsyncGenerator<Req> {
  try {
    for await (const m of call) yield m;
  } catch (err) {
    if (err instanceof McpError) throw err;
    throw new McpError("invalid_argument", `the request stream could not be read (${err instanceof Error ? err.message : String(err)})`, "send well-formed messages");
  }
}

/** A piece of an upload: data, and (in the last one) the sender's SHA-256. */
export interface UploadChunk {
  data: Uint8Array;
  sha256: string;
}

/**
 * An upload (PushFile, RestoreService): its first message is the header
 * and may carry data too. Returns the header and the chunks of every
 * message, the header's first. An empty stream throws invalid_argument
 * (`the <what> carried no message`).
 */
export async function splitHeader<M extends UploadChunk>(messages: AsyncIterable<M>, what: string): Promise<{ head: M; chunks: AsyncIterable<UploadChunk> }> {
  const it = messages[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) throw new McpError("invalid_argument", `the ${what} carried no message`, "send a header first");
  const head = first.value;
  async function* chunks(): AsyncGenerator<UploadChunk> {
    yield { data: head.data, sha256: head.sha256 };
    for (let n = await it.next(); !n.done; n = await it.next()) yield { data: n.value.data, sha256: n.value.sha256 };
  }
  return { head, chunks: chunks() };
}

/** What writeWithBackpressure needs of a stream: a grpc-js call or a node:http2 stream. */
export interface DrainableStream {
  write(chunk: unknown): boolean;
  on(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/**
 * Writes a chunk; resolves at once, or when the stream has drained
 * (backpressure for big streams). A stream that closes meanwhile resolves
 * too: its end is reported by whoever reads its status.
 */
export function writeWithBackpressure(stream: DrainableStream, chunk: unknown): Promise<void> {
  if (stream.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
