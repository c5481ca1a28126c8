import { existsSync } from "node:fs";
import { messageOf } from "../../lib/errors.ts";
import type { ContainerRuntime } from "../runtime/port.ts";

/**
 * What the agent needs from its environment before it serves (SPEC §6.3):
 * HOME, XDG_RUNTIME_DIR for rootless podman (when not root), PATH, and a
 * podman that answers. Returns one plain sentence per problem; [] when fine.
 */
export async function checkEnvironment(o: {
  env: Record<string, string | undefined>;
  uid: number;
  runtime: ContainerRuntime;
}): Promise<string[]> {
  const problems: string[] = [];
  if (!o.env.HOME) problems.push("HOME is not set: podman needs it (under systemd set Environment=HOME=/srv/mcp)");
  if (!o.env.PATH) problems.push("PATH is not set: podman needs it to find its helpers (set Environment=PATH=/usr/local/bin:/usr/bin:/bin)");
  if (o.uid !== 0) {
    const dir = o.env.XDG_RUNTIME_DIR;
    if (!dir) problems.push(`XDG_RUNTIME_DIR is not set: rootless podman needs it (set Environment=XDG_RUNTIME_DIR=/run/user/${o.uid}, and enable lingering for this user)`);
    else if (!existsSync(dir)) problems.push(`XDG_RUNTIME_DIR=${dir} does not exist (enable lingering: loginctl enable-linger <user>)`);
  }
  if (problems.length === 0) {
    try {
      await o.runtime.version();
    } catch (err) {
      problems.push(`podman does not answer: ${messageOf(err)}`);
    }
  }
  return problems;
}
