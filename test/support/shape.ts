/**
 * The shape the core end-to-end suites run in (issue 14): the production
 * shape — the agent as the mcp user with rootless podman — wherever it can
 * be set up (as root, after scripts/setup-rootless.sh), else root with
 * rootful podman (said once). `MCP_TEST_SHAPE=root` asks for the latter.
 */
import { chownSync, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { MCP_USER, PODMAN_AS_MCP, rootlessReady } from "./rootless.ts";

const ready = process.env.MCP_TEST_SHAPE === "root" ? { ok: false as const, reason: "MCP_TEST_SHAPE=root" } : await rootlessReady();
if (!ready.ok) console.warn(`core e2e suites run as root with rootful podman, not in the production shape: ${ready.reason}`);

/** "rootless": agent as mcp, rootless podman (production); "root": the fallback. */
export const SHAPE: "rootless" | "root" = ready.ok ? "rootless" : "root";

/** The podman the agent uses, as an argv prefix for Bun's `$`. */
export const P: string[] = SHAPE === "rootless" ? PODMAN_AS_MCP : ["podman"];

/** startTestAgent's `user`. */
export const AGENT_USER: "mcp" | "root" = SHAPE === "rootless" ? "mcp" : "root";

/** Gives what a test made for the agent (a service directory, a file in it) to the agent's user, recursively. */
export function giveToAgent(path: string): void {
  if (SHAPE !== "rootless") return;
  chownSync(path, MCP_USER!.uid, MCP_USER!.gid);
  if (lstatSync(path).isDirectory()) for (const name of readdirSync(path)) giveToAgent(join(path, name));
}
