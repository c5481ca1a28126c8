import { McpError } from "../../lib/errors.ts";
import { isValidName, NAME_RULE_TEXT } from "../../lib/names.ts";
import { observedStateOf } from "../monitor/state.ts";
import type { ComponentSpec, ContainerDetails } from "../runtime/types.ts";
import { versionOf } from "../../servicedef/index.ts";
import { getService, listSecretRecords, listServices, putComponent, upsertService, type ComponentRecord } from "../store/index.ts";
import { deployHash, podmanSecretName } from "../secrets/index.ts";
import type { DeployDeps } from "./deploy.ts";
import { ownerOf } from "./ownership.ts";

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The keys of SPEC §7.2 a container was made with (ContainerDetails.settings:
 * podman's defaults already left out) without what its image gives anyway
 * (entrypoint, workdir, stop signal, labels), and its own labels but mcp's.
 */
function keysFromContainer(d: ContainerDetails, secretNames: ReadonlyMap<string, string> | undefined): Partial<ComponentSpec> {
  const { entrypoint, workdir, stopSignal, secrets, ...rest } = d.settings ?? {};
  const img = d.imageDefaults;
  const out: Partial<ComponentSpec> = { ...rest };
  if (entrypoint && !sameList(entrypoint, img?.entrypoint ?? [])) out.entrypoint = entrypoint;
  if (workdir && workdir !== (img?.workdir ?? "/")) out.workdir = workdir;
  if (stopSignal && stopSignal !== (img?.stopSignal ?? "SIGTERM")) out.stopSignal = stopSignal;
  const labels = Object.entries(d.labels).filter(([k, v]) => !k.toLowerCase().startsWith("mcp.") && img?.labels[k] !== v);
  if (labels.length) out.labels = Object.fromEntries(labels);
  if (secrets?.length && secretNames) out.secrets = secrets.map((r) => ({ ...r, name: secretNames.get(r.name) ?? r.name }));
  return out;
}

/**
 * The container's configuration as a component spec: what a deploy needs to
 * make the same container again. `secretNames` maps podman secret names to
 * the service's own (adopt); without it secrets are left out (a container
 * of no service, recorded as ignore).
 */
export function specFromContainer(component: string, d: ContainerDetails, secretNames?: ReadonlyMap<string, string>): ComponentSpec {
  const imageEnv = new Set(d.imageEnv);
  return {
    name: component,
    image: d.image,
    network: d.network,
    user: d.user,
    restart: d.restart,
    ports: d.ports,
    volumes: d.volumes,
    cmd: d.cmd,
    // Only what differs from the image's own environment: the image brings the rest.
    env: d.env.filter((e) => !imageEnv.has(e)),
    ...keysFromContainer(d, secretNames),
  };
}

/**
 * Refuses a container whose secrets are not all this service's own mcp
 * secrets, or whose use of one inspect does not tell: the spec could not
 * make the container again, and adopt never drops a part silently.
 */
function assertSecretsAdoptable(service: string, name: string, d: ContainerDetails, secretNames: ReadonlyMap<string, string>): void {
  for (const r of d.settings?.secrets ?? []) {
    if (!secretNames.has(r.name)) {
      throw new McpError("failed_precondition", `container ${name} uses the podman secret ${r.name}, which is not a secret of service ${service}`,
        `store its value with mcp secret set ${service} <name> and make the container with --secret ${podmanSecretName(service, "<name>")}, or deploy a definition instead`);
    }
    if (r.env === undefined && r.file === undefined) {
      throw new McpError("failed_precondition", `container ${name} uses the secret ${secretNames.get(r.name)} in a way podman does not tell (no create command)`,
        "deploy a definition naming it in [[components.secrets]] instead");
    }
  }
}

/**
 * Takes the node's existing containers of a service into the registry (SPEC
 * §5.6): those labelled for it, else those named `<service>` or
 * `<service>-<component>` where no longer known service fits the name. The
 * complete spec comes from `podman inspect`; desired state mirrors what runs;
 * the containers are not touched. Idempotent. Zero matches is not_found.
 * `known` are other service names (the operator's definitions) that may own
 * longer names.
 */
export async function adoptService(deps: DeployDeps, req: { service: string; known: string[] }): Promise<ComponentRecord[]> {
  const { runtime, db, clock } = deps;
  const release = await deps.locks.acquire(`service ${req.service}`, { waitMs: deps.defaultLockWaitMs });
  try {
    const registry = listServices(db);
    const known = new Set([...req.known, ...registry.map((s) => s.name), req.service]);
    const all = await runtime.list();
    const mine = all
      .map((c) => ({ c, owner: ownerOf(c, known) }))
      .filter((x) => x.owner?.service === req.service)
      .sort((a, b) => a.c.name.localeCompare(b.c.name));
    if (mine.length === 0) {
      throw new McpError(
        "not_found",
        `no container on node ${deps.node} is labelled for service ${req.service} or named ${req.service} or ${req.service}-<component>`,
        "see what runs there: podman ps -a on the node",
      );
    }
    for (const { c } of mine) {
      const other = registry.find((s) => s.name !== req.service && s.components.some((k) => k.containerName === c.name));
      if (other) {
        throw new McpError(
          "failed_precondition",
          `container ${c.name} already belongs to service ${other.name} in the registry`,
          `forget ${other.name} first (remove its definition, then mcp sync --prune), or adopt ${other.name} instead`,
        );
      }
    }
    const bad = mine.filter((x) => !isValidName(x.owner!.component));
    if (bad.length > 0) {
      throw new McpError(
        "invalid_argument",
        `container ${bad[0]!.c.name} would be component "${bad[0]!.owner!.component}", which is not a valid name (${NAME_RULE_TEXT})`,
        "rename the container (podman rename) and adopt again",
      );
    }
    // Inspect everything before writing anything: a container that vanished meanwhile fails the adopt, not half of it.
    const found: { component: string; details: ContainerDetails; digest: string }[] = [];
    const secretNames = new Map(listSecretRecords(db, req.service).map((r) => [r.podmanName, r.name]));
    for (const { c, owner } of mine) {
      const details = await runtime.inspect(c.name);
      if (!details) throw new McpError("failed_precondition", `container ${c.name} disappeared during the adopt`, `run mcp adopt ${req.service} again`);
      assertSecretsAdoptable(req.service, c.name, details, secretNames);
      const image = await runtime.getImage(details.imageId);
      found.push({ component: owner!.component, details, digest: image?.digest ?? "" });
    }
    const now = clock.now();
    const prev = getService(db, req.service);
    const active = found.some((f) => f.details.state === "running") || (prev?.active ?? false);
    const records: ComponentRecord[] = [];
    db.transaction(() => {
      upsertService(db, req.service, active, now);
      for (const { component, details, digest } of found) {
        const spec = specFromContainer(component, details, secretNames);
        const write = {
          service: req.service, name: component, spec, specHash: deployHash(db, req.service, spec),
          desired: details.state === "running" ? "running" as const : "stopped" as const,
          observed: observedStateOf(details, details.state === "running" ? "running" : "stopped"),
          version: versionOf(spec.image), imageDigest: digest, containerId: details.id, containerName: details.name, deployedAt: now,
        };
        putComponent(db, write, now);
        records.push({ ...write, observedAt: now, updatedAt: now });
      }
    })();
    for (const d of found) deps.seen?.(d.details);
    deps.journal.append({ time: now, service: req.service, component: "", kind: "adopted", message: found.map((f) => f.details.name).join(", ") });
    return records;
  } finally {
    release();
  }
}
