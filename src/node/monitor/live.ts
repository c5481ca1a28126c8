import type { ContainerState, ObservedContainer, RuntimeEvent } from "../runtime/types.ts";

const EVENT_STATE: Record<string, ContainerState> = {
  create: "created",
  start: "running",
  restart: "running",
  unpause: "running",
  died: "exited",
  stop: "exited",
  pause: "paused",
};

/**
 * The live view of the node's containers, by name: replaced by each full
 * listing and updated by each event, so that `ps` and `status` never wait
 * on podman. An event newer than a listing wins over that listing (the
 * listing was taken before the event happened).
 */
export class LiveState {
  private readonly byName = new Map<string, ObservedContainer>();
  /** When an event last touched a name (Unix ms, the runtime's clock); removals included. */
  private readonly touched = new Map<string, { at: number; removed: boolean }>();
  /** What the view already knows of each name, as a time: the last listing's start or the last event applied. */
  private readonly knownAt = new Map<string, number>();

  /** Replaces the view with a listing that started at `listedAt`. */
  replace(list: ObservedContainer[], listedAt: number): void {
    const fresh = new Map(list.map((c) => [c.name, c]));
    for (const [name, t] of this.touched) {
      if (t.at < listedAt) {
        this.touched.delete(name);
        continue;
      }
      // An event after the listing began: keep what the event said.
      const mine = this.byName.get(name);
      if (t.removed) fresh.delete(name);
      else if (mine) fresh.set(name, mine);
    }
    this.byName.clear();
    for (const [k, v] of fresh) {
      this.byName.set(k, v);
      this.knownAt.set(k, Math.max(this.knownAt.get(k) ?? 0, listedAt));
    }
  }

  /**
   * Applies an event; returns true when a container's state (or existence)
   * changed. An event older than what the view already knows of that name is
   * stale (a replay of podman's event log) and is ignored.
   */
  apply(e: RuntimeEvent): boolean {
    if (e.time < (this.knownAt.get(e.name) ?? 0)) return false;
    this.knownAt.set(e.name, e.time);
    if (e.status === "remove") {
      this.touched.set(e.name, { at: e.time, removed: true });
      return this.byName.delete(e.name);
    }
    const state = EVENT_STATE[e.status];
    if (!state) return false;
    this.touched.set(e.name, { at: e.time, removed: false });
    const prev = this.byName.get(e.name);
    const next: ObservedContainer = prev && prev.id === e.id
      ? { ...prev }
      : { id: e.id, name: e.name, image: e.image || prev?.image || "", imageId: "", state, labels: prev?.id === e.id ? prev.labels : {}, command: [], startedAt: 0, exitCode: 0 };
    next.state = state;
    if (state === "running" && e.status !== "unpause") next.startedAt = e.time;
    if (e.status === "died" && e.exitCode !== null) next.exitCode = e.exitCode;
    this.byName.set(e.name, next);
    return prev?.state !== state || prev.id !== e.id;
  }

  /**
   * Records a container mcp has just inspected (after a deploy, start or
   * restart), so that `ps` shows it at once instead of waiting for its events.
   */
  observe(c: ObservedContainer, at: number): void {
    this.byName.set(c.name, c);
    this.knownAt.set(c.name, Math.max(this.knownAt.get(c.name) ?? 0, at));
  }

  get(name: string): ObservedContainer | undefined {
    return this.byName.get(name);
  }

  all(): ObservedContainer[] {
    return [...this.byName.values()];
  }
}
