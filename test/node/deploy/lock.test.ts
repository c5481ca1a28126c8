import { describe, expect, test } from "bun:test";
import { createLocks } from "../../../src/node/deploy/index.ts";

describe("per-service locks", () => {
  test("one key is serialized in order; others run at once", async () => {
    const locks = createLocks();
    const order: string[] = [];
    const r1 = await locks.acquire("a", { waitMs: 1000 });
    let waited = false;
    const p2 = locks.acquire("a", { waitMs: 1000, onWait: () => (waited = true) }).then((r) => {
      order.push("second");
      return r;
    });
    const other = await locks.acquire("b", { waitMs: 10 });
    order.push("other");
    other();
    order.push("first");
    r1();
    (await p2)();
    expect(waited).toBe(true);
    expect(order).toEqual(["other", "first", "second"]);
    expect(locks.isHeld("a")).toBe(false);
  });

  test("a waiter gives up after its deadline and the queue survives", async () => {
    const locks = createLocks();
    const r1 = await locks.acquire("a", { waitMs: 1000 });
    await expect(locks.acquire("a", { waitMs: 20 })).rejects.toThrow(/still running/);
    const p3 = locks.acquire("a", { waitMs: 1000 });
    r1();
    (await p3)();
    expect(locks.isHeld("a")).toBe(false);
  });

  test("a cancelled waiter stops waiting", async () => {
    const locks = createLocks();
    const r1 = await locks.acquire("a", { waitMs: 1000 });
    const ac = new AbortController();
    const p = locks.acquire("a", { waitMs: 10_000, signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toThrow(/cancelled/);
    r1();
  });
});
