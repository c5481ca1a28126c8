// The plan of `mcp deploy --all` (issue 17), pure: steps from `after`,
// located errors for unknown names and cycles before anything runs, inactive
// services left out, and the schedule that skips the dependents of a failure.
import { describe, expect, test } from "bun:test";
import { createFleetSchedule, planFleet } from "../../src/cli/fleet/plan.ts";
import { isMcpError } from "../../src/lib/errors.ts";
import type { ServiceDef } from "../../src/model/index.ts";

const svc = (name: string, node: string, after?: string[], active = true): ServiceDef => ({
  name, node, active, components: [{ name: "web", image: "x:1", network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] }],
  ...(after ? { after } : {}),
});
const at = (s: string, i?: number) => `/defs/${s}.toml:${i === undefined ? "after" : `after[${i}]`}`;

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (isMcpError(err, "invalid_argument")) return err.message;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("planFleet", () => {
  test("steps follow `after` across nodes; order is step, node, name; no after = step 1", () => {
    const plan = planFleet([
      svc("web", "b", ["api"]), svc("api", "a", ["db", "cache"]), svc("db", "b"), svc("cache", "a"), svc("metrics", "b"), svc("batch", "a", ["db"]),
    ]);
    expect(plan.services.map((s) => [s.step, s.name, s.node, s.after.join(",")])).toEqual([
      [1, "cache", "a", ""], [1, "db", "b", ""], [1, "metrics", "b", ""],
      [2, "api", "a", "db,cache"], [2, "batch", "a", "db"],
      [3, "web", "b", "api"],
    ]);
    expect(plan.inactive).toEqual([]);
    expect(plan.notes).toEqual([]);
  });

  test("inactive services are not planned; an after naming one is not waited for, and said; duplicates count once", () => {
    const plan = planFleet([svc("api", "a", ["db", "db", "cache"]), svc("db", "a", [], false), svc("cache", "b"), svc("old", "b", ["cache"], false)]);
    expect(plan.services.map((s) => [s.name, s.step, s.after])).toEqual([["cache", 1, []], ["api", 2, ["cache"]]]);
    expect(plan.inactive).toEqual(["db", "old"]);
    expect(plan.notes).toEqual(["api: after db, which is inactive: not waited for"]);
  });

  test("an unknown name is refused at its entry, before anything runs; a hostile name is shown escaped and cut short", () => {
    expect(refusal(() => planFleet([svc("api", "a", ["db", "dbb"]), svc("db", "a")], at))).toBe('/defs/api.toml:after[1]: after[1]: no service "dbb" is defined');
    expect(refusal(() => planFleet([svc("api", "a", ["../etc/passwd"])], at))).toStartWith('/defs/api.toml:after[0]: after[0]: "../etc/passwd" is not a service name');
    const weird = refusal(() => planFleet([svc("api", "a", [`x\u001b[2J${"y".repeat(500)}`])], at));
    expect(weird).toContain('"x\\u001b[2J');
    expect(weird).not.toContain("\u001b");
    expect(weird.length).toBeLessThan(300);
    // Inactive definitions are checked too: a typo is a typo.
    expect(refusal(() => planFleet([svc("api", "a", ["nope"], false)], at))).toContain('no service "nope" is defined');
  });

  test("a cycle is refused at the entry that closes it from its first service (name order), naming the whole cycle", () => {
    const defs = [svc("web", "b", ["api"]), svc("api", "a", ["db"]), svc("db", "b", ["web"]), svc("other", "a")];
    expect(refusal(() => planFleet(defs, at))).toBe("/defs/api.toml:after[0]: after: a cycle: api → db → web → api");
    expect(refusal(() => planFleet([svc("solo", "a", ["solo"])], at))).toBe("/defs/solo.toml:after[0]: after: solo comes after itself");
    // Through an inactive service too: the definitions contradict each other.
    expect(refusal(() => planFleet([svc("a1", "a", ["b1"]), svc("b1", "b", ["a1"], false)], at))).toContain("a cycle: a1 → b1 → a1");
  });

  test("a long chain plans without trouble (no recursion limit for a few thousand services)", () => {
    const defs = Array.from({ length: 3000 }, (_, i) => svc(`s${i}`, i % 2 ? "a" : "b", i > 0 ? [`s${i - 1}`] : []));
    const plan = planFleet(defs.toReversed());
    expect(plan.services.at(-1)).toMatchObject({ name: "s2999", step: 3000 });
  });
});

describe("createFleetSchedule", () => {
  const plan = planFleet([svc("db", "a"), svc("api", "b", ["db"]), svc("web", "a", ["api"]), svc("cache", "b"), svc("jobs", "a", ["cache", "db"])]);

  test("a node gets its next service only once those it comes after succeeded, on whatever node", () => {
    const s = createFleetSchedule(plan);
    expect(s.next("b")?.name).toBe("cache");
    expect(s.next("b")).toBeNull(); // api waits for db
    expect(s.next("a")?.name).toBe("db");
    expect(s.next("a")).toBeNull(); // jobs waits for cache, web for api
    expect(s.finish("db", true)).toEqual([]);
    expect(s.next("b")?.name).toBe("api");
    expect(s.finish("cache", true)).toEqual([]);
    expect(s.next("a")?.name).toBe("jobs");
    expect(s.over()).toBe(false);
    s.finish("api", true);
    s.finish("jobs", true);
    expect(s.next("a")?.name).toBe("web");
    s.finish("web", true);
    expect(s.over()).toBe(true);
    expect(["db", "api", "web", "cache", "jobs"].map(s.state)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
  });

  test("a failure skips its dependents, directly or not, each told why; the others go on", () => {
    const s = createFleetSchedule(plan);
    s.next("a");
    s.next("b");
    expect(s.finish("db", false)).toEqual(["jobs", "api", "web"]); // in plan order
    expect(s.reason("api")).toBe("after db, which failed");
    expect(s.reason("web")).toBe("after api, skipped because db failed");
    expect(s.reason("jobs")).toBe("after db, which failed");
    expect(s.pending("a")).toBe(0);
    expect(s.over()).toBe(false); // cache still runs
    expect(s.finish("cache", true)).toEqual([]);
    expect(s.over()).toBe(true);
    expect(() => s.finish("cache", true)).toThrow(/not running/);
  });
});
