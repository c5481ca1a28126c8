// Reading and writing the message streams of the agent's calls.
import type * as grpc from "@grpc/grpc-js";
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

/** Writes a message; resolves at once, or when the stream has drained (backpressure for big streams). */
export function writeWithBackpressure(call: grpc.ServerWritableStream<unknown, unknown>, msg: unknown): Promise<void> {
  if (call.write(msg)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      call.off("close", done);
      resolve();
    };
    call.on("drain", done);
    call.on("close", done);
  });
}
