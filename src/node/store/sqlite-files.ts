import { constants, Database } from "bun:sqlite";

/**
 * SQLite files that are not the registry: the databases in a service's data
 * directory (snapshots) and the registry's backups. Only src/node/store/ opens
 * SQLite; these two are what the other modules need.
 */

/**
 * Writes a consistent copy of the database at `src` to `dst` with `VACUUM
 * INTO` (one read transaction from a second connection: safe while another
 * process writes, WAL or not). `dst` must not exist or be empty. The source
 * is opened read-write without create (a read-only connection can leave
 * -wal/-shm files behind) and never changed. Throws the SQLite error.
 * `durable: false` skips syncing the copy (half the time): for a copy that
 * is read at once and thrown away, as a snapshot's is. `readonly` opens the
 * source read-only (it can then never checkpoint or remove a -wal, whatever
 * file the name leads to; it may leave empty -wal/-shm files behind);
 * `immutable` opens it as a file nothing writes (no locks, no -wal or -shm
 * made: for a database whose service is not running);
 * `verify` is called after the open, after a first read and after the copy,
 * and aborts the copy by throwing.
 */
export function vacuumInto(src: string, dst: string, o: { durable: boolean; readonly?: boolean; immutable?: boolean; verify?: () => void } = { durable: true }): void {
  const db = o.immutable
    ? new Database(`file:${src.split("/").map(encodeURIComponent).join("/")}?immutable=1`, constants.SQLITE_OPEN_READONLY | constants.SQLITE_OPEN_URI)
    : new Database(src, o.readonly ? { readonly: true, strict: true } : { readwrite: true, create: false, strict: true });
  try {
    // `verify` sees the files the connection holds: once opened, once the -wal and -shm are (a first read), once copied.
    o.verify?.();
    db.exec("PRAGMA busy_timeout = 10000");
    db.query("PRAGMA schema_version").get();
    o.verify?.();
    // The copy is written with this connection's synchronous setting.
    if (!o.durable) db.exec("PRAGMA synchronous = OFF");
    db.run("VACUUM INTO ?", [dst]);
    o.verify?.();
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` of a database file: "ok", or what SQLite found (joined), or the error opening it. */
export function integrityCheck(path: string): string {
  let db: Database | undefined;
  try {
    db = new Database(path, { readwrite: true, create: false, strict: true });
    const rows = db.query("PRAGMA integrity_check").all() as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join("; ");
  } catch (err) {
    return (err as Error).message;
  } finally {
    db?.close();
  }
}
