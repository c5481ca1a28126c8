import { $ } from "bun";
import { describe } from "bun:test";
import { createPodmanRuntime, createRunner } from "../../../src/node/podman/index.ts";
import { makeDistinctImage } from "../../support/distinct-image.ts";
import { podmanAvailable, removeContainers, uniqueName } from "../../support/image.ts";
import { describeImageContract } from "./images.contract.ts";

const available = await podmanAvailable();
if (!available.ok) console.warn(`images contract suite against podman SKIPPED: ${available.reason}`);

describe.skipIf(!available.ok)("real podman", () => {
  describeImageContract("podman", async () => {
    const prefix = uniqueName("mcpimg");
    return {
      runtime: createPodmanRuntime({ runner: createRunner(), timeouts: { callMs: 20_000, pullMs: 20_000 } }),
      prefix,
      makeImage: (ref) => makeDistinctImage(ref),
      tag: async (ref, newRef) => void (await $`podman tag ${ref} ${newRef}`.quiet()),
      async cleanup() {
        await removeContainers(prefix);
        const ids = (await $`podman images --format ${"{{.Id}} {{.Names}}"}`.quiet().text()).split("\n").filter((l) => l.includes(`/${prefix}/`)).map((l) => l.split(" ")[0]!);
        if (ids.length > 0) await $`podman image rm -f ${[...new Set(ids)]}`.nothrow().quiet();
      },
    };
  });
});
