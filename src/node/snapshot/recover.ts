import { existsSync, lstatSync, readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { messageOf } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";

/** A work directory of a snapshot or a restore: `.mcp-<kind>-<service>-<12 hex>`. */
const WORK = /^\.mcp-(snapshot|restore)-([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)-[0-9a-f]{12}$/;

/**
 * At the agent's start: what a snapshot or a restore left in the srv root
 * when the agent died. A restore cut between its two renames left the
 * service's directory missing and its data in `<work>/previous`: that is
 * put back first (never lost). Then every work directory is removed, through
 * `remove` (rootless: inside podman's user namespace, where the containers'
 * files are the agent's). Never throws; says what it did.
 */
export async function recoverWorkDirs(srvRoot: string, log: Logger, remove: (path: string) => Promise<void>): Promise<{ restored: string[]; removed: string[] }> {
  const out = { restored: [] as string[], removed: [] as string[] };
  let names: string[];
  try {
    names = readdirSync(srvRoot);
  } catch {
    return out;
  }
  for (const name of names) {
    const m = WORK.exec(name);
    if (!m) continue;
    const work = join(srvRoot, name);
    try {
      if (!lstatSync(work).isDirectory()) continue;
      const previous = join(work, "previous");
      const dir = join(srvRoot, m[2]!);
      if (m[1] === "restore" && existsSync(previous) && !existsSync(dir)) {
        renameSync(previous, dir);
        out.restored.push(dir);
        log.warn("a restore cut short by the agent's end: the service's directory put back as it was", { service: m[2], from: previous });
      }
      await remove(work);
      out.removed.push(work);
    } catch (err) {
      log.warn("cannot clean up a snapshot or restore work directory", { path: work, error: messageOf(err) });
    }
  }
  if (out.removed.length > 0) log.info("removed work directories left by an earlier run", { count: out.removed.length });
  return out;
}
