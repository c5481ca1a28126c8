import { readFile } from "node:fs/promises";
import { McpError } from "./errors.ts";

const strict = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a file's bytes as UTF-8, refusing invalid sequences (TOML must be
 * UTF-8; a replacement character must never slip into a value). The error
 * names the file, the line and the byte offset.
 */
export function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return strict.decode(bytes);
  } catch {
    // Find the first bad byte for the message.
    let ok = 0;
    for (let end = bytes.length; ok < end; ) {
      const mid = Math.ceil((ok + end) / 2);
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
        ok = mid;
        if (mid === end) break;
      } catch {
        end = mid - 1;
      }
    }
    const line = bytes.subarray(0, ok).reduce((n, b) => (b === 0x0a ? n + 1 : n), 1);
    throw new McpError("invalid_argument", `${source}:${line}: invalid UTF-8 (byte ${ok})`, "save the file as UTF-8");
  }
}

/** Control characters (C0, DEL, C1): what a terminal may act on instead of showing. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * A UTF-8 text file (a config, a definition), or null when it does not
 * exist. Invalid UTF-8 throws invalid_argument located by decodeUtf8; any
 * other failure to read throws invalid_argument `<path>: cannot read
 * [the <what>] (<errno code>)` with `hint`.
 */
export async function readTextFile(path: string, hint: string, what = ""): Promise<string | null> {
  try {
    return decodeUtf8(await readFile(path), path);
  } catch (err) {
    if (err instanceof McpError) throw err; // invalid UTF-8, located
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    throw new McpError("invalid_argument", `${path}: cannot read${what ? ` the ${what}` : ""} (${code ?? "error"})`, hint, { cause: err });
  }
}

/**
 * A string safe to print on a terminal (SPEC §7.1): every control character
 * written as an escape (`\n`, `\u001b`), so a hostile name or message can
 * neither move the cursor, clear the screen nor break a table's lines.
 */
export function escapeControl(s: string): string {
  return s.replace(CONTROLS, (c) => {
    const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}
