/**
 * `mcp service export --format kube` (SPEC §7.9): a service definition →
 * Kubernetes YAML that `podman kube play` runs with the same image, command,
 * env, ports and volumes — a Pod named after the service, or a Deployment of
 * one replica. Pure. What has no Kubernetes field is listed at the top of
 * the YAML as comments, never dropped silently.
 */
import { stringify } from "yaml";
import { escapeControl } from "../../lib/text.ts";
import type { ServiceDef } from "../../model/index.ts";
import { toContainer, type KubeObject } from "./_container.ts";

export { quantity, type KubeObject } from "./_container.ts";

/** Which object wraps the containers. */
export type KubeKind = "pod" | "deployment";

/** The objects and what did not carry over. */
export interface KubeExport {
  object: KubeObject;
  notes: string[];
}

const RESTART: Record<string, string> = { always: "Always", "unless-stopped": "Always", "on-failure": "OnFailure", no: "Never", "": "Never" };

/** Builds the Pod or Deployment of a service (pure). */
export function serviceToKube(def: ServiceDef, kind: KubeKind): KubeExport {
  const notes: string[] = [];
  const labels = { app: def.name };
  const made = def.components.map((c) => toContainer(c, def.name));
  for (const m of made) notes.push(...m.notes);
  const pod: KubeObject = { containers: made.map((m) => m.container) };
  const volumes = made.flatMap((m) => m.volumes);
  if (volumes.length > 0) pod.volumes = volumes;
  pod.restartPolicy = restartPolicy(def, kind, notes);
  const grace = Math.max(0, ...def.components.map((c) => c.stopTimeoutMs ?? 0));
  if (grace > 0) {
    pod.terminationGracePeriodSeconds = Math.ceil(grace / 1000);
    if (new Set(def.components.map((c) => c.stopTimeoutMs ?? 10_000)).size > 1) notes.push(`stop_timeout differs between components; the pod waits the longest (${Math.ceil(grace / 1000)}s)`);
  }
  const hostnames = [...new Set(def.components.map((c) => c.hostname).filter((h): h is string => !!h))];
  if (hostnames.length > 0) {
    if (/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(hostnames[0]!)) pod.hostname = hostnames[0];
    else notes.push(`hostname ${hostnames[0]} is not a Kubernetes hostname (one lower-case label); not exported`);
    if (hostnames.length > 1) notes.push(`the components name several hostnames (${hostnames.join(", ")}); a pod has one: ${hostnames[0]}`);
  }
  const networks = [...new Set(def.components.map((c) => c.network))];
  if (networks.includes("host")) {
    pod.hostNetwork = true;
    if (networks.length > 1) notes.push("one component uses the host's network: the whole pod does");
  } else if (networks.some((n) => n !== "")) {
    notes.push(`network ${networks.filter((n) => n !== "").join(", ")}: the containers of a pod share one network namespace (podman kube play --network <name> joins a podman network)`);
  }
  if (def.after && def.after.length > 0) notes.push(`the service comes after ${def.after.join(", ")} in mcp deploy --all; Kubernetes has no such order`);
  const metadata = { name: def.name, labels };
  if (kind === "pod") return { object: { apiVersion: "v1", kind: "Pod", metadata, spec: pod }, notes };
  return {
    object: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata,
      // Recreate: host ports and host paths cannot be held by two pods at once.
      spec: { replicas: 1, selector: { matchLabels: labels }, strategy: { type: "Recreate" }, template: { metadata: { labels }, spec: pod } },
    },
    notes,
  };
}

/** A pod has one restart policy; a Deployment's must be Always. */
function restartPolicy(def: ServiceDef, kind: KubeKind, notes: string[]): string {
  const policies = def.components.map((c) => RESTART[c.restart.replace(/:\d+$/, "")] ?? "Never");
  const chosen = kind === "deployment" ? "Always" : policies.includes("Always") ? "Always" : policies.includes("OnFailure") ? "OnFailure" : "Never";
  const differing = def.components.filter((_, i) => policies[i] !== chosen).map((c) => `${c.name} (restart = ${c.restart || "unset"})`);
  if (differing.length > 0) notes.push(`restartPolicy is ${chosen} for the whole ${kind === "pod" ? "pod" : "Deployment"}; it differs for ${differing.join(", ")}`);
  if (def.components.some((c) => /^on-failure:\d+$/.test(c.restart))) notes.push("on-failure:N's retry count has no Kubernetes form");
  return chosen;
}

/** The YAML text: a header naming the source and every note as a comment, then the object. */
export function renderKube(exp: KubeExport, source: string): string {
  const head = [`# exported by mcp service export --format kube ${escapeControl(source)}`];
  if (exp.notes.length > 0) {
    head.push("#", "# NOT carried over into Kubernetes:");
    for (const n of exp.notes) head.push(`#   ${escapeControl(n)}`);
  }
  return `${head.join("\n")}\n${stringify(exp.object, { lineWidth: 0 })}`;
}
