/**
 * The production shape for end-to-end tests (issue 14): the agent runs as the
 * `mcp` user with rootless podman, as scripts/install.sh sets it up
 * (scripts/setup-rootless.sh does that before the tests). Tests reach the
 * same podman through `PODMAN` (an argv prefix for Bun's `$`).
 */
import { $ } from "bun";
import { existsSync, readFileSync } from "node:fs";

/** The mcp user as the system knows it, or null. */
export interface McpUser {
  uid: number;
  gid: number;
  home: string;
  runtimeDir: string;
  /** The first of its subordinate uids (container uid N is subuidStart + N - 1 on the host). */
  subuidStart: number;
}

function readUser(): McpUser | null {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("mcp:"));
  if (!line) return null;
  const [, , uid, gid, , home] = line.split(":");
  const sub = existsSync("/etc/subuid") ? readFileSync("/etc/subuid", "utf8").split("\n").find((l) => l.startsWith("mcp:") || l.startsWith(`${uid}:`)) : undefined;
  if (!sub) return null;
  return { uid: Number(uid), gid: Number(gid), home: home!, runtimeDir: `/run/user/${uid}`, subuidStart: Number(sub.split(":")[1]) };
}

export const MCP_USER = readUser();

/** The environment the shipped unit gives the agent (SPEC §6.2), plus extra variables. */
export function mcpEnv(extra: Record<string, string> = {}): string[] {
  const u = MCP_USER!;
  return Object.entries({ HOME: u.home, XDG_RUNTIME_DIR: u.runtimeDir, PATH: "/usr/local/bin:/usr/bin:/bin", NO_COLOR: "1", ...extra }).map(([k, v]) => `${k}=${v}`);
}

/** argv run as mcp with only the unit's environment; setpriv execs (no fork), so signals reach the program itself. */
export function asMcp(argv: string[], extra: Record<string, string> = {}): string[] {
  const u = MCP_USER!;
  return ["setpriv", `--reuid=${u.uid}`, `--regid=${u.gid}`, "--init-groups", "env", "-i", ...mcpEnv(extra), ...argv];
}

/** mcp's podman. */
export const PODMAN_AS_MCP = MCP_USER ? asMcp(["podman"]) : ["podman"];

/** Whether the production shape can run here, and why not. */
export async function rootlessReady(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (process.getuid?.() !== 0) return { ok: false, reason: "not root (the tests switch to the mcp user)" };
  if (!MCP_USER) return { ok: false, reason: "no mcp user with subordinate ids (bash scripts/setup-rootless.sh makes it)" };
  if (!existsSync(MCP_USER.runtimeDir)) return { ok: false, reason: `${MCP_USER.runtimeDir} is missing (bash scripts/setup-rootless.sh makes it)` };
  const info = await $`${PODMAN_AS_MCP} info --format ${"{{.Host.Security.Rootless}}"}`.nothrow().quiet();
  if (info.exitCode !== 0 || info.stdout.toString().trim() !== "true") return { ok: false, reason: `mcp's rootless podman does not answer: ${info.stderr.toString().trim().split("\n").at(-1)}` };
  return { ok: true };
}
