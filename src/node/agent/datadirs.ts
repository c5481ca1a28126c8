import { chownSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { McpError, messageOf } from "../../lib/errors.ts";
import { isWithin } from "../policy/index.ts";
import { createRunner } from "../podman/index.ts";
import type { ComponentSpec } from "../runtime/types.ts";
import { parseVolume } from "../../servicedef/index.ts";

/** How the agent reaches its containers' files: as root (ids are the host's), or rootless through `podman unshare`. */
export interface UserNamespace {
  /** The argv that runs argv in the containers' user namespace (rootless), or argv itself (root). */
  wrap(argv: string[]): string[];
  rootless: boolean;
}

/** A numeric `uid[:gid]` user, or null (a name, resolved only inside the image, or root). */
function numericUser(user: string): { uid: number; gid: number } | null {
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!m) return null;
  const uid = Number(m[1]);
  return uid === 0 ? null : { uid, gid: m[2] !== undefined ? Number(m[2]) : uid };
}

/**
 * SPEC §7.2: a deploy creates the missing directories its bind mounts name
 * under the service's own `<srv_root>/<service>/`, owned so that the
 * component's `user` can write them: a numeric uid[:gid] is given the
 * directories it made (as root directly; rootless inside podman's user
 * namespace, where container uid 1000 is a subordinate id of the agent's
 * user); root or a user name leaves them the agent's (= container root under
 * rootless podman). Mode 0750. Existing directories are never touched.
 */
export function createDataDirs(o: { srvRoot: string; ns: UserNamespace; timeoutMs: number }) {
  return async (service: string, spec: ComponentSpec): Promise<void> => {
    const own = join(resolve(o.srvRoot), service);
    const user = numericUser(spec.user);
    for (const text of spec.volumes) {
      const v = parseVolume(text);
      if (typeof v === "string" || v.kind !== "bind" || !isWithin(v.source, own) || existsSync(v.source)) continue;
      // The outermost directory made (mkdir -p says it), then every one below it down to the source.
      let made: string | undefined;
      try {
        made = mkdirSync(v.source, { recursive: true, mode: 0o750 });
      } catch (err) {
        throw new McpError("failed_precondition", `cannot create ${v.source} for ${service}/${spec.name}: ${messageOf(err)}`, `create it on the node, owned for the component's user (${spec.user || "root"})`);
      }
      if (!user || !made) continue;
      // The service's own directory stays the agent's (push, pull and snapshots work on it); what is below it is the user's.
      const dirs: string[] = [];
      for (let d = v.source; isWithin(d, made) && d !== own; d = dirname(d)) dirs.unshift(d);
      if (dirs.length === 0) continue;
      if (!o.ns.rootless) {
        for (const d of dirs) chownSync(d, user.uid, user.gid);
        continue;
      }
      const argv = o.ns.wrap(["chown", `${user.uid}:${user.gid}`, ...dirs]);
      await createRunner({ bin: argv[0]! }).run(argv.slice(1), { timeoutMs: o.timeoutMs });
    }
  };
}
