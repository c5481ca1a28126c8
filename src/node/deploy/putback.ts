import { messageOf } from "../../lib/errors.ts";
import type { ComponentSpec } from "../runtime/types.ts";
import { specHash } from "../../servicedef/index.ts";
import { finishDeployment, lastGoodDeployment, putComponent, type ComponentRecord } from "../store/index.ts";
import { observedStateOf } from "../monitor/state.ts";
import { containerSpecFor, LABEL_SPEC, stopSeconds } from "./containers.ts";
import type { DeployDeps } from "./deploy.ts";
import type { ComponentResult } from "./types.ts";
import { waitForStart } from "./_wait.ts";
import { imageByDigest } from "./health.ts";

/** The last lines of a log, folded into one line for a result message. */
function lastLines(text: string, n: number): string {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).slice(-n).join(" | ");
}

/**
 * A new container failed its gate: record why, with the probe's output and
 * the container's last log lines, then put back the newest deployment that
 * passed its gate (SPEC §7.7), by image digest (the old image is still
 * local: no pull) — never merely what the registry last recorded, which may
 * itself have failed, or come from `sync` without a digest. Without one the
 * failed container is stopped and left for inspection, the component
 * recorded desired stopped (nothing starts a version that never passed), and
 * the result is `failed`.
 */
export async function putBack(
  deps: DeployDeps,
  d: { service: string; spec: ComponentSpec; name: string; version: string; deploymentId: number; hash: string },
  failure: { why: string; probe: string },
): Promise<ComponentResult> {
  const { runtime, db, clock } = deps;
  // The replace may have failed before the old container was touched (a podman that hung on removing it):
  // then its log is the old version's, and the good version may still run.
  const current = await runtime.inspect(d.name).catch(() => null);
  const untouched = current?.labels[LABEL_SPEC] !== undefined && current.labels[LABEL_SPEC] !== d.hash;
  const log = untouched ? "" : lastLines(await runtime.logs(d.name, 20).catch(() => ""), 3);
  const detail = [failure.why, failure.probe && `probe: ${lastLines(failure.probe, 2)}`, log && `last log: ${log}`].filter(Boolean).join("; ");
  const good = lastGoodDeployment(db, d.service, d.spec.name, d.deploymentId);
  const prev: ComponentRecord | null = good
    ? {
      service: d.service, name: d.spec.name, spec: good.spec, specHash: good.specHash, desired: "running", observed: "unknown", version: good.version,
      imageDigest: good.imageDigest, containerId: "", containerName: d.name, observedAt: 0, deployedAt: good.finishedAt || good.startedAt, updatedAt: 0,
    }
    : null;
  const base = { component: d.spec.name, containerName: d.name };
  if (!prev) {
    await runtime.stop(d.name, stopSeconds(d.spec, deps.stopTimeoutSec)).catch(() => {});
    const now = clock.now();
    finishDeployment(db, d.deploymentId, "failed", detail, now);
    deps.journal.append({ time: now, service: d.service, component: d.spec.name, kind: "deploy-failed", message: detail });
    const after = await runtime.inspect(d.name).catch(() => null);
    if (after) deps.seen?.(after);
    putComponent(db, {
      service: d.service, name: d.spec.name, spec: d.spec, specHash: specHash(d.spec), desired: "stopped", observed: observedStateOf(after, "stopped"),
      version: d.version, imageDigest: "", containerId: after?.id ?? "", containerName: d.name, deployedAt: now,
    }, now);
    return { ...base, status: "failed", message: `${detail} (no version that passed its gate to go back to: left stopped)`, version: d.version };
  }
  // The good version still runs in its own container: left alone rather than created again.
  if (untouched && current?.state === "running" && current.labels[LABEL_SPEC] === prev.specHash) {
    deps.seen?.(current);
    const now = clock.now();
    putComponent(db, { ...prev, observed: "running", containerId: current.id }, now);
    const still = `${prev.version} is still running (its container was never replaced)`;
    finishDeployment(db, d.deploymentId, "rolled_back", `${detail}; ${still}`, now);
    deps.journal.append({ time: now, service: d.service, component: d.spec.name, kind: "rolled-back", message: `${d.version}: ${detail}; ${still}` });
    return { ...base, status: "rolled_back", message: `rolled back: ${detail}; ${still}`, version: prev.version };
  }
  await runtime.remove(d.name, stopSeconds(d.spec, deps.stopTimeoutSec)).catch((err) => deps.log.warn("could not remove the failed container", { name: d.name, error: messageOf(err) }));
  // Labelled with the hash it was deployed with (secret versions folded in), so the next deploy compares right.
  const container = containerSpecFor(deps.node, d.service, prev.spec, prev.specHash || undefined);
  container.image = imageByDigest(prev.spec.image, prev.imageDigest);
  let restored = "";
  try {
    const id = await runtime.run(container);
    const back = await waitForStart(runtime, d.name, deps.startTimeoutMs);
    if (back) deps.seen?.(back);
    const now = clock.now();
    putComponent(db, { ...prev, observed: observedStateOf(back, prev.desired), containerId: id }, now);
    restored = back?.state === "running" ? `${prev.version} is running again` : `${prev.version} was put back but is ${back?.state ?? "gone"}`;
  } catch (err) {
    restored = `putting ${prev.version} back failed too: ${messageOf(err)}`;
  }
  const now = clock.now();
  finishDeployment(db, d.deploymentId, "rolled_back", `${detail}; ${restored}`, now);
  deps.journal.append({ time: now, service: d.service, component: d.spec.name, kind: "rolled-back", message: `${d.version}: ${detail}; ${restored}` });
  return { ...base, status: "rolled_back", message: `rolled back: ${detail}; ${restored}`, version: prev.version };
}
