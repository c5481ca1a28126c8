import type { DeploymentOutcome, DeploymentRecord } from "../../model/index.ts";
export type { DeploymentOutcome, DeploymentRecord } from "../../model/index.ts";
import type { ComponentSpec } from "../runtime/types.ts";
import type { Db } from "./db.ts";
import { fromSpecRow, type SpecRow } from "./_rows.ts";


/** The columns of a deployment, named as DeploymentRecord's fields. */
const COLUMNS = "id, service, component, spec_json AS spec, spec_hash AS specHash, image_digest AS imageDigest, version, " +
  "started_at AS startedAt, finished_at AS finishedAt, outcome, message, batch";

type Row = SpecRow<DeploymentRecord>;
const toRecord = (r: Row) => fromSpecRow<DeploymentRecord>(r);

/** Records the start of a deployment (before any container is touched); returns its id. */
export function beginDeployment(
  db: Db,
  d: { service: string; component: string; spec: ComponentSpec; specHash: string; imageDigest: string; version: string; batch?: number },
  now: number,
): number {
  const res = db
    .query(
      `INSERT INTO deployments (service, component, spec_json, spec_hash, image_digest, version, started_at, batch)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(d.service, d.component, JSON.stringify(d.spec), d.specHash, d.imageDigest, d.version, now, d.batch ?? 0);
  return Number(res.lastInsertRowid);
}

/** Records how a deployment ended. */
export function finishDeployment(db: Db, id: number, outcome: Exclude<DeploymentOutcome, "pending">, message: string, now: number): void {
  db.query("UPDATE deployments SET outcome = ?, message = ?, finished_at = ? WHERE id = ?").run(outcome, message, now, id);
}

/** The newest deployments of a component, newest first. */
export function listDeployments(db: Db, service: string, component: string, limit = 20): DeploymentRecord[] {
  const rows = db
    .query(`SELECT ${COLUMNS} FROM deployments WHERE service = ? AND component = ? ORDER BY id DESC LIMIT ?`)
    .all(service, component, limit) as Row[];
  return rows.map(toRecord);
}

/**
 * The newest deployment of a component that passed its gate (outcome ok,
 * with a digest), other than `except`: what a rollback or a put-back may go
 * back to (SPEC §7.7). Null when none.
 */
export function lastGoodDeployment(db: Db, service: string, component: string, except = 0): DeploymentRecord | null {
  const row = db
    .query(`SELECT ${COLUMNS} FROM deployments WHERE service = ? AND component = ? AND outcome = 'ok' AND image_digest != '' AND id != ? ORDER BY id DESC LIMIT 1`)
    .get(service, component, except) as Row | null;
  return row ? toRecord(row) : null;
}

/** The newest deployment of a component, or null. */
export function lastDeployment(db: Db, service: string, component: string): DeploymentRecord | null {
  return listDeployments(db, service, component, 1)[0] ?? null;
}

/** Deployments left `pending` (the agent died mid-deploy); marked failed at start. */
export function failPendingDeployments(db: Db, message: string, now: number): number {
  return db.query("UPDATE deployments SET outcome = 'failed', message = ?, finished_at = ? WHERE outcome = 'pending'").run(message, now)
    .changes;
}

/** A new batch number for a deploy or rollback call on a service (call it under the service's lock). */
export function nextBatch(db: Db, service: string): number {
  const row = db.query("SELECT COALESCE(MAX(batch), 0) + 1 AS n FROM deployments WHERE service = ?").get(service) as { n: number };
  return row.n;
}

/** Deployments still `pending` (the agent died during them), oldest first. */
export function pendingDeployments(db: Db): DeploymentRecord[] {
  return (db.query(`SELECT ${COLUMNS} FROM deployments WHERE outcome = 'pending' ORDER BY id`).all() as Row[]).map(toRecord);
}
