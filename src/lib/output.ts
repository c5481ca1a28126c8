import { escapeControl } from "./text.ts";
import type { CliIO } from "./io.ts";

const BOLD = "\x1b[1m";
const RED = "\x1b[31m";
const YELLOW = "\x1b[33m";
const GREEN = "\x1b[32m";
const RESET = "\x1b[0m";

/** Aligns rows under headers with two spaces between columns. */
export function renderTable(headers: string[], rawRows: string[][], color = false): string {
  // Cells come from definitions and agents: printed with control characters escaped (SPEC §7.1).
  const rows = rawRows.map((r) => r.map((c) => escapeControl(c ?? "")));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  const head = line(headers);
  return [color ? `${BOLD}${head}${RESET}` : head, ...rows.map(line)].join("\n") + "\n";
}

/** Writes a value as pretty JSON on stdout. */
export function printJson(io: CliIO, value: unknown): void {
  io.out(JSON.stringify(value, null, 2) + "\n");
}

/** Paints a state word when colour is allowed: running green, drift/failure red, stopped yellow. */
export function paintState(io: CliIO, word: string): string {
  if (!io.color) return word;
  if (word === "running" || word === "ok") return `${GREEN}${word}${RESET}`;
  if (word === "stopped" || word === "unchanged") return `${YELLOW}${word}${RESET}`;
  if (["exited", "removed", "failed", "unreachable", "paused", "unknown", "unhealthy"].includes(word) || word.startsWith("rolled")) return `${RED}${word}${RESET}`;
  if (word.endsWith("(unverified)")) return `${YELLOW}${word}${RESET}`;
  return word;
}

/** The state shown for a component: `unhealthy` when it runs but fails its probe (SPEC §7.5), `… (unverified)` after a crash cut its deploy short (§7.7). */
export function shownState(c: { observed: string; health?: string; unverified?: boolean }): string {
  const state = c.observed === "running" && c.health === "unhealthy" ? "unhealthy" : c.observed;
  return c.unverified ? `${state} (unverified)` : state;
}

/** A diagnostic line on stderr (never stdout). */
export function note(io: CliIO, text: string): void {
  io.err(`${escapeControl(text)}\n`);
}

/** A warning on stderr. */
export function warn(io: CliIO, text: string): void {
  const t = escapeControl(text);
  io.err(io.color ? `${YELLOW}warning:${RESET} ${t}\n` : `warning: ${t}\n`);
}

/** An error line and its hint on stderr. */
export function printError(io: CliIO, rawMessage: string, rawHint: string): void {
  const message = escapeControl(rawMessage);
  const hint = escapeControl(rawHint);
  io.err(io.color ? `${RED}error:${RESET} ${message}\n` : `error: ${message}\n`);
  if (hint) io.err(`hint: ${hint}\n`);
}
