import { McpError } from "../../lib/errors.ts";

/**
 * The database copy of a snapshot in a process of its own (see _dbcopy.ts
 * for why): `<self> agent copy-db <service dir> <rel> <dst>`, which prints
 * the original's mode, uid and gid as JSON, or an McpError as JSON on
 * stderr and exits 1.
 */
export async function copyDatabaseInChild(self: readonly string[], serviceDir: string, rel: string, dst: string): Promise<{ mode: number; uid: number; gid: number }> {
  const proc = Bun.spawn([...self, "agent", "copy-db", serviceDir, rel, dst], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...Bun.env, NO_COLOR: "1" } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code === 0) return JSON.parse(out) as { mode: number; uid: number; gid: number };
  let e: { code?: string; message?: string; hint?: string } = {};
  try {
    e = JSON.parse(err.trim().split("\n").at(-1) ?? "{}");
  } catch {
    // not ours: said below
  }
  if (e.code && e.message) throw new McpError(e.code as McpError["code"], e.message, e.hint ?? "");
  throw new McpError("internal", `copying the database ${rel} failed (exit ${code}): ${err.trim().slice(-300)}`, "check the agent's log");
}

/**
 * Runs one of the agent's own helpers (`mcp agent copy-db | restore-dir |
 * snapshot-dir`) to its end and returns its stdout; its McpError, printed
 * as JSON on stderr's last line, is thrown again here.
 */
export async function runChild(argv: string[]): Promise<string> {
  const proc = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...Bun.env, NO_COLOR: "1" } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code === 0) return out;
  throw childError(err, code, argv[argv.indexOf("agent") + 1] ?? "helper");
}

/** The McpError a helper printed (JSON, the last line of stderr), or an internal error naming it. */
export function childError(stderr: string, code: number, what: string): McpError {
  let e: { code?: string; message?: string; hint?: string } = {};
  try {
    e = JSON.parse(stderr.trim().split("\n").at(-1) ?? "{}");
  } catch {
    // not ours: said below
  }
  if (e.code && e.message) return new McpError(e.code as McpError["code"], e.message, e.hint ?? "");
  return new McpError("internal", `mcp agent ${what} failed (exit ${code}): ${stderr.trim().slice(-300)}`, "check the agent's log");
}
