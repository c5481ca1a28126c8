// The CLI's end of Exec (SPEC §7.4), beside client.ts: the start, then the
// caller's input as it comes, over one bidi stream; output handed on paced
// (a slow local stdout holds the agent, and so the command, back).
import { create } from "@bufbuild/protobuf";
import { ExecRequestSchema, type ExecResponse, type ExecResponseSchema } from "../gen/mcp/v1/agent_pb.ts";
import { McpError } from "../lib/errors.ts";
import type { ExecInput, ExecStart } from "./api.ts";
import type { H2Transport } from "./_h2.ts";

/** Output of an exec as the client hands it on. */
export type ExecChunk = { stdout: Uint8Array } | { stderr: Uint8Array };

const kindOf = (m: ExecInput) =>
  "stdin" in m ? { case: "stdin" as const, value: m.stdin }
    : "resize" in m ? { case: "resize" as const, value: { cols: m.resize.cols, rows: m.resize.rows } }
      : { case: "stdinEof" as const, value: true };

/**
 * Runs an exec on the agent and resolves with the command's exit status.
 * `input` is sent as it comes; the caller ends it once this resolves (the
 * stream stays open for resizes after stdin's end). When `signal` aborts,
 * the call is cancelled (the agent kills the command) and this rejects
 * `aborted`.
 */
export async function execCall(
  transport: H2Transport, node: string, start: ExecStart, input: AsyncIterable<ExecInput>,
  onOutput: (o: ExecChunk) => void | Promise<void>, signal?: AbortSignal,
): Promise<number> {
  async function* messages() {
    yield create(ExecRequestSchema, { kind: { case: "start", value: start } });
    for await (const m of input) yield create(ExecRequestSchema, { kind: kindOf(m) });
  }
  let code: number | null = null;
  await transport.call<typeof ExecResponseSchema>("Exec", messages(), Infinity, (m) => {
    const r = m as ExecResponse;
    if (r.kind.case === "exitCode") code = r.kind.value;
    else if (r.kind.case === "stdout") return onOutput({ stdout: r.kind.value });
    else if (r.kind.case === "stderr") return onOutput({ stderr: r.kind.value });
  }, signal, true);
  if (signal?.aborted) throw new McpError("aborted", "the exec was cancelled");
  if (code === null) throw new McpError("internal", `node ${node}: the exec ended without an exit status`, "check the agent's log");
  return code;
}
