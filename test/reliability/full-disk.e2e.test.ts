// Issue 9, item 3 (short version for CI; the long run: bench/reliability-faults.ts):
// push and restore onto a small tmpfs (the agent's srv_root) that fills up.
// The previous files stay byte-identical, no temporary file or work
// directory is left, the space is given back, the error says the disk is
// full; once space is freed the same push or restore succeeds.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { Database } from "bun:sqlite";
import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { podmanAvailable } from "../support/image.ts";
import { fillDisk, freeBytes, leftovers, mountTmpfs, treeDigest } from "../support/disk.ts";
import { ensureBinary } from "../support/mcp.ts";

/** The size of the tmpfs under test. */
const TMPFS_SIZE = "8m";

const podman = await podmanAvailable();
const disk = podman.ok ? await mountTmpfs(TMPFS_SIZE) : ({ ok: false, reason: "not tried" } as const);
if (!podman.ok) console.warn(`full-disk suite SKIPPED: podman is not available (${podman.reason})`);
else if (!disk.ok) console.warn(`full-disk suite SKIPPED: ${disk.reason}`);

describe.skipIf(!podman.ok || !disk.ok)("reliability: full disk", () => {
  const srv = disk.ok ? disk.dir : "";
  let agent: TestAgent;
  let filler = "";

  beforeAll(async () => {
    ensureBinary();
    agent = await startTestAgent({ flavor: "binary", settings: { agent: { srv_root: JSON.stringify(srv) } } });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    const r = await $`umount ${srv}`.nothrow().quiet();
    if (r.exitCode !== 0) console.warn(`full-disk suite: umount ${srv} failed: ${r.stderr.toString().trim()}`);
    else rmSync(srv, { recursive: true, force: true });
  });

  /** The snapshot the restore test made (the todo below reuses it). */
  let restoreArchive = "";

  const free = () => {
    if (filler) rmSync(filler, { force: true });
    filler = "";
  };

  test("push onto a full disk: exit 1, 'the disk is full (ENOSPC)', the previous file byte-identical, no temporary file, space given back", async () => {
    const dir = join(srv, "files");
    mkdirSync(join(dir, "conf"), { recursive: true });
    writeFileSync(join(dir, "data.bin"), randomBytes(1 << 20), { mode: 0o640 });
    writeFileSync(join(dir, "conf", "app.conf"), "listen = 8080\n");
    writeServiceDef(agent, "files", `name = "files"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "localhost/none:v1"\n`);
    const before = treeDigest(dir);
    const local = join(agent.dir, "new-data.bin");
    writeFileSync(local, randomBytes(2 << 20));

    // 512 KiB free for a 2 MiB file, then none at all for 14 bytes.
    for (const [leave, path, file] of [[512 << 10, "data.bin", local], [0, "conf/app.conf", join(agent.dir, "small.conf")]] as const) {
      if (file !== local) writeFileSync(file, "listen = 9090\n");
      filler = fillDisk(srv, leave);
      const freeBefore = freeBytes(srv);
      const r = await agent.cli(["push", file, "files", path]);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`error: cannot write ${path}: the disk is full (ENOSPC)\nhint: free space on the node, then try again\n`);
      expect(r.code).toBe(1);
      expect(treeDigest(dir)).toEqual(before);
      expect(leftovers(srv)).toEqual([]);
      expect(freeBytes(srv)).toBe(freeBefore);
      free();
    }

    // With space again, the same push goes through.
    const ok = await agent.cli(["push", local, "files", "data.bin"]);
    expect(ok.code).toBe(0);
    expect(readFileSync(join(dir, "data.bin")).equals(readFileSync(local))).toBe(true);
    expect(leftovers(srv)).toEqual([]);
  }, 60_000);

  test("restore onto a full disk (archive not storable; archive stored but not extractable): the directory unchanged, no work directory, then a restore with space succeeds", async () => {
    const dir = join(srv, "data");
    mkdirSync(join(dir, "db"), { recursive: true });
    writeFileSync(join(dir, "app.conf"), "v = 1\n");
    writeFileSync(join(dir, "blob.bin"), randomBytes(1536 << 10)); // incompressible: the archive is as big as the tree
    const db = new Database(join(dir, "db", "app.db"));
    db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (v); INSERT INTO t VALUES ('snapshot')");
    db.close();
    writeServiceDef(agent, "data", `name = "data"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "localhost/none:v1"\n`);
    const archive = join(agent.dir, "data.tar.zst");
    const snap = await agent.cli(["snapshot", "data", "-o", archive]);
    expect(snap.code).toBe(0);
    const snapshotTree = treeDigest(dir);
    // What is there now differs from the snapshot: a restore that half happened would show.
    writeFileSync(join(dir, "app.conf"), "v = 2\n");
    writeFileSync(join(dir, "blob.bin"), randomBytes(1536 << 10));
    const before = treeDigest(dir);
    const archiveBytes = lstatSync(archive).size;
    restoreArchive = archive;

    const cases = [
      { leave: 256 << 10, error: /^error: cannot store the archive: the disk is full \(ENOSPC\)\nhint: free space on the node, then try again\n$/ },
      // The archive fits, its extraction does not (tar: "No space left on device").
      { leave: archiveBytes + (256 << 10), error: /^error: the archive does not fit: the disk is full \(.*No space left on device.*\)\nhint: .*data is unchanged\n$/ },
    ];
    for (const c of cases) {
      filler = fillDisk(srv, c.leave);
      const freeBefore = freeBytes(srv);
      const r = await agent.cli(["restore", "data", archive]);
      expect(r.stderr).toMatch(c.error);
      expect(r.code).toBe(1);
      expect(treeDigest(dir)).toEqual(before);
      expect(leftovers(srv)).toEqual([]);
      expect(freeBytes(srv)).toBe(freeBefore);
      free();
    }

    const ok = await agent.cli(["restore", "data", archive]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    // Databases come back as the snapshot's consistent copy (VACUUM INTO): the same rows, not the same bytes.
    const { "db/app.db": _copy, ...restored } = treeDigest(dir);
    const { "db/app.db": _original, ...expected } = snapshotTree;
    expect(restored).toEqual(expected);
    const back = new Database(join(dir, "db", "app.db"), { readonly: true });
    expect(back.query("SELECT v FROM t").all()).toEqual([{ v: "snapshot" }]);
    back.close();
    expect(leftovers(srv)).toEqual([]);
  }, 60_000);

  // Regression test: a restore whose archive cannot be stored once said "internal" with the message twice
  // (the chunk writer's McpError was wrapped again).
  test("restore, archive not storable: resource_exhausted, one message, the hint", async () => {
    filler = fillDisk(srv, 256 << 10);
    try {
      const r = await agent.cli(["restore", "data", restoreArchive]);
      expect(r.stderr).toBe("error: cannot store the archive: the disk is full (ENOSPC)\nhint: free space on the node, then try again\n");
      expect(r.code).toBe(1);
    } finally {
      free();
    }
  }, 30_000);
});
