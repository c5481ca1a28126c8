import { createHash } from "node:crypto";
import { writeSync } from "node:fs";
import { McpError } from "../../lib/errors.ts";
import { ioError } from "./errors.ts";

/**
 * Writes streamed chunks to an open file: at most `maxBytes` in all
 * (`resource_exhausted` beyond), SHA-256 computed on the way, and the last
 * SHA-256 the sender gave. `onWritten` is told the running size (a push
 * flushes in the background with it). Write errors name `what` (a full disk
 * says so).
 */
export async function writeChunks(
  fd: number,
  chunks: AsyncIterable<{ data: Uint8Array; sha256: string }>,
  o: { maxBytes: number; what: string; tooBig: string; onWritten?: (size: number) => void },
): Promise<{ size: number; sha256: string; claimed: string }> {
  const hash = createHash("sha256");
  let size = 0;
  let claimed = "";
  for await (const c of chunks) {
    if (c.data.length > 0) {
      size += c.data.length;
      if (size > o.maxBytes) throw new McpError("resource_exhausted", `${o.tooBig} is larger than this agent accepts (${o.maxBytes} bytes)`, "raise [agent] max_transfer in the agent's config");
      hash.update(c.data);
      try {
        let off = 0;
        while (off < c.data.length) off += writeSync(fd, c.data, off, c.data.length - off);
      } catch (err) {
        throw ioError(o.what, err);
      }
      o.onWritten?.(size);
    }
    if (c.sha256) claimed = c.sha256;
  }
  return { size, sha256: hash.digest("hex"), claimed };
}
