import { runHelper } from "../transfer/index.ts";

/**
 * The database copy of a snapshot in a process of its own (see _dbcopy.ts
 * for why): `<self> agent copy-db <service dir> <rel> <dst>`, which prints
 * the original's mode, uid and gid as JSON (its refusal is thrown again).
 */
export async function copyDatabaseInChild(self: readonly string[], serviceDir: string, rel: string, dst: string): Promise<{ mode: number; uid: number; gid: number }> {
  return JSON.parse(await runHelper([...self, "agent", "copy-db", serviceDir, rel, dst])) as { mode: number; uid: number; gid: number };
}
