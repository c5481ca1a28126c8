import { $ } from "bun";
import { describe } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPodmanRuntime, createRunner } from "../../../src/node/podman/index.ts";
import { ensureTestImages, podmanAvailable, removeContainers, uniqueName } from "../../support/image.ts";
import { describeRuntimeContract } from "./runtime.contract.ts";

const available = await podmanAvailable();
if (!available.ok) console.warn(`runtime contract suite against podman SKIPPED: ${available.reason}`);

describe.skipIf(!available.ok)("real podman", () => {
  describeRuntimeContract("podman", async () => {
    const { v1 } = await ensureTestImages();
    const prefix = uniqueName("mcpct");
    const network = `${prefix}-net`;
    await $`podman network create ${network}`.quiet();
    const hostDir = await mkdtemp(join(tmpdir(), "mcp-contract-"));
    return {
      runtime: createPodmanRuntime({ runner: createRunner(), timeouts: { callMs: 20_000, pullMs: 20_000 } }),
      image: v1,
      // Nothing listens on port 1: the pull fails fast (after podman's 3 retries).
      missingImage: "127.0.0.1:1/mcp-test/missing:v0",
      network,
      hostDir,
      prefix,
      async cleanup() {
        await removeContainers(prefix);
        await $`podman volume rm -f ${prefix}-vol`.nothrow().quiet();
        await $`podman network rm -f ${network}`.nothrow().quiet();
        await rm(hostDir, { recursive: true, force: true });
      },
    };
  });
});
