import { isMcpError, messageOf } from "../../lib/errors.ts";
import type { CliIO } from "../../lib/io.ts";

/**
 * How the agent's own helpers (copy-db, snapshot-dir, restore-dir,
 * make-dirs, push-file, pull-file) refuse: the McpError as JSON
 * `{code, message, hint}` on stderr's last line (the agent reads it back:
 * helperError), exit status 1.
 */
export function printFailure(io: CliIO, err: unknown, what: string): number {
  const e = isMcpError(err) ? { code: err.code, message: err.message, hint: err.hint } : { code: "internal", message: `${what}: ${messageOf(err)}`, hint: "" };
  io.err(`${JSON.stringify(e)}\n`);
  return 1;
}
