// mcp node prune on the node, against the FakeRuntime and a real (in-memory) registry: what goes, what stays, and a rollback afterwards.
import { describe, expect, test } from "bun:test";
import { createLocks, deployService, rollbackService, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { isMcpError } from "../../../src/lib/errors.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { planNodePrune, pruneImages } from "../../../src/node/images/index.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { FakeRuntime, type ComponentSpec } from "../../../src/node/runtime/index.ts";
import { getService, listServices, openDb } from "../../../src/node/store/index.ts";

const V = (n: number) => `registry.example.net:8443/app:v${n}`;
const D = (n: number) => `sha256:${String(n).repeat(64)}`;

function setup() {
  const runtime = new FakeRuntime();
  for (let n = 1; n <= 5; n++) runtime.addRemoteImage(V(n), { digest: D(n), size: n * 1000 });
  const db = openDb(":memory:");
  const locks = createLocks();
  const deps: DeployDeps = {
    node: "n1", runtime, db, journal: createJournal(db), clock: { now: () => Date.now() }, log: silentLogger, locks,
    stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000,
  };
  const comp = (image: string): ComponentSpec => ({ name: "api", image, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] });
  const deploy = (n: number) => deployService(deps, { service: { name: "app", node: "n1", active: true, components: [comp(V(n))] }, component: "", force: false, lockWaitMs: 0 }, () => {});
  const busyService = () => listServices(db).find((s) => locks.isHeld(`service ${s.name}`))?.name ?? null;
  const prune = (keep: number, dryRun = false) => pruneImages({ runtime, db, log: silentLogger, busyService }, { keep, dryRun });
  const local = () => runtime.dump().images.map((i) => i.ref).sort();
  return { runtime, db, deps, locks, deploy, prune, local };
}

describe("pruneImages", () => {
  test("keeps the images of the newest `keep` successful deployments, removes older ones, leaves images mcp never deployed", async () => {
    const { runtime, deploy, prune, local } = setup();
    runtime.addImage("localhost/built-by-hand:v9");
    for (let n = 1; n <= 5; n++) await deploy(n);
    const out = await prune(2);
    expect(out.removed.map((i) => i.names)).toEqual([[V(3)], [V(2)], [V(1)]]);
    expect(out.reclaimedBytes).toBe(6000);
    expect(out.plan.kept.map((k) => k.image.names)).toEqual([[V(4)]]);
    expect(local()).toEqual(["localhost/built-by-hand:v9", V(4), V(5)].sort());
  });

  test("a rollback after the prune works with the registry down (the kept image is local)", async () => {
    const { runtime, db, deps, deploy, prune } = setup();
    for (let n = 1; n <= 4; n++) await deploy(n);
    await prune(2);
    runtime.pull = async () => {
      throw new Error("connection refused");
    };
    const r = await rollbackService(deps, { service: "app", component: "", lockWaitMs: 0 }, () => {});
    expect(r.results[0]?.status).toBe("ok");
    expect(getService(db, "app")?.components[0]?.imageDigest).toBe(D(3));
  });

  test("a dry run reports the same and removes nothing", async () => {
    const { deploy, prune, local } = setup();
    for (let n = 1; n <= 4; n++) await deploy(n);
    const before = local();
    const dry = await prune(1, true);
    expect(local()).toEqual(before);
    expect(dry.removed.map((i) => i.names[0])).toEqual([V(3), V(2), V(1)]);
    const real = await prune(1);
    expect(real.removed.map((i) => i.id)).toEqual(dry.removed.map((i) => i.id));
    expect(local()).toEqual([V(4)]);
  });

  test("an image a container uses stays, whatever its age; failed deployments do not count toward keep", async () => {
    const { runtime, deploy, prune, local } = setup();
    for (let n = 1; n <= 3; n++) await deploy(n);
    // Someone runs a container of v1 by hand.
    await runtime.run({ name: "by-hand", image: V(1), labels: {}, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] });
    runtime.setImageBehaviour(V(4), "exits");
    await deploy(4); // fails its start: put back to v3, outcome rolled_back
    const out = await prune(1);
    expect(out.removed.map((i) => i.names[0])).toEqual([V(4), V(2)]);
    expect(local()).toEqual([V(1), V(3)]);
  });

  test("refused while an operation on a service runs; keep out of range is refused; nothing changes", async () => {
    const { locks, deploy, prune, local } = setup();
    for (let n = 1; n <= 3; n++) await deploy(n);
    const before = local();
    const release = await locks.acquire("service app", { waitMs: 0 });
    let err: unknown;
    try {
      await prune(1);
    } catch (e) {
      err = e;
    }
    release();
    expect(isMcpError(err, "failed_precondition")).toBe(true);
    expect((err as Error).message).toContain("service app");
    for (const keep of [0, -1, 1.5, 10_001]) {
      let bad: unknown;
      try {
        await prune(keep);
      } catch (e) {
        bad = e;
      }
      expect(isMcpError(bad, "invalid_argument")).toBe(true);
    }
    expect(local()).toEqual(before);
  });

  test("the reclaimable estimate is the plan's bytes", async () => {
    const { runtime, db, deploy } = setup();
    for (let n = 1; n <= 3; n++) await deploy(n);
    expect((await planNodePrune({ runtime, db }, 1)).bytes).toBe(3000);
    expect((await planNodePrune({ runtime, db }, 3)).bytes).toBe(0);
  });
});
