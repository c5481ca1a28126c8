import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { McpError } from "../../lib/errors.ts";
import type { ContainerRuntime } from "../runtime/port.ts";
import { MAX_SECRET_BYTES, secretNameProblem } from "../../servicedef/index.ts";
import { deleteSecret, getSecret, listSecretRecords, putSecret, type Db, type EventRecord, type SecretRecord } from "../store/index.ts";
import { podmanSecretName, SECRET_LABEL_NAME, SECRET_LABEL_SERVICE } from "./naming.ts";

/** What the secret operations need, passed in (a subset of the deploy's dependencies). */
export interface SecretDeps {
  node: string;
  runtime: ContainerRuntime;
  db: Db;
  clock: { now(): number };
  journal: { append(e: Omit<EventRecord, "id">): unknown };
  /** The service's lock: a secret changes between deploys, never during one. */
  locks: { acquire(key: string, o: { waitMs: number; signal?: AbortSignal }): Promise<() => void> };
  defaultLockWaitMs: number;
}

/** A secret's facts as the API gives them: never the value. */
export interface SecretFacts {
  service: string;
  name: string;
  size: number;
  createdAt: number;
  updatedAt: number;
  version: string;
  missing?: boolean;
}

const facts = (r: SecretRecord): SecretFacts => ({ service: r.service, name: r.name, size: r.size, createdAt: r.createdAt, updatedAt: r.updatedAt, version: r.version });

/** Refuses a secret name that breaks the rule (SPEC §7.3); the message shows it escaped and cut short. */
export function assertSecretName(name: string): void {
  const problem = secretNameProblem(name);
  if (problem) throw new McpError("invalid_argument", `secret name: ${problem}`, "name it with letters, digits, _ and - (e.g. db_password)");
}

function macOf(key: Buffer, value: Uint8Array): Buffer {
  return createHmac("sha256", key).update(value).digest();
}

/**
 * Stores a service's secret as a podman secret (SPEC §7.3), under the
 * service's lock: created, or replaced (podman 4.3 cannot replace: removed
 * and created again, a moment in which a container using it cannot start).
 * The same value again changes nothing (created false, same version) unless
 * podman lost it. The value reaches podman on a pipe and is never logged,
 * stored in the registry, put in an event or returned. The service name is
 * checked by the caller.
 */
export async function setSecret(deps: SecretDeps, req: { service: string; name: string; value: Uint8Array; signal?: AbortSignal }): Promise<{ secret: SecretFacts; created: boolean }> {
  assertSecretName(req.name);
  if (req.value.length === 0) throw new McpError("invalid_argument", `secret ${req.service}/${req.name}: the value is empty`, "give a value on stdin or with --from-file");
  if (req.value.length > MAX_SECRET_BYTES) {
    throw new McpError("invalid_argument", `secret ${req.service}/${req.name}: the value is ${req.value.length} bytes; podman takes at most ${MAX_SECRET_BYTES}`, "store a smaller value (or a file pushed with mcp push)");
  }
  const release = await deps.locks.acquire(`service ${req.service}`, { waitMs: deps.defaultLockWaitMs, signal: req.signal });
  try {
    const podmanName = podmanSecretName(req.service, req.name);
    const old = getSecret(deps.db, req.service, req.name);
    const present = (await deps.runtime.listSecrets()).some((s) => s.name === podmanName);
    if (old && present && timingSafeEqual(macOf(Buffer.from(old.macKey, "hex"), req.value), Buffer.from(old.mac, "hex"))) {
      return { secret: facts(old), created: false };
    }
    if (present) await deps.runtime.removeSecret(podmanName);
    await deps.runtime.createSecret(podmanName, req.value, { [SECRET_LABEL_SERVICE]: req.service, [SECRET_LABEL_NAME]: req.name });
    const key = randomBytes(32);
    const now = deps.clock.now();
    putSecret(deps.db, {
      service: req.service, name: req.name, podmanName, size: req.value.length, version: randomBytes(8).toString("hex"),
      macKey: key.toString("hex"), mac: macOf(key, req.value).toString("hex"),
    }, now);
    const rec = getSecret(deps.db, req.service, req.name)!;
    deps.journal.append({ time: now, service: req.service, component: "", kind: "secret-set", message: `${req.name}: ${rec.size} bytes, version ${rec.version}` });
    return { secret: facts(rec), created: !old };
  } finally {
    release();
  }
}

/**
 * The secrets of one service ("" = every service): names, sizes, dates,
 * versions, and `missing` for one the registry has and podman no longer
 * does (an agent killed between the remove and the create of a replacement,
 * a `podman secret rm` by hand): never listed as if it were there.
 */
export async function listSecrets(deps: Pick<SecretDeps, "db" | "runtime">, service: string): Promise<SecretFacts[]> {
  const records = listSecretRecords(deps.db, service);
  if (records.length === 0) return [];
  const inPodman = new Set((await deps.runtime.listSecrets()).map((s) => s.name));
  return records.map((r) => (inPodman.has(r.podmanName) ? facts(r) : { ...facts(r), missing: true }));
}

/**
 * Removes a service's secret from podman and the registry, under the
 * service's lock. Containers using it keep running (podman 4.3 cannot start
 * them again until it is set again). Fails not_found when the service has no
 * such secret.
 */
export async function removeSecret(deps: SecretDeps, req: { service: string; name: string; signal?: AbortSignal }): Promise<void> {
  assertSecretName(req.name);
  const release = await deps.locks.acquire(`service ${req.service}`, { waitMs: deps.defaultLockWaitMs, signal: req.signal });
  try {
    const rec = getSecret(deps.db, req.service, req.name);
    if (!rec) throw new McpError("not_found", `service ${req.service} has no secret ${req.name} on node ${deps.node}`, `list them: mcp secret ls ${req.service}`);
    await deps.runtime.removeSecret(rec.podmanName);
    deleteSecret(deps.db, req.service, req.name);
    deps.journal.append({ time: deps.clock.now(), service: req.service, component: "", kind: "secret-removed", message: req.name });
  } finally {
    release();
  }
}
