import { mcpError } from "./errors.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+)(ms|s|m|h|d)$/;

/**
 * Parses a duration string (`500ms`, `2s`, `15m`, `24h`, `30d`) to milliseconds.
 * Throws invalid_argument naming `field` for anything else.
 */
export function parseDuration(text: string, field = "duration"): number {
  const m = DURATION.exec(text.trim());
  if (m && Number(m[1]) * UNITS[m[2]!]! > MAX_DURATION_MS) {
    throw mcpError("invalid_argument", `${field}: "${text}" is longer than mcp takes (3650d)`, "write a shorter duration");
  }
  if (!m) {
    throw mcpError("invalid_argument", `${field}: "${text}" is not a duration`, "write it as a number and a unit: 500ms, 2s, 15m, 24h, 30d");
  }
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** The longest duration mcp takes anywhere: ten years. */
export const MAX_DURATION_MS = 3650 * 86_400_000;

/**
 * The longest duration of anything mcp waits on with a timer (a deadline,
 * an interval): 24 days. Timers longer than 2^31-1 ms (24.8 days) fire at
 * once in Bun and Node.
 */
export const MAX_TIMER_MS = 24 * 86_400_000;

/** True when text is a valid duration string of at most MAX_DURATION_MS. */
export function isDuration(text: string): boolean {
  const m = DURATION.exec(text.trim());
  return !!m && Number(m[1]) * UNITS[m[2]!]! <= MAX_DURATION_MS;
}

/** Formats a duration as a compact string: `500ms`, `2s`, `15m`, `24h`, `30d` when exact, else seconds. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Formats an uptime the way `mcp ps` shows it: `2d16h`, `23h57m`, `2m19s`, `12s`. */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}
