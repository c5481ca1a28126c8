import { isMcpError, McpError, messageOf } from "../../lib/errors.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import type { ContainerRuntime } from "../runtime/port.ts";
import type { ComponentSpec, ImageInfo, ObservedContainer, ServiceDef } from "../runtime/types.ts";
import { containerName, versionOf } from "../../servicedef/index.ts";
import { pullOrLocal, selectComponents } from "./select.ts";

export { isLocalOnly, selectComponents } from "./select.ts";
import { assertSecretsReady, deployHash } from "../secrets/index.ts";
import type { Journal } from "../monitor/journal.ts";
import { beginDeployment, finishDeployment, getComponent, lastDeployment, nextBatch, putComponent, setUnverified, upsertService, type Db } from "../store/index.ts";
import { containerSpecFor, stopSeconds, LABEL_COMPONENT, LABEL_NODE, LABEL_SERVICE, LABEL_SPEC } from "./containers.ts";
import { putBack } from "./putback.ts";
import type { Locks } from "./lock.ts";
import type { ComponentResult, DeployOutcome, Progress } from "./types.ts";
import { waitForStart } from "./_wait.ts";
import { waitHealthy } from "./health.ts";

/** What a deploy needs, passed in (STYLE habit 7). */
export interface DeployDeps {
  node: string;
  runtime: ContainerRuntime;
  db: Db;
  /** Where events go (the registry, and live watchers). */
  journal: Journal;
  clock: Clock;
  log: Logger;
  locks: Locks;
  stopTimeoutSec: number;
  /** How long a new container may take to reach `running`. */
  startTimeoutMs: number;
  defaultLockWaitMs: number;
  /** Registry credentials for a pull of this image (`[[registries]]`), prepared before each pull; may throw. */
  registryAuth?: (image: string) => { authFile?: string; certDir?: string };
  /** Told of every container this code has just inspected (feeds the monitor's live view). */
  seen?: (c: ObservedContainer) => void;
  /**
   * The node's container policy (SPEC §7.1): throws permission_denied when a
   * component may not be created as specified. A deploy checks every selected
   * component before anything stops; see also guardRuntime.
   */
  allow?: (service: string, spec: ComponentSpec) => void;
  /** Makes what a component needs on the host before it runs (its missing data directories, SPEC §7.2); may throw McpError. */
  prepare?: (service: string, spec: ComponentSpec) => Promise<void>;
  /**
   * podman on this node cannot apply memory, cpus and pids_limit (rootless
   * podman on cgroups v1 only warns): a deploy that sets them says so.
   */
  limitsIgnored?: boolean;
}

export interface DeployRequest {
  service: ServiceDef;
  /** "" = every component */
  component: string;
  force: boolean;
  lockWaitMs: number;
  signal?: AbortSignal;
}

/**
 * Deploys a service, or one component of it (SPEC §5.3). Components are done
 * in definition order; a failure of one does not stop the others. Deploys of
 * one service are serialized. The definition is trusted to have been
 * validated (see validateDeployable).
 */
export async function deployService(deps: DeployDeps, req: DeployRequest, progress: (p: Progress) => void): Promise<DeployOutcome> {
  const { service } = req;
  const selected = selectComponents(service, req.component);
  // Refused by the policy: nothing is pulled, stopped or recorded.
  for (const spec of selected) deps.allow?.(service.name, spec);
  const release = await deps.locks.acquire(`service ${service.name}`, {
    waitMs: req.lockWaitMs || deps.defaultLockWaitMs,
    signal: req.signal,
    onWait: (ms) => progress({ component: "", message: `waiting for another operation on ${service.name} (running for ${Math.round(ms / 1000)}s)` }),
  });
  try {
    // Under the lock (secret set/rm take it too), before anything is pulled or stopped: every secret named exists (SPEC §7.3).
    await assertSecretsReady(deps, service.name, selected);
    upsertService(deps.db, service.name, service.active, deps.clock.now());
    const results: ComponentResult[] = [];
    const warnings: string[] = [];
    const limited = deps.limitsIgnored ? selected.filter((s) => s.memory !== undefined || s.cpus !== undefined || s.pidsLimit !== undefined) : [];
    if (limited.length > 0) {
      warnings.push(`${limited.map((s) => s.name).join(", ")}: memory, cpus and pids_limit are not applied on node ${deps.node} (rootless podman on cgroups v1 cannot; the containers run without those limits)`);
    }
    const batch = nextBatch(deps.db, service.name);
    // Step 2 for every component at once (each image pulled once, in parallel), and one
    // listing of the service's containers: a deploy where nothing changed costs two podman calls.
    const images = new Map<string, Promise<ImageInfo | string>>();
    for (const spec of selected) {
      if (!images.has(spec.image)) {
        images.set(spec.image, pullOrLocal(deps, spec, progress, warnings).catch((err) => `cannot resolve ${spec.image}: ${messageOf(err)}`));
      }
    }
    const listed = await deps.runtime.list({ labels: { [LABEL_SERVICE]: service.name } }).catch(() => [] as ObservedContainer[]);
    for (const spec of selected) {
      // In start order; a component whose `after` failed here is not deployed (SPEC §7.2).
      const blocker = spec.after?.find((a) => results.some((r) => r.component === a && (r.status === "failed" || r.status === "rolled_back")));
      if (blocker) {
        results.push({ component: spec.name, status: "failed", message: `not deployed: ${blocker}, which it comes after, did not deploy`, version: versionOf(spec.image), containerName: containerName(service.name, spec.name) });
        continue;
      }
      const image = await images.get(spec.image)!;
      const seen = listed.find((c) => c.name === containerName(service.name, spec.name)) ?? null;
      results.push(await deployComponent(deps, service.name, spec, image, { force: req.force, batch, seen }, progress));
    }
    return { results, warnings };
  } finally {
    release();
  }
}

async function deployComponent(
  deps: DeployDeps,
  service: string,
  spec: ComponentSpec,
  image: ImageInfo | string,
  o: { force: boolean; batch: number; seen: ObservedContainer | null },
  progress: (p: Progress) => void,
): Promise<ComponentResult> {
  // A failed pull changes nothing.
  if (typeof image === "string") {
    deps.journal.append({ time: deps.clock.now(), service, component: spec.name, kind: "deploy-failed", message: image });
    return {
      component: spec.name, status: "failed", message: image, version: versionOf(spec.image), containerName: containerName(service, spec.name),
    };
  }
  return replaceComponent(deps, service, { spec, image, batch: o.batch, seen: o.seen }, o.force, progress);
}

/** What replaceComponent puts in place: a spec, its resolved local image, and (for a rollback) the reference to run. */
export interface Replacement {
  spec: ComponentSpec;
  image: ImageInfo;
  /** The image reference given to podman; default spec.image. A rollback runs `repo@sha256:…`. */
  runImage?: string;
  /** Appended to the `ok` result's message (a rollback says what it went back to). */
  note?: string;
  /** The deploy or rollback call (see nextBatch). */
  batch: number;
  /** The container as a listing at the start of this call saw it: enough to tell `unchanged` without an inspect. */
  seen?: ObservedContainer | null;
}

/**
 * Steps 3–6 of SPEC §5.3 for one component whose image is already local:
 * `unchanged` when the running container matches; else record the
 * deployment, replace the container, gate on running and health, and put
 * the previous spec back on failure. Shared by deploy and rollback.
 */
export async function replaceComponent(
  deps: DeployDeps,
  service: string,
  r: Replacement,
  force: boolean,
  progress: (p: Progress) => void,
): Promise<ComponentResult> {
  const { runtime, db, clock } = deps;
  const { spec, image } = r;
  const name = containerName(service, spec.name);
  const version = versionOf(spec.image);
  // With the versions of its secrets folded in: a changed secret replaces the component (SPEC §7.3).
  const hash = deployHash(db, service, spec);
  const result = (status: ComponentResult["status"], message: string): ComponentResult => ({
    component: spec.name, status, message, version, containerName: name,
  });

  const matches = (c: ObservedContainer | null | undefined) =>
    !!c && c.state === "running" && c.labels[LABEL_SPEC] === hash && c.imageId === image.id;
  // Never `unchanged` for a component a crash left unverified (SPEC §7.7), nor for a spec whose last deploy
  // here did not pass its gate (a failed first version someone started by hand): its gate runs again. The
  // registry's observed state (kept by the monitor) must say running too: the listing may be minutes old.
  // Read once, under the service's lock (only the monitor may move its observed state meanwhile).
  const rec = getComponent(db, service, spec.name);
  const unchanged = () => {
    if (force || !rec || rec.specHash !== hash || rec.desired !== "running" || rec.unverified || rec.observed !== "running") return false;
    const last = lastDeployment(db, service, spec.name);
    return !(last && last.specHash === hash && last.outcome !== "ok");
  };
  if (matches(r.seen) && unchanged()) return result("unchanged", "already running this spec and image");
  // The listing of this call (under the lock) saw the container with this service's label: no inspect needed.
  // Without one (rollback), or when it saw none (a container of that name may carry other labels), podman is asked.
  const existing = r.seen ?? (await runtime.inspect(name));
  if (matches(existing) && unchanged()) return result("unchanged", "already running this spec and image");
  // A container labelled for another node, service or component is not ours to replace (a shared podman;
  // a name that two services' components share, `a` + `b-web` and `a-b` + `web`).
  const owner = existing?.labels[LABEL_NODE];
  if (owner && owner !== deps.node) {
    return result("failed", `container ${name} belongs to node ${owner} (label ${LABEL_NODE}), not ${deps.node}; it was left alone`);
  }
  const labelled = existing ? `${existing.labels[LABEL_SERVICE] ?? service}/${existing.labels[LABEL_COMPONENT] ?? spec.name}` : "";
  if (existing && labelled !== `${service}/${spec.name}`) {
    return result("failed", `container ${name} belongs to ${labelled} (labels ${LABEL_SERVICE}, ${LABEL_COMPONENT}), not ${service}/${spec.name}; it was left alone`);
  }

  // Its data directories, before anything is stopped: a failure here changes nothing.
  try {
    await deps.prepare?.(service, spec);
  } catch (err) {
    return result("failed", isMcpError(err) ? err.message : `cannot prepare ${name}: ${messageOf(err)}`);
  }
  // Step 3: record the deployment before touching containers.
  const deploymentId = beginDeployment(db, { service, component: spec.name, spec, specHash: hash, imageDigest: image.digest, version, batch: r.batch }, clock.now());
  let failure: { why: string; probe: string } | null = null;
  // The step under way, named in the result if it fails or stalls.
  let step = "";
  const enter = (what: string) => {
    step = what;
    progress({ component: spec.name, message: what });
  };
  // Until this call settles, a crash leaves the component unverified (SPEC §7.7).
  setUnverified(db, service, spec.name, true, clock.now());
  try {
    // Step 4: replace the old container. With the agent's stop timeout at podman's default (10 s), in one
    // process (`run --replace`: the old one stops within its own stop timeout); else stop-and-remove, then run.
    // (A component with its own stop_timeout carries it in its container: `run --replace` honours it.)
    const old = existing ? rec?.spec : undefined;
    const oneCall = !!existing && (deps.stopTimeoutSec === 10 || old?.stopTimeoutMs !== undefined);
    if (existing && !oneCall) {
      enter(`replacing the old container ${name}`);
      await runtime.remove(name, stopSeconds(old, deps.stopTimeoutSec));
    }
    enter(`${oneCall ? "replacing the old container and starting" : "starting"} ${name} (${r.runImage ?? spec.image})`);
    const container = containerSpecFor(deps.node, service, spec, hash);
    if (r.runImage) container.image = r.runImage;
    const id = await runtime.run(container, { replace: oneCall, stopTimeoutSec: stopSeconds(old, deps.stopTimeoutSec) });
    // After `run` returns: with --replace it also waited for the old container to stop.
    const startedAt = Date.now();
    // Step 5: with a probe, its first pass proves the container runs (a failed try inspects it); without, it must reach running.
    if (spec.health) {
      enter(`waiting until ${name} is healthy (${spec.health.retries} tries)`);
      const verdict = await waitHealthy(runtime, name, spec.health, undefined, startedAt);
      if (!verdict.ok) failure = verdict;
    } else {
      const started = await waitForStart(runtime, name, deps.startTimeoutMs);
      if (started) deps.seen?.(started);
      if (!started || started.state !== "running") {
        failure = {
          why: !started
            ? "the container disappeared after start"
            : started.state === "exited"
              ? `the container exited at once (exit code ${started.exitCode})`
              : `the container did not reach running within ${Math.round(deps.startTimeoutMs / 1000)}s (state ${started.state})`,
          probe: "",
        };
      }
    }
    if (!failure) {
      // Step 6: record the outcome.
      const now = clock.now();
      putComponent(db, {
        service, name: spec.name, spec, specHash: hash, desired: "running", observed: "running", version,
        imageDigest: image.digest, containerId: id, containerName: name, deployedAt: now, health: spec.health ? "healthy" : "",
      }, now);
      finishDeployment(db, deploymentId, "ok", r.note ?? "", now);
      deps.journal.append({
        time: now, service, component: spec.name, kind: r.note ? "rolled-back" : "deployed",
        message: `${version} (${image.digest.slice(0, 19)})${r.note ? ` ${r.note}` : ""}`,
      });
      return result("ok", `running ${version}${r.note ? ` (${r.note})` : ""}`);
    }
  } catch (err) {
    // The old container may already be gone (a run that failed, a podman that stalled): it goes back too.
    if (!isMcpError(err)) deps.log.error("deploy failed", { service, component: spec.name, error: err instanceof Error ? err.stack : String(err) });
    failure = { why: `${step ? `${step}: ` : ""}${isMcpError(err) ? err.message : `internal error: ${messageOf(err)}`}`, probe: "" };
  }
  // Settled: whatever happens next is this call's own outcome, not a crash's.
  try {
    return await putBack(deps, { service, spec, name, version, deploymentId, hash }, failure);
  } finally {
    setUnverified(db, service, spec.name, false, clock.now());
  }
}
