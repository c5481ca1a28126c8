import { isMcpError, McpError, messageOf } from "../../lib/errors.ts";
import type { ComponentRecord } from "../store/index.ts";
import { getService, putComponent, setDesired, setHealth, setObserved, upsertService } from "../store/index.ts";
import { observedStateOf } from "../monitor/state.ts";
import { containerSpecFor, stopSeconds } from "./containers.ts";
import type { DeployDeps } from "./deploy.ts";
import { selectComponents } from "./deploy.ts";
import type { ComponentResult } from "./types.ts";
import { waitForStart } from "./_wait.ts";
import { imageByDigest, waitHealthy } from "./health.ts";

export interface LifecycleTarget {
  service: string;
  /** "" = every component (and the service's active flag changes with stop/start) */
  component: string;
}

type Op = "stop" | "start" | "restart";

async function forEachComponent(
  deps: DeployDeps,
  target: LifecycleTarget,
  op: Op,
  fn: (c: ComponentRecord) => Promise<string>,
): Promise<ComponentResult[]> {
  const svc = getService(deps.db, target.service);
  if (!svc) {
    throw new McpError("not_found", `service ${target.service} is not deployed on node ${deps.node}`, `deploy it first: mcp deploy ${target.service}`);
  }
  // Start order (`after`, SPEC §7.2); a stop goes the other way (dependents first).
  const inOrder = selectComponents(svc, target.component);
  const selected = op === "stop" ? [...inOrder].reverse() : inOrder;
  const release = await deps.locks.acquire(`service ${svc.name}`, { waitMs: deps.defaultLockWaitMs });
  try {
    if (!target.component && op !== "restart") upsertService(deps.db, svc.name, op === "start", deps.clock.now());
    const results: ComponentResult[] = [];
    const failed = new Set<string>();
    for (const c of selected) {
      const base = { component: c.name, version: c.version, containerName: c.containerName };
      // A start never runs a component before what it comes after (SPEC §7.2).
      const blocker = op === "start" ? c.spec.after?.find((a) => failed.has(a)) : undefined;
      if (blocker) {
        failed.add(c.name);
        results.push({ ...base, status: "failed", message: `not started: ${blocker}, which it comes after, did not start` });
        continue;
      }
      try {
        const message = await fn(c);
        deps.journal.append({ time: deps.clock.now(), service: svc.name, component: c.name, kind: op, message });
        results.push({ ...base, status: "ok", message });
      } catch (err) {
        if (!isMcpError(err)) deps.log.error(`${op} failed`, { service: svc.name, component: c.name, error: err instanceof Error ? err.stack : String(err) });
        failed.add(c.name);
        results.push({ ...base, status: "failed", message: isMcpError(err) ? err.message : `internal error: ${messageOf(err)}` });
      }
    }
    return results;
  } finally {
    release();
  }
}

async function observe(deps: DeployDeps, c: ComponentRecord): Promise<void> {
  const now = await deps.runtime.inspect(c.containerName);
  if (now) deps.seen?.(now);
  setObserved(deps.db, c.service, c.name, observedStateOf(now, c.desired), now?.id ?? "", deps.clock.now());
}

/**
 * Sets desired `stopped` and stops the containers (SPEC §5.4). Idempotent:
 * a stopped or missing container is fine. Without a component, the
 * service becomes inactive.
 */
export function stopService(deps: DeployDeps, target: LifecycleTarget): Promise<ComponentResult[]> {
  return forEachComponent(deps, target, "stop", async (c) => {
    setDesired(deps.db, c.service, c.name, "stopped", deps.clock.now());
    // A stopped component has no verdict: the next start is probed afresh (SPEC §7.5).
    setHealth(deps.db, c.service, c.name, "", deps.clock.now());
    c.desired = "stopped";
    try {
      await deps.runtime.stop(c.containerName, stopSeconds(c.spec, deps.stopTimeoutSec));
    } catch (err) {
      if (!isMcpError(err, "not_found")) throw err;
    }
    await observe(deps, c);
    return "stopped";
  });
}

/**
 * Sets desired `running` and starts the containers; a component without a
 * container is recreated from its deployed spec (SPEC §5.4).
 */
export function startService(deps: DeployDeps, target: LifecycleTarget): Promise<ComponentResult[]> {
  return forEachComponent(deps, target, "start", async (c) => {
    setDesired(deps.db, c.service, c.name, "running", deps.clock.now());
    // A (re)started container is probed afresh: no verdict carried over (SPEC §7.5).
    setHealth(deps.db, c.service, c.name, "", deps.clock.now());
    c.desired = "running";
    const existing = await deps.runtime.inspect(c.containerName);
    let how = "started";
    if (existing) {
      await deps.runtime.start(c.containerName);
    } else {
      // By the digest it was deployed with (issue 15): the tag may have moved since, and this is no deploy.
      // Labelled with the recorded hash (secret versions folded in): the next deploy sees it unchanged.
      const spec = containerSpecFor(deps.node, c.service, c.spec, c.specHash || undefined);
      spec.image = imageByDigest(c.spec.image, c.imageDigest);
      const id = await deps.runtime.run(spec);
      putComponent(deps.db, { ...c, containerId: id }, deps.clock.now());
      how = `recreated from its deployed spec (${spec.image === c.spec.image ? "by tag: no digest recorded" : "by digest"}) and started`;
    }
    const after = await waitForStart(deps.runtime, c.containerName, deps.startTimeoutMs);
    await observe(deps, c);
    if (after?.state !== "running") {
      throw new McpError("failed_precondition", `${c.containerName} did not stay running (state ${after?.state ?? "removed"}, exit code ${after?.exitCode ?? "-"})`);
    }
    // Components that name it in `after` start once it is healthy (SPEC §7.2).
    const dependents = getService(deps.db, c.service)?.components.some((x) => x.spec.after?.includes(c.name)) ?? false;
    if (c.spec.health && dependents) {
      const verdict = await waitHealthy(deps.runtime, c.containerName, c.spec.health);
      if (!verdict.ok) throw new McpError("failed_precondition", `${c.containerName} started but is not healthy: ${verdict.why}`, "its dependents were not started; see mcp logs");
    }
    return how;
  });
}

/** Restarts the containers; desired state does not change (SPEC §5.4). */
export function restartService(deps: DeployDeps, target: LifecycleTarget): Promise<ComponentResult[]> {
  return forEachComponent(deps, target, "restart", async (c) => {
    if (c.desired === "stopped") {
      // Restarting would start it against its desired state: that is `start`'s job.
      return `not restarted: desired stopped (mcp start ${c.service}/${c.name} runs it)`;
    }
    try {
      await deps.runtime.restart(c.containerName, stopSeconds(c.spec, deps.stopTimeoutSec));
    } catch (err) {
      if (isMcpError(err, "not_found")) {
        throw new McpError("not_found", `${c.containerName} has no container to restart`, `recreate it: mcp start ${c.service}/${c.name}`);
      }
      throw err;
    }
    const after = await waitForStart(deps.runtime, c.containerName, deps.startTimeoutMs);
    await observe(deps, c);
    if (after?.state !== "running") {
      throw new McpError("failed_precondition", `${c.containerName} did not stay running after the restart (state ${after?.state ?? "removed"})`);
    }
    return "restarted";
  });
}
