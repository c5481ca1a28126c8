import { Database } from "bun:sqlite";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { McpError } from "../../lib/errors.ts";
import { MIGRATIONS } from "./migrations.ts";

/** An open registry database. */
export type Db = Database;

/**
 * Opens (creating if needed, mode 0600) the registry at path, sets WAL mode,
 * a busy timeout and foreign keys, and applies pending migrations in one
 * transaction each. A database newer than this program is refused.
 */
export function openDb(path: string): Db {
  const fresh = path !== ":memory:" && !existsSync(path);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  let db: Database;
  try {
    db = new Database(path, { create: true, strict: true });
  } catch (err) {
    throw new McpError("unavailable", `cannot open the registry ${path}: ${(err as Error).message}`, "check the path and its permissions ([database] path)");
  }
  if (fresh) chmodSync(path, 0o600);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA synchronous = NORMAL");
  migrate(db);
  return db;
}

function migrate(db: Database): void {
  const row = db.query("PRAGMA user_version").get() as { user_version: number };
  const current = row.user_version;
  if (current > MIGRATIONS.length) {
    throw new McpError(
      "failed_precondition",
      `the registry is at schema ${current}, newer than this mcp (${MIGRATIONS.length})`,
      "run a newer mcp, or restore a registry backup made by this version",
    );
  }
  for (let i = current; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!);
      db.exec(`PRAGMA user_version = ${i + 1}`);
    })();
  }
}
