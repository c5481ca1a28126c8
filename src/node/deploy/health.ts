import { MAX_TIMER_MS } from "../../lib/duration.ts";
import { probeName, probeOnce } from "../monitor/probe.ts";
import type { ContainerRuntime } from "../runtime/port.ts";
import type { HealthSpec } from "../runtime/types.ts";

export type HealthVerdict = { ok: true } | { ok: false; why: string; probe: string };

/**
 * The deploy's health gate (SPEC §5.3 step 5, §7.5): runs the component's
 * probe (cmd, http or tcp; see probeOnce) every `intervalMs` until it passes,
 * failing after `retries` failed tries — tries inside `startPeriodMs` after
 * `startedAt` do not count — and at once when the container stops running.
 * The container is inspected only after a failed try (a passing probe
 * costs one call). Returns the last probe's output on failure.
 */
export async function waitHealthy(
  runtime: ContainerRuntime,
  name: string,
  health: HealthSpec,
  signal?: AbortSignal,
  startedAt = Date.now(),
): Promise<HealthVerdict> {
  let probe = "";
  let failures = 0;
  const countFrom = startedAt + (health.startPeriodMs ?? 0);
  for (;;) {
    const r = await probeOnce(runtime, name, health, signal);
    if (r.ok) return { ok: true };
    probe = r.detail;
    const c = await runtime.inspect(name);
    if (!c || c.state !== "running") {
      return { ok: false, why: c ? `the container exited (exit code ${c.exitCode}) before it was healthy` : "the container disappeared before it was healthy", probe };
    }
    if (Date.now() >= countFrom) failures++;
    if (failures >= health.retries || signal?.aborted) break;
    await new Promise((res) => setTimeout(res, Math.min(health.intervalMs, MAX_TIMER_MS)));
  }
  const seconds = Math.round(((health.startPeriodMs ?? 0) + health.retries * (health.intervalMs + health.timeoutMs)) / 1000);
  return { ok: false, why: `the health check (${probeName(health)}) failed ${health.retries} times (within ~${seconds}s)`, probe };
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
