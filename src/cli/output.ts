import type { CliIO } from "./io.ts";

const BOLD = "\x1b[1m";
const RED = "\x1b[31m";
const YELLOW = "\x1b[33m";
const GREEN = "\x1b[32m";
const RESET = "\x1b[0m";

/** Aligns rows under headers with two spaces between columns. */
export function renderTable(headers: string[], rows: string[][], color = false): string {
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
  if (["exited", "removed", "failed", "unreachable", "paused", "unknown"].includes(word) || word.startsWith("rolled")) return `${RED}${word}${RESET}`;
  return word;
}

/** A diagnostic line on stderr (never stdout). */
export function note(io: CliIO, text: string): void {
  io.err(`${text}\n`);
}

/** A warning on stderr. */
export function warn(io: CliIO, text: string): void {
  io.err(io.color ? `${YELLOW}warning:${RESET} ${text}\n` : `warning: ${text}\n`);
}

/** An error line and its hint on stderr. */
export function printError(io: CliIO, message: string, hint: string): void {
  io.err(io.color ? `${RED}error:${RESET} ${message}\n` : `error: ${message}\n`);
  if (hint) io.err(`hint: ${hint}\n`);
}
