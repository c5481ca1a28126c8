import { mcpError } from "./errors.ts";

const UNITS: Record<string, number> = { "": 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };
const SIZE = /^(\d+)\s*(B|KiB|MiB|GiB|TiB)?$/;

/** Parses a size (`4096`, `512KiB`, `64MiB`, `4GiB`) to bytes; throws invalid_argument naming `field`. */
export function parseSize(text: string, field = "size"): number {
  const m = SIZE.exec(text.trim());
  if (!m) throw mcpError("invalid_argument", `${field}: "${text}" is not a size`, "write it as a number and a binary unit: 512MiB, 4GiB (or plain bytes)");
  return Number(m[1]) * UNITS[m[2] ?? ""]!;
}

/** True when text is a valid size. */
export function isSize(text: string): boolean {
  return SIZE.test(text.trim());
}
