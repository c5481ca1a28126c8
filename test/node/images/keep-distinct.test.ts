import { expect, test } from "bun:test";
import { createLocks, deployService, rollbackService, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { pruneImages } from "../../../src/node/images/index.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { FakeRuntime, type ComponentSpec } from "../../../src/node/runtime/index.ts";
import { listServices, openDb } from "../../../src/node/store/index.ts";

const V = (n: number) => `registry.example.net:8443/app:v${n}`;
const D = (n: number) => `sha256:${String(n).repeat(64)}`;

test("forced redeploys of the same version never push the rollback target out of keep (review finding)", async () => {
  const runtime = new FakeRuntime();
  for (let n = 1; n <= 2; n++) runtime.addRemoteImage(V(n), { digest: D(n), size: n * 1000 });
  const db = openDb(":memory:");
  const locks = createLocks();
  const deps: DeployDeps = { node: "n1", runtime, db, journal: createJournal(db), clock: { now: () => Date.now() }, log: silentLogger, locks, stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000 };
  const comp = (image: string): ComponentSpec => ({ name: "api", image, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] });
  const deploy = (n: number, force = false) => deployService(deps, { service: { name: "app", node: "n1", active: true, components: [comp(V(n))] }, component: "", force, lockWaitMs: 0 }, () => {});
  await deploy(1); await deploy(2); await deploy(2, true); await deploy(2, true);
  const busyService = () => listServices(db).find((s) => locks.isHeld(`service ${s.name}`))?.name ?? null;
  const out = await pruneImages({ runtime, db, log: silentLogger, busyService }, { keep: 3, dryRun: false });
  runtime.pull = async () => { throw new Error("connection refused"); };
  const r = await rollbackService(deps, { service: "app", component: "", lockWaitMs: 0 }, () => {});
  expect(r.results[0]?.status).toBe("ok");
});
