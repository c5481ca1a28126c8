// Confinement of pushes and pulls to <srv_root>/<service>/ (SPEC §5.7,
// issue 6 acceptance 1): a corpus of hostile paths, each refused, with
// nothing written or read outside the service's directory.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isMcpError } from "../../../src/lib/errors.ts";
import { checkRelativePath, modeFor, receiveFile, sendFile } from "../../../src/node/transfer/index.ts";
import { tempDir } from "../../support/mcp.ts";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const content = new TextEncoder().encode("pushed content\n");

async function* once(data: Uint8Array) {
  yield { data, sha256: "" };
  yield { data: new Uint8Array(0), sha256: sha(data) };
}

/** Every file under dir with its bytes (symlinks as their targets). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const p = join(e.parentPath, e.name);
    out[p] = e.isSymbolicLink() ? `-> link` : e.isFile() ? readFileSync(p, "base64") : "dir";
  }
  return out;
}

let root: string;
let srv: string;
let outside: string;
const SECRET = "top secret outside\n";

beforeEach(() => {
  root = tempDir("mcp-hostile-");
  srv = join(root, "srv");
  outside = join(root, "outside");
  mkdirSync(join(srv, "app", "conf"), { recursive: true });
  mkdirSync(join(srv, "other"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, "secret"), SECRET);
  writeFileSync(join(srv, "other", "secret"), SECRET);
  writeFileSync(join(srv, "app", "conf", "app.toml"), "ok\n");
  // Symlinks planted inside the service's directory, all pointing out of it.
  symlinkSync(outside, join(srv, "app", "out"));
  symlinkSync(join(outside, "secret"), join(srv, "app", "secret-link"));
  symlinkSync("../other", join(srv, "app", "sibling"));
  symlinkSync("/etc", join(srv, "app", "etc"));
  symlinkSync(join(outside, "new-file"), join(srv, "app", "dangling"));
  symlinkSync("conf/../../other", join(srv, "app", "rel-escape"));
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const HOSTILE: string[] = [
  // absolute
  "/etc/passwd", "/", "//etc/passwd", `${"/"}srv/app/x`,
  // .. in every position
  "..", "../x", "../../etc/passwd", "../other/secret", "conf/..", "conf/../x", "conf/../../other/secret", "a/b/../../../x",
  "a/..", "conf/../..", "./x", ".", "conf/.", "conf/./app.toml", "x/..", "../", "..\\x", "conf\\..\\..\\x",
  // empty components, trailing slashes
  "", "conf//app.toml", "conf/", "/conf", "a//", "//",
  // encoded forms
  "%2e%2e/x", "%2e%2e%2fx", "..%2fx", "%2E%2E/%2E%2E/etc/passwd", "conf%2f..%2f..%2fx", "..%c0%afx", "%252e%252e/x", "&#46;&#46;/x",
  // NUL and control characters
  "x\0", "conf/\0../x", "\0", "x\ny", "x\ty", "x\r",
  // look-alikes of / and .
  "\u2215etc\u2215passwd", "\uff0e\uff0e/x", "\u2024\u2024/x", "x\u2044y", "\u00a0x",
  // home and variables
  "~/x", "~root/.ssh/authorized_keys", "$HOME/x", "`id`", "$(id)",
  // symlinks to outside (final component), symlinked parents, relative escapes
  "out/secret", "out/new-file", "secret-link", "sibling/secret", "etc/passwd", "dangling", "rel-escape/secret", "out", "etc",
  // long
  `${"a/".repeat(40)}x`, "x".repeat(300), `${"y".repeat(200)}/${"z".repeat(900)}`,
];

describe("hostile paths", () => {
  test(`the corpus has at least 50 entries (${HOSTILE.length})`, () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(50);
  });

  for (const path of HOSTILE) {
    test(`push and pull of ${JSON.stringify(path)} are refused; nothing outside changes`, async () => {
      const before = tree(root);
      const push = await receiveFile({ srvRoot: srv, service: "app", path, mode: 0o644, maxBytes: 1 << 20 }, once(content)).then(
        () => "accepted",
        (e) => (isMcpError(e) ? e.code : `not an McpError: ${e}`),
      );
      expect(push).toMatch(/^(invalid_argument|not_found)$/);
      const got: Uint8Array[] = [];
      const pull = await (async () => {
        for await (const c of sendFile({ srvRoot: srv, service: "app", path })) got.push(c.data);
      })().then(() => "accepted", (e) => (isMcpError(e) ? e.code : `not an McpError: ${e}`));
      expect(pull).toMatch(/^(invalid_argument|not_found)$/);
      expect(Buffer.concat(got).toString()).not.toContain("top secret");
      expect(tree(root)).toEqual(before);
    });
  }

  test("a symlink swapped in for a parent directory during a push: nothing is written outside", async () => {
    const before = readdirSync(outside);
    let swapped = false;
    async function* slow() {
      yield { data: content, sha256: "" };
      // The push has opened conf/ by now: replace it with a symlink to outside.
      renameSync(join(srv, "app", "conf"), join(srv, "app", "conf.old"));
      symlinkSync(outside, join(srv, "app", "conf"));
      swapped = true;
      yield { data: content, sha256: "" };
      yield { data: new Uint8Array(0), sha256: sha(Buffer.concat([content, content])) };
    }
    await receiveFile({ srvRoot: srv, service: "app", path: "conf/new.toml", mode: 0o644, maxBytes: 1 << 20 }, slow());
    expect(swapped).toBe(true);
    expect(readdirSync(outside)).toEqual(before);
    // It landed in the directory the push had opened (now conf.old), inside the service's directory.
    expect(readFileSync(join(srv, "app", "conf.old", "new.toml"), "utf8")).toBe("pushed content\npushed content\n");
    // And a new push through the swapped-in symlink is refused.
    await expect(receiveFile({ srvRoot: srv, service: "app", path: "conf/again.toml", mode: 0o644, maxBytes: 1 << 20 }, once(content)))
      .rejects.toThrow(/goes through a symlink/);
  });

  test.skipIf(process.getuid?.() !== 0)("a device node or FIFO a container made is never opened: pull and push over it are refused", async () => {
    // A FIFO opened for reading would block; a device could act on open. Both are looked at through O_PATH only.
    expect(Bun.spawnSync(["mknod", join(srv, "app", "tty"), "c", "5", "0"]).exitCode).toBe(0);
    expect(Bun.spawnSync(["mkfifo", join(srv, "app", "fifo")]).exitCode).toBe(0);
    for (const path of ["tty", "fifo"]) {
      const pull = async () => {
        for await (const _ of sendFile({ srvRoot: srv, service: "app", path })) break;
      };
      await expect(pull()).rejects.toThrow(`${path} is not a regular file`);
    }
    await expect(receiveFile({ srvRoot: srv, service: "app", path: "fifo", mode: 0o644, maxBytes: 1 << 20 }, once(content))).resolves.toBeDefined();
    expect(statSync(join(srv, "app", "fifo")).isFile()).toBe(true); // replaced by rename, never opened
  });

  test("the service directory itself must exist and not be a symlink", async () => {
    symlinkSync(outside, join(srv, "linked"));
    await expect(receiveFile({ srvRoot: srv, service: "linked", path: "x", mode: 0, maxBytes: 10 }, once(content))).rejects.toThrow(/is a symlink or not a directory/);
    await expect(receiveFile({ srvRoot: srv, service: "missing", path: "x", mode: 0, maxBytes: 10 }, once(content))).rejects.toThrow(/does not exist on this node/);
    expect(readdirSync(outside)).toEqual(["secret"]);
  });
});

describe("pushes and pulls that are allowed", () => {
  test("a push creates missing directories, sets the mode exactly, and a pull gives the same bytes, mode and checksum", async () => {
    const r = await receiveFile({ srvRoot: srv, service: "app", path: "certs/new dir/tls.key", mode: 0o644, maxBytes: 1 << 20 }, once(content));
    expect(r).toEqual({ size: content.length, sha256: sha(content), mode: 0o600 });
    expect(statSync(join(srv, "app", "certs", "new dir", "tls.key")).mode & 0o777).toBe(0o600);
    const chunks = [];
    for await (const c of sendFile({ srvRoot: srv, service: "app", path: "certs/new dir/tls.key" })) chunks.push(c);
    expect(Buffer.concat(chunks.map((c) => c.data)).toString()).toBe("pushed content\n");
    expect(chunks.at(-1)).toMatchObject({ sha256: sha(content), mode: 0o600, size: content.length });
    expect(readdirSync(join(srv, "app", "certs", "new dir"))).toEqual(["tls.key"]);
  });

  test("a wrong checksum, a missing checksum, an oversized file, a failing stream: the previous file is unchanged, no temporary file left", async () => {
    const target = join(srv, "app", "conf", "app.toml");
    const attempts: [string, AsyncIterable<{ data: Uint8Array; sha256: string }>, number][] = [
      ["data_loss", (async function* () { yield { data: content, sha256: "0".repeat(64) }; })(), 1 << 20],
      ["invalid_argument", (async function* () { yield { data: content, sha256: "" }; })(), 1 << 20],
      ["resource_exhausted", once(content), 4],
      ["internal", (async function* () { yield { data: content, sha256: "" }; throw new Error("client went away"); })(), 1 << 20],
    ];
    for (const [code, chunks, maxBytes] of attempts) {
      const got = await receiveFile({ srvRoot: srv, service: "app", path: "conf/app.toml", mode: 0, maxBytes }, chunks).then(
        () => "accepted", (e) => (isMcpError(e) ? e.code : "internal"));
      expect(got).toBe(code);
      expect(readFileSync(target, "utf8")).toBe("ok\n");
      expect(readdirSync(join(srv, "app", "conf"))).toEqual(["app.toml"]);
    }
  });

  test("a failed push into new directories leaves none of them behind; directories that existed stay", async () => {
    const tooBig = await receiveFile({ srvRoot: srv, service: "app", path: "new/deeper/x.bin", mode: 0, maxBytes: 4 }, once(content)).catch((e) => e);
    expect(isMcpError(tooBig, "resource_exhausted")).toBe(true);
    expect(readdirSync(join(srv, "app")).sort()).toEqual(["conf", "etc", "dangling", "out", "rel-escape", "secret-link", "sibling"].sort());
    const inConf = await receiveFile({ srvRoot: srv, service: "app", path: "conf/sub/x.bin", mode: 0, maxBytes: 4 }, once(content)).catch((e) => e);
    expect(isMcpError(inConf, "resource_exhausted")).toBe(true);
    expect(readdirSync(join(srv, "app", "conf"))).toEqual(["app.toml"]);
    await receiveFile({ srvRoot: srv, service: "app", path: "new/deeper/x.bin", mode: 0, maxBytes: 1 << 20 }, once(content));
    expect(readFileSync(join(srv, "app", "new", "deeper", "x.bin"), "utf8")).toBe("pushed content\n");
  });

  test("checkRelativePath and modeFor", () => {
    expect(checkRelativePath("conf/app.toml")).toEqual(["conf", "app.toml"]);
    expect(checkRelativePath("data/my file (1).txt".replace(/[()]/g, ""))).toEqual(["data", "my file 1.txt"]);
    expect(checkRelativePath(".hidden")).toEqual([".hidden"]);
    expect(modeFor("app.toml", 0)).toBe(0o644);
    expect(modeFor("run.sh", 0o4755)).toBe(0o755);
    expect(modeFor("tls.key", 0o644)).toBe(0o600);
    expect(modeFor("id_ed25519", 0o640)).toBe(0o600);
    expect(modeFor("server-key.pem", 0o400)).toBe(0o400);
  });
});
