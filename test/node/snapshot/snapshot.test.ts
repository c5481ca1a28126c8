// Service snapshots and restores (SPEC §5.8, issue 6 acceptance 3 and 4),
// at the domain level with the real tar, zstd and SQLite.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isMcpError } from "../../../src/lib/errors.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { restoreService, snapshotService } from "../../../src/node/snapshot/index.ts";
import { tempDir, waitFor } from "../../support/mcp.ts";

let root: string;
let srv: string;

beforeEach(() => {
  root = tempDir("mcp-snap-");
  srv = join(root, "srv");
  mkdirSync(join(srv, "app", "data"), { recursive: true });
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

async function snapshot(service = "app"): Promise<{ bytes: Buffer; sha256: string; databases: string[] }> {
  const parts: Uint8Array[] = [];
  let sha256 = "";
  let databases: string[] = [];
  await snapshotService({ srvRoot: srv, service, log: silentLogger, signal: new AbortController().signal }, async (c) => {
    parts.push(c.data);
    if (c.sha256) {
      sha256 = c.sha256;
      databases = c.databases;
    }
  });
  return { bytes: Buffer.concat(parts), sha256, databases };
}

async function* stream(bytes: Uint8Array, sha256: string) {
  for (let i = 0; i < bytes.length; i += 1 << 16) yield { data: bytes.subarray(i, i + (1 << 16)), sha256: "" };
  yield { data: new Uint8Array(0), sha256 };
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const listing = async (archive: Buffer) => {
  const f = join(root, `list-${Math.random()}.tar.zst`);
  writeFileSync(f, archive);
  return (await $`tar --zstd -tf ${f}`.text()).split("\n").filter(Boolean);
};
/** Every file under dir (relative) with its bytes. */
const tree = (dir: string) =>
  Object.fromEntries(readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    .map((e) => [join(e.parentPath, e.name).slice(dir.length + 1), readFileSync(join(e.parentPath, e.name), "base64")]));

describe("snapshot and restore", () => {
  test("a live WAL database written to during the snapshot: restored, it passes integrity_check and has every row committed before; -wal, -shm and backups/ are left out", async () => {
    const dbPath = join(srv, "app", "data", "app.db");
    const setup = new Database(dbPath);
    setup.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    setup.close();
    writeFileSync(join(srv, "app", "config.toml"), "x = 1\n");
    mkdirSync(join(srv, "app", "backups"));
    writeFileSync(join(srv, "app", "backups", "old.db"), "not in the archive");
    // Another process writes rows as fast as it can, each its own transaction, and never checkpoints.
    const writer = Bun.spawn(["bun", "-e", `
      import { Database } from "bun:sqlite";
      const db = new Database(${JSON.stringify(dbPath)});
      db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; PRAGMA busy_timeout = 5000");
      const ins = db.query("INSERT INTO t (v) VALUES (?)");
      for (let i = 0; ; i++) { ins.run("row " + i); if (i % 50 === 0) await Bun.sleep(1); }
    `], { stdout: "ignore", stderr: "inherit", env: { ...process.env, PATH: `${join(import.meta.dir, "../../../node_modules/.bin")}:${process.env.PATH}` } });
    try {
      const count = () => {
        const db = new Database(dbPath, { readonly: true });
        try {
          return (db.query("SELECT COUNT(*) AS n FROM t").get() as { n: number }).n;
        } finally {
          db.close();
        }
      };
      await waitFor(() => count() > 2000, "the writer to commit rows", 20_000);
      expect(existsSync(`${dbPath}-wal`)).toBe(true);
      const before = count();
      const snap = await snapshot();
      const after = count();
      expect(after).toBeGreaterThan(before); // it kept writing during the snapshot

      const names = await listing(snap.bytes);
      expect(names).toContain("./data/app.db");
      expect(names).toContain("./config.toml");
      expect(names.filter((n) => /-wal$|-shm$|mcp-snapshot-copy|backups/.test(n))).toEqual([]);
      expect(snap.databases).toEqual(["data/app.db"]);
      expect(snap.sha256).toBe(sha(snap.bytes));

      // Into a fresh node's srv root.
      const fresh = join(root, "fresh");
      mkdirSync(fresh);
      const r = await restoreService({ srvRoot: fresh, service: "app", maxBytes: 1 << 30 }, stream(snap.bytes, snap.sha256));
      expect(r.databases).toEqual(["data/app.db"]);
      const db = new Database(join(fresh, "app", "data", "app.db"), { readonly: true });
      try {
        expect((db.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check).toBe("ok");
        const { n, max } = db.query("SELECT COUNT(*) AS n, MAX(id) AS max FROM t").get() as { n: number; max: number };
        expect(n).toBeGreaterThanOrEqual(before);
        expect(n).toBeLessThanOrEqual(after);
        expect(max).toBe(n); // every row up to the snapshot, no gap
      } finally {
        db.close();
      }
      expect(readFileSync(join(fresh, "app", "config.toml"), "utf8")).toBe("x = 1\n");
      expect(existsSync(join(fresh, "app", "backups"))).toBe(false);
      expect(readdirSync(fresh)).toEqual(["app"]); // no work directory left
    } finally {
      writer.kill();
      await writer.exited;
    }
  }, 60_000);

  test("restore replaces the directory as a whole; modes are kept (the directory's too)", async () => {
    writeFileSync(join(srv, "app", "a.txt"), "A\n", { mode: 0o640 });
    const db = new Database(join(srv, "app", "data", "x.db"));
    db.exec("CREATE TABLE t (v)");
    db.close();
    chmodSync(join(srv, "app"), 0o751);
    const snap = await snapshot();
    writeFileSync(join(srv, "app", "a.txt"), "changed\n");
    writeFileSync(join(srv, "app", "new.txt"), "added after\n");
    await restoreService({ srvRoot: srv, service: "app", maxBytes: 1 << 30 }, stream(snap.bytes, snap.sha256));
    expect(Object.keys(tree(join(srv, "app"))).sort()).toEqual(["a.txt", "data/x.db"]);
    expect(statSync(join(srv, "app", "a.txt")).mode & 0o777).toBe(0o640);
    expect(statSync(join(srv, "app")).mode & 0o777).toBe(0o751);
    expect(readdirSync(srv)).toEqual(["app"]);
  });

  test("a truncated, corrupted, mismatched, oversized or hostile archive is refused and the service directory is unchanged", async () => {
    writeFileSync(join(srv, "app", "keep.txt"), "precious\n");
    const db = new Database(join(srv, "app", "data", "x.db"));
    db.exec("CREATE TABLE t (v); INSERT INTO t VALUES (1)");
    db.close();
    const big = Buffer.alloc(2 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24; // not compressible to nothing
    writeFileSync(join(srv, "app", "big.bin"), big);
    const snap = await snapshot();
    writeFileSync(join(srv, "app", "keep.txt"), "current\n");
    const before = tree(join(srv, "app"));

    const truncated = snap.bytes.subarray(0, Math.floor(snap.bytes.length / 2));
    const corrupted = Buffer.from(snap.bytes);
    for (let i = Math.floor(corrupted.length / 3); i < Math.floor(corrupted.length / 3) + 64; i++) corrupted[i]! ^= 0xff;
    // A hostile archive made by hand: a member named ../escape, and a symlink to outside followed by a file through it.
    const evil = join(root, "evil");
    mkdirSync(evil);
    writeFileSync(join(evil, "x"), "payload\n");
    symlinkSync(join(root, "outside"), join(evil, "link"));
    mkdirSync(join(root, "outside"));
    const evilTar = join(root, "evil.tar");
    await $`tar -C ${evil} -cf ${evilTar} --transform=${"s,^x$,../escape,"} x`.quiet();
    const viaLink = join(root, "via-link.tar");
    await $`tar -C ${evil} -cf ${viaLink} link`.quiet();
    await $`tar -C ${evil} -rf ${viaLink} --transform=${"s,^x$,link/planted,"} x`.quiet();
    const zst = async (f: string) => {
      await $`zstd -q -f ${f} -o ${f}.zst`.quiet();
      return readFileSync(`${f}.zst`);
    };
    const cases: [string, Buffer, string, number, RegExp][] = [
      ["truncated", truncated, sha(truncated), 1 << 30, /damaged or truncated/],
      ["corrupted", corrupted, sha(corrupted), 1 << 30, /damaged or truncated|could not be extracted/],
      ["checksum", snap.bytes, "0".repeat(64), 1 << 30, /checksum mismatch/],
      ["oversized", snap.bytes, snap.sha256, 1024, /larger than this agent accepts/],
      ["dot-dot member", await zst(evilTar), "", 1 << 30, /member "\.\.\/escape" is refused: its name contains `\.\.`/],
      ["write through a symlink", await zst(viaLink), "", 1 << 30, /member "link" is refused: it is a symlink to an absolute path/],
    ];
    for (const [what, bytes, sum, maxBytes, why] of cases) {
      const got = await restoreService({ srvRoot: srv, service: "app", maxBytes }, stream(bytes, sum || sha(bytes))).then(
        () => "accepted", (e) => (isMcpError(e) ? e.message : String(e)));
      expect([what, got]).toEqual([what, expect.stringMatching(why)]);
      expect(tree(join(srv, "app"))).toEqual(before);
      expect(readdirSync(srv)).toEqual(["app"]);
    }
    expect(existsSync(join(root, "escape"))).toBe(false);
    expect(readdirSync(join(root, "outside"))).toEqual([]);
  }, 30_000);

  test("a database that fails integrity_check in the archive is refused", async () => {
    const good = join(root, "good");
    mkdirSync(good);
    const bad = join(good, "bad.db");
    const db = new Database(bad);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX tv ON t (v)");
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) db.run("INSERT INTO t (v) VALUES (?)", [`value ${i}`]);
    })();
    db.close();
    // Damage a page in the middle of the file (not the header).
    const bytes = readFileSync(bad);
    for (let i = 4096 * 3; i < 4096 * 3 + 200; i++) bytes[i] = 0x55;
    writeFileSync(bad, bytes);
    const archive = join(root, "bad.tar");
    await $`tar -C ${good} -cf ${archive} .`.quiet();
    await $`zstd -q -f ${archive} -o ${archive}.zst`.quiet();
    const z = readFileSync(`${archive}.zst`);
    writeFileSync(join(srv, "app", "keep.txt"), "still here\n");
    await expect(restoreService({ srvRoot: srv, service: "app", maxBytes: 1 << 30 }, stream(z, sha(z)))).rejects.toThrow(/bad\.db in the archive fails its integrity check/);
    expect(readFileSync(join(srv, "app", "keep.txt"), "utf8")).toBe("still here\n");
  }, 30_000);

  test("the service directory must exist for a snapshot; a restore may create it", async () => {
    await expect(snapshot("missing")).rejects.toThrow(/does not exist on this node/);
    const snap = await snapshot("app");
    await restoreService({ srvRoot: srv, service: "copy", maxBytes: 1 << 30 }, stream(snap.bytes, snap.sha256));
    expect(statSync(join(srv, "copy", "data")).isDirectory()).toBe(true);
  });
});
