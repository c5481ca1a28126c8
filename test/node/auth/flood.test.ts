import { describe, expect, test } from "bun:test";
import { createFloodLimiter, peerHost, type FloodOptions, type FloodSummary } from "../../../src/node/auth/index.ts";

/** A limiter over a clock the test moves; summaries are collected. */
function setup(options: Partial<FloodOptions> = {}) {
  let now = 1_000_000;
  const reports: FloodSummary[] = [];
  const limiter = createFloodLimiter({ clock: { now: () => now }, report: (s) => reports.push(s), options: { windowMs: 60_000, threshold: 3, baseDelayMs: 1000, maxDelayMs: 5000, ...options } });
  return { limiter, reports, advance: (ms: number) => (now += ms), now: () => now };
}

describe("peer addresses", () => {
  test("the port is dropped; IPv6 brackets and IPv4-mapped prefixes are undone", () => {
    expect(peerHost("127.0.0.1:5000")).toBe("127.0.0.1");
    expect(peerHost("ipv4:10.0.0.1:443")).toBe("10.0.0.1");
    expect(peerHost("[::1]:5000")).toBe("::1");
    expect(peerHost("ipv6:[2001:db8::7]:1")).toBe("2001:db8::7");
    expect(peerHost("[::ffff:192.0.2.1]:80")).toBe("192.0.2.1");
    expect(peerHost("2001:db8::7")).toBe("2001:db8::7");
    expect(peerHost("/run/mcp.sock")).toBe("/run/mcp.sock");
  });
});

describe("the unauthenticated-flood limiter", () => {
  test("the first refusal of a window is recorded, the rest counted; the window's end reports them once", () => {
    const { limiter, reports, advance } = setup();
    expect(limiter.refuse("10.0.0.1:1000", "Deploy")).toEqual({ record: true, delayMs: 0 });
    expect(limiter.refuse("10.0.0.1:1001", "Deploy")).toEqual({ record: false, delayMs: 0 });
    advance(1000);
    expect(limiter.refuse("10.0.0.1:1002", "Deploy").record).toBe(false);
    limiter.sweep();
    expect(reports).toEqual([]);
    advance(59_000);
    limiter.sweep();
    expect(reports).toEqual([{ peer: "10.0.0.1", method: "Deploy", count: 2, from: 1_000_000, to: 1_001_000 }]);
    expect(limiter.stats()).toEqual({ peers: 0, refused: 3, delayed: 0, held: 0 });
    // A new window records its first refusal again.
    expect(limiter.refuse("10.0.0.1:1003", "Deploy").record).toBe(true);
  });

  test("a window with only its first refusal reports nothing; several methods report as -", () => {
    const { limiter, reports, advance } = setup();
    limiter.refuse("10.0.0.1:1", "Deploy");
    limiter.refuse("10.0.0.2:1", "Deploy");
    limiter.refuse("10.0.0.2:2", "Logs");
    limiter.refuse("10.0.0.2:3", "Deploy");
    advance(60_000);
    limiter.sweep();
    expect(reports).toEqual([{ peer: "10.0.0.2", method: "-", count: 2, from: 1_000_000, to: 1_000_000 }]);
  });

  test("a window that ended is reported at the peer's next refusal, before its new first", () => {
    const { limiter, reports, advance } = setup();
    limiter.refuse("10.0.0.1:1", "Deploy");
    limiter.refuse("10.0.0.1:2", "Deploy");
    advance(61_000);
    expect(limiter.refuse("10.0.0.1:3", "Deploy").record).toBe(true);
    expect(reports.map((r) => r.count)).toEqual([1]);
  });

  test("past the threshold answers wait, doubling from the base delay up to the cap; peers are independent", () => {
    const { limiter } = setup();
    const delays = Array.from({ length: 8 }, () => limiter.refuse("10.0.0.1:1", "Deploy").delayMs);
    expect(delays).toEqual([0, 0, 0, 1000, 2000, 4000, 5000, 5000]);
    expect(limiter.refuse("10.0.0.9:1", "Deploy")).toEqual({ record: true, delayMs: 0 });
    expect(limiter.stats()).toEqual({ peers: 2, refused: 9, delayed: 5, held: 5 });
    for (let i = 0; i < 5; i++) limiter.release();
    expect(limiter.stats().held).toBe(0);
    limiter.release();
    expect(limiter.stats().held).toBe(0);
  });

  test("held answers are bounded: past maxHeld refusals are answered at once (still counted)", () => {
    const { limiter } = setup({ threshold: 1, maxHeld: 2 });
    const delays = Array.from({ length: 5 }, () => limiter.refuse("10.0.0.1:1", "Deploy").delayMs);
    expect(delays).toEqual([0, 1000, 2000, 0, 0]);
    limiter.release();
    expect(limiter.refuse("10.0.0.1:1", "Deploy").delayMs).toBe(5000);
    expect(limiter.stats()).toMatchObject({ refused: 6, delayed: 3, held: 2 });
  });

  test("tracked peers are bounded: a new peer closes the oldest window, which is reported", () => {
    const { limiter, reports, advance } = setup({ maxPeers: 2 });
    limiter.refuse("10.0.0.1:1", "Deploy");
    limiter.refuse("10.0.0.1:1", "Deploy");
    advance(10);
    limiter.refuse("10.0.0.2:1", "Logs");
    advance(10);
    limiter.refuse("10.0.0.3:1", "Logs");
    expect(limiter.stats().peers).toBe(2);
    expect(reports).toEqual([{ peer: "10.0.0.1", method: "Deploy", count: 1, from: 1_000_000, to: 1_000_000 }]);
    // 10.0.0.1 starts over: its next refusal is recorded again.
    expect(limiter.refuse("10.0.0.1:1", "Deploy").record).toBe(true);
    expect(limiter.stats().peers).toBe(2);
  });

  test("flush closes every window (shutdown)", () => {
    const { limiter, reports } = setup();
    for (const p of ["10.0.0.1:1", "10.0.0.1:2", "[::1]:3", "[::1]:4", "[::1]:5"]) limiter.refuse(p, "NodeStatus");
    limiter.flush();
    expect(reports.map((r) => [r.peer, r.count])).toEqual([["10.0.0.1", 1], ["::1", 2]]);
    expect(limiter.stats().peers).toBe(0);
  });

  test("4,000 refusals from one peer keep one window and produce one summary", () => {
    const { limiter, reports, advance } = setup({ threshold: 20 });
    let recorded = 0;
    for (let i = 0; i < 4000; i++) {
      if (limiter.refuse(`192.0.2.7:${1024 + i}`, "ListServices").record) recorded++;
      limiter.release();
      advance(10);
    }
    limiter.flush();
    // 4,000 calls 10 ms apart span 40 s: one window.
    expect([recorded, reports.length, reports[0]!.count]).toEqual([1, 1, 3999]);
  });
});
