import { isMcpError, messageOf } from "../../lib/errors.ts";
import { isValidName } from "../../lib/names.ts";
import { observedStateOf } from "../monitor/state.ts";
import type { ObservedContainer, ServiceDef } from "../runtime/types.ts";
import { containerName, specHash, versionOf } from "../../servicedef/index.ts";
import { deleteService, listServices, putComponent, setDesired, setObserved, upsertService, type ServiceRecord } from "../store/index.ts";
import { specFromContainer } from "./adopt.ts";
import { deployHash } from "../secrets/index.ts";
import type { DeployDeps } from "./deploy.ts";
import type { SyncChange } from "./types.ts";
import { ownerOf } from "./ownership.ts";

export interface SyncRequest {
  services: ServiceDef[];
  dryRun: boolean;
  prune: boolean;
  /** Record containers of no known service as `ignore` (default true; false for a token scoped to some services, which may not write others). */
  recordUnknown?: boolean;
}

interface Step {
  service: string;
  component: string;
  what: string;
  apply: () => Promise<void> | void;
}

/** A service whose every component is `ignore`: a record of foreign containers, not the operator's. */
function onlyIgnored(s: ServiceRecord): boolean {
  return s.components.length > 0 && s.components.every((c) => c.desired === "ignore");
}

/**
 * Sync (SPEC §5.5): records every given definition's desired state, stops the
 * running containers of inactive services, and starts nothing. Additive: a
 * service or component the definitions do not name is left alone, unless
 * `prune` (services only; their containers are left running and reported).
 * A new component is recorded with its spec and desired state (it shows as
 * drift until deployed); a known one keeps its deployed spec, and a
 * definition that differs is reported (`mcp deploy` applies it). Containers
 * that belong to no known service are recorded as `ignore`. With `dryRun`
 * the same report, and nothing changes.
 */
export async function syncServices(deps: DeployDeps, req: SyncRequest): Promise<SyncChange[]> {
  if (req.dryRun) return syncLocked(deps, req);
  // Every service sync may touch, locked in name order (deploys take one lock each: no deadlock).
  const names = [...new Set([...req.services.map((s) => s.name), ...listServices(deps.db).map((s) => s.name)])].sort();
  const held: (() => void)[] = [];
  try {
    for (const n of names) held.push(await deps.locks.acquire(`service ${n}`, { waitMs: deps.defaultLockWaitMs }));
    return await syncLocked(deps, req);
  } finally {
    for (const release of held.reverse()) release();
  }
}

async function syncLocked(deps: DeployDeps, req: SyncRequest): Promise<SyncChange[]> {
  const { db, runtime, clock } = deps;
  const containers = await runtime.list();
  const byName = new Map(containers.map((c) => [c.name, c]));
  const registry = new Map(listServices(db).map((s) => [s.name, s]));
  const defined = new Set(req.services.map((s) => s.name));
  const steps: Step[] = [];
  const step = (service: string, component: string, what: string, apply: Step["apply"]) => steps.push({ service, component, what, apply });

  for (const def of req.services) {
    const rec = registry.get(def.name);
    const desired = def.active ? ("running" as const) : ("stopped" as const);
    if (!rec) step(def.name, "", `new service (${def.active ? "active" : "inactive"})`, () => upsertService(db, def.name, def.active, clock.now()));
    else if (rec.active !== def.active) {
      step(def.name, "", `active ${rec.active} → ${def.active}`, () => upsertService(db, def.name, def.active, clock.now()));
    }
    for (const spec of def.components) {
      const have = rec?.components.find((c) => c.name === spec.name);
      const name = containerName(def.name, spec.name);
      const box = byName.get(name);
      if (!have) {
        step(def.name, spec.name, `new component, desired ${desired}${box ? "" : " (not deployed: mcp deploy " + def.name + ")"}`, () => {
          const now = clock.now();
          putComponent(db, {
            service: def.name, name: spec.name, spec, specHash: specHash(spec), desired, observed: observedStateOf(box, desired),
            version: versionOf(spec.image), imageDigest: "", containerId: box?.id ?? "", containerName: name, deployedAt: 0,
          }, now);
        });
        continue;
      }
      if (have.desired !== desired) {
        step(def.name, spec.name, `desired ${have.desired} → ${desired}`, () => void setDesired(db, def.name, spec.name, desired, clock.now()));
      }
      // The deployed hash folds in the versions of the component's secrets (SPEC §7.3).
      if (have.specHash !== deployHash(db, def.name, spec)) {
        step(def.name, spec.name, `the definition differs from the deployed spec (see mcp diff ${def.name}; mcp deploy applies it)`, () => {});
      }
    }
    if (!def.active) {
      for (const c of rec?.components ?? []) {
        const box = byName.get(c.containerName);
        if (box?.state !== "running") continue;
        step(def.name, c.name, `stop ${c.containerName} (the service is inactive)`, () => stopAndRecord(deps, def.name, c.name, c.containerName));
      }
      // A component new to the registry whose container runs (made by hand) is stopped too.
      for (const spec of def.components) {
        if (rec?.components.some((c) => c.name === spec.name)) continue;
        const name = containerName(def.name, spec.name);
        if (byName.get(name)?.state !== "running") continue;
        step(def.name, spec.name, `stop ${name} (the service is inactive)`, () => stopAndRecord(deps, def.name, spec.name, name));
      }
    }
  }

  if (req.prune) {
    for (const s of registry.values()) {
      if (defined.has(s.name) || onlyIgnored(s)) continue;
      const left = s.components.filter((c) => byName.has(c.containerName)).map((c) => c.containerName);
      step(s.name, "", `forget (no definition names it)${left.length ? `; its containers are left as they are: ${left.join(", ")}` : ""}`,
        () => void deleteService(db, s.name));
    }
  }

  // Containers of no known service: recorded as `ignore`, under their own name.
  const known = new Set([...registry.keys(), ...defined]);
  for (const c of req.recordUnknown === false ? [] : [...containers].sort((a, b) => a.name.localeCompare(b.name))) {
    if (ownerOf(c, known)) continue;
    if (!isValidName(c.name)) {
      steps.push({ service: "", component: "", what: `container ${c.name} belongs to no service and its name is not a valid service name: not recorded`, apply: () => {} });
      continue;
    }
    step(c.name, c.name, `container ${c.name} belongs to no known service: recorded as ignore`, () => recordIgnored(deps, c));
    known.add(c.name);
  }

  if (req.dryRun) return steps.map((s) => ({ service: s.service, component: s.component, what: s.what, done: false }));
  const out: SyncChange[] = [];
  for (const s of steps) {
    try {
      await s.apply();
      out.push({ service: s.service, component: s.component, what: s.what, done: true });
    } catch (err) {
      if (!isMcpError(err)) deps.log.error("sync step failed", { step: s.what, error: err instanceof Error ? err.stack : String(err) });
      out.push({ service: s.service, component: s.component, what: `${s.what}: failed: ${messageOf(err)}`, done: false });
    }
  }
  if (out.length > 0) deps.journal.append({ time: clock.now(), service: "", component: "", kind: "synced", message: `${out.length} change(s)` });
  return out;
}

async function recordIgnored(deps: DeployDeps, c: ObservedContainer): Promise<void> {
  const details = await deps.runtime.inspect(c.name);
  if (!details) return;
  const spec = specFromContainer(c.name, { ...details, imageEnv: details.imageEnv });
  const now = deps.clock.now();
  deps.db.transaction(() => {
    upsertService(deps.db, c.name, true, now);
    putComponent(deps.db, {
      service: c.name, name: c.name, spec, specHash: specHash(spec), desired: "ignore", observed: observedStateOf(details, "ignore"),
      version: versionOf(spec.image), imageDigest: "", containerId: details.id, containerName: c.name, deployedAt: 0,
    }, now);
  })();
}

/** Stops a container and records what it is now (the monitor would too, a moment later). */
async function stopAndRecord(deps: DeployDeps, service: string, component: string, name: string): Promise<void> {
  await deps.runtime.stop(name, deps.stopTimeoutSec);
  const after = await deps.runtime.inspect(name).catch(() => null);
  if (after) deps.seen?.(after);
  setObserved(deps.db, service, component, observedStateOf(after, "stopped"), after?.id ?? "", deps.clock.now());
}
