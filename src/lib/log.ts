/**
 * The logging seam: every module that logs takes a Logger. The root logger is
 * made in src/modes/ only; tests pass a collecting or silent one.
 * Context is rendered as key=value pairs, one line per event.
 */
export interface Logger {
  debug(msg: string, ctx?: Record<string, unknown>): void;
  info(msg: string, ctx?: Record<string, unknown>): void;
  warn(msg: string, ctx?: Record<string, unknown>): void;
  error(msg: string, ctx?: Record<string, unknown>): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Renders context as ` key=value key2="value with spaces"`. */
export function formatContext(ctx?: Record<string, unknown>): string {
  if (!ctx) return "";
  let out = "";
  for (const [k, v] of Object.entries(ctx)) {
    if (v === undefined) continue;
    const s = typeof v === "string" ? v : v instanceof Error ? v.message : JSON.stringify(v);
    // Quoted (JSON escapes) when it has spaces, quotes, `=` or any control character: one event stays one line.
    out += ` ${k}=${/[\s"=\u0000-\u001f\u007f-\u009f]/.test(s) || s === "" ? JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : s}`;
  }
  return out;
}
