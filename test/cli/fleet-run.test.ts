// runFleet (issue 17) with a deploy function the test controls: nodes run at
// once, a node at most perNode services at a time, a service only after
// those it names (on any node) succeeded, dependents of a failure skipped and
// never deployed, a throw is a failure, and rows come back in plan order.
import { describe, expect, test } from "bun:test";
import { planFleet, type PlannedService } from "../../src/cli/fleet/plan.ts";
import { runFleet, type ServiceOutcome } from "../../src/cli/fleet/run.ts";
import type { ServiceDef } from "../../src/model/index.ts";
import { waitFor } from "../support/mcp.ts";

const svc = (name: string, node: string, after: string[] = []): ServiceDef => ({
  name, node, active: true, after, components: [{ name: "web", image: "x:1", network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] }],
});

/** A deploy whose every call waits until the test ends it; `started` lists calls in order. */
function controlled() {
  const started: string[] = [];
  const ends = new Map<string, (o: ServiceOutcome | Error) => void>();
  const running = new Set<string>();
  const deploy = (s: PlannedService) => {
    started.push(s.name);
    running.add(s.name);
    return new Promise<ServiceOutcome>((resolve, reject) => {
      ends.set(s.name, (o) => {
        running.delete(s.name);
        if (o instanceof Error) reject(o);
        else resolve(o);
      });
    });
  };
  const end = async (name: string, o: ServiceOutcome | Error = { result: "ok", detail: "" }) => {
    await waitFor(() => ends.has(name), `${name} to start`, 5000);
    ends.get(name)!(o);
  };
  return { started, running, deploy, end };
}

describe("runFleet", () => {
  test("nodes in parallel; across nodes a service waits for what it names; perNode bounds each node", async () => {
    const plan = planFleet([svc("db", "a"), svc("cache", "a"), svc("queue", "a"), svc("api", "b", ["db"]), svc("web", "b", ["api", "cache"]), svc("docs", "b")]);
    const c = controlled();
    const run = runFleet(plan, { perNode: 2, deploy: c.deploy });
    // a: two of its three at once; b: docs only (api waits for db on a).
    await waitFor(() => c.started.length === 3, "three starts");
    expect(c.started.toSorted()).toEqual(["cache", "db", "docs"]);
    expect([...c.running].filter((n) => ["cache", "db", "queue"].includes(n))).toHaveLength(2);
    await c.end("db");
    await waitFor(() => c.started.includes("api") && c.started.includes("queue"), "api on b and queue on a");
    expect(c.started).not.toContain("web");
    await c.end("api");
    await c.end("docs");
    expect(c.started).not.toContain("web"); // still waits for cache
    await c.end("cache");
    await c.end("web");
    await c.end("queue", { result: "unchanged", detail: "" });
    const rows = await run;
    expect(rows.map((r) => [r.service, r.node, r.result])).toEqual(plan.services.map((s) => [s.name, s.node, s.name === "queue" ? "unchanged" : "ok"]));
  });

  test("a failure (rolled back, refused, a throw) skips its dependents, which are never deployed; the rest go on", async () => {
    const plan = planFleet([svc("db", "a"), svc("api", "b", ["db"]), svc("web", "a", ["api"]), svc("auth", "b"), svc("sso", "a", ["auth"]), svc("mail", "b"), svc("news", "a", ["mail"])]);
    const c = controlled();
    const ends: string[] = [];
    const run = runFleet(plan, { perNode: 4, deploy: c.deploy, onEnd: (r) => ends.push(`${r.service}:${r.result}`) });
    await c.end("db", { result: "rolled back", detail: "web: rolled back: health check failed" });
    await c.end("auth", { result: "refused", detail: 'token "ci" is scoped to services db' });
    await c.end("mail", new Error("boom"));
    const rows = await run;
    expect(c.started.toSorted()).toEqual(["auth", "db", "mail"]);
    const by = Object.fromEntries(rows.map((r) => [r.service, [r.result, r.detail]]));
    expect(by).toEqual({
      db: ["rolled back", "web: rolled back: health check failed"],
      api: ["skipped", "after db, which failed"],
      web: ["skipped", "after api, skipped because db failed"],
      auth: ["refused", 'token "ci" is scoped to services db'],
      sso: ["skipped", "after auth, which failed"],
      mail: ["failed", "boom"],
      news: ["skipped", "after mail, which failed"],
    });
    expect(ends).toHaveLength(7);
    expect(rows.filter((r) => r.result === "skipped").every((r) => r.ms === 0)).toBe(true);
  });

  test("perNode 1: one at a time per node, in plan order; times are measured per service", async () => {
    const plan = planFleet([svc("c", "a"), svc("b", "a"), svc("a", "a")]);
    let t = 0;
    const rows = await runFleet(plan, { perNode: 1, now: () => t, deploy: async (s) => {
      t += s.name === "b" ? 250 : 10;
      return { result: "ok", detail: "" };
    } });
    expect(rows.map((r) => [r.service, r.ms])).toEqual([["a", 10], ["b", 250], ["c", 10]]);
  });

  test("an empty plan is over at once", async () => {
    expect(await runFleet(planFleet([]), { perNode: 4, deploy: async () => ({ result: "ok", detail: "" }) })).toEqual([]);
  });
});
