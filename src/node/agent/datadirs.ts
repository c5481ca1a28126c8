import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { McpError, messageOf } from "../../lib/errors.ts";
import { isWithin } from "../policy/index.ts";
import { createRunner, RunnerError } from "../podman/index.ts";
import type { ComponentSpec } from "../runtime/types.ts";
import { parseVolume } from "../../servicedef/index.ts";
import { helperError, makeDirsConfined } from "../transfer/index.ts";

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
 * directories made below the service's directory (which stays the agent's);
 * root or a user name leaves them the agent's (= container root under
 * rootless podman). Mode 0750. Existing directories are never touched. The
 * walk never follows a symlink (makeDirsConfined); rootless it runs in
 * `mcp agent make-dirs` inside podman's user namespace (container uid 1000
 * is a subordinate id of the agent's user there).
 */
export function createDataDirs(o: { srvRoot: string; ns: UserNamespace; self: readonly string[]; timeoutMs: number }) {
  return async (service: string, spec: ComponentSpec): Promise<void> => {
    const own = join(resolve(o.srvRoot), service);
    const user = numericUser(spec.user);
    for (const text of spec.volumes) {
      const v = parseVolume(text);
      if (typeof v === "string" || v.kind !== "bind" || !isWithin(v.source, own) || v.source === own || existsSync(v.source)) continue;
      if (!existsSync(own)) makeDirsConfined(resolve(o.srvRoot), [service], null);
      const parts = relative(own, v.source).split("/");
      if (!o.ns.rootless) {
        makeDirsConfined(own, parts, user);
        continue;
      }
      const argv = o.ns.wrap([...o.self, "agent", "make-dirs", own, parts.join("/"), user ? `${user.uid}:${user.gid}` : ""]);
      try {
        await createRunner({ bin: argv[0]! }).run(argv.slice(1), { timeoutMs: o.timeoutMs });
      } catch (err) {
        // The helper's own refusal (JSON on its stderr), not the process seam's words for podman.
        const why = err instanceof RunnerError ? helperError(err.stderrTail, err.exitCode, "make-dirs").message : messageOf(err);
        throw new McpError("failed_precondition", `cannot create ${v.source} for ${service}/${spec.name}: ${why}`, `create it on the node, owned for the component's user (${spec.user || "root"})`);
      }
    }
  };
}
