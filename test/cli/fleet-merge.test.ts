// Merging log lines by time (issue 17), pure: the stable sort of `mcp logs a b`,
// the reorder window of `-f` with an arrival clock the test drives, and
// --since's parsing; plus the dry run's preview of one service.
import { describe, expect, test } from "bun:test";
import { parseSince } from "../../src/cli/fleet/logs.ts";
import { createReorderBuffer, mergeByTime, type MergeLine } from "../../src/cli/fleet/merge.ts";
import { previewService } from "../../src/cli/fleet/preview.ts";
import { isMcpError } from "../../src/lib/errors.ts";
import type { ComponentRecord, ComponentSpec, ServiceDef } from "../../src/model/index.ts";
import type { LiveComponent } from "../../src/rpc/index.ts";
import { specHash } from "../../src/servicedef/index.ts";

const L = (source: string, time: number, data = `${source}@${time}`): MergeLine => ({ source, time, data });
const texts = (ls: MergeLine[]) => ls.map((l) => l.data);

describe("mergeByTime", () => {
  test("interleaves sources by time; equal times keep arrival order; a source's own order always holds", () => {
    const a = [L("a/x", 10), L("a/x", 20), L("a/x", 20, "a-second-at-20"), L("a/x", 40)];
    const b = [L("b/y", 5), L("b/y", 20), L("b/y", 30)];
    expect(texts(mergeByTime([...a, ...b]))).toEqual(["b/y@5", "a/x@10", "a/x@20", "a-second-at-20", "b/y@20", "b/y@30", "a/x@40"]);
  });

  test("a line of unknown time stays behind the line before it from its source (first: at the start)", () => {
    const lines = [L("a/x", 0, "a-unknown-first"), L("a/x", 30), L("a/x", 0, "a-unknown-after-30"), L("b/y", 10), L("b/y", 40)];
    expect(texts(mergeByTime(lines))).toEqual(["a-unknown-first", "b/y@10", "a/x@30", "a-unknown-after-30", "b/y@40"]);
  });
});

describe("createReorderBuffer", () => {
  function harness(windowMs = 500) {
    let now = 0;
    const out: string[] = [];
    const buf = createReorderBuffer({ windowMs, now: () => now, emit: (l) => out.push(l.data) });
    return { buf, out, at: (t: number) => (now = t) };
  }

  test("lines read at different polls come out in the order they were written, once held for the window", () => {
    const h = harness();
    h.at(0);
    h.buf.push(L("a/x", 1000));
    h.buf.push(L("a/x", 1300));
    expect(h.buf.due()).toBe(500);
    h.at(250); // b's poll finds a line written between a's two
    h.buf.push(L("b/y", 1100));
    h.buf.tick();
    expect(h.out).toEqual([]);
    h.at(500);
    h.buf.tick();
    // a's lines are ripe; b's 1100 is older than one of them: it goes first, before it is ripe itself.
    expect(h.out).toEqual(["a/x@1000", "b/y@1100", "a/x@1300"]);
    expect(h.buf.due()).toBeNull();
  });

  test("a line not older than anything ripe waits for its own window; a line later than the window is shown at once, not lost", () => {
    const h = harness();
    h.at(0);
    h.buf.push(L("a/x", 1000));
    h.at(100);
    h.buf.push(L("b/y", 2000));
    h.at(500);
    h.buf.tick();
    expect(h.out).toEqual(["a/x@1000"]);
    expect(h.buf.due()).toBe(600);
    h.at(600);
    h.buf.tick();
    expect(h.out).toEqual(["a/x@1000", "b/y@2000"]);
    // A straggler written long ago: out of order, but shown.
    h.at(700);
    h.buf.push(L("a/x", 1500));
    h.at(1200);
    h.buf.tick();
    expect(h.out.at(-1)).toBe("a/x@1500");
  });

  test("flush gives everything held, in time order", () => {
    const h = harness();
    h.buf.push(L("a/x", 30));
    h.buf.push(L("b/y", 10));
    h.buf.push(L("a/x", 0, "a-unknown"));
    h.buf.flush();
    expect(h.out).toEqual(["b/y@10", "a/x@30", "a-unknown"]);
  });
});

describe("parseSince", () => {
  const now = Date.UTC(2026, 10, 27, 12);
  test("a duration back from now, or a time", () => {
    expect(parseSince("10m", now)).toBe(now - 600_000);
    expect(parseSince("2026-11-27T11:00:00Z", now)).toBe(now - 3_600_000);
    expect(parseSince("2026-11-27T12:30:00+01:00", now)).toBe(now - 1_800_000);
    expect(parseSince("2026-11-27", now)).toBe(Date.UTC(2026, 10, 27));
  });
  test("anything else is a usage error naming the flag", () => {
    for (const bad of ["yesterday", "10", "-5m", "2026-13-45T99:00:00Z", "10 m", "1e3"]) {
      try {
        parseSince(bad, now);
        throw new Error(`accepted ${bad}`);
      } catch (err) {
        expect(isMcpError(err, "invalid_argument")).toBe(true);
        expect((err as Error).message).toStartWith(`--since: "${bad}"`);
      }
    }
  });
});

describe("previewService", () => {
  const spec = (name: string, image = "x:1"): ComponentSpec => ({ name, image, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] });
  const def: ServiceDef = { name: "app", node: "a", active: true, components: [spec("api"), spec("web")] };
  const rec = (specs: ComponentSpec[], extra: Partial<ComponentRecord> = {}) => ({
    name: "app", active: true,
    components: specs.map((s): ComponentRecord => ({
      service: "app", name: s.name, spec: s, specHash: specHash(s), desired: "running", observed: "running", version: "1", imageDigest: "", containerId: "",
      containerName: `app-${s.name}`, observedAt: 0, deployedAt: 0, updatedAt: 0, ...extra,
    })),
  });
  const live = (state: string, desired = "running"): LiveComponent[] => ["api", "web"].map((c) => ({
    service: "app", component: c, containerName: `app-${c}`, state: c === "web" ? state : "running", image: "x:1", version: "1", startedAt: 0, desired,
  }));

  test("never deployed, changed, stopped, up to date, forced", () => {
    expect(previewService(def, undefined, [], false)).toMatchObject({ change: "deploy", detail: "new on a: 2 components" });
    const changed = previewService(def, rec([spec("api", "x:0"), spec("web")]), live("running"), false);
    expect(changed).toMatchObject({ change: "update", detail: "api: image" });
    expect(changed.changes).toEqual([{ component: "api", field: "image", kind: "changed", from: "x:0", to: "x:1" }]);
    expect(previewService(def, rec([spec("api")]), live("running"), false)).toMatchObject({ change: "update", detail: "web: new" });
    expect(previewService(def, rec([spec("api"), spec("web")]), live("exited"), false)).toMatchObject({ change: "start", detail: "web: exited" });
    expect(previewService(def, rec([spec("api"), spec("web")]), live("running"), false)).toMatchObject({ change: "none", detail: "up to date" });
    expect(previewService(def, rec([spec("api"), spec("web")]), live("running"), true)).toMatchObject({ change: "update", detail: "every component replaced (--force)" });
    expect(previewService(def, rec([spec("api"), spec("web")], { unverified: true }), live("running"), false).detail).toBe("api: unverified (its last deploy was cut short); web: unverified (its last deploy was cut short)");
  });
});
