import type { ComponentRecord, HealthState, ServiceRecord } from "../../model/index.ts";
export type { ComponentRecord, ServiceRecord } from "../../model/index.ts";
import type { DesiredState, ObservedState } from "../runtime/types.ts";
import type { Db } from "./db.ts";
import { fromSpecRow, type SpecRow } from "./_rows.ts";


/** The columns of a component, named as ComponentRecord's fields. */
const COLUMNS = "service, name, spec_json AS spec, spec_hash AS specHash, desired, observed, version, image_digest AS imageDigest, " +
  "container_id AS containerId, container_name AS containerName, observed_at AS observedAt, deployed_at AS deployedAt, updated_at AS updatedAt, " +
  "health, unverified";

type ComponentRow = SpecRow<Omit<ComponentRecord, "unverified">> & { unverified: number };
const toRecord = (r: ComponentRow): ComponentRecord => ({ ...fromSpecRow<Omit<ComponentRecord, "unverified">>(r), unverified: r.unverified === 1 });

/** Every service with its components, ordered by name (components in insertion order). */
export function listServices(db: Db): ServiceRecord[] {
  const services = db.query("SELECT name, active FROM services ORDER BY name").all() as { name: string; active: number }[];
  const rows = db.query(`SELECT ${COLUMNS} FROM components ORDER BY service, rowid`).all() as ComponentRow[];
  const byService = new Map<string, ComponentRecord[]>();
  for (const r of rows) {
    const list = byService.get(r.service) ?? [];
    list.push(toRecord(r));
    byService.set(r.service, list);
  }
  return services.map((s) => ({ name: s.name, active: s.active === 1, components: byService.get(s.name) ?? [] }));
}

/** One service, or null when the registry does not know it. */
export function getService(db: Db, name: string): ServiceRecord | null {
  const s = db.query("SELECT name, active FROM services WHERE name = ?").get(name) as { name: string; active: number } | null;
  if (!s) return null;
  const rows = db.query(`SELECT ${COLUMNS} FROM components WHERE service = ? ORDER BY rowid`).all(name) as ComponentRow[];
  return { name: s.name, active: s.active === 1, components: rows.map(toRecord) };
}

/** One component, or null. */
export function getComponent(db: Db, service: string, name: string): ComponentRecord | null {
  const r = db.query(`SELECT ${COLUMNS} FROM components WHERE service = ? AND name = ?`).get(service, name) as ComponentRow | null;
  return r ? toRecord(r) : null;
}

/** Creates the service or updates its active flag. Idempotent. */
export function upsertService(db: Db, name: string, active: boolean, now: number): void {
  db.query(
    `INSERT INTO services (name, active, created_at, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET active = excluded.active, updated_at = excluded.updated_at`,
  ).run(name, active ? 1 : 0, now, now);
}

/** The fields of a component that a deploy writes (the times of the write are the store's). */
export type ComponentWrite = Omit<ComponentRecord, "observedAt" | "updatedAt">;

/**
 * Creates or replaces a component's record (the service must exist). The
 * probe verdict is the write's (absent = not probed yet) and the component
 * is verified unless the write says otherwise: a record is written when a
 * gate passed, or by sync/adopt, which claim nothing about a deploy.
 */
export function putComponent(db: Db, c: ComponentWrite, now: number): void {
  db.query(
    `INSERT INTO components (service, name, spec_json, spec_hash, desired, observed, version, image_digest,
                             container_id, container_name, observed_at, deployed_at, updated_at, health, unverified)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(service, name) DO UPDATE SET
       spec_json = excluded.spec_json, spec_hash = excluded.spec_hash, desired = excluded.desired,
       observed = excluded.observed, version = excluded.version, image_digest = excluded.image_digest,
       container_id = excluded.container_id, container_name = excluded.container_name,
       observed_at = excluded.observed_at, deployed_at = excluded.deployed_at, updated_at = excluded.updated_at,
       health = excluded.health, unverified = excluded.unverified`,
  ).run(c.service, c.name, JSON.stringify(c.spec), c.specHash, c.desired, c.observed, c.version, c.imageDigest,
    c.containerId, c.containerName, now, c.deployedAt, now, c.health ?? "", c.unverified ? 1 : 0);
}

/**
 * Marks a component whose container a deploy is about to replace (true) or
 * has settled (false) (SPEC §7.7): a crash in between leaves it unverified,
 * and the next deploy runs the gate again. Returns false when unknown.
 */
export function setUnverified(db: Db, service: string, name: string, unverified: boolean, now: number): boolean {
  return db.query("UPDATE components SET unverified = ?, updated_at = ? WHERE service = ? AND name = ?").run(unverified ? 1 : 0, now, service, name).changes > 0;
}

/** Records a probe verdict (SPEC §7.5). Returns the previous one, or null when the component is unknown. */
export function setHealth(db: Db, service: string, name: string, health: HealthState, now: number): HealthState | null {
  const prev = db.query("SELECT health FROM components WHERE service = ? AND name = ?").get(service, name) as { health: HealthState } | null;
  if (!prev) return null;
  if (prev.health !== health) db.query("UPDATE components SET health = ?, updated_at = ? WHERE service = ? AND name = ?").run(health, now, service, name);
  return prev.health;
}

/** Sets a component's desired state. Returns false when the component is unknown. */
export function setDesired(db: Db, service: string, name: string, desired: DesiredState, now: number): boolean {
  const res = db.query("UPDATE components SET desired = ?, updated_at = ? WHERE service = ? AND name = ?").run(desired, now, service, name);
  return res.changes > 0;
}

/**
 * Records an observation. Returns the previous observed state, or null when
 * the component is unknown. Writes only when something changed.
 */
export function setObserved(
  db: Db,
  service: string,
  name: string,
  observed: ObservedState,
  containerId: string,
  now: number,
): ObservedState | null {
  const prev = db.query("SELECT observed, container_id FROM components WHERE service = ? AND name = ?").get(service, name) as
    | { observed: ObservedState; container_id: string }
    | null;
  if (!prev) return null;
  if (prev.observed !== observed || prev.container_id !== containerId) {
    db.query("UPDATE components SET observed = ?, container_id = ?, observed_at = ?, updated_at = ? WHERE service = ? AND name = ?")
      .run(observed, containerId, now, now, service, name);
  }
  return prev.observed;
}

/** Forgets a service and its components (deployments and events stay, as history). Returns false when unknown. */
export function deleteService(db: Db, name: string): boolean {
  return db.transaction(() => {
    db.query("DELETE FROM components WHERE service = ?").run(name);
    return db.query("DELETE FROM services WHERE name = ?").run(name).changes > 0;
  })();
}
