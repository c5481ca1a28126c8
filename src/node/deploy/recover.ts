import { messageOf } from "../../lib/errors.ts";
import { observedStateOf } from "../monitor/state.ts";
import { containerName } from "../../servicedef/index.ts";
import { finishDeployment, getComponent, pendingDeployments, putComponent } from "../store/index.ts";
import { LABEL_SPEC } from "./containers.ts";
import type { DeployDeps } from "./deploy.ts";

/**
 * At agent start, the deployments a killed agent left `pending` are closed
 * (issue 9: the registry never lies about what runs). When the new container
 * had already been created (its `mcp.spec` label is the deployment's), the
 * component's record becomes that spec, digest and container — it runs
 * unchecked, and the deployment is recorded failed saying so; otherwise the
 * record stays (the old container, or none: the monitor then shows drift)
 * and the deployment is failed as interrupted. Returns how many were closed.
 */
export async function recoverInterruptedDeployments(deps: Pick<DeployDeps, "runtime" | "db" | "clock" | "log" | "journal">): Promise<number> {
  const pending = pendingDeployments(deps.db);
  for (const d of pending) {
    const name = containerName(d.service, d.component);
    const box = await deps.runtime.inspect(name).catch((err) => {
      deps.log.warn("cannot inspect a container of an interrupted deployment", { name, error: messageOf(err) });
      return null;
    });
    const now = deps.clock.now();
    const rec = getComponent(deps.db, d.service, d.component);
    if (box && box.labels[LABEL_SPEC] === d.specHash) {
      // What runs is recorded as what it is: this spec, unverified (SPEC §7.7), no verdict; a first deploy gets its record here.
      const base = rec ?? {
        service: d.service, name: d.component, desired: "running" as const, observed: "unknown" as const, version: d.version, imageDigest: d.imageDigest,
        containerId: box.id, containerName: name, deployedAt: now, spec: d.spec, specHash: d.specHash,
      };
      putComponent(deps.db, {
        ...base, spec: d.spec, specHash: d.specHash, version: d.version, imageDigest: d.imageDigest, containerId: box.id,
        containerName: name, observed: observedStateOf(box, base.desired), deployedAt: now, health: "", unverified: true,
      }, now);
      const msg = `interrupted: the agent stopped after ${name} was created with this spec; it runs without its health gate having passed`;
      finishDeployment(deps.db, d.id, "failed", msg, now);
      deps.journal.append({ time: now, service: d.service, component: d.component, kind: "deploy-failed", message: `${d.version}: ${msg}` });
    } else {
      const msg = "interrupted: the agent stopped before the new container was created";
      finishDeployment(deps.db, d.id, "failed", msg, now);
      deps.journal.append({ time: now, service: d.service, component: d.component, kind: "deploy-failed", message: `${d.version}: ${msg}` });
    }
  }
  if (pending.length > 0) deps.log.warn("closed deployments an earlier agent left unfinished", { count: pending.length });
  return pending.length;
}
