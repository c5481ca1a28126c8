import { messageOf } from "../../lib/errors.ts";
import type { ObservedContainer } from "../runtime/types.ts";
import { getService, listServices, setObserved, type ComponentRecord } from "../store/index.ts";
import { observedStateOf } from "../monitor/state.ts";
import type { DeployDeps } from "./deploy.ts";
import { waitHealthy } from "./health.ts";
import { startService } from "./lifecycle.ts";

/** How many `podman start` run at once after a boot. */
const PARALLEL = 8;

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
 * (no inspect per component), one `podman start` per container (8 at once,
 * under the service's lock), one listing at the end records what runs; a
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
  const gone = wanted.filter((c) => !state(c.containerName));
  const queue = wanted.filter((c) => state(c.containerName));
  // Gone: recreated through start (one at a time: rare after a reboot).
  for (const c of gone) {
    if (!stillWanted(deps, c)) continue;
    const [r] = await startService(deps, { service: c.service, component: c.name }).catch((err) => [{ status: "failed", message: messageOf(err) }]);
    if (r?.status !== "ok") fail(c, r?.message ?? "not started");
  }
  const started: ComponentRecord[] = [];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      let release: (() => void) | undefined;
      try {
        release = await deps.locks.acquire(`service ${c.service}`, { waitMs: deps.defaultLockWaitMs });
        // An operator may have stopped it (or deployed it anew) since the agent started: that decides.
        if (!stillWanted(deps, c)) continue;
        await deps.runtime.start(c.containerName);
        started.push(c);
      } catch (err) {
        fail(c, messageOf(err));
      } finally {
        release?.();
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  // One listing says what runs now; the registry and the live view follow it.
  const listed = new Map((await deps.runtime.list().catch(() => [] as ObservedContainer[])).map((c) => [c.name, c]));
  await Promise.all(started.map(async (c) => {
    const box = listed.get(c.containerName);
    if (box) deps.seen?.(box);
    setObserved(deps.db, c.service, c.name, observedStateOf(box, c.desired), box?.id ?? "", deps.clock.now());
    if (box?.state !== "running") return fail(c, `${c.containerName} did not stay running (state ${box?.state ?? "removed"}, exit code ${box?.exitCode ?? "-"})`);
    if (c.spec.health) {
      const verdict = await waitHealthy(deps.runtime, c.containerName, c.spec.health);
      if (!verdict.ok) return fail(c, `started, but its health check fails: ${verdict.why}`);
    }
    deps.journal.append({ time: deps.clock.now(), service: c.service, component: c.name, kind: "start", message: "started again after the agent's start (on_boot = start)" });
    report.started.push(`${c.service}/${c.name}`);
  }));
  return report;
}

/** The component is still desired running in an active service, with the container the boot saw (not stopped or redeployed meanwhile). */
function stillWanted(deps: DeployDeps, c: ComponentRecord): boolean {
  const svc = getService(deps.db, c.service);
  const now = svc?.components.find((x) => x.name === c.name);
  return !!svc?.active && now?.desired === "running" && now.containerId === c.containerId;
}
