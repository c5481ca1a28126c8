import { describe, expect, test } from "bun:test";
import { LiveState } from "../../../src/node/monitor/index.ts";
import type { ObservedContainer, RuntimeEvent } from "../../../src/node/runtime/index.ts";

const box = (name: string, state: ObservedContainer["state"], id = `${name}-id`): ObservedContainer => ({
  id, name, image: "img:v1", imageId: "i", state, labels: { a: "b" }, command: [], startedAt: 5, exitCode: 0,
});
const ev = (name: string, status: string, time: number, o: Partial<RuntimeEvent> = {}): RuntimeEvent => ({
  name, id: `${name}-id`, status, time, exitCode: status === "died" ? 137 : null, image: "img:v1", ...o,
});

describe("LiveState", () => {
  test("events move a container through its states and keep its labels", () => {
    const s = new LiveState();
    s.replace([box("a", "running")], 0);
    expect(s.apply(ev("a", "died", 10))).toBe(true);
    expect(s.get("a")).toMatchObject({ state: "exited", exitCode: 137, labels: { a: "b" } });
    expect(s.apply(ev("a", "stop", 11))).toBe(false);
    expect(s.apply(ev("a", "start", 20))).toBe(true);
    expect(s.get("a")).toMatchObject({ state: "running", startedAt: 20 });
    expect(s.apply(ev("a", "kill", 30))).toBe(false);
    expect(s.apply(ev("a", "remove", 40))).toBe(true);
    expect(s.get("a")).toBeUndefined();
  });

  test("a recreated container (new id) replaces the old one", () => {
    const s = new LiveState();
    s.replace([box("a", "running", "old")], 0);
    s.apply(ev("a", "create", 10, { id: "new" }));
    s.apply(ev("a", "start", 11, { id: "new" }));
    expect(s.get("a")).toMatchObject({ id: "new", state: "running", startedAt: 11 });
  });

  test("a listing taken before an event does not undo the event", () => {
    const s = new LiveState();
    s.replace([box("a", "running"), box("b", "running")], 0);
    s.apply(ev("a", "died", 100));
    s.apply(ev("b", "remove", 100));
    // This listing started at 50, before the events: it still shows both running.
    s.replace([box("a", "running"), box("b", "running")], 50);
    expect(s.get("a")?.state).toBe("exited");
    expect(s.get("b")).toBeUndefined();
    // A listing that started after the events is the truth.
    s.replace([box("a", "running")], 200);
    expect(s.get("a")?.state).toBe("running");
    expect(s.all().map((c) => c.name)).toEqual(["a"]);
  });
});

describe("LiveState against replayed events", () => {
  test("events older than what the view knows (podman replaying its rotated log) change nothing", () => {
    const s = new LiveState();
    s.replace([box("a", "running")], 1000);
    // The history of an earlier container of the same name, replayed.
    expect(s.apply(ev("a", "died", 500))).toBe(false);
    expect(s.apply(ev("a", "remove", 510))).toBe(false);
    expect(s.apply(ev("a", "create", 520))).toBe(false);
    expect(s.get("a")?.state).toBe("running");
    // A new event still counts, and after it, older ones do not.
    expect(s.apply(ev("a", "died", 2000))).toBe(true);
    expect(s.apply(ev("a", "start", 1500))).toBe(false);
    expect(s.get("a")?.state).toBe("exited");
  });
});
