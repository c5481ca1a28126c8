import { McpError } from "../../lib/errors.ts";
import { decodeFrames, encodeFrame } from "./frames.ts";

/** How the agent runs its helpers inside rootless podman's user namespace. */
export interface Helper {
  self: readonly string[];
  wrap(argv: string[]): string[];
}

/**
 * The McpError one of the agent's own helpers (`mcp agent copy-db |
 * snapshot-dir | restore-dir | make-dirs | push-file | pull-file`) printed
 * as JSON on its stderr's last line, or an internal error naming it.
 */
export function helperError(stderr: string, code: number, what: string): McpError {
  let e: { code?: string; message?: string; hint?: string } = {};
  try {
    e = JSON.parse(stderr.trim().split("\n").at(-1) ?? "{}");
  } catch {
    // not ours: said below
  }
  if (e.code && e.message) return new McpError(e.code as McpError["code"], e.message, e.hint ?? "");
  return new McpError("internal", `mcp agent ${what} failed (exit ${code}): ${stderr.trim().slice(-300)}`, "check the agent's log");
}

/** Runs one of the agent's own helpers to its end and returns its stdout; its refusal is thrown again here (helperError). */
export async function runHelper(argv: string[]): Promise<string> {
  const proc = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...Bun.env, NO_COLOR: "1" } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code === 0) return out;
  throw helperError(err, code, argv[argv.indexOf("agent") + 1] ?? "helper");
}

/**
 * A push done by `mcp agent push-file` inside podman's user namespace: the
 * chunks go to it framed on its stdin, its result comes back as JSON. The
 * helper writes confined and atomically, as receiveFile does here.
 */
export async function pushInNamespace(
  h: Helper, o: { srvRoot: string; service: string; path: string; mode: number; maxBytes: number },
  chunks: AsyncIterable<{ data: Uint8Array; sha256: string }>,
): Promise<{ size: number; sha256: string; mode: number }> {
  const proc = Bun.spawn(h.wrap([...h.self, "agent", "push-file", o.srvRoot, o.service, o.path, String(o.mode), String(o.maxBytes)]), {
    stdin: "pipe", stdout: "pipe", stderr: "pipe", env: { ...Bun.env, NO_COLOR: "1" },
  });
  const out = new Response(proc.stdout).text();
  const err = new Response(proc.stderr).text();
  try {
    for await (const c of chunks) {
      if (c.data.length > 0) proc.stdin.write(encodeFrame("D", c.data));
      if (c.sha256) proc.stdin.write(encodeFrame("S", c.sha256));
      await proc.stdin.flush();
    }
  } finally {
    // A stream cut short ends the helper's input without the SHA-256: it refuses and removes its temporary
    // file itself (killing `podman unshare` would leave the helper, its child, running).
    await proc.stdin.end();
  }
  const code = await proc.exited;
  if (code !== 0) throw helperError(await err, code, "push-file");
  return JSON.parse(await out) as { size: number; sha256: string; mode: number };
}

/** A pull done by `mcp agent pull-file` inside podman's user namespace: its framed stdout, as sendFile's chunks. */
export async function* pullInNamespace(
  h: Helper, o: { srvRoot: string; service: string; path: string },
): AsyncGenerator<{ data: Uint8Array; mode: number; size: number; sha256: string }> {
  const proc = Bun.spawn(h.wrap([...h.self, "agent", "pull-file", o.srvRoot, o.service, o.path]), { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...Bun.env, NO_COLOR: "1" } });
  const err = new Response(proc.stderr).text();
  let head = { mode: 0, size: 0, sha256: "" };
  let first = true;
  let done = false;
  try {
    for await (const f of decodeFrames(proc.stdout)) {
      if (f.kind === "H") {
        // The first header (mode and size) and the last (with the SHA-256) are chunks of their own; the others lead data.
        head = JSON.parse(new TextDecoder().decode(f.body));
        if (first || head.sha256) yield { data: new Uint8Array(0), ...head };
        first = false;
      } else if (f.kind === "D") {
        yield { data: f.body, ...head, sha256: "" };
      }
    }
    done = true;
  } finally {
    if (!done) proc.kill("SIGKILL");
  }
  const code = await proc.exited;
  if (code !== 0) throw helperError(await err, code, "pull-file");
}
