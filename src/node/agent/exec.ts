/**
 * The Exec handler (SPEC §7.4): checks the start as it came over the wire,
 * bounds concurrent sessions, and hands the rest to node/exec.
 */
import { McpError } from "../../lib/errors.ts";
import type { AgentApi, ExecStart } from "../../rpc/index.ts";
import type { DeployDeps } from "../deploy/index.ts";
import { createExecRegistry, runExec, type ExecRegistry } from "../exec/index.ts";
import type { LiveState } from "../monitor/index.ts";
import { assertName, assertServiceName } from "./validate.ts";
import { escapeControl } from "../../lib/text.ts";

/** The most arguments, and bytes of them all, an exec may carry (Linux allows far more; a script belongs in a file). */
export const MAX_EXEC_ARGS = 4096;
export const MAX_EXEC_ARGV_BYTES = 128 * 1024;
/** The largest terminal side the agent accepts (a pty's size is 16-bit). */
export const MAX_TERM_SIDE = 10_000;

/** Throws invalid_argument, naming the field, unless the start can be run as given. */
export function assertExecStart(s: ExecStart): void {
  assertServiceName("service", s.service);
  if (s.component) assertName("component", s.component);
  if (s.argv.length === 0 || s.argv[0] === "") throw new McpError("invalid_argument", "argv: no command", "mcp exec <service> -- <cmd> [args…]");
  if (s.argv.length > MAX_EXEC_ARGS) {
    throw new McpError("invalid_argument", `argv: ${s.argv.length} arguments; at most ${MAX_EXEC_ARGS}`, "put a long script in a file (mcp push) and run that");
  }
  let bytes = 0;
  for (const [i, a] of s.argv.entries()) {
    if (a.includes("\0")) throw new McpError("invalid_argument", `argv[${i}]: holds a NUL byte, which no command can receive`, "remove it");
    bytes += Buffer.byteLength(a) + 1;
  }
  if (bytes > MAX_EXEC_ARGV_BYTES) {
    throw new McpError("invalid_argument", `argv: ${bytes} bytes; at most ${MAX_EXEC_ARGV_BYTES}`, "put a long script in a file (mcp push) and run that, or pass data on stdin (-i)");
  }
  for (const [k, v] of [["cols", s.cols], ["rows", s.rows]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > MAX_TERM_SIDE) throw new McpError("invalid_argument", `${k}: ${v} is not a terminal size (0–${MAX_TERM_SIDE})`, "send the local terminal's size, or 0");
  }
}

/** The exec handler: sessions run in `execs` (bounded per token and per node, each holds podman and conmon processes; ended when the agent stops). */
export function createExecHandlers(deps: DeployDeps, live: () => LiveState, execs?: ExecRegistry): Required<Pick<AgentApi, "exec">> {
  const registry = execs ?? createExecRegistry(deps.node);
  return {
    async exec(start, input, ctx, send) {
      assertExecStart(start);
      // The audit record is written when the exec ends; a long session shows in the log from its start.
      deps.log.info("exec started", { identity: ctx.identity.name, target: `${start.service}/${start.component || "-"}`, argv: escapeControl(JSON.stringify(start.argv)).slice(0, 200) });
      const stateOf = (name: string) => live().get(name)?.state;
      return registry.run(ctx.identity.name, (closing) =>
        runExec({ node: deps.node, db: deps.db, runtime: deps.runtime, stateOf }, start, input, AbortSignal.any([ctx.signal, closing]), send));
    },
  };
}
