import { messageOf } from "../../lib/errors.ts";
import type { ObservedContainer } from "../runtime/types.ts";
import { getService, listServices, setObserved, type ComponentRecord } from "../store/index.ts";
import { observedStateOf } from "../monitor/state.ts";
import type { DeployDeps } from "./deploy.ts";
import { waitHealthy } from "./health.ts";
import { startService } from "./lifecycle.ts";
import { selectComponents } from "./select.ts";

/**
 * How many `podman start` processes run at once after a boot, each starting
 * its share of the containers in one call: measured on 2 cores, four
 * processes of six starts beat one of 24 and 24 of one (podman's start-up
 * per process, and one process uses about one core).
 */
const PARALLEL = 4;

/** What a boot start did: components started, and those that failed with why. */
export interface BootReport {
  started: string[];
  failed: { target: string; why: string }[];
}

/**
 * `[monitor] on_boot = "start"` (SPEC §7.7): every component of an active
 * service that is desired running but not running when the agent starts (a
 * reboot leaves rootless containers stopped) is started again. Cheap, as a
 * boot starts many at once: what the monitor's first listing saw decides
 * (no inspect per component), `podman start` of many containers per call
 * (four calls at once, each under the locks of its services), one listing
 * at the end records what runs; a
 * component with a health check must then pass its probe. A component whose
 * container is gone is recreated from its recorded spec through `start`.
 * Each start is an event. Never throws: failures are logged and reported.
 */
export async function startAfterBoot(deps: DeployDeps, state: (containerName: string) => ObservedContainer | undefined): Promise<BootReport> {
  const report: BootReport = { started: [], failed: [] };
  const wanted = listServices(deps.db).filter((s) => s.active).flatMap((s) =>
    s.components.filter((c) => c.desired === "running" && state(c.containerName)?.state !== "running"));
  const fail = (c: ComponentRecord, why: string) => {
    report.failed.push({ target: `${c.service}/${c.name}`, why });
    deps.log.warn("start at boot failed", { service: c.service, component: c.name, error: why });
    deps.journal.append({ time: deps.clock.now(), service: c.service, component: c.name, kind: "boot-failed", message: why });
  };
  // Services whose components name others in `after` (SPEC §7.2) start one component at a time, in that order.
  const ordered = new Set(wanted.filter((c) => (c.spec.after ?? []).length > 0).map((c) => c.service));
  const oneByOne = wanted.filter((c) => !state(c.containerName) || ordered.has(c.service));
  const queue = wanted.filter((c) => state(c.containerName) && !ordered.has(c.service));
  // Gone: recreated through start (one at a time: rare after a reboot); ordered services through start too.
  const byService = new Map<string, ComponentRecord[]>();
  for (const c of oneByOne) byService.set(c.service, [...(byService.get(c.service) ?? []), c]);
  for (const [service, list] of byService) {
    const failed = new Set<string>();
    for (const c of selectComponents({ name: service, components: list }, "")) {
      if (!stillWanted(deps, c)) continue;
      const blocker = c.spec.after?.find((a) => failed.has(a));
      const [r] = blocker
        ? [{ status: "failed", message: `not started: ${blocker}, which it comes after, did not start` }]
        : await startService(deps, { service, component: c.name }).catch((err) => [{ status: "failed", message: messageOf(err) }]);
      if (r?.status === "ok") report.started.push(`${service}/${c.name}`);
      else {
        failed.add(c.name);
        fail(c, r?.message ?? "not started");
      }
    }
  }
  const started: ComponentRecord[] = [];
  const startErrors = new Map<string, string>(); // podman's word on each container a one-by-one start failed for
  // Each worker's share: whole services (a service's lock is taken once), dealt out in turn.
  const services = [...new Set(queue.map((c) => c.service))];
  const shares = Array.from({ length: PARALLEL }, (_, i) => services.filter((_, j) => j % PARALLEL === i));
  const worker = async (share: string[]) => {
    const releases: (() => void)[] = [];
    try {
      for (const s of share) releases.push(await deps.locks.acquire(`service ${s}`, { waitMs: deps.defaultLockWaitMs }));
    } catch (err) {
      for (const r of releases) r();
      for (const c of queue.filter((x) => share.includes(x.service))) fail(c, messageOf(err));
      return;
    }
    try {
      // An operator may have stopped it (or deployed it anew) since the agent started: that decides.
      const mine = queue.filter((c) => share.includes(c.service) && stillWanted(deps, c));
      const r = await deps.runtime.startMany(mine.map((c) => c.containerName)).catch((err) => ({ error: messageOf(err) }));
      if (r.error) {
        // One would not start (or was removed meanwhile): each on its own, so one cannot hold back the rest.
        deps.log.warn("starting several at once failed; starting them one by one", { error: r.error });
        for (const c of mine) await deps.runtime.start(c.containerName).catch((err) => startErrors.set(c.containerName, messageOf(err)));
      }
      started.push(...mine);
    } finally {
      for (const r of releases) r();
    }
  };
  await Promise.all(shares.filter((s) => s.length > 0).map(worker));
  // One listing says what runs now; the registry and the live view follow it.
  const listed = new Map((await deps.runtime.list().catch(() => [] as ObservedContainer[])).map((c) => [c.name, c]));
  // Health checks PARALLEL at a time: a hundred probes at once after a reboot would be a hundred podman processes.
  let next = 0;
  const check = async (c: ComponentRecord) => {
    const box = listed.get(c.containerName);
    if (box) deps.seen?.(box);
    setObserved(deps.db, c.service, c.name, observedStateOf(box, c.desired), box?.id ?? "", deps.clock.now());
    if (box?.state !== "running") {
      const said = startErrors.get(c.containerName);
      return fail(c, `${c.containerName} did not stay running (state ${box?.state ?? "removed"}, exit code ${box?.exitCode ?? "-"})${said ? `; podman said: ${said}` : ""}`);
    }
    if (c.spec.health) {
      const verdict = await waitHealthy(deps.runtime, c.containerName, c.spec.health);
      if (!verdict.ok) return fail(c, `started, but its health check fails: ${verdict.why}`);
    }
    deps.journal.append({ time: deps.clock.now(), service: c.service, component: c.name, kind: "start", message: "started again after the agent's start (on_boot = start)" });
    report.started.push(`${c.service}/${c.name}`);
  };
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < started.length) await check(started[next++]!);
  }));
  return report;
}

/** The component is still desired running in an active service, with the container the boot saw (not stopped or redeployed meanwhile). */
function stillWanted(deps: DeployDeps, c: ComponentRecord): boolean {
  const svc = getService(deps.db, c.service);
  const now = svc?.components.find((x) => x.name === c.name);
  return !!svc?.active && now?.desired === "running" && now.containerId === c.containerId;
}
