/**
 * Merging the log lines of several containers by the time each was written
 * (`mcp logs a b/web …`, SPEC §7.6), pure. Without follow every line is in
 * hand: a stable sort. While following, lines arrive live from several
 * agents, each read every poll interval: a line is held for a short reorder
 * window after it arrives, and lines leave in time order, so lines written
 * close together but read at different polls still come out interleaved as
 * written. A line that arrives later than the window behind the others is
 * shown at once, out of order, rather than lost. Times are the nodes'
 * clocks: across nodes the order is as good as their clocks agree.
 */

/** One line of one source (a service/component). */
export interface MergeLine {
  source: string;
  /** The line, with its newline. */
  data: string;
  /** When the container wrote it (Unix ms); 0 = unknown. */
  time: number;
}

/** How long a followed line is held for lines of other sources to catch up: two of the agent's log polls (250 ms). */
export const REORDER_WINDOW_MS = 500;

/**
 * A line of unknown time takes the time of the line before it from the same
 * source (so it stays where it came), or 0 (first) when there is none.
 */
function createTimeFiller(): (l: MergeLine) => number {
  const last = new Map<string, number>();
  return (l) => {
    const t = l.time > 0 ? l.time : (last.get(l.source) ?? 0);
    last.set(l.source, t);
    return t;
  };
}

/** The lines in time order; lines of equal time keep the order they came in (a source's own order always holds). */
export function mergeByTime(lines: readonly MergeLine[]): MergeLine[] {
  const fill = createTimeFiller();
  const keyed = lines.map((l, i) => ({ l, t: fill(l), i }));
  keyed.sort((a, b) => a.t - b.t || a.i - b.i);
  return keyed.map((k) => k.l);
}

/** The follow side of the merge. */
export interface ReorderBuffer {
  /** Takes a line as it arrives. */
  push(line: MergeLine): void;
  /** Emits what is due now (lines held for the window, and every line not later than one of them). */
  tick(): void;
  /** Emits everything held, in time order (every source ended). */
  flush(): void;
  /** When tick has work next (ms, on `now`'s clock), or null when nothing is held. */
  due(): number | null;
}

/**
 * A ReorderBuffer that calls emit for each line, in time order as far as
 * the window allows. `now` is the arrival clock (the CLI's), separate from
 * the lines' times (the nodes').
 */
export function createReorderBuffer(o: { windowMs: number; now: () => number; emit: (l: MergeLine) => void }): ReorderBuffer {
  const fill = createTimeFiller();
  let held: { l: MergeLine; t: number; at: number; i: number }[] = [];
  let seq = 0;
  const release = (upTo: number) => {
    held.sort((a, b) => a.t - b.t || a.i - b.i);
    let n = 0;
    while (n < held.length && held[n]!.t <= upTo) n++;
    const out = held.slice(0, n);
    held = held.slice(n);
    for (const h of out) o.emit(h.l);
  };
  return {
    push(l) {
      held.push({ l, t: fill(l), at: o.now(), i: seq++ });
    },
    tick() {
      const ripe = o.now() - o.windowMs;
      let upTo = -Infinity;
      for (const h of held) if (h.at <= ripe && h.t > upTo) upTo = h.t;
      if (upTo > -Infinity) release(upTo);
    },
    flush: () => release(Infinity),
    due: () => (held.length === 0 ? null : Math.min(...held.map((h) => h.at)) + o.windowMs),
  };
}
