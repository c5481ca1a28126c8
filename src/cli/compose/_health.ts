/**
 * `healthcheck:` → `[components.health]` (a `cmd` probe run inside the
 * container, as podman runs compose's). Compose's defaults (interval 30s,
 * timeout 30s, retries 3) are written out, since mcp's own defaults differ.
 */
import { MAX_TIMER_MS, formatDuration } from "../../lib/duration.ts";
import type { HealthSpec } from "../../model/index.ts";
import type { ImportContext } from "./_context.ts";
import { composeDurationMs } from "./_units.ts";

/** Docker's defaults for a healthcheck's settings left unset (or 0). */
export const COMPOSE_HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3 } as const;

const KEYS = new Set(["test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"]);

/** Maps a healthcheck; undefined when there is none or it disables the image's own. */
export function mapHealth(ctx: ImportContext, value: unknown, path: string): HealthSpec | undefined {
  const h = ctx.map(value, path);
  for (const key of Object.keys(h)) {
    if (key.startsWith("x-")) ctx.note(`${path}.${key}`, "an x- extension field: ignored by design");
    else if (!KEYS.has(key)) ctx.fail(`${path}.${key}`, `is not a key of a healthcheck (${[...KEYS].join(", ")})`);
  }
  const disabled = (h.disable !== undefined && ctx.bool(h.disable, `${path}.disable`));
  const cmd = h.test === undefined ? undefined : testCommand(ctx, h.test, `${path}.test`);
  if (disabled || cmd === null) {
    ctx.note(path, "disables the image's HEALTHCHECK: mcp runs only the probes a definition names, so the component has none");
    return undefined;
  }
  if (cmd === undefined) {
    ctx.unmap(path, "has no test: it would change the settings of the image's own HEALTHCHECK, which mcp does not read; write the test out");
    return undefined;
  }
  const spec: HealthSpec = {
    cmd,
    intervalMs: duration(ctx, h.interval, `${path}.interval`) || COMPOSE_HEALTH_DEFAULTS.intervalMs,
    timeoutMs: duration(ctx, h.timeout, `${path}.timeout`) || COMPOSE_HEALTH_DEFAULTS.timeoutMs,
    retries: COMPOSE_HEALTH_DEFAULTS.retries,
  };
  if (h.retries !== undefined) {
    const r = ctx.number(h.retries, `${path}.retries`);
    if (!Number.isInteger(r) || r < 0 || r > 10_000) ctx.fail(`${path}.retries`, "must be a whole number from 0 to 10000");
    if (r > 0) spec.retries = r;
  }
  const start = duration(ctx, h.start_period, `${path}.start_period`);
  if (start > 0) spec.startPeriodMs = start;
  if (h.start_interval !== undefined) ctx.unmap(`${path}.start_interval`, "mcp probes at one interval; there is no faster one during the start period");
  return spec;
}

/** The probe's argv: null for NONE, undefined for none written. */
function testCommand(ctx: ImportContext, value: unknown, path: string): string[] | null | undefined {
  if (typeof value === "string") return ["/bin/sh", "-c", ctx.text(value, path)];
  const words = ctx.texts(value, path);
  const [kind, ...rest] = words;
  if (kind === "NONE") return null;
  if (kind === "CMD") {
    if (rest.length === 0) return ctx.fail(path, "CMD names no command");
    return rest;
  }
  if (kind === "CMD-SHELL") {
    if (rest.length === 0) return ctx.fail(path, "CMD-SHELL names no command");
    return ["/bin/sh", "-c", rest.join(" ")];
  }
  if (kind === undefined) return undefined;
  return ctx.fail(`${path}[0]`, `${JSON.stringify(kind.slice(0, 40))} is not CMD, CMD-SHELL or NONE (the first word of a test list says how to run the rest)`);
}

/** A duration in ms, 0 when unset; refused when mcp cannot keep it. */
function duration(ctx: ImportContext, value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  const ms = composeDurationMs(ctx.text(value, path));
  if (typeof ms === "string") return ctx.fail(path, ms);
  if (ms > MAX_TIMER_MS) return ctx.fail(path, `${formatDuration(ms)} is longer than mcp waits on a timer (24d)`);
  return ms;
}
