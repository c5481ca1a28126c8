// Hostile archives and hostile service directories (issue 13, SPEC §7.1):
// a restore accepts only regular files, directories and symlinks that stay
// inside, never takes owners or special bits from the archive, is bounded
// in size and entries; a snapshot never follows a symlink. Real GNU tar and
// zstd; the archives tar cannot make are written header by header.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import {
  chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { isMcpError, type McpError } from "../../src/lib/errors.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { restoreService, snapshotService } from "../../src/node/snapshot/index.ts";
import { tempDir } from "../support/mcp.ts";
import { gnuLong, member, pax, tarOf, zstd } from "../node/snapshot/tarbuild.ts";

const root = tempDir("mcp-archive-");
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh case: srv/app with known content, an `outside` directory beside srv that must stay empty. */
let c: { dir: string; srv: string; app: string; outside: string; src: string };
beforeEach(() => {
  const dir = join(root, `case-${++n}`);
  const srv = join(dir, "srv");
  const app = join(srv, "app");
  mkdirSync(join(app, "data"), { recursive: true });
  writeFileSync(join(app, "keep.txt"), "precious\n");
  writeFileSync(join(app, "data", "notes"), "do not lose\n", { mode: 0o600 });
  symlinkSync("keep.txt", join(app, "alias"));
  mkdirSync(join(dir, "outside"));
  mkdirSync(join(dir, "src"));
  c = { dir, srv, app, outside: join(dir, "outside"), src: join(dir, "src") };
});

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Everything under dir, without following symlinks: type, mode, owner, and content or target. */
function fingerprint(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const what = st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isFile() ? sha(readFileSync(p)) : st.isDirectory() ? "dir" : "other";
      out.push(`${rel}${name} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${what}`);
      if (st.isDirectory()) walk(p, `${rel}${name}/`);
    }
  };
  walk(dir, "");
  return out;
}

async function* stream(bytes: Uint8Array) {
  for (let i = 0; i < bytes.length; i += 1 << 16) yield { data: bytes.subarray(i, i + (1 << 16)), sha256: "" };
  yield { data: new Uint8Array(0), sha256: sha(bytes) };
}

async function restore(bytes: Uint8Array, limits: { maxArchiveBytes?: number; maxEntries?: number } = {}) {
  const t0 = performance.now();
  const err = await restoreService({ srvRoot: c.srv, service: "app", maxBytes: 1 << 30, ...limits }, stream(bytes)).then(() => null, (e: unknown) => e);
  return { err, ms: performance.now() - t0 };
}

/** tar's own archive of the members (paths relative to c.src), compressed by zstd. */
async function gnuTar(members: string[], flags: string[] = []): Promise<Buffer> {
  const f = join(c.dir, `gnu-${Math.random().toString(36).slice(2)}.tar.zst`);
  await $`tar --zstd ${flags} -C ${c.src} -cf ${f} ${members}`.quiet();
  return readFileSync(f);
}

const file = (rel: string, data = "x", mode = 0o644) => {
  mkdirSync(join(c.src, rel, ".."), { recursive: true });
  writeFileSync(join(c.src, rel), data);
  chmodSync(join(c.src, rel), mode);
};

interface Hostile {
  what: string;
  build: () => Promise<Buffer>;
  code: "invalid_argument" | "resource_exhausted";
  message: RegExp;
  limits?: { maxArchiveBytes?: number; maxEntries?: number };
  timed?: boolean;
}

const hostile: Hostile[] = [
  { what: "a hardlink", code: "invalid_argument", message: /member "b" is refused: it is a hardlink/, build: async () => {
    file("a");
    linkSync(join(c.src, "a"), join(c.src, "b"));
    return gnuTar(["a", "b"]);
  } },
  { what: "a hardlink to a file outside", code: "invalid_argument", message: /member "passwd" is refused: it is a hardlink/,
    build: () => zstd(c.dir, tarOf([member({ name: "passwd", type: "1", linkname: "/etc/passwd" })])) },
  { what: "a character device", code: "invalid_argument", message: /member "dev\/tty" is refused: it is a character device/,
    build: () => zstd(c.dir, tarOf([member({ name: "dev/", type: "5", mode: 0o755 }), member({ name: "dev/tty", type: "3", mode: 0o666 })])) },
  { what: "a block device", code: "invalid_argument", message: /member "sda" is refused: it is a block device/,
    build: () => zstd(c.dir, tarOf([member({ name: "sda", type: "4", mode: 0o660 })])) },
  { what: "a FIFO", code: "invalid_argument", message: /member "fifo" is refused: it is a FIFO/, build: async () => {
    await $`mkfifo ${join(c.src, "fifo")}`;
    return gnuTar(["fifo"]);
  } },
  { what: "a contiguous file", code: "invalid_argument", message: /member "c" is refused: it is a contiguous file/,
    build: () => zstd(c.dir, tarOf([member({ name: "c", type: "7" }, "data")])) },
  { what: "a GNU sparse file", code: "invalid_argument", message: /member "s" is refused: it is a GNU sparse file/,
    build: () => zstd(c.dir, tarOf([member({ name: "s", type: "S", gnuMagic: true }, "data")])) },
  { what: "an unknown member type", code: "invalid_argument", message: /member "z" is refused: it is of the unsupported type "Z"/,
    build: () => zstd(c.dir, tarOf([member({ name: "z", type: "Z" })])) },
  { what: "a setuid file (mode 04755)", code: "invalid_argument", message: /member "suid" is refused: its mode 4755 has a setuid, setgid or sticky bit/, build: async () => {
    file("suid", "#!/bin/sh\n", 0o4755);
    return gnuTar(["suid"]);
  } },
  { what: "a setgid directory", code: "invalid_argument", message: /member "sgid\/" is refused: its mode 2755/, build: async () => {
    mkdirSync(join(c.src, "sgid"));
    chmodSync(join(c.src, "sgid"), 0o2755);
    return gnuTar(["sgid"]);
  } },
  { what: "a sticky directory", code: "invalid_argument", message: /member "tmp\/" is refused: its mode 1777/, build: async () => {
    mkdirSync(join(c.src, "tmp"));
    chmodSync(join(c.src, "tmp"), 0o1777);
    return gnuTar(["tmp"]);
  } },
  { what: "a member named ../x", code: "invalid_argument", message: /member "\.\.\/x" is refused: its name contains `\.\.`/,
    build: () => zstd(c.dir, tarOf([member({ name: "ok" }, "1"), member({ name: "../x" }, "escaped")])) },
  { what: "a member named a/../../x", code: "invalid_argument", message: /member "a\/\.\.\/\.\.\/x" is refused: its name contains `\.\.`/,
    build: () => zstd(c.dir, tarOf([member({ name: "a/../../x" }, "escaped")])) },
  { what: "an absolute member /abs", code: "invalid_argument", message: /member "\/abs" is refused: its name is absolute/,
    build: () => zstd(c.dir, tarOf([member({ name: "/abs" }, "abs")])) },
  { what: "a name with a newline", code: "invalid_argument", message: /member "a\\nb" is refused: its name: it contains a NUL or control character/, build: async () => {
    file("a\nb");
    return gnuTar(["a\nb"]);
  } },
  { what: "a name with an escape sequence", code: "invalid_argument", message: /member "\\u001b\[31mred" is refused/,
    build: () => zstd(c.dir, tarOf([member({ name: "\x1b[31mred" }, "1")])) },
  { what: "a symlink up -> ..", code: "invalid_argument", message: /member "up" is refused: it is a symlink to "\.\.", which leaves the service directory/, build: async () => {
    symlinkSync("..", join(c.src, "up"));
    return gnuTar(["up"]);
  } },
  { what: "a symlink abs -> /etc", code: "invalid_argument", message: /member "abs" is refused: it is a symlink to an absolute path \("\/etc"\)/, build: async () => {
    symlinkSync("/etc", join(c.src, "abs"));
    return gnuTar(["abs"]);
  } },
  { what: "a symlink a/b -> ../../x", code: "invalid_argument", message: /member "a\/b" is refused: it is a symlink to "\.\.\/\.\.\/x", which leaves/, build: async () => {
    mkdirSync(join(c.src, "a"));
    symlinkSync("../../x", join(c.src, "a", "b"));
    return gnuTar(["a"]);
  } },
  { what: "loop -> . and up -> ..", code: "invalid_argument", message: /member "\.\/up" is refused: it is a symlink to "\.\.", which leaves/, timed: true, build: async () => {
    symlinkSync(".", join(c.src, "loop"));
    symlinkSync("..", join(c.src, "up"));
    file("data/f");
    return gnuTar(["./loop", "./data", "./up"]);
  } },
  { what: "a symlink that leaves through another (t -> d/s/.., d/s -> ..)", code: "invalid_argument",
    message: /member "t" is refused: it is a symlink to "d\/s\/\.\.", which leaves the service directory \(through the symlinks it passes\)/,
    build: () => zstd(c.dir, tarOf([member({ name: "d/", type: "5", mode: 0o755 }), member({ name: "d/s", type: "2", linkname: ".." }), member({ name: "t", type: "2", linkname: "d/s/.." })])) },
  { what: "a member written through an inside symlink (loop -> ., loop/x)", code: "invalid_argument",
    message: /member "loop\/x" is refused: it lies under the symlink "loop" extracted before it/,
    build: () => zstd(c.dir, tarOf([member({ name: "loop", type: "2", linkname: "." }), member({ name: "loop/x" }, "through")])) },
  { what: "a symlink replaced by a directory", code: "invalid_argument", message: /member "s\/" is refused: it would replace a symlink/,
    build: () => zstd(c.dir, tarOf([member({ name: "s", type: "2", linkname: "data" }), member({ name: "s/", type: "5", mode: 0o755 })])) },
  { what: "the top entry as a symlink", code: "invalid_argument", message: /member "\.\/" is refused: the top of the archive must be a directory/,
    build: () => zstd(c.dir, tarOf([member({ name: "./", type: "2", linkname: "data" })])) },
  { what: "a pax path that overrides an innocent name", code: "invalid_argument", message: /member "\.\.\/evil" is refused: its name contains `\.\.`/,
    build: () => zstd(c.dir, tarOf([pax([["path", "../evil"]]), member({ name: "innocent" }, "x")])) },
  { what: "a pax linkpath that leaves", code: "invalid_argument", message: /member "l" is refused: it is a symlink to "\.\.\/\.\.\/etc"/,
    build: () => zstd(c.dir, tarOf([pax([["linkpath", "../../etc"]]), member({ name: "l", type: "2", linkname: "fine" })])) },
  { what: "a GNU long name ../../evil", code: "invalid_argument", message: /member "\.\.\/\.\.\/evil" is refused/,
    build: () => zstd(c.dir, tarOf([gnuLong("../../evil"), member({ name: "innocent" }, "x")])) },
  { what: "a GNU long name with a NUL inside", code: "invalid_argument", message: /member "ok\\u0000\.\.\/x" is refused: its name: it contains a NUL/,
    build: () => zstd(c.dir, tarOf([gnuLong("ok\0../x"), member({ name: "ok" }, "x")])) },
  { what: "a global pax header that renames what follows", code: "invalid_argument", message: /a global pax header sets path for the members after it/,
    build: () => zstd(c.dir, tarOf([pax([["path", "../evil"]], "g"), member({ name: "innocent" }, "x")])) },
  { what: "a pax GNU.sparse extension", code: "invalid_argument", message: /member "\.\/s" is refused: it uses the GNU extension GNU\.sparse\.major/, build: async () => {
    file("s");
    return zstd(c.dir, tarOf([pax([["path", "./s"], ["GNU.sparse.major", "1"]]), member({ name: "s" }, "x")]));
  } },
  { what: "a directory that declares data", code: "invalid_argument", message: /member "d\/" is refused: it is a directory that declares 512 bytes of data/,
    build: () => zstd(c.dir, tarOf([member({ name: "d/", type: "5", mode: 0o755 }, "y".repeat(512))])) },
  { what: "a regular file whose name ends in /", code: "invalid_argument", message: /member "f\/" is refused: it is a regular file whose name ends in \//,
    build: () => zstd(c.dir, tarOf([member({ name: "f/" }, member({ name: "../x" }, "hidden header"))])) },
  { what: "a header with a wrong checksum", code: "invalid_argument", message: /damaged or truncated: a header's checksum does not match \(at the member "b"\)/,
    build: () => zstd(c.dir, tarOf([member({ name: "a" }, "1"), member({ name: "b", badChecksum: true }, "2")])) },
  { what: "an archive cut within a member", code: "invalid_argument", message: /damaged or truncated: it ends within a member's data \(at the member "big"\)/,
    build: () => zstd(c.dir, tarOf([member({ name: "big" }, "z".repeat(100_000))]).subarray(0, 50_000)) },
  { what: "a zstd frame cut by its last 4 bytes (the checksum)", code: "invalid_argument", message: /damaged or truncated: .*premature end/, build: async () => {
    file("r", "some content\n".repeat(1000));
    const whole = await gnuTar(["r"]);
    return whole.subarray(0, whole.length - 4);
  } },
  { what: "garbage after the zstd frame", code: "invalid_argument", message: /damaged or truncated: /, build: async () => {
    file("r", "some content\n");
    return Buffer.concat([await gnuTar(["r"]), Buffer.from("not zstd at all, a trailing payload")]);
  } },
  { what: "an archive without its end blocks", code: "invalid_argument", message: /damaged or truncated: it ends without the end-of-archive blocks/,
    build: () => zstd(c.dir, tarOf([member({ name: "a" }, "1")], false)) },
  { what: "an extension header of 2 MiB", code: "invalid_argument", message: /a long name or pax header of 2097153 bytes \(at most 1 MiB\)/,
    build: () => zstd(c.dir, tarOf([gnuLong("a".repeat(2 << 20)), member({ name: "x" }, "1")])) },
  { what: "a zip bomb: 200 MB of zeros past a 10 MB bound", code: "resource_exhausted", limits: { maxArchiveBytes: 10 << 20 }, timed: true,
    message: /member "zeros" is refused: it brings the archive past 10 MiB after decompression \(it declares 200 MiB\)/, build: async () => {
      writeFileSync(join(c.src, "zeros"), "");
      truncateSync(join(c.src, "zeros"), 200 << 20);
      return gnuTar(["zeros"]);
    } },
  { what: "members that add up past the bound", code: "resource_exhausted", limits: { maxArchiveBytes: 10 << 20 },
    message: /member "f3" is refused: it brings the archive past 10 MiB/, build: async () => {
      for (const f of ["f1", "f2", "f3", "f4"]) {
        writeFileSync(join(c.src, f), "");
        truncateSync(join(c.src, f), 4 << 20);
      }
      return gnuTar(["f1", "f2", "f3", "f4"]);
    } },
  { what: "too many entries", code: "invalid_argument", limits: { maxEntries: 20 }, message: /member "many\/f19" is refused: it is one more than the 20 entries an archive may hold/,
    build: async () => {
      for (let i = 0; i < 50; i++) file(`many/f${String(i).padStart(2, "0")}`);
      return gnuTar(["many"], ["--sort=name"]);
    } },
];

describe("a hostile archive is refused, the service directory unchanged, no staging left", () => {
  for (const h of hostile) {
    test(h.what, async () => {
      const archive = await h.build();
      const before = fingerprint(c.app);
      const { err, ms } = await restore(archive, h.limits);
      if (h.timed) console.log(`${h.what}: refused in ${ms.toFixed(1)} ms`);
      expect(isMcpError(err)).toBe(true);
      const e = err as McpError;
      expect({ code: e.code, message: e.message }).toEqual({ code: h.code, message: expect.stringMatching(h.message) });
      expect(e.hint).toContain(`${c.app} is unchanged`);
      if (h.code === "resource_exhausted") expect(e.hint).toContain("[policy] max_archive_bytes");
      expect(fingerprint(c.app)).toEqual(before);
      expect(readdirSync(c.srv)).toEqual(["app"]);
      expect(readdirSync(c.outside)).toEqual([]);
      expect(existsSync(join(c.dir, "x")) || existsSync(join(c.dir, "evil")) || existsSync(join(c.srv, "x")) || existsSync(join(c.srv, "evil"))).toBe(false);
    }, 20_000);
  }
});

describe("what a restore accepts", () => {
  test("an archive whose ./ and files are owned by uid 4242 restores owned by the agent's user, modes kept", async () => {
    file("a.txt", "A\n", 0o640);
    chmodSync(c.src, 0o751);
    const archive = await gnuTar(["."], ["--owner=4242", "--group=4242", "--numeric-owner"]);
    expect((await $`tar --zstd -tvf - < ${new Response(archive)}`.text())).toContain("4242/4242");
    const { err } = await restore(archive);
    expect(err).toBeNull();
    const uid = process.getuid!();
    for (const p of [c.app, join(c.app, "a.txt")]) expect(statSync(p).uid).toBe(uid);
    expect(statSync(c.app).mode & 0o7777).toBe(0o751);
    expect(readFileSync(join(c.app, "a.txt"), "utf8")).toBe("A\n");
    expect(readdirSync(c.srv)).toEqual(["app"]);
  });

  test("the replaced directory is removed without following its symlinks (link -> outside, loop -> .)", async () => {
    writeFileSync(join(c.outside, "victim"), "untouched\n");
    symlinkSync("../../outside", join(c.app, "link"));
    symlinkSync(".", join(c.app, "loop"));
    file("new.txt", "new\n");
    const { err } = await restore(await gnuTar(["."]));
    expect(err).toBeNull();
    expect(readdirSync(c.app)).toEqual(["new.txt"]);
    expect(readFileSync(join(c.outside, "victim"), "utf8")).toBe("untouched\n");
    expect(readdirSync(c.srv)).toEqual(["app"]);
  });

  test("symlinks that stay inside (loop -> ., cur -> data/v1, up -> ../data from a subdirectory) restore as symlinks", async () => {
    file("data/v1/f", "v1\n");
    mkdirSync(join(c.src, "sub"));
    symlinkSync(".", join(c.src, "loop"));
    symlinkSync("data/v1", join(c.src, "cur"));
    symlinkSync("../data", join(c.src, "sub", "up"));
    const { err } = await restore(await gnuTar(["."], ["--format=pax"]));
    expect(err).toBeNull();
    expect(readlinkSync(join(c.app, "loop"))).toBe(".");
    expect(readlinkSync(join(c.app, "cur"))).toBe("data/v1");
    expect(readlinkSync(join(c.app, "sub", "up"))).toBe("../data");
    expect(readFileSync(join(c.app, "cur", "f"), "utf8")).toBe("v1\n");
    expect(existsSync(join(c.app, "keep.txt"))).toBe(false); // replaced as a whole
  });
});

describe("snapshots never follow symlinks", () => {
  /** A snapshot's archive, its member listing (tar -tv) and databases. */
  async function snapshot(maxEntries?: number) {
    const parts: Uint8Array[] = [];
    let databases: string[] = [];
    await snapshotService({ srvRoot: c.srv, service: "app", log: silentLogger, signal: new AbortController().signal, ...(maxEntries ? { maxEntries } : {}) }, async (ch) => {
      parts.push(ch.data);
      if (ch.sha256) databases = ch.databases;
    });
    const bytes = Buffer.concat(parts);
    const f = join(c.dir, "snap.tar.zst");
    writeFileSync(f, bytes);
    return { bytes, databases, listing: await $`tar --zstd -tvf ${f}`.text() };
  }
  const db = (path: string) => {
    const d = new Database(path);
    d.exec("CREATE TABLE t (v); INSERT INTO t VALUES ('secret of ' || 'other')");
    d.close();
  };

  test("link -> ../other (with x.db) and loop -> .: fast, without other's database, the loop archived as a symlink", async () => {
    mkdirSync(join(c.srv, "other"));
    db(join(c.srv, "other", "x.db"));
    db(join(c.app, "data", "app.db"));
    symlinkSync("../other", join(c.app, "link"));
    symlinkSync(".", join(c.app, "loop"));
    symlinkSync("../../other", join(c.app, "data", "deeper"));
    const t0 = performance.now();
    const snap = await snapshot();
    console.log(`snapshot with link -> ../other and loop -> .: ${(performance.now() - t0).toFixed(1)} ms`);
    expect(snap.databases).toEqual(["data/app.db"]);
    expect(snap.listing).toMatch(/^l.* \.\/link -> \.\.\/other$/m);
    expect(snap.listing).toMatch(/^l.* \.\/loop -> \.$/m);
    expect(snap.listing).not.toMatch(/x\.db|\.\/loop\/|\.\/link\//);
    expect(snap.bytes.includes(Buffer.from("secret of other"))).toBe(false);
    // And such a snapshot is refused by a restore: the symlink leaves the directory.
    const { err } = await restore(snap.bytes);
    expect((err as McpError).message).toMatch(/member "\.\/(link|data\/deeper)" is refused: it is a symlink to "(\.\.\/)+other", which leaves/);
  });

  test("a database whose -wal is a symlink is refused, naming it", async () => {
    db(join(c.app, "data", "app.db"));
    writeFileSync(join(c.outside, "victim"), "untouched");
    symlinkSync(join(c.outside, "victim"), join(c.app, "data", "app.db-wal"));
    const err = await snapshot().then(() => null, (e: unknown) => e);
    expect(isMcpError(err, "failed_precondition")).toBe(true);
    expect((err as McpError).message).toMatch(/the database "data\/app\.db" is refused: its wal file is not a regular file/);
    expect(readFileSync(join(c.outside, "victim"), "utf8")).toBe("untouched");
    expect(readdirSync(c.srv)).toEqual(["app"]);
  });

  test("hardlinks and special bits in the service directory: the snapshot carries neither, so it restores", async () => {
    linkSync(join(c.app, "keep.txt"), join(c.app, "hard.txt"));
    writeFileSync(join(c.app, "tool"), "#!/bin/sh\n");
    chmodSync(join(c.app, "tool"), 0o4755);
    chmodSync(join(c.app, "data"), 0o3775);
    const snap = await snapshot();
    expect(snap.listing).not.toMatch(/^h|link to/m);
    const { err } = await restore(snap.bytes);
    expect(err).toBeNull();
    expect(readFileSync(join(c.app, "hard.txt"), "utf8")).toBe("precious\n");
    expect(statSync(join(c.app, "hard.txt")).nlink).toBe(1);
    expect(statSync(join(c.app, "tool")).mode & 0o7777).toBe(0o755);
    expect(statSync(join(c.app, "data")).mode & 0o7000).toBe(0);
  });

  test("a service directory past maxEntries is refused before anything is archived", async () => {
    for (let i = 0; i < 30; i++) writeFileSync(join(c.app, `f${i}`), "");
    const err = await snapshot(10).then(() => null, (e: unknown) => e);
    expect(isMcpError(err, "resource_exhausted")).toBe(true);
    expect(readdirSync(c.srv)).toEqual(["app"]);
  });
});
