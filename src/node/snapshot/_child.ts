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
