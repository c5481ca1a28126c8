import { createHash } from "node:crypto";
import type { ComponentSpec } from "../model/index.ts";

/**
 * The hash of a normalized component spec (the `mcp.spec` label): sha256 hex
 * of its canonical JSON. Equal specs hash equal whatever their key order;
 * any field change, list order included, changes it. `health` counts only
 * when set.
 */
export function specHash(spec: ComponentSpec): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex");
}

/**
 * JSON with object keys sorted at every level and undefined members left out,
 * so equal values always give the same text.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((x) => (x === undefined ? "null" : canonicalJson(x))).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
