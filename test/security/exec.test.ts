// Exec's attackers (issue 16), against a real TLS agent server over the fake
// runtime: a viewer, a scoped token naming another service, a first message
// that is not a start, a second start, hostile argv and sizes, too many
// sessions — each refused with a clear status and nothing run; and the
// audit trail keeps argv, never stdin.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ExecRequestSchema, ExecResponseSchema, type ExecRequest } from "../../src/gen/mcp/v1/agent_pb.ts";
import { listAudit } from "../../src/node/store/index.ts";
import { SERVICE_NAME, type AgentClient, type ExecInput, type ExecStart } from "../../src/rpc/index.ts";
import { inputOf, startExecAgent, type ExecAgent } from "../support/exec-agent.ts";
import { waitFor } from "../support/mcp.ts";

let agent: ExecAgent;

beforeAll(async () => {
  agent = await startExecAgent();
});
afterAll(() => agent?.close());

const start = (argv: string[], over: Partial<ExecStart> = {}): ExecStart => ({ service: "a", component: "", argv, stdin: false, tty: false, cols: 0, rows: 0, ...over });

/** "ok <status>", or the refusal as "code: message | hint". */
async function outcome(c: AgentClient, s: ExecStart, input: ExecInput[] = []): Promise<string> {
  let ended!: () => void;
  const done = new Promise<void>((r) => (ended = r));
  try {
    return `ok ${await c.exec(s, inputOf(input, done), () => {})}`;
  } catch (err) {
    return `${(err as { code?: string }).code}: ${(err as Error).message} | ${(err as { hint?: string }).hint ?? ""}`;
  } finally {
    ended();
  }
}

/** What the fake's `ps` lists as running in a/web. */
const running = async () => {
  let out = "";
  await agent.client("admin").exec(start(["ps"]), inputOf([]), (o) => void ("stdout" in o && (out += new TextDecoder().decode(o.stdout))));
  return out.split("\n").slice(2).filter((l) => l.trim() !== "" && !l.endsWith(" ps"));
};

/** A raw bidi Exec call with grpc-js: sends `messages` (then ends), returns the status and what came back. */
function raw(token: string, messages: ExecRequest[]): Promise<{ code: number; details: string; got: string[] }> {
  const client = new grpc.Client(`127.0.0.1:${agent.server.port}`, grpc.credentials.createSsl(Buffer.from(agent.ca.certPem)), {
    "grpc.ssl_target_name_override": "rift", "grpc.default_authority": "rift",
  });
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  const call = client.makeBidiStreamRequest(`/${SERVICE_NAME}/Exec`, (m: ExecRequest) => Buffer.from(toBinary(ExecRequestSchema, m)), (b: Buffer) => fromBinary(ExecResponseSchema, b), md, {});
  const got: string[] = [];
  return new Promise<{ code: number; details: string; got: string[] }>((resolve) => {
    call.on("data", (r: { kind: { case?: string } }) => got.push(r.kind.case ?? ""));
    call.on("status", (s: grpc.StatusObject) => resolve({ code: s.code, details: s.details, got }));
    call.on("error", () => {});
    for (const m of messages) call.write(m);
    call.end();
  }).finally(() => client.close());
}

const startMsg = (s: ExecStart) => create(ExecRequestSchema, { kind: { case: "start", value: s } });
const stdinMsg = (t: string) => create(ExecRequestSchema, { kind: { case: "stdin", value: new TextEncoder().encode(t) } });

describe("exec's attackers", () => {
  test("a viewer is refused before anything runs", async () => {
    expect(await outcome(agent.client("look"), start(["sleep", "40"]))).toBe(
      'permission_denied: Exec needs role operator; token "look" has viewer | ask an admin for a token with that role');
    expect(await running()).toEqual([]);
  });

  test("a token scoped to a cannot exec into b (PERMISSION_DENIED), and may exec into a", async () => {
    expect(await outcome(agent.client("ci"), start(["true"], { service: "b" }))).toBe(
      'permission_denied: token "ci" is scoped to services a; it cannot act on service b | use a token whose --services include b');
    expect(await outcome(agent.client("ci"), start(["true"]))).toBe("ok 0");
  });

  test("a first message that is not a start is INVALID_ARGUMENT (PERMISSION_DENIED to a scoped token), and nothing runs", async () => {
    const r = await raw(agent.tokens.op, [stdinMsg("sleep 41\n"), startMsg(start(["sleep", "41"]))]);
    expect(r).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: "the first message of an exec must be its start (service, argv)", got: [] });
    expect((await raw(agent.tokens.op, [])).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await raw(agent.tokens.ci, [stdinMsg("x")])).details).toBe('token "ci" is scoped to services a; Exec must name one of its services');
    expect(await running()).toEqual([]);
  });

  test("a second start mid-stream is INVALID_ARGUMENT and ends the command it interrupted", async () => {
    const r = await raw(agent.tokens.op, [startMsg(start(["sleep", "42"], { stdin: true })), stdinMsg("x"), startMsg(start(["true"]))]);
    expect(r.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.details).toBe("an exec has one start: a second one was sent");
    await waitFor(async () => (await running()).length === 0, "nothing left running");
  });

  test("hostile argv and sizes are refused with the field named, before anything runs", async () => {
    const op = agent.client("op");
    expect(await outcome(op, start(Array.from({ length: 5000 }, () => "x")))).toBe(
      "invalid_argument: argv: 5000 arguments; at most 4096 | put a long script in a file (mcp push) and run that");
    expect(await outcome(op, start(["sh", "-c", "x".repeat(200_000)]))).toBe(
      "invalid_argument: argv: 200007 bytes; at most 131072 | put a long script in a file (mcp push) and run that, or pass data on stdin (-i)");
    expect(await outcome(op, start(["echo", "a\0b"]))).toBe("invalid_argument: argv[1]: holds a NUL byte, which no command can receive | remove it");
    expect(await outcome(op, start([]))).toBe("invalid_argument: argv: no command | mcp exec <service> -- <cmd> [args…]");
    expect(await outcome(op, start(["true"], { tty: true, cols: 70_000, rows: 24 }))).toBe(
      "invalid_argument: cols: 70000 is not a terminal size (0–10000) | send the local terminal's size, or 0");
    expect(await outcome(op, start(["true"], { service: "../etc" }))).toMatch(/^invalid_argument: service: "..\/etc" is not a valid name/);
    // 7 MiB of argv in one message: refused by size, not by the message limit.
    expect(await outcome(op, start(["sh", "-c", "y".repeat(7 << 20)]))).toMatch(/^invalid_argument: argv: \d+ bytes; at most 131072/);
    expect(await running()).toEqual([]);
  });

  test("sessions are bounded per token (16): the next is RESOURCE_EXHAUSTED until one ends", async () => {
    const op = agent.client("op");
    const stops: (() => void)[] = [];
    const sessions = Array.from({ length: 16 }, () => {
      const ac = new AbortController();
      stops.push(() => ac.abort());
      return op.exec(start(["sleep", "43"]), inputOf([], new Promise(() => {})), () => {}, ac.signal).catch(() => "ended");
    });
    await waitFor(async () => (await running()).length === 16, "16 sessions");
    expect(await outcome(op, start(["true"]))).toBe(
      'resource_exhausted: too many execs running (16 by "op", 16 on this node; at most 16 and 64) | end some mcp exec sessions, then try again');
    expect(await outcome(agent.client("admin"), start(["true"]))).toBe("ok 0");
    for (const s of stops) s();
    await Promise.all(sessions);
    await waitFor(async () => (await running()).length === 0, "all ended");
    await waitFor(async () => (await outcome(op, start(["true"]))) === "ok 0", "a slot again");
  });

  test("the audit trail records who ran which argv and its status; never stdin", async () => {
    const marker = "stdin-secret-4f9c";
    expect(await outcome(agent.client("op"), start(["cat"], { stdin: true, component: "db" }), [{ stdin: new TextEncoder().encode(`${marker}\n`) }, { stdinEof: true }])).toBe("ok 0");
    const line = agent.logged.find((l) => l.includes("method=Exec") && l.includes("a/db"));
    expect(line).toContain('detail=a/db -i ["cat"] exit 0');
    expect(line).toContain("identity=op");
    const rows = listAudit(agent.db, { since: 0, limit: 10_000 });
    const row = rows.findLast((r) => r.method === "Exec" && JSON.stringify(r).includes("a/db"));
    expect(row).toMatchObject({ identity: "op", outcome: "OK", detail: 'a/db -i ["cat"] exit 0' });
    expect(JSON.stringify(rows)).not.toContain(marker);
    expect(agent.logged.join("\n")).not.toContain(marker);
  });
});
