import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { writeFileAtomic } from "../../../servicedef/index.ts";
import { isMcpError, McpError } from "../../../lib/errors.ts";

/**
 * Applies a targeted text edit to the CLI config (creating it when missing);
 * edit failures are usage errors (exit 2).
 */
export async function editConfigFile(path: string, edit: (text: string) => string): Promise<void> {
  const before = existsSync(path) ? readFileSync(path, "utf8") : "";
  let after: string;
  try {
    after = edit(before);
  } catch (err) {
    if (isMcpError(err) && (err.code === "already_exists" || err.code === "not_found")) {
      throw new McpError("invalid_argument", err.message, err.hint);
    }
    throw err;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, after);
}
