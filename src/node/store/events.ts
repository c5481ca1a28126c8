import type { EventRecord } from "../../model/index.ts";
export type { EventRecord } from "../../model/index.ts";
import type { Db } from "./db.ts";


/** Appends an event; returns it with its id. */
export function appendEvent(db: Db, e: Omit<EventRecord, "id">): EventRecord {
  const res = db.query("INSERT INTO events (time, service, component, kind, message) VALUES (?, ?, ?, ?, ?)")
    .run(e.time, e.service, e.component, e.kind, e.message);
  return { id: Number(res.lastInsertRowid), ...e };
}

/** The newest events (of one service when given), oldest first. */
export function recentEvents(db: Db, opts: { service?: string; limit: number }): EventRecord[] {
  const rows = (opts.service
    ? db.query("SELECT * FROM events WHERE service = ? ORDER BY id DESC LIMIT ?").all(opts.service, opts.limit)
    : db.query("SELECT * FROM events ORDER BY id DESC LIMIT ?").all(opts.limit)) as EventRecord[];
  return rows.reverse();
}

/** Deletes events older than `before` (Unix ms); returns how many. */
export function pruneEvents(db: Db, before: number): number {
  return db.query("DELETE FROM events WHERE time < ?").run(before).changes;
}
