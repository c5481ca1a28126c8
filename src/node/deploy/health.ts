import { MAX_TIMER_MS } from "../../lib/duration.ts";
import { isMcpError, messageOf } from "../../lib/errors.ts";
import type { ContainerRuntime } from "../runtime/port.ts";
import type { HealthSpec } from "../runtime/types.ts";

export type HealthVerdict = { ok: true } | { ok: false; why: string; probe: string };

/**
 * The deploy's health gate (SPEC §5.3 step 5): runs the component's health
 * command inside the container every `intervalMs`, each try under
 * `timeoutMs`, up to `retries` tries, and fails at once if the container
 * stops running. Returns the last probe's output on failure.
 */
export async function waitHealthy(runtime: ContainerRuntime, name: string, health: HealthSpec, signal?: AbortSignal): Promise<HealthVerdict> {
  let probe = "";
  for (let attempt = 1; attempt <= health.retries; attempt++) {
    const c = await runtime.inspect(name);
    if (!c || c.state !== "running") {
      return { ok: false, why: c ? `the container exited (exit code ${c.exitCode}) before it was healthy` : "the container disappeared before it was healthy", probe };
    }
    try {
      const r = await runtime.exec(name, health.cmd, Math.min(health.timeoutMs, MAX_TIMER_MS));
      if (r.code === 0) return { ok: true };
      probe = r.output || `exit code ${r.code}`;
    } catch (err) {
      if (!isMcpError(err, "deadline_exceeded")) throw err;
      probe = `no answer within ${Math.round(health.timeoutMs / 1000)}s: ${messageOf(err)}`;
    }
    if (attempt < health.retries) {
      if (signal?.aborted) break;
      await new Promise((r) => setTimeout(r, Math.min(health.intervalMs, MAX_TIMER_MS)));
    }
  }
  const seconds = Math.round((health.retries * (health.intervalMs + health.timeoutMs)) / 1000);
  return { ok: false, why: `the health check failed ${health.retries} times (within ~${seconds}s)`, probe };
}

/** An image reference by digest (`repo@sha256:…`): what a rollback runs, so that it never pulls and never gets a moved tag. */
export function imageByDigest(image: string, digest: string): string {
  if (!digest.startsWith("sha256:")) return image;
  const at = image.indexOf("@");
  const base = at >= 0 ? image.slice(0, at) : image;
  const slash = base.lastIndexOf("/");
  const colon = base.lastIndexOf(":");
  const repo = colon > slash ? base.slice(0, colon) : base;
  return `${repo}@${digest}`;
}
