/**
 * Evidence for the secrets scan (issue 7 acceptance 4): when
 * MCP_TEST_SCAN_DIR is set (scripts/test.sh sets it for a full run), the
 * test helpers record every secret they make (tokens, passwords, pushed
 * content) and every agent log and CLI error output; scripts/scan-secrets.ts
 * then checks that no secret appears in any of them.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.MCP_TEST_SCAN_DIR ?? "";

/** Remembers a secret that must never show up in a log or an error. */
export function recordSecret(secret: string): void {
  if (dir && secret) appendFileSync(join(dir, "secrets"), `${JSON.stringify(secret)}\n`, { mode: 0o600 });
}

/** Keeps a log or error output for the scan. */
export function recordOutput(name: string, text: string): void {
  if (dir && text) writeFileSync(join(dir, `${name.replace(/[^\w.-]/g, "_")}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.log`), text);
}
