import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { McpError, messageOf } from "../../../lib/errors.ts";
import type { CliIO } from "../../../lib/io.ts";
import { MAX_SECRET_BYTES, secretNameProblem } from "../../../servicedef/index.ts";

/** Refuses a secret name the agent would refuse, before anything is read or sent (exit 2). */
export function assertSecretName(name: string): void {
  const problem = secretNameProblem(name);
  if (problem) throw new McpError("invalid_argument", `secret name: ${problem}`, "name it with letters, digits, _ and - (e.g. db_password)");
}

function checked(value: Uint8Array, from: string): Uint8Array {
  if (value.length === 0) throw new McpError("invalid_argument", `the secret's value from ${from} is empty`, "give the value on stdin (mcp secret set <service> <name> < file) or with --from-file");
  if (value.length > MAX_SECRET_BYTES) throw new McpError("invalid_argument", `the secret's value from ${from} is ${value.length} bytes; podman takes at most ${MAX_SECRET_BYTES}`, "store a smaller value");
  return value;
}

/**
 * A secret's value, never from a flag or an environment variable (SPEC
 * §7.3): with `--from-file`, the file's bytes exactly; from a terminal,
 * typed twice without echo (they must match); else all of stdin, less one
 * trailing newline (`echo pw | mcp secret set …` stores `pw`).
 */
export async function readSecretValue(io: CliIO, fromFile: string | undefined, label: string): Promise<Uint8Array> {
  if (fromFile !== undefined) {
    const path = resolve(io.cwd, fromFile);
    let value: Uint8Array;
    try {
      if (!statSync(path).isFile()) throw new McpError("invalid_argument", `--from-file: ${path} is not a regular file`, "give a file");
      value = new Uint8Array(readFileSync(path));
    } catch (err) {
      if (err instanceof McpError) throw err;
      throw new McpError("invalid_argument", `--from-file: cannot read ${path}: ${messageOf(err)}`, "check the path and its permissions");
    }
    return checked(value, path);
  }
  if (io.stdinIsTTY) {
    const first = await io.readSecret(`value of ${label} (not shown): `);
    if (first === null) throw new McpError("invalid_argument", "no value was typed", "type the value, or give it on stdin or with --from-file");
    const again = await io.readSecret("again: ");
    if (again !== first) throw new McpError("invalid_argument", "the two values typed differ; nothing was stored", "run the command again");
    return checked(new TextEncoder().encode(first), "the terminal");
  }
  const raw = io.readStdinBytes ? await io.readStdinBytes() : new TextEncoder().encode(await io.readStdin());
  const cut = raw.at(-1) === 0x0a ? (raw.at(-2) === 0x0d ? 2 : 1) : 0;
  return checked(raw.subarray(0, raw.length - cut), "stdin");
}
