import { messageOf } from "../../lib/errors.ts";
import type { ObservedContainer } from "../runtime/types.ts";
import { listServices } from "../store/index.ts";
import type { DeployDeps } from "./deploy.ts";
import { waitHealthy } from "./health.ts";
import { startService } from "./lifecycle.ts";

/** How many services are started at once after a boot (each start is a few podman calls). */
const PARALLEL = 8;

/** What a boot start did: components started, and those that failed with why. */
export interface BootReport {
  started: string[];
  failed: { target: string; why: string }[];
}

/**
 * `[monitor] on_boot = "start"` (SPEC §7.7): every component of an active
 * service that is desired running but not running when the agent starts
 * (a reboot leaves rootless containers stopped) is started again, through
 * `start` (its lock, its event; a missing container is recreated from its
 * recorded spec), and with a health check it must pass its probe. Services
 * start in parallel (at most 8 at once), a service's components in
 * definition order. Never throws: failures are logged and reported.
 */
export async function startAfterBoot(deps: DeployDeps, state: (containerName: string) => ObservedContainer | undefined): Promise<BootReport> {
  const report: BootReport = { started: [], failed: [] };
  const queue = listServices(deps.db)
    .filter((s) => s.active)
    .map((s) => ({ service: s.name, components: s.components.filter((c) => c.desired === "running" && state(c.containerName)?.state !== "running") }))
    .filter((s) => s.components.length > 0);
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      for (const c of next.components) {
        const target = `${next.service}/${c.name}`;
        try {
          const [r] = await startService(deps, { service: next.service, component: c.name });
          if (r?.status !== "ok") throw new Error(r?.message ?? "not started");
          if (c.spec.health) {
            const verdict = await waitHealthy(deps.runtime, c.containerName, c.spec.health);
            if (!verdict.ok) throw new Error(`started, but its health check fails: ${verdict.why}`);
          }
          report.started.push(target);
          deps.log.info("started at boot", { service: next.service, component: c.name });
        } catch (err) {
          report.failed.push({ target, why: messageOf(err) });
          deps.log.warn("start at boot failed", { service: next.service, component: c.name, error: messageOf(err) });
          deps.journal.append({ time: deps.clock.now(), service: next.service, component: c.name, kind: "boot-failed", message: messageOf(err) });
        }
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return report;
}
