import type { FakeContainer } from "./_fake-types.ts";

/** Adds a line to a fake container's log, with the time it was written. */
export function pushLog(c: FakeContainer, line: string, time: number): void {
  c.log.push(line);
  c.logTimes.push(time);
}

/**
 * streamLogs of the fake (the port's contract): the last `tail` lines (0 =
 * all) written at or after `since`, each with its time; with follow, new
 * lines until the container stops, is replaced (`current` false) or the
 * signal aborts.
 */
export async function fakeStreamLogs(
  c: FakeContainer, current: () => boolean, o: { tail: number; follow: boolean; signal: AbortSignal; since?: number },
  onLine: (line: string, time?: number) => void,
): Promise<void> {
  const since = o.since ?? 0;
  const from = c.logTimes.findIndex((t) => t >= since);
  const kept = from < 0 ? [] : c.log.map((line, i) => [line, c.logTimes[i]!] as const).slice(from);
  for (const [line, time] of o.tail > 0 ? kept.slice(-o.tail) : kept) onLine(line, time);
  if (!o.follow) return;
  let seen = c.log.length;
  while (!o.signal.aborted && current() && c.state === "running") {
    await new Promise((r) => setTimeout(r, 20));
    for (let i = seen; i < c.log.length; i++) if (c.logTimes[i]! >= since) onLine(c.log[i]!, c.logTimes[i]);
    seen = c.log.length;
  }
}
