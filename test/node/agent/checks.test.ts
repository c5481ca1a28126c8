import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkEnvironment } from "../../../src/node/agent/index.ts";
import { FakeRuntime } from "../../../src/node/runtime/index.ts";

const runtime = new FakeRuntime();
const runDir = mkdtempSync(join(tmpdir(), "mcp-run-"));
const env = { HOME: "/srv/mcp", PATH: "/usr/bin:/bin", XDG_RUNTIME_DIR: runDir };

describe("checkEnvironment (SPEC §6.3: HOME, XDG_RUNTIME_DIR, PATH, podman)", () => {
  test("a complete environment passes", async () => {
    expect(await checkEnvironment({ env, uid: 1000, runtime })).toEqual([]);
  });

  test("each missing variable is named with what to set", async () => {
    expect(await checkEnvironment({ env: { ...env, HOME: undefined }, uid: 1000, runtime })).toEqual([
      expect.stringMatching(/^HOME is not set: .*Environment=HOME=\/srv\/mcp/),
    ]);
    expect(await checkEnvironment({ env: { ...env, PATH: undefined }, uid: 0, runtime })).toEqual([expect.stringMatching(/^PATH is not set/)]);
    expect(await checkEnvironment({ env: { ...env, XDG_RUNTIME_DIR: undefined }, uid: 1000, runtime })).toEqual([
      expect.stringMatching(/^XDG_RUNTIME_DIR is not set: .*\/run\/user\/1000.*lingering/),
    ]);
    expect(await checkEnvironment({ env: { ...env, XDG_RUNTIME_DIR: "/nonexistent/run" }, uid: 1000, runtime })).toEqual([
      expect.stringMatching(/XDG_RUNTIME_DIR=\/nonexistent\/run does not exist/),
    ]);
  });

  test("root needs no XDG_RUNTIME_DIR", async () => {
    expect(await checkEnvironment({ env: { ...env, XDG_RUNTIME_DIR: undefined }, uid: 0, runtime })).toEqual([]);
  });

  test("a podman that does not answer is reported", async () => {
    const broken = new FakeRuntime();
    broken.failNext("version", new Error("connection refused"));
    expect(await checkEnvironment({ env, uid: 0, runtime: broken })).toEqual(["podman does not answer: connection refused"]);
  });
});
