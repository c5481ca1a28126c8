// Argv of `mcp exec` (SPEC §7.4), beside args.ts: an attached `podman exec`
// and the kill of what it left in the container. Pure, `string[]` without
// the leading "podman"; kept out of args.ts while its owner reworks it
// (docs/DECISIONS.md, "Exec (issue 16)").
import { McpError } from "../../lib/errors.ts";

/**
 * `podman exec [-i] [-t] --detach-keys "" <name> <argv…>`. The detach keys
 * are off: a detached session would be an orphan nobody can attach to again,
 * and Ctrl-P reaches the command as with any terminal. podman stops reading
 * its own flags at the container name, so argv may hold anything.
 */
export function execSessionArgs(name: string, argv: readonly string[], o: { stdin: boolean; tty: boolean }): string[] {
  if (name === "" || name.startsWith("-")) {
    throw new McpError("invalid_argument", `container name ${JSON.stringify(name)} cannot be passed to podman`, 'a container name must be non-empty and must not start with "-"');
  }
  if (argv.length === 0) throw new McpError("invalid_argument", "exec needs a command", "mcp exec <service> -- <cmd> [args…]");
  return ["exec", ...(o.stdin ? ["-i"] : []), ...(o.tty ? ["-t"] : []), "--detach-keys", "", name, ...argv];
}

/**
 * Sends a signal to host processes from inside rootless podman's user
 * namespace, where the agent may signal what runs as the containers'
 * subordinate ids: `podman unshare kill -s <SIG> -- <pid>…`.
 */
export function unshareKillArgs(signal: "STOP" | "KILL", pids: readonly number[]): string[] {
  return ["unshare", "kill", "-s", signal, "--", ...pids.map((p) => String(Math.trunc(p)))];
}
