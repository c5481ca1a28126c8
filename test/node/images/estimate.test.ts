// The reclaimable-bytes figure of node status and /metrics: computed in the background, never a wait once known.
import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../../src/lib/log.ts";
import { createLocks, deployService, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { createReclaimableEstimate } from "../../../src/node/images/index.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { FakeRuntime } from "../../../src/node/runtime/index.ts";
import { openDb } from "../../../src/node/store/index.ts";
import { waitFor } from "../../support/mcp.ts";

describe("createReclaimableEstimate", () => {
  test("the first get waits for the figure; later ones answer at once and refresh in the background when old; invalidate recomputes", async () => {
    const runtime = new FakeRuntime();
    for (let n = 1; n <= 4; n++) runtime.addRemoteImage(`r.example.net/app:v${n}`, { size: 1000 });
    const db = openDb(":memory:");
    let now = 1_000_000;
    const clock = { now: () => now };
    const deps: DeployDeps = {
      node: "n1", runtime, db, journal: createJournal(db), clock, log: silentLogger, locks: createLocks(), stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000,
    };
    const deploy = (n: number) => deployService(deps, {
      service: { name: "app", node: "n1", active: true, components: [{ name: "api", image: `r.example.net/app:v${n}`, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] }] },
      component: "", force: false, lockWaitMs: 0,
    }, () => {});
    for (let n = 1; n <= 3; n++) await deploy(n);
    let listings = 0;
    const listImages = runtime.listImages;
    runtime.listImages = async () => (listings++, listImages());
    const est = createReclaimableEstimate({ runtime, db, keep: 2, clock, log: silentLogger, maxAgeMs: 30_000 });
    expect(est.peek()).toBeUndefined();
    expect(await est.get()).toBe(1000);
    await deploy(4);
    // Fresh: the cached figure, no listing.
    expect(await est.get()).toBe(1000);
    expect(listings).toBe(1);
    // Old: the cached figure at once, the new one computed meanwhile.
    now += 30_000;
    expect(await est.get()).toBe(1000);
    await waitFor(async () => est.peek() === 2000, "the background refresh");
    expect(listings).toBe(2);
    est.invalidate();
    await waitFor(async () => listings === 3, "the recomputation after invalidate");
  });

  test("a runtime that hangs: the first get gives up after its bound, without a figure", async () => {
    const runtime = new FakeRuntime();
    runtime.listImages = () => new Promise(() => {});
    const est = createReclaimableEstimate({ runtime, db: openDb(":memory:"), keep: 3, clock: { now: () => 0 }, log: silentLogger });
    expect(await est.get(50)).toBeUndefined();
  });
});
