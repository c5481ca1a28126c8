import { McpError } from "../../lib/errors.ts";
import { containerName } from "../../servicedef/index.ts";
import { getService, listDeployments, nextBatch, type ComponentRecord, type DeploymentRecord } from "../store/index.ts";
import { replaceComponent, selectComponents, type DeployDeps } from "./deploy.ts";
import { imageByDigest } from "./health.ts";
import type { ComponentResult, DeployOutcome, Progress } from "./types.ts";

/** How far back a rollback looks for an earlier successful deployment. */
const HISTORY_DEPTH = 200;

export interface RollbackRequest {
  service: string;
  /** "" = every component of the service */
  component: string;
  lockWaitMs: number;
  signal?: AbortSignal;
}

/** The deployment that put in place what a component runs now: the newest `ok` one with its spec and digest. */
export function currentDeployment(current: Pick<ComponentRecord, "specHash" | "imageDigest">, history: DeploymentRecord[]): DeploymentRecord | null {
  return history.find((d) => d.outcome === "ok" && d.specHash === current.specHash && d.imageDigest === current.imageDigest) ?? null;
}

/**
 * The deployment a component goes back to: the newest successful one whose
 * spec or image differs from what is deployed now. Rolling back twice
 * therefore toggles between the last two versions (as `kubectl rollout
 * undo` does). Null when there is none.
 */
export function rollbackTarget(current: Pick<ComponentRecord, "specHash" | "imageDigest">, history: DeploymentRecord[]): DeploymentRecord | null {
  return history.find((d) => d.outcome === "ok" && (d.specHash !== current.specHash || d.imageDigest !== current.imageDigest)) ?? null;
}

interface PlanItem {
  current: ComponentRecord;
  target: DeploymentRecord | null;
  /** Why a component without a target stays. */
  why: string;
}

/**
 * What a rollback does per component. Named component: its previous
 * deployment. Whole service: the components the service's last successful
 * change (the newest deploy or rollback call that put a running version in
 * place) touched go back; the others stay, so that a rollback undoes the last
 * deploy and not older ones.
 */
export function planRollback(components: ComponentRecord[], historyOf: (c: ComponentRecord) => DeploymentRecord[], wholeService: boolean): PlanItem[] {
  const items = components.map((c) => {
    const history = historyOf(c);
    return { c, now: currentDeployment(c, history), target: rollbackTarget(c, history) };
  });
  const lastBatch = Math.max(0, ...items.map((i) => i.now?.batch ?? 0));
  return items.map(({ c, now, target }) => {
    if (!target) return { current: c, target: null, why: "no earlier successful deployment" };
    if (wholeService && now && now.batch !== lastBatch) {
      return { current: c, target: null, why: `not changed by the last deploy (to roll it back anyway: mcp rollback ${c.service}/${c.name})` };
    }
    return { current: c, target, why: "" };
  });
}

/**
 * Redeploys the previous successful spec of each selected component (SPEC
 * §5.4; see planRollback) through the deploy path, health gate and put-back
 * included. The image is taken by digest from local storage: a rollback
 * never pulls, so it works with the registry down. Components that stay are
 * reported `unchanged`; a rollback where nothing would change is refused.
 */
export async function rollbackService(deps: DeployDeps, req: RollbackRequest, progress: (p: Progress) => void): Promise<DeployOutcome> {
  const notFound = () =>
    new McpError("not_found", `service ${req.service} is not deployed on node ${deps.node}`, `deploy it first: mcp deploy ${req.service}`);
  if (!getService(deps.db, req.service)) throw notFound();
  const release = await deps.locks.acquire(`service ${req.service}`, {
    waitMs: req.lockWaitMs || deps.defaultLockWaitMs,
    signal: req.signal,
    onWait: (ms) => progress({ component: "", message: `waiting for another operation on ${req.service} (running for ${Math.round(ms / 1000)}s)` }),
  });
  try {
    // Read under the lock: a deploy that held it may have changed the registry.
    const svc = getService(deps.db, req.service);
    if (!svc) throw notFound();
    const selected = selectComponents(svc, req.component);
    const plan = planRollback(selected, (c) => listDeployments(deps.db, svc.name, c.name, HISTORY_DEPTH), !req.component);
    if (plan.every((p) => !p.target)) {
      const what = req.component ? `${svc.name}/${req.component}` : svc.name;
      throw new McpError("failed_precondition", `${what} has no earlier successful deployment to roll back to`, `see its history: mcp rollback --list ${what}`);
    }
    if (!svc.active) {
      throw new McpError("failed_precondition", `service ${svc.name} is inactive (active = false)`, `start it first: mcp start ${svc.name}`);
    }
    const batch = nextBatch(deps.db, svc.name);
    const results: ComponentResult[] = [];
    for (const { current, target, why } of plan) {
      results.push(target ? await rollbackComponent(deps, svc.name, current, target, batch, progress) : {
        component: current.name, status: "unchanged", message: why, version: current.version, containerName: current.containerName,
      });
    }
    return { results, warnings: [] };
  } finally {
    release();
  }
}

async function rollbackComponent(
  deps: DeployDeps,
  service: string,
  current: ComponentRecord,
  target: DeploymentRecord,
  batch: number,
  progress: (p: Progress) => void,
): Promise<ComponentResult> {
  const runImage = imageByDigest(target.spec.image, target.imageDigest);
  const image = await deps.runtime.getImage(runImage);
  if (!image) {
    const message = `the image of deployment #${target.id} (${runImage}) is no longer on this node`;
    deps.journal.append({ time: deps.clock.now(), service, component: current.name, kind: "deploy-failed", message: `rollback: ${message}` });
    return { component: current.name, status: "failed", message, version: current.version, containerName: containerName(service, current.name) };
  }
  progress({ component: current.name, message: `rolling back ${current.version} → ${target.version} (deployment #${target.id})` });
  return replaceComponent(deps, service, { spec: target.spec, image, runImage, note: `rollback to deployment #${target.id}`, batch }, false, progress);
}
