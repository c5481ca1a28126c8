import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { isMcpError } from "../../../src/lib/errors.ts";
import { backupRegistry, openDb, upsertService } from "../../../src/node/store/index.ts";

// 2026-11-23 23:45:12.345 UTC
const NOW = Date.UTC(2026, 10, 23, 23, 45, 12, 345);
const DAY = 86_400_000;

function setup() {
  const root = mkdtempSync(join(tmpdir(), "mcp-backup-"));
  const dbPath = join(root, "mcp.db");
  return { root, dbPath, dir: join(root, "backups") };
}

/** A small registry: migrated, closed. */
function makeRegistry(dbPath: string): void {
  openDb(dbPath).close();
}

function names(dir: string): string[] {
  return readdirSync(dir).sort();
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("backupRegistry", () => {
  test("copies every committed row of a WAL registry while another connection holds it open, mid-write", () => {
    const { dbPath, dir } = setup();
    const db = openDb(dbPath);
    // Keep every commit in the WAL, none in the main file: the copy must see them anyway.
    db.exec("PRAGMA wal_autocheckpoint = 0");
    db.exec("CREATE TABLE scratch (n INTEGER NOT NULL)");
    const insert = db.query("INSERT INTO scratch (n) VALUES (?)");
    for (let i = 0; i < 500; i++) insert.run(i);
    upsertService(db, "metacrypt", true, NOW);
    expect(statSync(`${dbPath}-wal`).size).toBeGreaterThan(0);

    // The writer is in the middle of a transaction while the backup runs: it neither blocks the backup nor leaks into it.
    db.exec("BEGIN IMMEDIATE");
    for (let i = 500; i < 510; i++) insert.run(i);
    const { path } = backupRegistry(dbPath, dir, NOW);
    db.exec("COMMIT");

    const copy = new Database(path, { readonly: true });
    expect(copy.query("SELECT count(*) AS n FROM scratch").get()).toEqual({ n: 500 });
    expect(copy.query("SELECT name FROM services").all()).toEqual([{ name: "metacrypt" }]);
    // A standalone file: rollback journal, not WAL, so it can be copied or opened as is.
    expect((copy.query("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode).toBe("delete");
    copy.close();
    expect((db.query("SELECT count(*) AS n FROM scratch").get() as { n: number }).n).toBe(510);
    db.close();
  });

  test("names the copy by the UTC second, mode 0600, in a directory it makes 0700", () => {
    const { dbPath, dir } = setup();
    makeRegistry(dbPath);
    const { path, removed } = backupRegistry(dbPath, dir, NOW);
    expect(path).toBe(join(dir, "mcp-20261123T234512Z.db"));
    expect(removed).toEqual([]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // Only the copy: no journal or WAL files left beside it.
    expect(names(dir)).toEqual(["mcp-20261123T234512Z.db"]);
  });

  test("leaves an existing directory's mode alone", () => {
    const { dbPath, dir } = setup();
    makeRegistry(dbPath);
    mkdirSync(dir, { mode: 0o750 });
    backupRegistry(dbPath, dir, NOW);
    expect(statSync(dir).mode & 0o777).toBe(0o750);
  });

  test("two backups in one second: the second gets -2, the third -3", () => {
    const { dbPath, dir } = setup();
    makeRegistry(dbPath);
    const paths = [0, 1, 2].map((i) => basename(backupRegistry(dbPath, dir, NOW + i * 100).path));
    expect(paths).toEqual(["mcp-20261123T234512Z.db", "mcp-20261123T234512Z-2.db", "mcp-20261123T234512Z-3.db"]);
  });

  test("keeps the newest 7 of its own backups and removes only older ones; other files stay", () => {
    const { dbPath, dir } = setup();
    makeRegistry(dbPath);
    mkdirSync(dir);
    const unrelated = ["notes.txt", "mcp-before-upgrade.db", "mcp-20200101T000000Z.db.bak", "other-20200101T000000Z.db"];
    for (const f of unrelated) writeFileSync(join(dir, f), "keep me");

    const written: string[] = [];
    for (let d = 0; d < 9; d++) {
      const { path, removed } = backupRegistry(dbPath, dir, NOW + d * DAY);
      written.push(path);
      expect(removed).toEqual(d < 7 ? [] : [written[d - 7]!]);
    }
    const ours = names(dir).filter((f) => !unrelated.includes(f));
    expect(ours).toEqual(written.slice(2).map((p) => basename(p)).sort());
    for (const f of unrelated) expect(readFileSync(join(dir, f), "utf8")).toBe("keep me");
  });

  test("orders same-second backups by their suffix number (-10 is newer than -9)", () => {
    const { dbPath, dir } = setup();
    makeRegistry(dbPath);
    mkdirSync(dir);
    const older = "mcp-20261123T234511Z.db";
    writeFileSync(join(dir, older), "");
    for (let n = 2; n <= 10; n++) writeFileSync(join(dir, `mcp-20261123T234512Z-${n}.db`), "");
    writeFileSync(join(dir, "mcp-20261123T234512Z.db"), "");
    // Eleven backups, then one more from this second (-11): the five oldest go.
    const { path, removed } = backupRegistry(dbPath, dir, NOW, 7);
    expect(basename(path)).toBe("mcp-20261123T234512Z-11.db");
    expect(removed.map((p) => basename(p))).toEqual([older, "mcp-20261123T234512Z.db", "mcp-20261123T234512Z-2.db", "mcp-20261123T234512Z-3.db", "mcp-20261123T234512Z-4.db"]);
    expect(names(dir)).toEqual([5, 6, 7, 8, 9, 10, 11].map((n) => `mcp-20261123T234512Z-${n}.db`).sort());
  });

  test("never removes the backup just written, even when the clock went back", () => {
    const { dbPath, dir } = setup();
    makeRegistry(dbPath);
    for (let d = 1; d <= 7; d++) backupRegistry(dbPath, dir, NOW + d * DAY);
    const { path, removed } = backupRegistry(dbPath, dir, NOW);
    expect(existsSync(path)).toBe(true);
    expect(removed.map((p) => basename(p))).toEqual(["mcp-20261124T234512Z.db"]);
    expect(names(dir)).toHaveLength(7);
  });

  test("a copy that fails its integrity check is deleted, and no old backup is pruned", () => {
    const { dbPath, dir } = setup();
    // A registry with a damaged index: VACUUM INTO copies index pages as they are, so the copy is damaged too.
    const db = new Database(dbPath, { create: true });
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("CREATE TABLE t (a TEXT); CREATE INDEX t_a ON t (a)");
    for (let i = 0; i < 50; i++) db.query("INSERT INTO t VALUES (?)").run(`value${String(i).padStart(4, "0")}`);
    const { rootpage } = db.query("SELECT rootpage FROM sqlite_schema WHERE name = 't_a'").get() as { rootpage: number };
    const { page_size } = db.query("PRAGMA page_size").get() as { page_size: number };
    db.close(); // checkpoints: every page is in the main file now
    const bytes = readFileSync(dbPath);
    const page = bytes.subarray((rootpage - 1) * page_size, rootpage * page_size);
    const at = page.indexOf("value0042");
    expect(at).toBeGreaterThan(0);
    page.write("value9999", at);
    writeFileSync(dbPath, bytes);

    mkdirSync(dir);
    for (let d = 1; d <= 7; d++) writeFileSync(join(dir, `mcp-2026110${d}T000000Z.db`), "");
    const before = names(dir);
    const err = thrown(() => backupRegistry(dbPath, dir, NOW));
    expect(isMcpError(err, "failed_precondition")).toBe(true);
    expect((err as Error).message).toContain("failed its integrity check");
    expect((err as Error).message).toContain("missing from index t_a");
    expect(names(dir)).toEqual(before);
  });

  test("no registry at the path: failed_precondition, nothing created", () => {
    const { dbPath, dir } = setup();
    const err = thrown(() => backupRegistry(dbPath, dir, NOW));
    expect(isMcpError(err, "failed_precondition")).toBe(true);
    expect((err as Error).message).toBe(`no registry at ${dbPath}`);
    expect((err as { hint: string }).hint).toBe("is this the agent's config? run mcp agent init first");
    expect(existsSync(dir)).toBe(false);
  });

  test("a file that is not a database: an McpError, and the empty copy is removed", () => {
    const { dbPath, dir } = setup();
    writeFileSync(dbPath, "this is not sqlite, but long enough to have a header of sorts...........................................");
    const err = thrown(() => backupRegistry(dbPath, dir, NOW));
    expect(isMcpError(err, "failed_precondition")).toBe(true);
    expect((err as Error).message).toContain(`cannot back up the registry ${dbPath}`);
    expect(names(dir)).toEqual([]);
  });
});
