import { recordOutput } from "./scan.ts";
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The repository root. */
export const ROOT = join(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist/mcp");
const BUN = process.execPath;

/** How to run mcp: from source (bun src/main.ts) or the compiled binary. */
export type Flavor = "source" | "binary";

export function mcpArgv(flavor: Flavor): string[] {
  return flavor === "binary" ? [BINARY] : [BUN, join(ROOT, "src/main.ts")];
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/** Builds dist/mcp when it is missing or older than src/ (so a test never runs a stale binary). */
export function ensureBinary(): void {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestMtime(join(ROOT, "src"))) return;
  const p = Bun.spawnSync([BUN, join(ROOT, "scripts/build.ts")], { stdout: "inherit", stderr: "inherit" });
  if (p.exitCode !== 0) throw new Error("building dist/mcp failed");
}

/** A temporary directory. */
export function tempDir(prefix = "mcp-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs mcp to completion and returns its exit code and output. */
export async function runMcp(
  flavor: Flavor,
  args: string[],
  opts: { env?: Record<string, string | undefined>; stdin?: string; cwd?: string } = {},
): Promise<RunResult> {
  const proc = Bun.spawn([...mcpArgv(flavor), ...args], {
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    cwd: opts.cwd ?? tmpdir(),
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  recordOutput("cli-stderr", stderr);
  return { code, stdout, stderr };
}

/** Polls fn until it returns a truthy value or the deadline passes (waits on a condition, never a fixed sleep). */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    // The poll interval of a condition wait, not a fixed sleep.
    await new Promise((done) => setTimeout(done, delay));
    delay = Math.min(delay * 2, 250);
  }
}
