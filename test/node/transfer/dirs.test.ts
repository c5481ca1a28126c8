// makeDirsConfined: a deploy's data directories (SPEC §7.2) are made through
// O_NOFOLLOW descriptors (found by the hostile review: a container that swaps
// a parent for a symlink had the agent give away a directory of its choosing).
import { describe, expect, test } from "bun:test";
import { mkdirSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { isMcpError } from "../../../src/lib/errors.ts";
import { makeDirsConfined } from "../../../src/node/transfer/index.ts";
import { tempDir } from "../../support/mcp.ts";

describe("makeDirsConfined", () => {
  test("makes what is missing (0750), gives only that to the owner, and leaves what exists", () => {
    const svc = join(tempDir(), "app");
    mkdirSync(join(svc, "data"), { recursive: true });
    const made = makeDirsConfined(svc, ["data", "db", "wal"], process.getuid?.() === 0 ? { uid: 4242, gid: 4343 } : null);
    expect(made).toEqual([join(svc, "data/db"), join(svc, "data/db/wal")]);
    expect(statSync(join(svc, "data/db/wal")).mode & 0o777).toBe(0o750);
    if (process.getuid?.() === 0) {
      expect(statSync(join(svc, "data/db")).uid).toBe(4242);
      expect(statSync(join(svc, "data/db/wal")).gid).toBe(4343);
      expect(statSync(join(svc, "data")).uid).toBe(0);
    }
  });

  test("a symlink anywhere on the way is refused, never followed", () => {
    const root = tempDir();
    const svc = join(root, "app");
    const elsewhere = join(root, "state");
    mkdirSync(svc);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(svc, "data"));
    let err: unknown;
    try {
      makeDirsConfined(svc, ["data", "x"], { uid: 4242, gid: 4242 });
    } catch (e) {
      err = e;
    }
    expect(isMcpError(err, "failed_precondition") && err.message).toBe(`${svc}/data is a symlink or not a directory`);
    expect(statSync(elsewhere).uid).toBe(process.getuid?.() ?? 0);
  });
});
