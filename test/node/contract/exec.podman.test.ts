// The exec contract against real podman (as this process's user), and what
// only a real container shows: a cancelled command's whole process tree ends.
import { describe, expect, test } from "bun:test";
import { $ } from "bun";
import { createPodmanRuntime, createRunner } from "../../../src/node/podman/index.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName, waitFor } from "../../support/image.ts";
import { describeExecContract } from "./exec.contract.ts";

const available = await podmanAvailable();
if (!available.ok) console.warn(`exec contract suite against podman SKIPPED: ${available.reason}`);

describe.skipIf(!available.ok)("real podman", () => {
  const prefix = uniqueName("mcpexc");
  const runtime = createPodmanRuntime({ runner: createRunner(), timeouts: { callMs: 20_000, pullMs: 20_000 } });
  describeExecContract("podman", async () => {
    const { v1 } = await ensureTestImages();
    return {
      runtime, image: v1, missingImage: "127.0.0.1:1/mcp-test/missing:v0", network: "", hostDir: "/", prefix,
      cleanup: () => removeContainers(prefix),
    };
  });

  test("an abort kills the command's children too, and no podman or conmon of it is left", async () => {
    const box = `${prefix}-tree`;
    await runtime.run({ name: box, image: TEST_IMAGES.v1, labels: {}, network: "", user: "", restart: "", ports: [], volumes: [], cmd: SLEEP_CMD, env: [] });
    const ac = new AbortController();
    const s = runtime.execSession(box, {
      argv: ["sh", "-c", "sleep 1235 & setsid sleep 1236 & sleep 1237"], stdin: false, tty: null, signal: ac.signal, onOutput: async () => {},
    });
    const ps = async () => (await $`podman exec ${box} ps -o args`.quiet()).stdout.toString();
    await waitFor("three sleeps", async () => ((await ps()).match(/sleep 123[567]/g)?.length === 3 ? true : undefined));
    ac.abort();
    await s.exited;
    expect(await ps()).not.toMatch(/sleep 123[567]/);
    const host = (await $`ps -eo args`.quiet()).stdout.toString();
    expect(host).not.toMatch(/podman exec .*sleep 123/);
    expect(host).not.toMatch(/sleep 123[567]/);
    await removeContainers(prefix);
  }, 30_000);
});
