import { appendEvent, type Db, type EventRecord } from "../store/index.ts";

/** The node's history: appends to the registry and tells live watchers (`mcp events -f`). */
export interface Journal {
  append(e: Omit<EventRecord, "id">): EventRecord;
  /** Calls fn for every event appended from now on; returns the unsubscribe function. */
  subscribe(fn: (e: EventRecord) => void): () => void;
}

export function createJournal(db: Db): Journal {
  const watchers = new Set<(e: EventRecord) => void>();
  return {
    append(e) {
      const rec = appendEvent(db, e);
      for (const w of watchers) {
        try {
          w(rec);
        } catch {
          // A broken watcher (a stream that went away) must not stop the others or the writer.
        }
      }
      return rec;
    },
    subscribe(fn) {
      watchers.add(fn);
      return () => watchers.delete(fn);
    },
  };
}
