/**
 * Compose's durations (`1m30s`, `500ms`, Go's syntax) and byte sizes
 * (`512m`, `1gb`, plain bytes), turned into mcp's forms: whole milliseconds,
 * and sizes as podman's `--memory` takes them (`256m`, `1g`). Pure; each
 * returns the value or a problem sentence.
 */

const DURATION_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, "µs": 0.001, ns: 0.000001 };
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/y;

/** Milliseconds of a compose duration (`1m30s`, `10s`, `1.5s`, `250ms`); whole milliseconds only. */
export function composeDurationMs(text: string): number | string {
  const t = text.trim();
  if (t === "" || t.length > 64) return `${JSON.stringify(text.slice(0, 64))} is not a duration (e.g. 30s, 1m30s, 500ms)`;
  let ms = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < t.length) {
    const at = DURATION_PART.lastIndex;
    const m = DURATION_PART.exec(t);
    if (!m || m.index !== at) return `${JSON.stringify(t)} is not a duration (e.g. 30s, 1m30s, 500ms)`;
    ms += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  }
  const whole = Math.round(ms * 1000) / 1000;
  if (!Number.isInteger(whole)) return `${JSON.stringify(t)} is not a whole number of milliseconds, which is what mcp keeps`;
  return whole;
}

const SIZE = /^(\d+(?:\.\d+)?)\s*([bkmgtp]?)(?:i?b)?$/i;
const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** Bytes of a compose size (`512m`, `1gb`, `1.5g`, `2048`, a YAML number). */
export function composeBytes(value: string | number): number | string {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value >= 0 ? value : `${value} is not a whole number of bytes`;
  }
  const m = SIZE.exec(value.trim());
  if (!m) return `${JSON.stringify(value.slice(0, 64))} is not a size (e.g. 512m, 1g, or bytes)`;
  const bytes = Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
  return Number.isSafeInteger(bytes) ? bytes : `${JSON.stringify(value.slice(0, 64))} is too large`;
}

/** A byte count as podman writes sizes: `1g`, `256m`, `64k` when exact, else plain bytes. */
export function podmanSize(bytes: number): string {
  for (const [unit, size] of [["g", 1024 ** 3], ["m", 1024 ** 2], ["k", 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
