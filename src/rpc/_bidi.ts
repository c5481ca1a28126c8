// Bidirectional streams on the agent's side (Exec, SPEC §7.4): the frame of
// a bidi call (authenticated before any message is read, its first message
// scope-checked, answers written with backpressure), and Exec's messages
// turned into domain terms and back. What the audit record says of an exec
// is written here: where, the argv and the exit status — never stdin.
import { create } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { ExecResponseSchema, type ExecRequest } from "../gen/mcp/v1/agent_pb.ts";
import { McpError } from "../lib/errors.ts";
import { escapeControl } from "../lib/text.ts";
import type { AgentApi, CallContext, ExecInput, ExecOutput, ExecStart } from "./api.ts";
import { checkFirstMessage } from "./_scope.ts";
import { need } from "./_server-more.ts";
import { readStream, writeWithBackpressure } from "./_streams.ts";
import type { Scoped } from "./scope.ts";

/** What a call adds to its audit record beyond method, identity, peer, outcome and duration. */
export interface AuditNote {
  detail: string;
}

/** The server's frame of every call (server.ts `serve`): authenticate, authorize, run, audit, answer. */
export type Serve = <T>(
  method: string, call: grpc.ServerDuplexStream<unknown, unknown>, work: (ctx: CallContext, me: Scoped, note: AuditNote) => Promise<T>,
  done: (err: Partial<grpc.ServiceError> | null, res?: T) => void, refused?: () => void,
) => void;

/** The longest audit detail kept (an argv may be long; the record stays readable). */
export const MAX_AUDIT_DETAIL = 1024;

/**
 * A handler of a bidi call: authenticated before any message is read, its
 * first message checked against the caller's service scope, each answer
 * written when the client's window allows.
 */
export function bidi<Req>(
  serve: Serve, method: string,
  fn: (messages: AsyncIterable<Req>, ctx: CallContext, write: (m: unknown) => Promise<void>, note: AuditNote) => Promise<void>,
): grpc.handleBidiStreamingCall<Req, unknown> {
  return (call) =>
    serve(
      method, call as grpc.ServerDuplexStream<unknown, unknown>,
      // Not `for await` over the call itself: leaving that early destroys the duplex, and grpc-js then never sends the status.
      (ctx, me, note) => fn(checkFirstMessage(me, method, readStream<Req>(call.iterator({ destroyOnReturn: false }))), ctx, (m) => writeUnlessGone(call, m, ctx.signal), note),
      (err) => (err ? call.emit("error", err) : call.end()),
      // Whatever is still coming is read and dropped, so the client sees the status, not a stalled window.
      () => call.resume(),
    );
}

/**
 * Writes an answer, waiting for the client's window; resolves at once when
 * the call was cancelled (a cancelled duplex never says `drain` or `close`,
 * and a writer waiting on it would wait for ever).
 */
function writeUnlessGone(call: grpc.ServerDuplexStream<unknown, unknown>, m: unknown, cancelled: AbortSignal): Promise<void> {
  if (cancelled.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      cancelled.removeEventListener("abort", done);
      resolve();
    };
    cancelled.addEventListener("abort", done, { once: true });
    void writeWithBackpressure(call, m).then(done);
  });
}

/** An exec as its audit record says it: `service/component -it ["argv", …]`, escaped and cut to MAX_AUDIT_DETAIL. */
export function execAuditDetail(s: ExecStart): string {
  const flags = `${s.stdin ? "i" : ""}${s.tty ? "t" : ""}`;
  const text = escapeControl(`${s.service}/${s.component || "-"}${flags ? ` -${flags}` : ""} ${JSON.stringify(s.argv)}`);
  return text.length > MAX_AUDIT_DETAIL ? `${text.slice(0, MAX_AUDIT_DETAIL - 1)}…` : text;
}

/** Exec's messages after the start, in domain terms; a second start or an empty message is invalid_argument. */
async function* execInputs(it: AsyncIterator<ExecRequest>): AsyncGenerator<ExecInput> {
  for (let n = await it.next(); !n.done; n = await it.next()) {
    const k = n.value.kind;
    if (k.case === "stdin") yield { stdin: k.value };
    else if (k.case === "resize") yield { resize: { cols: k.value.cols, rows: k.value.rows } };
    else if (k.case === "stdinEof") yield { stdinEof: true };
    else throw new McpError("invalid_argument", k.case === "start" ? "an exec has one start: a second one was sent" : "an exec message carried nothing", "send stdin, resize or stdin_eof after the start");
  }
}

const output = (o: ExecOutput) =>
  create(ExecResponseSchema, {
    kind: "stdout" in o ? { case: "stdout", value: o.stdout } : "stderr" in o ? { case: "stderr", value: o.stderr } : { case: "exitCode", value: o.exitCode },
  });

/** The Exec handler: the first message must be the start; output streams back, the exit status last. */
export function execHandler(serve: Serve, api: AgentApi): grpc.handleBidiStreamingCall<ExecRequest, unknown> {
  return bidi<ExecRequest>(serve, "Exec", async (messages, ctx, write, note) => {
    const it = messages[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done || first.value.kind.case !== "start") {
      throw new McpError("invalid_argument", "the first message of an exec must be its start (service, argv)", "send an ExecStart first");
    }
    const s = first.value.kind.value;
    const start: ExecStart = { service: s.service, component: s.component, argv: [...s.argv], stdin: s.stdin, tty: s.tty, cols: s.cols, rows: s.rows };
    note.detail = execAuditDetail(start);
    const code = await need(api.exec, ctx)(start, execInputs(it), ctx, (o) => write(output(o)));
    note.detail = `${note.detail} exit ${code}`;
    await write(output({ exitCode: code }));
  });
}
