// Review finding (issue 16): the agent's start ends exec sessions a dead agent left, found by owner and
// argv — both of which a process inside a container can have (rootless, a container's root is the
// agent's uid). Only processes in the agent's own pid and mount namespaces are candidates, and the pid
// file a candidate names is read without following links or blocking.
import { afterAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inAgentNamespaces, readSmallRegularFile } from "../../src/node/podman/_exec-procs.ts";
import { ensureTestImages, podmanAvailable, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";

const podman = await podmanAvailable();
const dir = mkdtempSync(join(tmpdir(), "mcp-reaper-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the orphaned-exec reaper's trust in /proc", () => {
  test.skipIf(!podman.ok)("a process inside a container is never in the agent's namespaces; the agent's own process is", async () => {
    await ensureTestImages();
    const name = uniqueName("reaper");
    await $`podman run -d --name ${name} ${TEST_IMAGES.v1} ${SLEEP_CMD}`.quiet();
    try {
      const pid = Number((await $`podman inspect --format ${"{{.State.Pid}}"} ${name}`.text()).trim());
      expect(pid).toBeGreaterThan(1);
      expect(inAgentNamespaces(pid)).toBe(false);
      expect(inAgentNamespaces(process.pid)).toBe(true);
    } finally {
      await $`podman rm -f -t 0 ${name}`.quiet().nothrow();
    }
  }, 60_000);

  test("a pid file that is a FIFO, a symlink or huge is not read (no hang, no following)", () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    expect(readSmallRegularFile(fifo)).toBeNull();
    writeFileSync(join(dir, "real"), "1234\n");
    symlinkSync(join(dir, "real"), join(dir, "link"));
    expect(readSmallRegularFile(join(dir, "link"))).toBeNull();
    expect(readSmallRegularFile(join(dir, "real"))).toBe("1234\n");
    writeFileSync(join(dir, "big"), "9".repeat(10_000));
    expect(readSmallRegularFile(join(dir, "big"))!.length).toBe(64);
  });
});
