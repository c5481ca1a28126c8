/** The service's directory and the private work directories beside it, shared by snapshots and restores. */
import { lstatSync, mkdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { McpError } from "../../lib/errors.ts";
import { errnoOf, ioError } from "../transfer/index.ts";

/** The errno code of a thrown value (shared with transfers, as the wording of I/O failures is). */
export const errno = errnoOf;
export { ioError };

/** `<srv_root>/<service>`, which must be a real directory (not a symlink); null when missing and !mustExist. */
export function serviceDirOf(srvRoot: string, service: string, mustExist: boolean): string | null {
  const dir = join(srvRoot, service);
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory()) throw new McpError("failed_precondition", `${dir} is not a directory (or is a symlink)`, "make it a plain directory");
    return dir;
  } catch (err) {
    if (err instanceof McpError) throw err;
    if (errno(err) === "ENOENT" && !mustExist) return null;
    if (errno(err) === "ENOENT") throw new McpError("failed_precondition", `the service directory ${dir} does not exist on this node`, "nothing to snapshot");
    throw ioError(`cannot read ${dir}`, err);
  }
}

/** A private working directory beside the service directories (same disk: renames are cheap), `.mcp-<kind>-<service>-<random>`. */
export function workDir(srvRoot: string, kind: string, service: string): string {
  const dir = join(srvRoot, `.mcp-${kind}-${service}-${randomBytes(6).toString("hex")}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if (errno(err) === "ENOENT") {
      throw new McpError("failed_precondition", `the srv root ${srvRoot} does not exist on this node`, `create it (mkdir -p ${srvRoot}, owned by the agent's user), or fix [agent] srv_root`);
    }
    throw ioError(`cannot create ${dir}`, err);
  }
  return dir;
}
