// A restore cut short between its two renames (the agent died) left the
// service's directory missing and its data in <work>/previous: the agent's
// start puts it back, then removes every work directory left behind.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "../../../src/lib/log.ts";
import { recoverWorkDirs } from "../../../src/node/snapshot/index.ts";
import { tempDir } from "../../support/mcp.ts";

const rm = async (p: string) => rmSync(p, { recursive: true, force: true });

describe("recoverWorkDirs", () => {
  test("a service directory left in a restore's work directory is put back; the work directories go", async () => {
    const srv = tempDir();
    const cut = join(srv, ".mcp-restore-my-app-0123456789ab");
    mkdirSync(join(cut, "previous", "data"), { recursive: true });
    writeFileSync(join(cut, "previous", "data", "keep.txt"), "precious\n");
    mkdirSync(join(cut, "tree"));
    mkdirSync(join(srv, ".mcp-snapshot-other-ba9876543210"));
    mkdirSync(join(srv, "other"));
    const r = await recoverWorkDirs(srv, silentLogger, rm);
    expect(r.restored).toEqual([join(srv, "my-app")]);
    expect(readFileSync(join(srv, "my-app", "data", "keep.txt"), "utf8")).toBe("precious\n");
    expect(readdirSync(srv).sort()).toEqual(["my-app", "other"]);
  });

  test("a restore that finished its swap (the service's directory is there): the old copy is only removed", async () => {
    const srv = tempDir();
    mkdirSync(join(srv, "app"));
    writeFileSync(join(srv, "app", "new.txt"), "restored\n");
    mkdirSync(join(srv, ".mcp-restore-app-aaaaaaaaaaaa", "previous"), { recursive: true });
    const r = await recoverWorkDirs(srv, silentLogger, rm);
    expect(r.restored).toEqual([]);
    expect(readFileSync(join(srv, "app", "new.txt"), "utf8")).toBe("restored\n");
    expect(existsSync(join(srv, ".mcp-restore-app-aaaaaaaaaaaa"))).toBe(false);
  });

  test("names that are not work directories are never touched", async () => {
    const srv = tempDir();
    for (const n of [".mcp-restore-x", ".mcp-other-app-0123456789ab", "mcp", ".mcp-restore-App-0123456789ab"]) mkdirSync(join(srv, n));
    const r = await recoverWorkDirs(srv, silentLogger, rm);
    expect(r.removed).toEqual([]);
    expect(readdirSync(srv).length).toBe(4);
  });
});
