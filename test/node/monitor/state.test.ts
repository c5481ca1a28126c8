import { describe, expect, test } from "bun:test";
import { isDrift, observedStateOf } from "../../../src/node/monitor/index.ts";
import type { ContainerState, DesiredState, ObservedState } from "../../../src/node/runtime/index.ts";

describe("observed state", () => {
  const cases: [ContainerState | null, DesiredState, ObservedState][] = [
    [null, "running", "removed"],
    ["running", "stopped", "running"],
    ["exited", "running", "exited"],
    ["exited", "stopped", "stopped"],
    ["created", "running", "stopped"],
    ["paused", "running", "paused"],
    ["unknown", "running", "unknown"],
  ];
  for (const [state, desired, want] of cases) {
    test(`container ${state ?? "absent"}, desired ${desired} → ${want}`, () => {
      expect(observedStateOf(state ? { state } : null, desired)).toBe(want);
    });
  }
});

describe("drift", () => {
  const cases: [DesiredState, ObservedState, boolean][] = [
    ["running", "running", false],
    ["running", "exited", true],
    ["running", "removed", true],
    ["running", "unknown", true],
    ["stopped", "stopped", false],
    ["stopped", "exited", false],
    ["stopped", "removed", false],
    ["stopped", "running", true],
    ["ignore", "running", false],
    ["ignore", "exited", false],
  ];
  for (const [desired, observed, want] of cases) {
    test(`desired ${desired}, observed ${observed} → ${want ? "drift" : "no drift"}`, () => expect(isDrift(desired, observed)).toBe(want));
  }
});
