import { lstatSync, realpathSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { McpError } from "../../lib/errors.ts";
import { isWithin, overlaps, resolveHostPath } from "./paths.ts";

/** A piece of the agent's own state: config, registry, certificates and keys, credentials, backups. */
export interface ProtectedPath {
  path: string;
  /** What it is, for messages: "the agent config", "[server] tls_key", … */
  what: string;
}

/** The service name the agent's directory may have under the srv root (SPEC §7.1: `mcp` is reserved). */
const AGENT_DIR_NAME = "mcp";

/**
 * Refuses a layout where a service directory (`<srvRoot>/<name>`) could be,
 * contain or sit inside a piece of the agent's state (SPEC §7.1): the srv
 * root inside the agent's state, or agent state under the srv root anywhere
 * but below `<srvRoot>/mcp` (a reserved name). Paths are resolved through
 * symlinks. Throws failed_precondition naming both paths.
 */
export function assertLayout(srvRoot: string, paths: readonly ProtectedPath[]): void {
  const root = resolveHostPath(resolve(srvRoot));
  for (const p of paths) {
    const real = resolveHostPath(resolve(p.path));
    if (isWithin(root, real)) {
      throw new McpError("failed_precondition", `the srv root ${srvRoot} lies inside ${p.what} (${p.path}): services could reach the agent's state`,
        "put the srv root (and so every service directory) outside the agent's directory, e.g. srv_root = \"/srv\" with the agent in /srv/mcp");
    }
    if (isWithin(real, root)) {
      const first = relative(root, real).split("/")[0]!;
      if (first !== AGENT_DIR_NAME) {
        throw new McpError("failed_precondition",
          `${p.what} (${p.path}) lies under the srv root ${srvRoot} as ${join(srvRoot, first)}, which a service named ${first} would own`,
          `keep the agent's files in ${join(srvRoot, AGENT_DIR_NAME)} (a reserved name) or outside ${srvRoot}`);
      }
    }
  }
}

/** Identity of a directory: device and inode. */
interface Inode {
  dev: number;
  ino: number;
}

/**
 * Guards every operation on a service's directory (push, pull, snapshot,
 * restore): `<srvRoot>/<service>` must not be, by path, symlink or bind
 * mount (same inode), any piece of the agent's state, nor contain one.
 */
export function createStateGuard(srvRoot: string, paths: readonly ProtectedPath[]) {
  const real = paths.map((p) => ({ ...p, real: resolveHostPath(resolve(p.path)) }));
  const inodes: (Inode & { what: string; path: string })[] = [];
  for (const p of real) {
    try {
      const st = statSync(p.real);
      inodes.push({ dev: st.dev, ino: st.ino, what: p.what, path: p.path });
    } catch {
      // not there (yet): its path is still checked
    }
  }
  return {
    /** Throws permission_denied when the service's directory is or holds agent state. */
    assertServiceDir(service: string): void {
      const dir = join(srvRoot, service);
      let target = resolveHostPath(resolve(dir));
      try {
        lstatSync(dir);
        target = realpathSync(dir);
        const st = statSync(dir);
        const same = inodes.find((i) => i.dev === st.dev && i.ino === st.ino);
        if (same) throw refuse(service, same);
      } catch (err) {
        if (err instanceof McpError) throw err;
        // missing: judged by its path
      }
      const hit = real.find((p) => overlaps(target, p.real));
      if (hit) throw refuse(service, hit);
    },
  };
}

/** The type of a state guard. */
export type StateGuard = ReturnType<typeof createStateGuard>;

function refuse(service: string, p: { what: string; path: string }): McpError {
  return new McpError("permission_denied", `service ${service}: its directory would reach ${p.what} (${p.path})`,
    "the agent's own state is never a service's directory; ask the node's admin to fix the layout");
}
