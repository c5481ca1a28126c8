/**
 * Read-only views of the deployments table for image pruning (SPEC §7.6)
 * and the metrics endpoint (§7.8): which image digests the history names,
 * which ones rollbacks may still need, and outcome counts and durations.
 */
import type { Db } from "./db.ts";

/** One (service, component) pair and an image digest its history names. */
export interface ComponentDigest {
  service: string;
  component: string;
  digest: string;
}

/** Every image digest any deployment recorded (what mcp brought to this node), with its newest use (Unix ms). */
export function deployedDigests(db: Db): Map<string, number> {
  const rows = db.query("SELECT image_digest AS digest, MAX(started_at) AS at FROM deployments WHERE image_digest != '' GROUP BY image_digest")
    .all() as { digest: string; at: number }[];
  return new Map(rows.map((r) => [r.digest, r.at]));
}

/**
 * The digests a rollback may go back to: per component, those of its newest
 * `keep` distinct deployments (spec and digest) that passed their gate
 * (outcome ok) — a redeploy of the same version (`--force`, a re-gate after
 * a crash) is one, so it never pushes an older version out — and of every
 * deployment still pending (one running now).
 */
export function rollbackDigests(db: Db, keep: number): ComponentDigest[] {
  return db.query(
    `SELECT service, component, image_digest AS digest FROM (
       SELECT service, component, image_digest, ROW_NUMBER() OVER (PARTITION BY service, component ORDER BY newest DESC) AS n
       FROM (SELECT service, component, spec_hash, image_digest, MAX(id) AS newest FROM deployments
             WHERE image_digest != '' AND outcome = 'ok' GROUP BY service, component, spec_hash, image_digest))
     WHERE n <= ?
     UNION SELECT service, component, image_digest AS digest FROM deployments WHERE image_digest != '' AND outcome = 'pending'`,
  ).all(Math.max(0, Math.floor(keep))) as ComponentDigest[];
}

/** Deployments per service, component and outcome. */
export interface DeploymentCount {
  service: string;
  component: string;
  outcome: string;
  count: number;
}

export function deploymentCounts(db: Db): DeploymentCount[] {
  return db.query("SELECT service, component, outcome, COUNT(*) AS count FROM deployments GROUP BY service, component, outcome ORDER BY service, component, outcome")
    .all() as DeploymentCount[];
}

/** A histogram of finished deployments' durations per service and outcome: `le[i]` deployments took at most bounds[i] ms. */
export interface DurationHistogram {
  service: string;
  outcome: string;
  le: number[];
  count: number;
  sumMs: number;
}

/** Durations (finished − started) of finished deployments, bucketed by boundsMs (ascending), per service and outcome. */
export function deploymentDurations(db: Db, boundsMs: readonly number[]): DurationHistogram[] {
  const buckets = boundsMs.map((_, i) => `SUM(CASE WHEN finished_at - started_at <= ?${i + 1} THEN 1 ELSE 0 END) AS b${i}`).join(", ");
  const rows = db.query(
    `SELECT service, outcome, COUNT(*) AS count, SUM(finished_at - started_at) AS sumMs${buckets ? `, ${buckets}` : ""}
     FROM deployments WHERE outcome != 'pending' AND finished_at >= started_at GROUP BY service, outcome ORDER BY service, outcome`,
  ).all(...boundsMs) as Record<string, number | string>[];
  return rows.map((r) => ({
    service: String(r.service), outcome: String(r.outcome), count: Number(r.count), sumMs: Number(r.sumMs ?? 0),
    le: boundsMs.map((_, i) => Number(r[`b${i}`] ?? 0)),
  }));
}
