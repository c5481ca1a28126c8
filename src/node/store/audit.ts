import type { AuditRecord } from "../../model/index.ts";
export type { AuditRecord } from "../../model/index.ts";
import type { Db } from "./db.ts";


export function appendAudit(db: Db, a: Omit<AuditRecord, "id">): void {
  db.query("INSERT INTO audit (time, method, identity, peer, outcome, duration_ms, detail) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .run(a.time, a.method, a.identity, a.peer, a.outcome, a.durationMs, a.detail ?? "");
}

/** The newest `limit` records at or after `since` (Unix ms), oldest first. */
export function listAudit(db: Db, o: { since: number; limit: number }): AuditRecord[] {
  const rows = db
    .query("SELECT id, time, method, identity, peer, outcome, duration_ms AS durationMs, detail FROM audit WHERE time >= ? ORDER BY id DESC LIMIT ?")
    .all(o.since, o.limit) as AuditRecord[];
  return rows.reverse();
}

/** Removes records older than `before`; returns how many. */
export function pruneAudit(db: Db, before: number): number {
  return db.query("DELETE FROM audit WHERE time < ?").run(before).changes;
}
