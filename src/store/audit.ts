import type { Db } from "./db.ts";

/** One audited RPC (SPEC §5.2): time, method, identity, peer, outcome, duration. Never a token or content. */
export interface AuditRecord {
  id: number;
  time: number;
  method: string;
  identity: string;
  peer: string;
  /** The gRPC status name: OK, PERMISSION_DENIED, … */
  outcome: string;
  durationMs: number;
}

export function appendAudit(db: Db, a: Omit<AuditRecord, "id">): void {
  db.query("INSERT INTO audit (time, method, identity, peer, outcome, duration_ms) VALUES (?, ?, ?, ?, ?, ?)")
    .run(a.time, a.method, a.identity, a.peer, a.outcome, a.durationMs);
}

/** The newest `limit` records at or after `since` (Unix ms), oldest first. */
export function listAudit(db: Db, o: { since: number; limit: number }): AuditRecord[] {
  const rows = db
    .query("SELECT id, time, method, identity, peer, outcome, duration_ms AS durationMs FROM audit WHERE time >= ? ORDER BY id DESC LIMIT ?")
    .all(o.since, o.limit) as AuditRecord[];
  return rows.reverse();
}

/** Removes records older than `before`; returns how many. */
export function pruneAudit(db: Db, before: number): number {
  return db.query("DELETE FROM audit WHERE time < ?").run(before).changes;
}
